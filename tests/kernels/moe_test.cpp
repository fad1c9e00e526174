// Fused mixture-of-experts, every MoE kernel of the manifest, against a straightforward reference:
// a loop over tokens and slots calling the linear kernel (M = 1) for w13 and w2, silu(g) * u in
// between, the router weights summed in slot order. With the emulation linear kernel the reference
// is bit-exact for the emulation MoE kernel; the simd MoE kernel matches the same loop over the
// simd linear kernel bit for bit (its linear kernels are row-invariant), and the emulation loop
// within tolerance (weight-only: the fp32 bounds of two GEMMs, 1e-3 of the output's norm;
// quantized activations: a near-tie in h can move one element to the next code, 3e-2).
#include <gtest/gtest.h>

#include <boost/mp11/algorithm.hpp>
#include <cmath>
#include <random>

#include "generated/kernel_types.hpp"
#include "microscale/moe.hpp"
#include "support/reference.hpp"

namespace microscale::test {
namespace {

template <class F>
moe_weights make_experts(std::int64_t experts, std::int64_t hidden, std::int64_t inter, bool bias, std::uint32_t seed) {
    moe_weights w;
    w.format = std::string(F::name);
    w.experts = experts;
    w.hidden = hidden;
    w.intermediate = inter;
    for (std::int64_t e = 0; e < experts; ++e) {
        auto a = make_random_weight<F>(2 * inter, hidden, seed + static_cast<std::uint32_t>(e)).weight;
        auto b = make_random_weight<F>(hidden, inter, seed + 100 + static_cast<std::uint32_t>(e)).weight;
        if constexpr (F::has_global_scale) {
            a.global_scale = 0.01f + 0.002f * static_cast<float>(e);
            b.global_scale = 0.004f;
            a.input_scale = (2.0f + static_cast<float>(e % 3)) / 2688.0f;  // differ: the largest is shared
            b.input_scale = 3.0f / 2688.0f;
        }
        w.w13.push_back(std::move(a));
        w.w2.push_back(std::move(b));
    }
    if (bias) {
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.0f, 0.1f);
        w.w13_bias.resize(static_cast<std::size_t>(experts * 2 * inter));
        w.w2_bias.resize(static_cast<std::size_t>(experts * hidden));
        for (auto& v : w.w13_bias) v = normal(rng);
        for (auto& v : w.w2_bias) v = normal(rng);
    }
    return w;
}

struct routing {
    std::vector<std::int32_t> ids;
    std::vector<float> weights;
};

routing make_routing(std::int64_t tokens, std::int64_t experts, std::int64_t top_k, std::uint32_t seed) {
    std::mt19937 rng(seed);
    routing r;
    for (std::int64_t t = 0; t < tokens; ++t)
        for (std::int64_t j = 0; j < top_k; ++j) {
            r.ids.push_back(rng() % 7 == 0 ? -1 : static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(experts)));
            r.weights.push_back(std::uniform_real_distribution<float>(0.1f, 1.0f)(rng));
        }
    return r;
}

