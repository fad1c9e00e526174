// `microscale check (--scheme S | --kernel NAME) [--m M --n N --k K] [--dtype bf16|f16|f32] [--seed S]
//                   [--input X.safetensors] [--weights W.safetensors] [--threads T]`
// Runs one kernel on random (or given) data and compares it with an fp64 reference computed from
// the dequantized operands: prints the worst absolute error, the worst error relative to
// sum |x w|, and the worst error as a fraction of the fp32-accumulation bound (exit 1 above it).
#include <chrono>
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "io.hpp"
#include "microscale/backend/emulation.hpp"
#include "microscale/detail/sample_data.hpp"
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

po::options_description check_options() {
    po::options_description options("check");
    options.add_options()("scheme", po::value<std::string>(), "scheme or alias; the runtime table picks the kernel")(
        "kernel", po::value<std::string>(), "canonical kernel name (e.g. w_nvfp4_a_nvfp4.stored.emulation)")(
        "m", po::value<std::int64_t>()->default_value(4), "rows of x (batch)")("n", po::value<std::int64_t>()->default_value(256), "output features")(
        "k", po::value<std::int64_t>()->default_value(512), "input features")("dtype", po::value<std::string>()->default_value("bf16"),
                                                                              "activation dtype: bf16, f16, f32")(
        "seed", po::value<std::uint32_t>()->default_value(1), "random seed")(
        "threads", po::value<int>()->default_value(0), "threads (0: OpenMP default)")("input", po::value<std::string>(),
                                                                                      "safetensors with tensor x [M, K] instead of random x")(
        "weights", po::value<std::string>(), "safetensors with tensor w [N, K] (floating point) instead of a random W");
    return options;
}

/// The scheme to select in: --scheme, or the scheme of --kernel (which `so` then forces).
std::string requested_scheme(const po::variables_map& values, selection_options& so) {
    if (!values.count("kernel")) return values["scheme"].as<std::string>();
    so.forced_kernel = values["kernel"].as<std::string>();
    const auto it = std::find_if(kernel_table().begin(), kernel_table().end(), [&](const kernel_entry& e) { return e.name == so.forced_kernel; });
    if (it == kernel_table().end()) {
        const bool moe =
            std::any_of(moe_kernel_table().begin(), moe_kernel_table().end(), [&](const moe_kernel_entry& e) { return e.name == so.forced_kernel; });
        throw std::invalid_argument(moe ? "'" + so.forced_kernel +
                                              "' is an MoE kernel; check runs linear kernels (run an MoE layer with "
                                              "`microscale run --kernel`; the MoE kernels are listed by `microscale list`)"
                                        : "unknown kernel '" + so.forced_kernel + "' (see microscale list)");
    }
    return std::string(it->scheme);
}

struct operand_pair {
    float_matrix x, w;
};

/// x and w: from --input / --weights, else seeded sample values; checked to fit the fp64 reference.
operand_pair operands(const po::variables_map& values) {
    float_matrix x, w;
    if (values.count("input")) {
        x = read_matrix(checkpoint::safetensors_file(values["input"].as<std::string>()), "x");
    } else {
        x.rows = positive_option(values, "m");
        x.cols = positive_option(values, "k");
        x.type = parse_dtype_option(values["dtype"].as<std::string>());
        require_memory({x.rows, x.cols}, 24, "x");
        x.values = detail::normal_values(x.rows * x.cols, 1.0f, values["seed"].as<std::uint32_t>(), 500, 20.0f);
        for (auto& v : x.values) v = round_to(x.type, v);
    }
    if (values.count("weights")) {
        w = read_matrix(checkpoint::safetensors_file(values["weights"].as<std::string>()), "w");
    } else {
        w.rows = positive_option(values, "n");
        w.cols = x.cols;
        require_memory({w.rows, w.cols}, 24, "w");
        w.values = detail::normal_values(w.rows * w.cols, 0.02f, values["seed"].as<std::uint32_t>() + 1, 500, 20.0f);
    }
    if (w.cols != x.cols) throw std::invalid_argument(detail::cat("x has K=", x.cols, " but w has K=", w.cols));
    if (x.rows <= 0 || w.rows <= 0 || x.cols <= 0)
        throw usage_error(detail::cat("M, N and K must be positive (x is [", x.rows, ", ", x.cols, "], w has N=", w.rows, ")"));
    require_memory({x.rows, w.rows}, 8, "y");
    if (static_cast<double>(x.rows) * static_cast<double>(w.rows) * static_cast<double>(x.cols) > 2e10)
        throw usage_error(detail::cat("M*N*K = ", x.rows, "*", w.rows, "*", x.cols, " is too large for the fp64 reference (at most 2e10)"));
    return {std::move(x), std::move(w)};
}

