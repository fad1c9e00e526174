// Every simd kernel on every ISA tier this machine has: forced through the real dispatch path
// (MICROSCALE_SIMD_ISA), checked to have run there, and held to the fp32-accumulation bound
// against the emulation kernel of the same policies. Tiers the CPU lacks are reported as skipped.
#include <gtest/gtest.h>

#include <boost/mp11/algorithm.hpp>
#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "generated/kernel_types.hpp"
#include "microscale/backend/simd/kernels_portable.hpp"
#include "support/reference.hpp"

namespace microscale::test {
namespace {

namespace si = backend::simd_isa;

template <class K>
using is_simd = std::bool_constant<std::is_same_v<typename K::backend_type, backend::simd>>;
using simd_types = boost::mp11::mp_rename<boost::mp11::mp_copy_if<linear_kernel_types, is_simd>, ::testing::Types>;

struct forced_isa {
    explicit forced_isa(std::string_view name) { ::setenv("MICROSCALE_SIMD_ISA", std::string(name).c_str(), 1); }
    ~forced_isa() { ::unsetenv("MICROSCALE_SIMD_ISA"); }
};

template <class Kernel>
class SimdTiers : public ::testing::Test {};

struct kernel_names {
    template <class T>
    static std::string GetName(int) { return std::string(T::name); }
};
TYPED_TEST_SUITE(SimdTiers, simd_types, kernel_names);

TYPED_TEST(SimdTiers, EveryTierRunsWhereForcedAndAgreesWithEmulation) {
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    using Emulation = linear_kernel<F, typename Kernel::activation_type, typename Kernel::layout_type, backend::emulation>;
    const std::int64_t n = 72, k = 11 * F::block_size;
    random_weight rw = make_random_weight<F>(n, k, 77);
    rw.weight.input_scale = 3.0f / 2688.0f;
    int tiers_run = 0;
    for (const si::isa tier : si::all_isas) {
        const std::string missing = si::missing_features(tier);
        if (!missing.empty()) {
            std::printf("[ SKIPPED  ] tier %s: this CPU lacks %s\n", std::string(si::isa_name(tier)).c_str(), missing.c_str());
            continue;
        }
        const forced_isa force(si::isa_name(tier));
        EXPECT_NE(Kernel::is_supported().reason.find(std::string(si::isa_name(tier))), std::string::npos);
        const auto p = Kernel::prepare(rw.weight);
        ASSERT_EQ(p.isa, tier);
        for (const dtype type : {dtype::bf16, dtype::f16, dtype::f32}) {
            for (const std::int64_t m : {1, 2, 5, 13}) {
                std::mt19937 rng(static_cast<std::uint32_t>(m * 7 + static_cast<int>(type)));
                std::normal_distribution<float> normal(0.0f, 1.0f);
                std::vector<std::uint8_t> x(static_cast<std::size_t>(m * k) * dtype_size(type));
                for (std::int64_t i = 0; i < m * k; ++i) store_element(x.data(), type, i, normal(rng));
                std::vector<std::uint8_t> y(static_cast<std::size_t>(m * n) * dtype_size(type)), ye(y.size());
                si::last_run_isa.store(-1);
                Kernel::apply(p, {x.data(), type, m, k}, {y.data(), type, m, n});
                EXPECT_EQ(si::last_run_isa.load(), static_cast<int>(tier)) << "the forced tier did not run";
                Emulation::apply(Emulation::prepare(rw.weight), {x.data(), type, m, k}, {ye.data(), type, m, n});
                // both are within the bound of the exact result, so within twice the bound of each other
                const std::vector<double> w = reference_weight_values<F>(rw);
                for (std::int64_t r = 0; r < m; ++r) {
                    std::vector<float> row(static_cast<std::size_t>(k));
                    for (std::int64_t i = 0; i < k; ++i) row[static_cast<std::size_t>(i)] = load_element(x.data(), type, r * k + i);
                    std::vector<double> a(row.begin(), row.end());
                    if (Kernel::activation_type::quantized) a = reference_qdq_row<F>(row, *rw.weight.input_scale);
                    for (std::int64_t c = 0; c < n; ++c) {
                        double exact = 0, sum_abs = 0;
                        for (std::int64_t i = 0; i < k; ++i) {
                            const double t = a[static_cast<std::size_t>(i)] * w[static_cast<std::size_t>(c * k + i)];
                            exact += t;
                            sum_abs += std::fabs(t);
                        }
                        const double bound = accumulation_bound(k, sum_abs, exact, type);
                        const double got = load_element(y.data(), type, r * n + c), emu = load_element(ye.data(), type, r * n + c);
                        ASSERT_LE(std::fabs(got - exact), bound) << si::isa_name(tier) << " " << dtype_name(type) << " m=" << m;
                        ASSERT_LE(std::fabs(got - emu), 2 * bound) << si::isa_name(tier) << " vs emulation";
                    }
                }
            }
        }
        ++tiers_run;
    }
    EXPECT_GE(tiers_run, 1);  // generic always runs
}

TEST(SimdTiers, ForcingAnUnknownOrMissingTierIsAnError) {
    {
        const forced_isa force("avx1024");
        const auto s = backend::simd::is_supported();
        EXPECT_FALSE(s.ok);
        EXPECT_NE(s.reason.find("avx1024"), std::string::npos) << s.reason;
        auto rw = make_random_weight<format::mxfp4>(16, 64, 1);
        using K = linear_kernel<format::mxfp4, activation::a16, layout::linear, backend::simd>;
        EXPECT_THROW(K::prepare(rw.weight), std::runtime_error);
    }
    const auto s = backend::simd::is_supported();
    EXPECT_TRUE(s.ok) << s.reason;  // something always runs: the generic tier
}

TEST(SimdTiers, PackedLayoutDecodesToTheWeightCodes) {
    // the scalar decoder of the packed layout against the weight it was packed from, every format
    auto check = [](auto f, auto a) {
        using F = decltype(f);
        using A = decltype(a);
        auto rw = make_random_weight<F>(37, 6 * F::block_size, 5);
        const auto packed = si::pack_weights<F, A>(rw.weight);
        si::gemm_call c{};
        c.element = packed.element;
        c.compute = packed.compute;
        c.quads = packed.quads;
        for (std::int64_t row = 0; row < 37; ++row)
            for (std::int64_t kk = 0; kk < rw.weight.cols; ++kk) {
                const auto* chunk = packed.codes.data() + ((row / 16) * packed.quads + kk / 4) * si::quad_bytes(packed.element);
                ASSERT_EQ(si::scalar_decoder<xsimd::default_arch>::code(c.element, c.compute, chunk, static_cast<int>(row % 16), static_cast<int>(kk % 4)),
                          rw.codes[static_cast<std::size_t>(row * rw.weight.cols + kk)])
                    << F::name << " row " << row << " k " << kk;
            }
    };
    check(format::nvfp4{}, activation::aq{});
    check(format::nvfp4{}, activation::a16{});
    check(format::mxfp6_e2m3{}, activation::aq{});
    check(format::mxfp6_e3m2{}, activation::a16{});
}

}  // namespace
}  // namespace microscale::test
