// `microscale demo`: the README's first command. Builds a small bf16 model (two transformer MLPs
// with realistic weight statistics and outliers, deterministic), exports it in every scheme (and
// NVFP4 also as compressed-tensors), loads each export back through the checkpoint loader and the
// runtime table (gate/up fused as vLLM does), runs a decode batch and a prefill batch, and prints
// one table: scheme, kernel chosen, error against the bf16 model (SQNR, dB), and speed against
// the emulation reference and a dense fp32 GEMM on the dequantized weights.
#include <Eigen/Core>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "commands.hpp"
#include "io.hpp"
#include "microscale/checkpoint/export.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "microscale/detail/sample_data.hpp"
#include "microscale/registry.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

constexpr std::int64_t hidden = 1024, intermediate = 2816, layers = 2;

/// Weights with what real checkpoints show: per-row scale spread (lognormal), heavy tails, and a
/// few outlier input channels.
std::vector<float> realistic_weight(std::int64_t n, std::int64_t k, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::student_t_distribution<float> heavy(4.0f);
    std::vector<float> w(static_cast<std::size_t>(n * k));
    std::vector<float> column_gain(static_cast<std::size_t>(k), 1.0f);
    for (auto& g : column_gain) g = rng() % 64 == 0 ? 6.0f : 1.0f;
    for (std::int64_t r = 0; r < n; ++r) {
        const float row_scale = 0.02f * std::exp(0.3f * normal(rng));
        for (std::int64_t c = 0; c < k; ++c)
            w[static_cast<std::size_t>(r * k + c)] = row_scale * heavy(rng) * column_gain[static_cast<std::size_t>(c)];
    }
    return w;
}

/// Activations with the outlier channels LLM hidden states have.
std::vector<float> realistic_activations(std::int64_t m, std::int64_t k, std::uint32_t seed) {
    const std::vector<float> normal = detail::normal_values(m * k, 1.0f, seed);  // drawn column by column
    std::vector<float> x(static_cast<std::size_t>(m * k));
    for (std::int64_t c = 0; c < k; ++c) {
        const float gain = c % 97 == 13 ? 20.0f : 1.0f;
        for (std::int64_t r = 0; r < m; ++r)
            x[static_cast<std::size_t>(r * k + c)] = numeric::bf16::decode(numeric::bf16::encode(normal[static_cast<std::size_t>(c * m + r)] * gain));
    }
    return x;
}

std::vector<std::uint16_t> bf16_bytes(const std::vector<float>& v) {
    std::vector<std::uint16_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = numeric::bf16::encode(v[i]);
    return out;
}

void progress(const std::string& what) {
    std::fprintf(stderr, "demo: %s\n", what.c_str());
    std::fflush(stderr);
}

double seconds_of(const std::function<void()>& f, int repeats) {
    f();  // warm-up
    double best = 1e30;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

struct module_run {
    std::string name;
    std::int64_t n, k;
    std::vector<float> weight;                               // the bf16 model's weight, widened
    std::vector<float> reference_decode, reference_prefill;  // bf16 model, fp32 GEMM
};

}  // namespace

