// `microscale check (--scheme S | --kernel NAME) [--m M --n N --k K] [--dtype bf16|f16|f32] [--seed S]
//                   [--input X.safetensors] [--weights W.safetensors] [--threads T]`
// Runs one kernel on random (or given) data and compares it with an fp64 reference computed from
// the dequantized operands: prints the worst absolute error, the worst error relative to
// sum |x w|, and the worst error as a fraction of the fp32-accumulation bound (exit 1 above it).
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>

#include "commands.hpp"
#include "io.hpp"
#include "microscale/backend/emulation.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/moe.hpp"
#include "microscale/numeric/error_bound.hpp"
#include "microscale/registry.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

dtype parse_dtype_option(const std::string& s) {
    if (s == "bf16") return dtype::bf16;
    if (s == "f16" || s == "fp16") return dtype::f16;
    if (s == "f32" || s == "fp32") return dtype::f32;
    throw usage_error("--dtype must be bf16, f16 or f32");
}

std::vector<float> normal_values(std::int64_t count, float sigma, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> v(static_cast<std::size_t>(count));
    for (auto& x : v) x = normal(rng) * (u(rng) < 0.002f ? 20.0f : 1.0f);
    return v;
}

}  // namespace

int run_check(const std::vector<std::string>& args) {
    po::options_description options("check");
    options.add_options()("scheme", po::value<std::string>(), "scheme or alias; the runtime table picks the kernel")(
        "kernel", po::value<std::string>(), "canonical kernel name (e.g. w_nvfp4_a_nvfp4.stored.emulation)")(
        "m", po::value<std::int64_t>()->default_value(4), "rows of x (batch)")(
        "n", po::value<std::int64_t>()->default_value(256), "output features")(
        "k", po::value<std::int64_t>()->default_value(512), "input features")(
        "dtype", po::value<std::string>()->default_value("bf16"), "activation dtype: bf16, f16, f32")(
        "seed", po::value<std::uint32_t>()->default_value(1), "random seed")(
        "threads", po::value<int>()->default_value(0), "threads (0: OpenMP default)")(
        "input", po::value<std::string>(), "safetensors with tensor x [M, K] instead of random x")(
        "weights", po::value<std::string>(), "safetensors with tensor w [N, K] (floating point) instead of a random W");
    po::variables_map values;
    if (!parse_options("check", args, options, values)) return 0;
    if (values.count("scheme") == values.count("kernel")) throw usage_error("give exactly one of --scheme and --kernel");
    apply_options ao;
    ao.threads = thread_option(values);

    selection_options so = selection_options::from_environment();
    std::string requested;
    if (values.count("kernel")) {
        so.forced_kernel = values["kernel"].as<std::string>();
        const auto it = std::find_if(kernel_table().begin(), kernel_table().end(),
                                     [&](const kernel_entry& e) { return e.name == so.forced_kernel; });
        if (it == kernel_table().end()) {
            const bool moe = std::any_of(moe_kernel_table().begin(), moe_kernel_table().end(),
                                         [&](const moe_kernel_entry& e) { return e.name == so.forced_kernel; });
            throw std::invalid_argument(moe ? "'" + so.forced_kernel + "' is an MoE kernel; check runs linear kernels (run an MoE layer with "
                                                  "`microscale run --kernel`; the MoE kernels are listed by `microscale list`)"
                                            : "unknown kernel '" + so.forced_kernel + "' (see microscale list)");
        }
        requested = std::string(it->scheme);
    } else {
        requested = values["scheme"].as<std::string>();
    }

    float_matrix x, w;
    if (values.count("input")) {
        x = read_matrix(checkpoint::safetensors_file(values["input"].as<std::string>()), "x");
    } else {
        x.rows = positive_option(values, "m");
        x.cols = positive_option(values, "k");
        x.type = parse_dtype_option(values["dtype"].as<std::string>());
        require_memory({x.rows, x.cols}, 24, "x");
        x.values = normal_values(x.rows * x.cols, 1.0f, values["seed"].as<std::uint32_t>());
        for (auto& v : x.values) v = round_to(x.type, v);
    }
    if (values.count("weights")) {
        w = read_matrix(checkpoint::safetensors_file(values["weights"].as<std::string>()), "w");
    } else {
        w.rows = positive_option(values, "n");
        w.cols = x.cols;
        require_memory({w.rows, w.cols}, 24, "w");
        w.values = normal_values(w.rows * w.cols, 0.02f, values["seed"].as<std::uint32_t>() + 1);
    }
    if (w.cols != x.cols) throw std::invalid_argument(detail::cat("x has K=", x.cols, " but w has K=", w.cols));
    if (x.rows <= 0 || w.rows <= 0 || x.cols <= 0)
        throw usage_error(detail::cat("M, N and K must be positive (x is [", x.rows, ", ", x.cols, "], w has N=", w.rows, ")"));
    require_memory({x.rows, w.rows}, 8, "y");
    if (static_cast<double>(x.rows) * static_cast<double>(w.rows) * static_cast<double>(x.cols) > 2e10)
        throw usage_error(detail::cat("M*N*K = ", x.rows, "*", w.rows, "*", x.cols, " is too large for the fp64 reference (at most 2e10)"));

    const linear_shape shape{x.rows, w.rows, x.cols, x.type, false};
    const selection sel = select_kernel(requested, shape, kernel_table(), scheme_aliases(), so);
    const auto parts = format::parse_scheme(sel.scheme);

    std::vector<double> w_ref, x_ref;  // exact operands
    quantized_weight q;
    format::visit_format(parts->format, [&](auto f) {
        using F = decltype(f);
        using rules = format::block_rules<F>;
        q = format::quantize_weight<F>(w.values, w.rows, w.cols);
        float amax = 0.0f;
        for (float v : x.values) amax = std::max(amax, std::fabs(v));
        if constexpr (F::has_global_scale) q.input_scale = amax > 0 ? format::nvfp4_rules::activation_input_scale(amax) : 1.0f;
        // dequantized weight, exactly: element * fp32 factor
        w_ref.resize(w.values.size());
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(w.cols));
        const std::int64_t row_bytes = format::packed_row_bytes<F>(w.cols), blocks = format::scale_cols<F>(w.cols);
        for (std::int64_t r = 0; r < w.rows; ++r) {
            numeric::unpack<typename F::element>(std::span<const std::uint8_t>(q.codes.data() + r * row_bytes, static_cast<std::size_t>(row_bytes)), codes);
            for (std::int64_t c = 0; c < w.cols; ++c)
                w_ref[static_cast<std::size_t>(r * w.cols + c)] =
                    static_cast<double>(F::element::decode(codes[static_cast<std::size_t>(c)])) *
                    static_cast<double>(rules::weight_factor(q.scales[static_cast<std::size_t>(r * blocks + c / F::block_size)], q.global_scale));
        }
        x_ref.assign(x.values.begin(), x.values.end());
        if (parts->quantized_activations) {
            const auto params = rules::activation_params_from(q.input_scale, "x");
            std::vector<std::uint8_t> xc(static_cast<std::size_t>(x.cols)), xs(static_cast<std::size_t>(blocks));
            for (std::int64_t r = 0; r < x.rows; ++r) {
                for (std::int64_t b = 0; b < blocks; ++b) {
                    const std::uint8_t s = rules::quantize_activation_block(x.values.data() + r * x.cols + b * F::block_size, params,
                                                                            xc.data() + b * F::block_size);
                    for (int i = 0; i < F::block_size; ++i)
                        x_ref[static_cast<std::size_t>(r * x.cols + b * F::block_size + i)] =
                            static_cast<double>(F::element::decode(xc[static_cast<std::size_t>(b * F::block_size + i)])) *
                            static_cast<double>(rules::activation_factor(s, params));
                }
            }
        }
    });

    const auto layer = sel.kernel->create(q);
    const auto x_bytes = to_bytes(x.values, x.type);
    std::vector<std::uint8_t> y_bytes(static_cast<std::size_t>(x.rows * w.rows) * dtype_size(x.type));
    layer->apply({x_bytes.data(), x.type, x.rows, x.cols}, {y_bytes.data(), x.type, x.rows, w.rows}, nullptr, ao);
    const auto t0 = std::chrono::steady_clock::now();
    int runs = 0;
    do {
        layer->apply({x_bytes.data(), x.type, x.rows, x.cols}, {y_bytes.data(), x.type, x.rows, w.rows}, nullptr, ao);
        ++runs;
    } while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200) && runs < 1000);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / runs;
    const auto y = from_bytes(y_bytes, x.type);

    double worst_abs = 0, worst_rel = 0, worst_bound_fraction = 0;
    for (std::int64_t m = 0; m < x.rows; ++m) {
        for (std::int64_t n = 0; n < w.rows; ++n) {
            double exact = 0, sum_abs = 0;
            for (std::int64_t k = 0; k < x.cols; ++k) {
                const double t = x_ref[static_cast<std::size_t>(m * x.cols + k)] * w_ref[static_cast<std::size_t>(n * x.cols + k)];
                exact += t;
                sum_abs += std::fabs(t);
            }
            const double err = std::fabs(static_cast<double>(y[static_cast<std::size_t>(m * w.rows + n)]) - exact);
            worst_abs = std::max(worst_abs, err);
            if (sum_abs > 0) worst_rel = std::max(worst_rel, err / sum_abs);
            worst_bound_fraction = std::max(worst_bound_fraction, err / numeric::accumulation_bound(x.cols, sum_abs, exact, x.type));
        }
    }
    std::cout << "kernel      " << layer->kernel_name() << "   (scheme " << sel.scheme << ")\n"
              << "problem     M=" << x.rows << " N=" << w.rows << " K=" << x.cols << " " << dtype_name(x.type) << "\n"
              << "time        " << seconds * 1e3 << " ms per apply (" << 2.0 * x.rows * w.rows * x.cols / seconds * 1e-9 << " GFLOP/s)\n"
              << "max |y - y_fp64|            " << worst_abs << "\n"
              << "max |y - y_fp64| / sum|xw|  " << worst_rel << "\n"
              << "max error / bound           " << worst_bound_fraction
              << (worst_bound_fraction <= 1.0 ? "   (within the fp32-accumulation bound)\n" : "   EXCEEDS the fp32-accumulation bound\n");
    return worst_bound_fraction <= 1.0 ? 0 : 1;
}

}  // namespace microscale::cli
