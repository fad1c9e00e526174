// Typed sweeps over every linear kernel of the manifest (type list generated from it):
// outputs against an fp64 reference of the dequantized operands within the fp32-accumulation
// bound, bitwise batch and thread invariance, and identical results whatever layout the weight's
// scales arrive in.
#include <gtest/gtest.h>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/function.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "generated/kernel_types.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/layout/layouts.hpp"
#include "support/kernel_names.hpp"
#include "support/reference.hpp"

namespace microscale::test {
namespace {

/// The accumulation a backend is held to: fp32 round-to-nearest over K additions, unless the
/// backend says otherwise (backend/cuda.hpp: truncating tensor-core adders, more additions).
template <class B>
double backend_bound(std::int64_t k, double sum_abs, double exact, dtype out, dtype x) {
    if constexpr (requires { B::accumulation_unit_roundoff; }) {
        return accumulation_bound(B::accumulation_additions(k, x), sum_abs, exact, out, 4, B::accumulation_unit_roundoff);
    } else {
        return accumulation_bound(k, sum_abs, exact, out);
    }
}

template <class Kernel>
class LinearSweep : public ::testing::Test {
protected:
    using F = typename Kernel::format_type;
    static constexpr bool quantized = Kernel::activation_type::quantized;

    struct problem {
        std::int64_t m, n, k;
        dtype type;
        bool bias;
    };

    // x: [M, K] in `type`, values normal(0, 1) with a few large ones.
    static std::vector<std::uint8_t> make_x(std::int64_t m, std::int64_t k, dtype type, std::uint32_t seed) {
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(m * k) * dtype_size(type));
        for (std::int64_t i = 0; i < m * k; ++i) {
            float v = normal(rng);
            if (rng() % 97 == 0) v *= 30.0f;
            store_element(bytes.data(), type, i, v);
        }
        return bytes;
    }

    static std::vector<std::uint8_t> run(const typename Kernel::prepared& p, const std::vector<std::uint8_t>& x, std::int64_t m, const problem& pr,
                                         const std::vector<float>* bias, int threads = 0) {
        std::vector<std::uint8_t> y(static_cast<std::size_t>(m * pr.n) * dtype_size(pr.type), 0xCD);
        const const_matrix_view xv{x.data(), pr.type, m, pr.k};
        const matrix_view yv{y.data(), pr.type, m, pr.n};
        const const_vector_view bv{bias ? bias->data() : nullptr, dtype::f32, pr.n};
        apply_options options;
        options.threads = threads;
        Kernel::apply(p, xv, yv, bias ? &bv : nullptr, options);
        return y;
    }

