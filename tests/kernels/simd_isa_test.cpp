// Every simd kernel on every ISA tier this machine has: forced through the real dispatch path
// (MICROSCALE_SIMD_ISA), checked to have run there, and held to the fp32-accumulation bound
// against the emulation kernel of the same policies. Tiers the CPU lacks are reported as skipped.
#include <gtest/gtest.h>

#include <bit>
#include <boost/mp11/algorithm.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "generated/kernel_types.hpp"
#include "microscale/backend/simd/kernels_portable.hpp"
#include "support/kernel_names.hpp"
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
        // an unknown tier is an error wherever the backend is asked, never a silent fall-back to emulation
        const forced_isa force("avx1024");
        try {
            (void)backend::simd::is_supported();
            ADD_FAILURE() << "MICROSCALE_SIMD_ISA=avx1024 accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("MICROSCALE_SIMD_ISA='avx1024' is not an ISA tier"), std::string::npos) << e.what();
        }
        auto rw = make_random_weight<format::mxfp4>(16, 64, 1);
        using K = linear_kernel<format::mxfp4, activation::a16, layout::stored, backend::simd>;
        EXPECT_THROW(K::prepare(rw.weight), std::invalid_argument);
        EXPECT_THROW(select_kernel("w_mxfp4", linear_shape{1, 16, 64, dtype::bf16, false}), std::invalid_argument);
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
                ASSERT_EQ(
                    si::scalar_decoder<xsimd::default_arch>::code(c.element, c.compute, chunk, static_cast<int>(row % 16), static_cast<int>(kk % 4)),
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

namespace microscale::test {
namespace {

// The avx512 tier's vectorized activation quantizer against the scalar block rules, bit for bit:
// codes (as the integers the dot products use) and per-block factors.
template <class F>
void check_vector_quantizer(format::mx_scale_rule rule) {
    namespace si = backend::simd_isa;
    const auto& tier = si::avx512_kernels();
    ASSERT_NE(tier.quantize, nullptr);
    using rules = format::block_rules<F>;
    static constexpr si::decode_tables<typename F::element> tables{};
    const std::int64_t m = 40, k = 37 * F::block_size, blocks = k / F::block_size;
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<std::size_t>(m * k));
    for (std::int64_t r = 0; r < m; ++r) {
        const float gain = std::ldexp(1.0f, static_cast<int>(rng() % 40) - 20);
        for (std::int64_t i = 0; i < k; ++i) {
            float v = normal(rng) * gain;
            // exact midpoints of the element grid (after the block scale) are frequent in real data
            if (rng() % 5 == 0) v = std::ldexp(static_cast<float>(rng() % 64) * 0.125f + 0.0625f, static_cast<int>(rng() % 6) - 3) * gain;
            if (rng() % 97 == 0) v = 0.0f;
            if (rng() % 89 == 0) v = -0.0f;
            x[static_cast<std::size_t>(r * k + i)] = v;
        }
        if (r % 7 == 0) std::fill_n(x.begin() + r * k, F::block_size, 0.0f);  // a zero block
        if (r % 11 == 0)
            for (int i = 0; i < F::block_size; ++i)
                x[static_cast<std::size_t>(r * k + F::block_size + i)] = 1e-30f * static_cast<float>(i);  // a tiny block
    }
    typename rules::activation_params params{};
    float g = 1.0f;
    if constexpr (F::has_global_scale) {
        params = rules::activation_params_from(0.37f / 2688.0f, "x");
        g = params.g;
    } else {
        params.rule = rule;
    }
    const bool bytes = F::element::bits == 4;
    const std::int64_t row_bytes = bytes ? k + 64 : 2 * k + 64;
    std::vector<std::byte> out(static_cast<std::size_t>(m * row_bytes));
    std::vector<float> factors(static_cast<std::size_t>(m * blocks));
    si::quantize_call q{};
    q.element = si::element_kind_of<typename F::element>();
    q.nvfp4 = F::has_global_scale;
    q.floor_rule = rule == format::mx_scale_rule::floor;
    q.g = g;
    q.m = m;
    q.k = k;
    q.block = F::block_size;
    q.blocks = blocks;
    q.x = x.data();
    q.x_stride = k;
    q.out = out.data();
    q.out_row_bytes = row_bytes;
    q.factors = factors.data();
    q.threads = 2;
    tier.quantize(q);

    std::size_t mismatches = 0;
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(F::block_size));
    for (std::int64_t r = 0; r < m; ++r) {
        for (std::int64_t b = 0; b < blocks; ++b) {
            const std::uint8_t s = rules::quantize_activation_block(x.data() + r * k + b * F::block_size, params, codes.data());
            const float factor = rules::activation_factor(s, params);
            if (std::bit_cast<std::uint32_t>(factor) != std::bit_cast<std::uint32_t>(factors[static_cast<std::size_t>(r * blocks + b)]) &&
                mismatches++ < 5)
                ADD_FAILURE() << F::name << " row " << r << " block " << b << ": factor " << factors[static_cast<std::size_t>(r * blocks + b)]
                              << ", reference " << factor;
            for (int i = 0; i < F::block_size; ++i) {
                const std::int64_t at = b * F::block_size + i;
                std::int32_t got;
                if (bytes) {
                    got = static_cast<std::int32_t>(static_cast<std::uint8_t>(out[static_cast<std::size_t>(r * row_bytes + at)])) -
                          si::int8_activation_offset;
                } else {
                    std::int16_t v;
                    std::memcpy(&v, out.data() + r * row_bytes + 2 * at, 2);
                    got = v;
                }
                if (got != tables.integer[codes[static_cast<std::size_t>(i)]] && mismatches++ < 5)
                    ADD_FAILURE() << F::name << " row " << r << " element " << at << " (x = " << x[static_cast<std::size_t>(r * k + at)]
                                  << "): " << got << ", reference " << tables.integer[codes[static_cast<std::size_t>(i)]];
            }
        }
    }
    EXPECT_EQ(mismatches, 0u);
}

TEST(SimdTiers, Avx512QuantizerIsBitExact) {
    const std::string missing = backend::simd_isa::missing_features(backend::simd_isa::isa::avx512);
    if (!missing.empty()) GTEST_SKIP() << "no avx512 tier on this CPU: " << missing;
    check_vector_quantizer<format::nvfp4>(format::mx_scale_rule::even);
    check_vector_quantizer<format::mxfp4>(format::mx_scale_rule::even);
    check_vector_quantizer<format::mxfp4>(format::mx_scale_rule::floor);
    check_vector_quantizer<format::mxfp6_e2m3>(format::mx_scale_rule::even);
    check_vector_quantizer<format::mxfp6_e3m2>(format::mx_scale_rule::even);
    check_vector_quantizer<format::mxfp6_e3m2>(format::mx_scale_rule::floor);
}

}  // namespace
}  // namespace microscale::test