/// The quantized weight and the exact operands of the reference: element * fp32 factor, in fp64.
struct exact_problem {
    quantized_weight q;
    std::vector<double> w, x;
};

template <class F>
exact_problem quantize_exactly(const float_matrix& x, const float_matrix& w, bool quantized_activations) {
    using rules = format::block_rules<F>;
    exact_problem e;
    e.q = format::quantize_weight<F>(w.values, w.rows, w.cols);
    float amax = 0.0f;
    for (float v : x.values) amax = std::max(amax, std::fabs(v));
    if constexpr (F::has_global_scale) e.q.input_scale = amax > 0 ? format::nvfp4_rules::activation_input_scale(amax) : 1.0f;
    // dequantized weight, exactly: element * fp32 factor
    e.w.resize(w.values.size());
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(w.cols));
    const std::int64_t row_bytes = format::packed_row_bytes<F>(w.cols), blocks = format::scale_cols<F>(w.cols);
    for (std::int64_t r = 0; r < w.rows; ++r) {
        numeric::unpack<typename F::element>(std::span<const std::uint8_t>(e.q.codes.data() + r * row_bytes, static_cast<std::size_t>(row_bytes)),
                                             codes);
        for (std::int64_t c = 0; c < w.cols; ++c)
            e.w[static_cast<std::size_t>(r * w.cols + c)] =
                static_cast<double>(F::element::decode(codes[static_cast<std::size_t>(c)])) *
                static_cast<double>(rules::weight_factor(e.q.scales[static_cast<std::size_t>(r * blocks + c / F::block_size)], e.q.global_scale));
    }
    e.x.assign(x.values.begin(), x.values.end());
    if (!quantized_activations) return e;
    const auto params = rules::activation_params_from(e.q.input_scale, "x");
    std::vector<std::uint8_t> xc(static_cast<std::size_t>(x.cols));
    for (std::int64_t r = 0; r < x.rows; ++r) {
        for (std::int64_t b = 0; b < blocks; ++b) {
            const std::uint8_t s =
                rules::quantize_activation_block(x.values.data() + r * x.cols + b * F::block_size, params, xc.data() + b * F::block_size);
            for (int i = 0; i < F::block_size; ++i)
                e.x[static_cast<std::size_t>(r * x.cols + b * F::block_size + i)] =
                    static_cast<double>(F::element::decode(xc[static_cast<std::size_t>(b * F::block_size + i)])) *
                    static_cast<double>(rules::activation_factor(s, params));
        }
    }
    return e;
}

/// Runs the layer once, then repeatedly for ~200 ms: y and the seconds per apply.
double time_apply(const linear_layer& layer, const float_matrix& x, std::int64_t n, const apply_options& ao, std::vector<std::uint8_t>& y_bytes) {
    const auto x_bytes = to_bytes(x.values, x.type);
    y_bytes.assign(static_cast<std::size_t>(x.rows * n) * dtype_size(x.type), 0);
    layer.apply({x_bytes.data(), x.type, x.rows, x.cols}, {y_bytes.data(), x.type, x.rows, n}, nullptr, ao);
    const auto t0 = std::chrono::steady_clock::now();
    int runs = 0;
    do {
        layer.apply({x_bytes.data(), x.type, x.rows, x.cols}, {y_bytes.data(), x.type, x.rows, n}, nullptr, ao);
        ++runs;
    } while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200) && runs < 1000);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / runs;
}