namespace {

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// y[m, n] = x[m, k] · w[n, k]ᵀ in fp32 (Eigen): the bf16 model's reference, and the dense GEMM
/// an emulation user runs on dequantized weights.
std::vector<float> gemm(const std::vector<float>& x, std::int64_t m, const std::vector<float>& w, std::int64_t n, std::int64_t k) {
    std::vector<float> y(static_cast<std::size_t>(m * n));
    Eigen::Map<row_matrix>(y.data(), m, n).noalias() =
        Eigen::Map<const row_matrix>(x.data(), m, k) * Eigen::Map<const row_matrix>(w.data(), n, k).transpose();
    return y;
}

constexpr std::int64_t decode_m = 4, prefill_m = 128;

/// The bf16 model on disk (model.safetensors, calibration.safetensors in `work`), its activations
/// and the modules as an engine runs them, with their bf16-model outputs.
struct demo_model {
    std::vector<float> x_hidden_decode, x_hidden_prefill, x_inter_decode, x_inter_prefill;
    std::vector<module_run> runs;
};

demo_model build_model(const std::filesystem::path& work) {
    demo_model d{realistic_activations(decode_m, hidden, 1),
                 realistic_activations(prefill_m, hidden, 2),
                 realistic_activations(decode_m, intermediate, 3),
                 realistic_activations(prefill_m, intermediate, 4),
                 {}};
    const auto &x_hidden_decode = d.x_hidden_decode, &x_hidden_prefill = d.x_hidden_prefill, &x_inter_decode = d.x_inter_decode,
               &x_inter_prefill = d.x_inter_prefill;
    auto& runs = d.runs;
    progress(detail::cat("building a bf16 model: ", layers, " MLP blocks, hidden ", hidden, ", intermediate ", intermediate));
    std::mt19937 rng(20261121);
    checkpoint::safetensors_writer model, calibration;
    std::map<std::string, std::vector<float>> bf16_weights;
    for (std::int64_t l = 0; l < layers; ++l) {
        const std::string p = detail::cat("model.layers.", l, ".mlp.");
        for (const auto& [name, n, k] : std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>{
                 {"gate_proj", intermediate, hidden}, {"up_proj", intermediate, hidden}, {"down_proj", hidden, intermediate}}) {
            auto w = realistic_weight(n, k, rng);
            for (auto& v : w) v = numeric::bf16::decode(numeric::bf16::encode(v));
            model.add_values<std::uint16_t>(p + name + ".weight", checkpoint::st_dtype::BF16, {n, k}, bf16_bytes(w));
            const auto& cal = k == hidden ? x_hidden_prefill : x_inter_prefill;
            calibration.add_values<float>(p + name + ".input", checkpoint::st_dtype::F32, {prefill_m, k}, cal);
            bf16_weights[p + name] = std::move(w);
        }
        // the modules as an engine runs them: gate and up fused, down
        std::vector<float> gate_up = bf16_weights[p + "gate_proj"];
        gate_up.insert(gate_up.end(), bf16_weights[p + "up_proj"].begin(), bf16_weights[p + "up_proj"].end());
        const auto decode_gu = gemm(x_hidden_decode, decode_m, gate_up, 2 * intermediate, hidden);
        const auto prefill_gu = gemm(x_hidden_prefill, prefill_m, gate_up, 2 * intermediate, hidden);
        runs.push_back({p + "gate_up_proj", 2 * intermediate, hidden, std::move(gate_up), decode_gu, prefill_gu});
        const auto& down = bf16_weights[p + "down_proj"];
        runs.push_back({p + "down_proj", hidden, intermediate, down, gemm(x_inter_decode, decode_m, down, hidden, intermediate),
                        gemm(x_inter_prefill, prefill_m, down, hidden, intermediate)});
    }
    model.add_values<float>("model.norm.weight", checkpoint::st_dtype::F32, {hidden}, std::vector<float>(hidden, 1.0f));
    model.write(work / "model.safetensors");
    calibration.write(work / "calibration.safetensors");

    return d;
}

struct row {
    std::string scheme, format, kernel;
    double sqnr_decode, sqnr_prefill, decode_ms, decode_emulation, decode_dense, prefill_ms, prefill_emulation, prefill_dense;
};

/// Exports the model as `scheme` in convention `fmt`, loads it back and runs every module: SQNR
/// against the bf16 model, time against the emulation kernel and a dense fp32 GEMM.
row run_export(const demo_model& d, const std::filesystem::path& work, const checkpoint::safetensors_file& model_file,
               const checkpoint::safetensors_file& calibration_file, const std::string& scheme, const std::string& fmt, const apply_options& ao) {
    namespace fs = std::filesystem;
    const auto &x_hidden_decode = d.x_hidden_decode, &x_hidden_prefill = d.x_hidden_prefill, &x_inter_decode = d.x_inter_decode,
               &x_inter_prefill = d.x_inter_prefill;
    selection_options emulation_only;
    emulation_only.forced_backend = "emulation";
    const std::string label = detail::cat(scheme, " (", fmt, ")");
    progress("exporting " + label);
    checkpoint::export_options eo;
    eo.scheme = scheme;
    eo.convention = fmt;
    eo.calibration = &calibration_file;
    eo.overwrite = true;  // the demo's own folder: a second run with the same --workdir replaces it
    const fs::path dir = work / detail::cat(scheme, "-", fmt);
    checkpoint::export_checkpoint(model_file, dir, eo);
    progress("loading and running " + label);
    const checkpoint::checkpoint_reader reader(dir);
    row r{scheme, fmt, "", 0, 0, 0, 0, 0, 0, 0, 0};
    double signal_d = 0, noise_d = 0, signal_p = 0, noise_p = 0;
    double t_decode = 0, t_decode_emu = 0, t_decode_dense = 0, t_prefill = 0, t_prefill_emu = 0, t_prefill_dense = 0;
    for (const auto& m : d.runs) {
        const auto layer = reader.load_linear(m.name, dtype::bf16, selection_options::from_environment());
        const auto reference_layer = reader.load_linear(m.name, dtype::bf16, emulation_only);
        r.kernel = std::string(layer->kernel_name());
        for (const bool prefill : {false, true}) {
            const std::int64_t rows = prefill ? prefill_m : decode_m;
            const auto& x = m.k == hidden ? (prefill ? x_hidden_prefill : x_hidden_decode) : (prefill ? x_inter_prefill : x_inter_decode);
            const auto xb = to_bytes(x, dtype::bf16);
            std::vector<std::uint8_t> y(static_cast<std::size_t>(rows * m.n) * 2);
            const const_matrix_view xv{xb.data(), dtype::bf16, rows, m.k};
            const matrix_view yv{y.data(), dtype::bf16, rows, m.n};
            const double t = seconds_of([&] { layer->apply(xv, yv, nullptr, ao); }, prefill ? 3 : 20);
            const auto out = from_bytes(y, dtype::bf16);
            const auto& ref = prefill ? m.reference_prefill : m.reference_decode;
            double& signal = prefill ? signal_p : signal_d;
            double& noise = prefill ? noise_p : noise_d;
            for (std::size_t i = 0; i < ref.size(); ++i) {
                signal += static_cast<double>(ref[i]) * ref[i];
                noise += (static_cast<double>(out[i]) - ref[i]) * (static_cast<double>(out[i]) - ref[i]);
            }
            const double te = seconds_of([&] { reference_layer->apply(xv, yv, nullptr, ao); }, 1);
            // a dense fp32 GEMM of the same shape (what an emulation user runs on dequantized weights)
            const double td = seconds_of([&] { (void)gemm(x, rows, m.weight, m.n, m.k); }, prefill ? 2 : 10);
            (prefill ? t_prefill : t_decode) += t;
            (prefill ? t_prefill_emu : t_decode_emu) += te;
            (prefill ? t_prefill_dense : t_decode_dense) += td;
        }
    }
    r.sqnr_decode = 10 * std::log10(signal_d / noise_d);
    r.sqnr_prefill = 10 * std::log10(signal_p / noise_p);
    r.decode_ms = t_decode * 1e3;
    r.decode_emulation = t_decode_emu / t_decode;
    r.decode_dense = t_decode_dense / t_decode;
    r.prefill_ms = t_prefill * 1e3;
    r.prefill_emulation = t_prefill_emu / t_prefill;
    r.prefill_dense = t_prefill_dense / t_prefill;
    return r;
}

void print_table(const std::vector<row>& table) {
    std::printf(
        "\nmicroscale demo: %lld MLP blocks (hidden %lld, intermediate %lld) exported in every scheme, loaded back,\n"
        "run as fused gate_up + down; decode batch M=%lld, prefill batch M=%lld, bf16 activations.\n"
        "SQNR against the bf16 model; speed-ups against the emulation reference and a dense fp32 GEMM (Eigen).\n\n",
        static_cast<long long>(layers), static_cast<long long>(hidden), static_cast<long long>(intermediate), static_cast<long long>(decode_m),
        static_cast<long long>(prefill_m));
    std::printf("%-26s %-19s %-36s %7s %7s | %9s %7s %7s | %9s %7s %7s\n", "scheme", "format", "kernel", "SQNR d", "SQNR p", "decode ms", "x emu",
                "x dense", "prefill ms", "x emu", "x dense");
    for (const auto& r : table)
        std::printf("%-26s %-19s %-36s %7.2f %7.2f | %9.3f %7.1f %7.2f | %9.2f %7.1f %7.2f\n", r.scheme.c_str(), r.format.c_str(), r.kernel.c_str(),
                    r.sqnr_decode, r.sqnr_prefill, r.decode_ms, r.decode_emulation, r.decode_dense, r.prefill_ms, r.prefill_emulation,
                    r.prefill_dense);
}

}  // namespace