/// The straightforward loop over tokens and slots, with the given linear kernel.
template <class Linear>
std::vector<float> reference_loop(moe_weights w, const std::vector<float>& x, std::int64_t tokens, const routing& r, std::int64_t top_k,
                                  bool weight_on_input) {
    const std::int64_t k = w.hidden, inter = w.intermediate;
    if constexpr (Linear::format_type::has_global_scale && Linear::activation_type::quantized) {
        float s13 = 0, s2 = 0;
        for (const auto& m : w.w13) s13 = std::max(s13, *m.input_scale);
        for (const auto& m : w.w2) s2 = std::max(s2, *m.input_scale);
        for (auto& m : w.w13) m.input_scale = s13;
        for (auto& m : w.w2) m.input_scale = s2;
    }
    std::vector<typename Linear::prepared> p13, p2;
    for (std::int64_t e = 0; e < w.experts; ++e) {
        p13.push_back(Linear::prepare(w.w13[static_cast<std::size_t>(e)]));
        p2.push_back(Linear::prepare(w.w2[static_cast<std::size_t>(e)]));
    }
    std::vector<float> y(static_cast<std::size_t>(tokens * k));
    std::vector<float> xin(static_cast<std::size_t>(k)), gu(static_cast<std::size_t>(2 * inter)), h(static_cast<std::size_t>(inter)),
        o(static_cast<std::size_t>(k));
    for (std::int64_t t = 0; t < tokens; ++t) {
        std::vector<float> acc(static_cast<std::size_t>(k), 0.0f);
        for (std::int64_t j = 0; j < top_k; ++j) {
            const std::int32_t e = r.ids[static_cast<std::size_t>(t * top_k + j)];
            if (e < 0) continue;
            const float weight = r.weights[static_cast<std::size_t>(t * top_k + j)];
            for (std::int64_t c = 0; c < k; ++c) xin[static_cast<std::size_t>(c)] = x[static_cast<std::size_t>(t * k + c)] * (weight_on_input ? weight : 1.0f);
            const const_vector_view b13{w.w13_bias.data() + e * 2 * inter, dtype::f32, 2 * inter};
            Linear::apply(p13[static_cast<std::size_t>(e)], {xin.data(), dtype::f32, 1, k}, {gu.data(), dtype::f32, 1, 2 * inter},
                          w.w13_bias.empty() ? nullptr : &b13);
            for (std::int64_t i = 0; i < inter; ++i) {
                const float g = gu[static_cast<std::size_t>(i)];
                h[static_cast<std::size_t>(i)] = g / (1.0f + std::exp(-g)) * gu[static_cast<std::size_t>(inter + i)];
            }
            const const_vector_view b2{w.w2_bias.data() + e * k, dtype::f32, k};
            Linear::apply(p2[static_cast<std::size_t>(e)], {h.data(), dtype::f32, 1, inter}, {o.data(), dtype::f32, 1, k},
                          w.w2_bias.empty() ? nullptr : &b2);
            for (std::int64_t c = 0; c < k; ++c) acc[static_cast<std::size_t>(c)] += (weight_on_input ? 1.0f : weight) * o[static_cast<std::size_t>(c)];
        }
        std::copy(acc.begin(), acc.end(), y.begin() + t * k);
    }
    return y;
}

template <class Kernel>
class MoeSweep : public ::testing::Test {};

struct kernel_names {
    template <class T>
    static std::string GetName(int) { return std::string(T::name); }
};
using moe_types = boost::mp11::mp_rename<moe_kernel_types, ::testing::Types>;
TYPED_TEST_SUITE(MoeSweep, moe_types, kernel_names);