struct worst_errors {
    double absolute = 0, relative = 0, bound_fraction = 0;
};

/// y against the fp64 reference x · wᵀ: worst absolute error, relative to sum |x w|, and against the bound.
worst_errors compare(const std::vector<float>& y, const exact_problem& e, std::int64_t m_rows, std::int64_t n_rows, std::int64_t k, dtype type) {
    worst_errors worst;
    for (std::int64_t m = 0; m < m_rows; ++m) {
        for (std::int64_t n = 0; n < n_rows; ++n) {
            double exact = 0, sum_abs = 0;
            for (std::int64_t i = 0; i < k; ++i) {
                const double t = e.x[static_cast<std::size_t>(m * k + i)] * e.w[static_cast<std::size_t>(n * k + i)];
                exact += t;
                sum_abs += std::fabs(t);
            }
            const double err = std::fabs(static_cast<double>(y[static_cast<std::size_t>(m * n_rows + n)]) - exact);
            worst.absolute = std::max(worst.absolute, err);
            if (sum_abs > 0) worst.relative = std::max(worst.relative, err / sum_abs);
            worst.bound_fraction = std::max(worst.bound_fraction, err / numeric::accumulation_bound(k, sum_abs, exact, type));
        }
    }
    return worst;
}

}  // namespace

int run_check(const std::vector<std::string>& args) {
    po::options_description options = check_options();
    po::variables_map values;
    if (!parse_options("check", args, options, values)) return 0;
    if (values.count("scheme") == values.count("kernel")) throw usage_error("give exactly one of --scheme and --kernel");
    apply_options ao;
    ao.threads = thread_option(values);

    selection_options so = selection_options::from_environment();
    const std::string requested = requested_scheme(values, so);
    const operand_pair xw = operands(values);
    const float_matrix &x = xw.x, &w = xw.w;  // references, not a structured binding: clang 14 cannot capture one

    const linear_shape shape{x.rows, w.rows, x.cols, x.type, false};
    const selection sel = select_kernel(requested, shape, kernel_table(), scheme_aliases(), so);
    const auto parts = format::parse_scheme(sel.scheme);
    exact_problem exact;
    format::visit_format(parts->format, [&](auto f) { exact = quantize_exactly<decltype(f)>(x, w, parts->quantized_activations); });

    const auto layer = sel.kernel->create(exact.q);
    std::vector<std::uint8_t> y_bytes;
    const double seconds = time_apply(*layer, x, w.rows, ao, y_bytes);
    const worst_errors worst = compare(from_bytes(y_bytes, x.type), exact, x.rows, w.rows, x.cols, x.type);
    std::cout << "kernel      " << layer->kernel_name() << "   (scheme " << sel.scheme << ")\n"
              << "problem     M=" << x.rows << " N=" << w.rows << " K=" << x.cols << " " << dtype_name(x.type) << "\n"
              << "time        " << seconds * 1e3 << " ms per apply (" << 2.0 * x.rows * w.rows * x.cols / seconds * 1e-9 << " GFLOP/s)\n"
              << "max |y - y_fp64|            " << worst.absolute << "\n"
              << "max |y - y_fp64| / sum|xw|  " << worst.relative << "\n"
              << "max error / bound           " << worst.bound_fraction
              << (worst.bound_fraction <= 1.0 ? "   (within the fp32-accumulation bound)\n" : "   EXCEEDS the fp32-accumulation bound\n");
    return worst.bound_fraction <= 1.0 ? 0 : 1;
}

}  // namespace microscale::cli