int run_demo(const std::vector<std::string>& args) {
    po::options_description options("demo");
    options.add_options()("workdir", po::value<std::string>(), "folder for the model and its exports (default: a temporary folder)")(
        "threads", po::value<int>()->default_value(0), "threads (0: OMP_NUM_THREADS or all)");
    po::variables_map values;
    if (!parse_options("demo", args, options, values)) return 0;
    apply_options ao;
    ao.threads = thread_option(values);
    namespace fs = std::filesystem;
    const fs::path work = values.count("workdir") ? fs::path(values["workdir"].as<std::string>())
                                                  : fs::temp_directory_path() / ("microscale-demo-" + std::to_string(::getpid()));
    fs::create_directories(work);
    const demo_model d = build_model(work);
    const checkpoint::safetensors_file model_file(work / "model.safetensors"), calibration_file(work / "calibration.safetensors");
    // every scheme of the table (W4A4 before W4A16, as `list` shows them) in every convention that
    // stores its format in linear layers (hf-mxfp4 quantizes MoE experts only: the demo model has none)
    std::vector<row> table;
    for (const std::string_view f : format::format_names)
        for (const bool aq : {true, false})
            boost::mp11::mp_for_each<checkpoint::all_conventions>([&](auto c) {
                if (decltype(c)::stores_linear && checkpoint::convention_stores(decltype(c)::name, f))
                    table.push_back(run_export(d, work, model_file, calibration_file, std::string(make_scheme_name(f, aq).view()),
                                               std::string(decltype(c)::name), ao));
            });
    print_table(table);
    if (values.count("workdir")) {
        std::printf("\ncheckpoints in %s\n", work.string().c_str());
    } else {
        fs::remove_all(work);
        std::printf("\n(the exported checkpoints were temporary; `microscale demo --workdir DIR` keeps them)\n");
    }
    return 0;
}

}  // namespace microscale::cli