TYPED_TEST(MoeSweep, MatchesTheTokenLoopAndIsInvariant) {
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    using A = typename Kernel::activation_type;
    using Same = typename Kernel::linear;
    using Emulation = linear_kernel<F, A, typename Kernel::layout_type, backend::emulation>;
    const std::int64_t hidden = 3 * F::block_size, inter = 2 * F::block_size;
    std::uint32_t seed = 1;
    for (const std::int64_t experts : {1, 8})
        for (const std::int64_t top_k : {1, 2})
            for (const std::int64_t tokens : {1, 7, 64}) {
                SCOPED_TRACE(::testing::Message() << Kernel::name << " E=" << experts << " k=" << top_k << " T=" << tokens);
                const bool bias = (seed % 2) == 0;
                const moe_weights w = make_experts<F>(experts, hidden, inter, bias, seed++);
                const routing r = make_routing(tokens, experts, top_k, seed++);
                std::mt19937 rng(seed++);
                std::normal_distribution<float> normal(0.0f, 1.0f);
                std::vector<float> x(static_cast<std::size_t>(tokens * hidden));
                for (auto& v : x) v = normal(rng);
                const auto p = Kernel::prepare(w);
                if (F::has_global_scale && A::quantized && experts > 1) {
                    EXPECT_FALSE(p.warnings.empty()) << "differing input scales are reported";
                }
                std::vector<float> y(x.size());
                Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, top_k, {y.data(), dtype::f32, tokens, hidden});
                // bit for bit: the loop over the same backend's linear kernel
                EXPECT_EQ(y, reference_loop<Same>(w, x, tokens, r, top_k, false));
                // the emulation loop, within tolerance
                const auto ref = reference_loop<Emulation>(w, x, tokens, r, top_k, false);
                double diff = 0, norm = 0;
                for (std::size_t i = 0; i < y.size(); ++i) {
                    diff += (static_cast<double>(y[i]) - ref[i]) * (static_cast<double>(y[i]) - ref[i]);
                    norm += static_cast<double>(ref[i]) * ref[i];
                }
                EXPECT_LE(std::sqrt(diff), (A::quantized ? 3e-2 : 1e-3) * std::sqrt(norm) + 1e-30);
                // batch invariance: the first tokens alone; thread invariance
                if (tokens > 1) {
                    const std::int64_t half = tokens / 2;
                    std::vector<float> yh(static_cast<std::size_t>(half * hidden));
                    Kernel::apply(p, {x.data(), dtype::f32, half, hidden}, std::span(r.ids).first(static_cast<std::size_t>(half * top_k)),
                                  std::span(r.weights).first(static_cast<std::size_t>(half * top_k)), top_k, {yh.data(), dtype::f32, half, hidden});
                    EXPECT_TRUE(std::equal(yh.begin(), yh.end(), y.begin())) << "first " << half << " tokens alone differ";
                }
                for (int threads : {1, 3}) {
                    std::vector<float> yt(y.size());
                    moe_options o;
                    o.threads = threads;
                    Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, top_k, {yt.data(), dtype::f32, tokens, hidden}, o);
                    EXPECT_EQ(yt, y) << threads << " threads";
                }
            }
}

TYPED_TEST(MoeSweep, RouterWeightOnInputActivationDtypesAndErrors) {
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    const std::int64_t hidden = 2 * F::block_size, inter = F::block_size, tokens = 5;
    const moe_weights w = make_experts<F>(4, hidden, inter, false, 7);
    const auto p = Kernel::prepare(w);
    routing r = make_routing(tokens, 4, 1, 8);
    std::vector<float> x(static_cast<std::size_t>(tokens * hidden), 0.5f), y(x.size());
    moe_options on_input;
    on_input.router_weight_on_input = true;
    Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, 1, {y.data(), dtype::f32, tokens, hidden}, on_input);
    EXPECT_EQ(y, reference_loop<typename Kernel::linear>(w, x, tokens, r, 1, true));
    // bf16 activations and output: the fp32 result rounded once
    std::vector<std::uint16_t> xb(x.size()), yb(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) xb[i] = numeric::bf16::encode(x[i]);
    Kernel::apply(p, {xb.data(), dtype::bf16, tokens, hidden}, r.ids, r.weights, 1, {yb.data(), dtype::bf16, tokens, hidden});
    Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, 1, {y.data(), dtype::f32, tokens, hidden});
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(yb[i], numeric::bf16::encode(y[i])) << i;
    // errors name the problem
    r.ids[3] = 4;
    EXPECT_THROW(Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, 1, {y.data(), dtype::f32, tokens, hidden}),
                 std::invalid_argument);
    r.ids[3] = -1;
    EXPECT_THROW(Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, 2, {y.data(), dtype::f32, tokens, hidden}),
                 std::invalid_argument);
    x[2] = std::nanf("");
    EXPECT_THROW(Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, 1, {y.data(), dtype::f32, tokens, hidden}),
                 std::invalid_argument);
    moe_weights bad = w;
    bad.w2.pop_back();
    EXPECT_THROW(Kernel::prepare(bad), std::invalid_argument);
    // all slots without an expert: zeros
    std::fill(r.ids.begin(), r.ids.end(), -1);
    x[2] = 0.5f;
    Kernel::apply(p, {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, 1, {y.data(), dtype::f32, tokens, hidden});
    for (const float v : y) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace microscale::test