    void check(const problem& pr, std::uint32_t seed) {
        SCOPED_TRACE(::testing::Message() << Kernel::name << " M=" << pr.m << " N=" << pr.n << " K=" << pr.k << " " << dtype_name(pr.type)
                                          << (pr.bias ? " +bias" : ""));
        random_weight rw = make_random_weight<F>(pr.n, pr.k, seed);
        const std::vector<std::uint8_t> x = make_x(pr.m, pr.k, pr.type, seed + 1);
        std::vector<float> bias(static_cast<std::size_t>(pr.n));
        std::mt19937 rng(seed + 2);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (auto& b : bias) b = normal(rng);

        // input_scale: the activation amax / 2688 (ModelOpt's calibration rule) over this x
        float amax = 0.0f;
        for (std::int64_t i = 0; i < pr.m * pr.k; ++i) amax = std::max(amax, std::fabs(load_element(x.data(), pr.type, i)));
        const float input_scale = amax / 2688.0f;
        if (F::has_global_scale) rw.weight.input_scale = input_scale;

        const auto prepared = Kernel::prepare(rw.weight);
        const auto y = run(prepared, x, pr.m, pr, pr.bias ? &bias : nullptr);

        // fp64 reference from the dequantized operands
        const std::vector<double> w = reference_weight_values<F>(rw);
        std::size_t failures = 0;
        for (std::int64_t m = 0; m < pr.m; ++m) {
            std::vector<float> row(static_cast<std::size_t>(pr.k));
            for (std::int64_t i = 0; i < pr.k; ++i) row[static_cast<std::size_t>(i)] = load_element(x.data(), pr.type, m * pr.k + i);
            std::vector<double> a(row.begin(), row.end());
            if (quantized) a = reference_qdq_row<F>(row, input_scale);
            for (std::int64_t n = 0; n < pr.n; ++n) {
                double exact = 0.0, sum_abs = 0.0;
                for (std::int64_t i = 0; i < pr.k; ++i) {
                    const double t = a[static_cast<std::size_t>(i)] * w[static_cast<std::size_t>(n * pr.k + i)];
                    exact += t;
                    sum_abs += std::fabs(t);
                }
                if (pr.bias) {
                    exact += bias[static_cast<std::size_t>(n)];
                    sum_abs += std::fabs(bias[static_cast<std::size_t>(n)]);
                }
                const double got = load_element(y.data(), pr.type, m * pr.n + n);
                const double bound =
                    backend_bound<typename Kernel::backend_type>(pr.k, sum_abs * (1 + 1e-12), exact, pr.type, quantized ? dtype::bf16 : pr.type);
                if (!(std::fabs(got - exact) <= bound) && failures++ < 5) {
                    ADD_FAILURE() << "y[" << m << ", " << n << "] = " << got << ", exact " << exact << ", error " << std::fabs(got - exact)
                                  << " > bound " << bound;
                }
            }
        }
        EXPECT_EQ(failures, 0u);

        // batch invariance: each row alone, and the first rows as a smaller batch, bitwise
        const std::size_t row_bytes = static_cast<std::size_t>(pr.n) * dtype_size(pr.type);
        const std::size_t x_row_bytes = static_cast<std::size_t>(pr.k) * dtype_size(pr.type);
        for (std::int64_t m : {std::int64_t{0}, pr.m / 2, pr.m - 1}) {
            std::vector<std::uint8_t> single(x.begin() + static_cast<std::ptrdiff_t>(m * x_row_bytes),
                                             x.begin() + static_cast<std::ptrdiff_t>((m + 1) * x_row_bytes));
            const auto y1 = run(prepared, single, 1, pr, pr.bias ? &bias : nullptr);
            EXPECT_TRUE(std::equal(y1.begin(), y1.end(), y.begin() + static_cast<std::ptrdiff_t>(m * row_bytes)))
                << "row " << m << " computed alone differs from the batch of " << pr.m;
        }
        if (pr.m > 2) {
            const std::int64_t half = pr.m / 2;
            std::vector<std::uint8_t> first(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(half * x_row_bytes));
            const auto yh = run(prepared, first, half, pr, pr.bias ? &bias : nullptr);
            EXPECT_TRUE(std::equal(yh.begin(), yh.end(), y.begin())) << "first " << half << " rows differ";
        }
        // thread invariance
        for (int threads : {1, 2, 3}) {
            const auto yt = run(prepared, x, pr.m, pr, pr.bias ? &bias : nullptr, threads);
            EXPECT_EQ(yt, y) << threads << " threads";
        }
        // the same weight arriving with swizzled scales gives the same bits
        quantized_weight swizzled = rw.weight;
        swizzled.scales = layout::pack_scales<layout::swizzled_128x4>(rw.scales, pr.n, pr.k / F::block_size);
        swizzled.scale_layout = layout::layout_id::swizzled_128x4;
        const auto y_swizzled = run(Kernel::prepare(swizzled), x, pr.m, pr, pr.bias ? &bias : nullptr);
        EXPECT_EQ(y_swizzled, y) << "scales delivered in swizzled_128x4";
    }
};

// One executable per kind of machine: kernel_tests takes the CPU kernels, cuda_kernel_tests
// (MICROSCALE_SWEEP_CUDA, ctest label gpu) the cuda ones.
template <class Kernel>
using on_cuda = std::is_same<typename Kernel::backend_type, backend::cuda>;
#ifdef MICROSCALE_SWEEP_CUDA
template <class Kernel>
using swept = on_cuda<Kernel>;
#else
template <class Kernel>
using swept = boost::mp11::mp_not<on_cuda<Kernel>>;
#endif
using linear_types = boost::mp11::mp_rename<boost::mp11::mp_copy_if<linear_kernel_types, swept>, ::testing::Types>;
TYPED_TEST_SUITE(LinearSweep, linear_types, kernel_names);

/// A kernel whose device is missing is skipped with the reason (ctest reports it as skipped).
#define MICROSCALE_SKIP_UNSUPPORTED(Kernel)                                               \
    if (const support s = Kernel::is_supported(); !s) {                                   \
        GTEST_SKIP() << Kernel::name << " cannot run here: " << s.reason;                 \
    }

TYPED_TEST(LinearSweep, MatchesFp64ReferenceAndIsInvariant) {
    MICROSCALE_SKIP_UNSUPPORTED(TypeParam)
    using F = typename TypeParam::format_type;
    // N = 136: not a multiple of 128 (and a partial 64-row chunk); K = 5 or 13 blocks: a multiple
    // of the block but not of 4 blocks (swizzle column padding).
    const std::int64_t k5 = 5 * F::block_size, k13 = 13 * F::block_size;
    std::uint32_t seed = 1;
    for (const std::int64_t m : {1, 3, 17, 64}) {
        for (const dtype type : {dtype::bf16, dtype::f16, dtype::f32}) {
            for (const bool bias : {false, true}) {
                this->check({m, 136, (m == 17 ? k13 : k5), type, bias}, seed++);
            }
        }
    }
}

TYPED_TEST(LinearSweep, RejectsBadInput) {
    MICROSCALE_SKIP_UNSUPPORTED(TypeParam)
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    random_weight rw = make_random_weight<F>(8, F::block_size * 2, 3);
    rw.weight.input_scale = 0.01f;
    const auto p = Kernel::prepare(rw.weight);
    std::vector<float> x(static_cast<std::size_t>(2 * rw.weight.cols), 1.0f), y(16);
    // wrong K
    EXPECT_THROW(Kernel::apply(p, {x.data(), dtype::f32, 2, rw.weight.cols - 1}, {y.data(), dtype::f32, 2, 8}), std::invalid_argument);
    // wrong output dtype
    EXPECT_THROW(Kernel::apply(p, {x.data(), dtype::f32, 2, rw.weight.cols}, {y.data(), dtype::bf16, 2, 8}), std::invalid_argument);
    // NaN and inf activations are named
    x[5] = std::nanf("");
    try {
        Kernel::apply(p, {x.data(), dtype::f32, 2, rw.weight.cols}, {y.data(), dtype::f32, 2, 8});
        ADD_FAILURE() << "NaN accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("x[0, 5] is NaN"), std::string::npos) << e.what();
    }
    x[5] = INFINITY;
    EXPECT_THROW(Kernel::apply(p, {x.data(), dtype::f32, 2, rw.weight.cols}, {y.data(), dtype::f32, 2, 8}), std::invalid_argument);
    // a malformed weight: truncated codes, NaN scale, wrong format, K not a multiple of the block
    quantized_weight bad = rw.weight;
    bad.codes.pop_back();
    EXPECT_THROW(Kernel::prepare(bad), std::invalid_argument);
    bad = rw.weight;
    bad.scales[1] = F::scale::nan_code;
    EXPECT_THROW(Kernel::prepare(bad), std::invalid_argument);
    bad = rw.weight;
    bad.format = "int4";
    EXPECT_THROW(Kernel::prepare(bad), std::invalid_argument);
    EXPECT_FALSE(Kernel::can_implement({1, 8, F::block_size + 1, dtype::bf16, false}));
    EXPECT_TRUE(Kernel::can_implement({1, 8, F::block_size * 3, dtype::bf16, false}));
    if constexpr (F::has_global_scale && Kernel::activation_type::quantized) {
        bad = rw.weight;
        bad.input_scale.reset();  // W4A4 NVFP4 needs the calibrated activation scale
        EXPECT_THROW(Kernel::prepare(bad), std::invalid_argument);
    }
    // zero rows is a no-op
    EXPECT_NO_THROW(Kernel::apply(p, {x.data(), dtype::f32, 0, rw.weight.cols}, {y.data(), dtype::f32, 0, 8}));
}

}  // namespace
}  // namespace microscale::test
