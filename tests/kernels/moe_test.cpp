// Fused mixture-of-experts, every MoE kernel of the manifest, against a straightforward reference:
// a loop over tokens and slots calling the linear kernel (M = 1) for w13 and w2, silu(g) * u in
// between, the router weights summed in slot order. With the emulation linear kernel the reference
// is bit-exact for the emulation MoE kernel; the simd MoE kernel matches the same loop over the
// simd linear kernel bit for bit (its linear kernels are row-invariant), and the emulation loop
// within tolerance (weight-only: the fp32 bounds of two GEMMs, 1e-3 of the output's norm;
// quantized activations: a near-tie in h can move one element to the next code, 3e-2).
// Independently of all of that, every MoE kernel is held to an fp64 oracle built only from the
// reference formulas of support/reference.hpp (no linear kernel, quantizer or layout code), within
// a bound derived stage by stage from numeric::accumulation_bound (see the oracle below).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/mp11/algorithm.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "generated/kernel_types.hpp"
#include "microscale/detail/sample_data.hpp"
#include "microscale/moe.hpp"
#include "support/kernel_names.hpp"
#include "support/reference.hpp"

namespace microscale::test {
namespace {

/// The experts, with each matrix's unpacked codes and linear scales kept for the fp64 oracle.
struct expert_set {
    moe_weights weights;
    std::vector<random_weight> w13, w2;  ///< per expert; .weight is the matrix in `weights`
};

template <class F>
expert_set make_expert_set(std::int64_t experts, std::int64_t hidden, std::int64_t inter, bool bias, std::uint32_t seed) {
    expert_set set;
    moe_weights& w = set.weights;
    w.format = std::string(F::name);
    w.experts = experts;
    w.hidden = hidden;
    w.intermediate = inter;
    for (std::int64_t e = 0; e < experts; ++e) {
        random_weight a = make_random_weight<F>(2 * inter, hidden, seed + static_cast<std::uint32_t>(e));
        random_weight b = make_random_weight<F>(hidden, inter, seed + 100 + static_cast<std::uint32_t>(e));
        if constexpr (F::has_global_scale) {
            a.weight.global_scale = 0.01f + 0.002f * static_cast<float>(e);
            b.weight.global_scale = 0.004f;
            a.weight.input_scale = (2.0f + static_cast<float>(e % 3)) / 2688.0f;  // differ: the largest is shared
            b.weight.input_scale = 3.0f / 2688.0f;
        }
        w.w13.push_back(a.weight);
        w.w2.push_back(b.weight);
        set.w13.push_back(std::move(a));
        set.w2.push_back(std::move(b));
    }
    if (bias) {
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.0f, 0.1f);
        w.w13_bias.resize(static_cast<std::size_t>(experts * 2 * inter));
        w.w2_bias.resize(static_cast<std::size_t>(experts * hidden));
        for (auto& v : w.w13_bias) v = normal(rng);
        for (auto& v : w.w2_bias) v = normal(rng);
    }
    return set;
}

template <class F>
moe_weights make_experts(std::int64_t experts, std::int64_t hidden, std::int64_t inter, bool bias, std::uint32_t seed) {
    return make_expert_set<F>(experts, hidden, inter, bias, seed).weights;
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
            for (std::int64_t c = 0; c < k; ++c)
                xin[static_cast<std::size_t>(c)] = x[static_cast<std::size_t>(t * k + c)] * (weight_on_input ? weight : 1.0f);
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
            for (std::int64_t c = 0; c < k; ++c)
                acc[static_cast<std::size_t>(c)] += (weight_on_input ? 1.0f : weight) * o[static_cast<std::size_t>(c)];
        }
        std::copy(acc.begin(), acc.end(), y.begin() + t * k);
    }
    return y;
}

// ---------------------------------------------------------------------------------------------
// The independent fp64 oracle. It never calls a linear kernel, a quantizer, a layout or moe.hpp:
// weights are decoded from the generated codes and linear scales by reference_weight_values
// (e2m1/e2m3/e3m2 element values times the block factor: nvfp4 fp32(float(s8) * G), MX 2^(s-127)),
// activations are quantize-dequantized by reference_qdq_row (DESIGN.md §4.2 / §4.3), and the MoE
// of DESIGN.md §7 / moe.hpp is evaluated in fp64 with the contract's rounding points reproduced:
//   xin = fl32(x * w_router)                  (router weight on the input only; an fp32 product)
//   g, u = QDQ(xin) · W1ᵀ + b1, QDQ(xin) · W3ᵀ + b3     (QDQ: W4A4 / W6A6 only, shared input scale)
//   h    = silu(g) * u
//   o    = QDQ(h) · W2ᵀ + b2                  (the kernel QDQs its own fp32 h)
//   y    = sum over slots with an expert of w_router * o, rounded once to the activation dtype
//
// The bound is derived stage by stage; every step is a Higham-style bound (gamma_n = nu/(1-nu),
// u = 2^-24), with numeric::accumulation_bound (the library's pinned bound, 4 extra operand/bias
// roundings) for each fp32 dot product:
//   1. Bg, Bu = accumulation_bound(K, sum_k |x'_k w_k| + |b|, ., f32)      (x' exact: codes and
//      factors are reproduced bit for bit, so the kernel's operands differ only by the fp32
//      roundings accumulation_bound already allows for).
//   2. silu in fp32: |silu'(z)| <= 1.0999 (its maximum, at z ~ 2.40), so a gate off by Bg moves
//      silu by <= L * Bg with L = 1.1; evaluating z / (1 + expf(-z)) adds a relative
//      (1+u)/((1-2u)(1-u)) - 1 < 5u (expf within 1 ulp = 2u, then two roundings) and an absolute
//      1e-36 (for z < -88.7 expf overflows and the result is -0 while |silu(z)| < 89 e^-88.7).
//      ES = L*Bg + 5u (|S| + L*Bg) + 1e-36;
//      |h32 - h| <= ES (|u| + Bu) + |S| Bu + u (|S| + ES)(|u| + Bu) + 2^-149       (the product)
//   3. Weight-only: the kernel's h32 enters w2 as is, so D_i = that bound. Quantized: the kernel
//      QDQs some fp32 h32 in [h - e, h + e] (rounded outwards to fp32); block amax, block scale
//      code and element rounding are all monotone, so every value the kernel can produce lies
//      between the QDQ of the interval ends under each scale code between those of the amax
//      interval's ends. D_i = the largest distance of those from the oracle's QDQ(fl32(h)); it is
//      0 (exact agreement of codes and scales) unless h is within its error of a rounding
//      boundary. The oracle counts the elements with D_i > 0 ("ambiguous").
//      Eo = sum_i D_i |w2_i| + accumulation_bound(I, sum_i (|h'_i| + D_i)|w2_i| + |b2|, ., f32)
//   4. y = sum over the n slots with an expert of fl(w * o32) in fp32: gamma_n (an n-term dot
//      product), with o32 off by Eo:  P = sum |w| Eo,  S = sum |w| (|o| + Eo),
//      bound = P + accumulation_bound(n, S, |y| + P, out dtype, 0)  (+ half an ulp of bf16 output).
// Each fp64 sum of n products adds gamma64(n + 2) * (its sum of magnitudes), fp64 silu 2^-50 |S|.
constexpr double gamma_fp64(double n) noexcept {
    const double nu = n * 0x1p-53;
    return nu / (1.0 - nu);
}
constexpr double fp32_u = 0x1p-24;
constexpr double silu_lipschitz = 1.1;  // sup |d/dz z sigma(z)| = 1.09984 at z = 2.3994
constexpr double silu_fp32_relative = 5 * fp32_u;
constexpr double silu_fp32_absolute = 1e-36;
constexpr double fp64_elementwise = 0x1p-50;

float float_down(double v) {
    float f = static_cast<float>(v);
    if (static_cast<double>(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    return f;
}
float float_up(double v) {
    float f = static_cast<float>(v);
    if (static_cast<double>(f) < v) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

/// The activation block-scale code of a block amax, by reference_qdq_row's formulas (nvfp4: the
/// e4m3 code of clamp(g * (amax * fp32(1/6))), MX: E + 127 by the "even" rule).
template <class F>
int activation_scale_code(float amax, float input_scale) {
    if constexpr (F::has_global_scale) {
        const float g = 1.0f / input_scale;
        const float r6 = 1.0f / 6.0f;
        float s = g * (amax * r6);
        s = std::min(std::max(s, -448.0f), 448.0f);
        return numeric::e4m3::encode(s);
    } else {
        (void)input_scale;
        if (amax == 0.0f) return 0;
        int exponent;
        const double mantissa = std::frexp(static_cast<double>(amax), &exponent);
        const int m = F::element::mantissa_bits;
        int floor_log2 = exponent - 1;
        if (mantissa >= 1.0 - std::ldexp(1.0, -(m + 2))) floor_log2 += 1;
        const int emax = (1 << F::element::exponent_bits) - 1 - F::element::bias;
        return std::clamp(floor_log2 - emax, -127, 127) + 127;
    }
}

/// One element's quantize-dequantized value (exact) in a block of the given scale code, by
/// reference_qdq_row's formulas.
template <class F>
double activation_qdq_element(float x, int scale_code, float input_scale) {
    if constexpr (F::has_global_scale) {
        const float g = 1.0f / input_scale;
        const float s8 = numeric::e4m3::decode(static_cast<std::uint8_t>(scale_code));
        const float inv_g = 1.0f / g;
        const float t = s8 * inv_g;
        const float os = 1.0f / (t + (t == 0.0f ? 1e8f : 0.0f));
        const float factor = s8 / g;
        const float y = std::min(std::max(x * os, -6.0f), 6.0f);
        return static_cast<double>(numeric::e2m1::decode(numeric::e2m1::encode(y))) * factor;
    } else {
        (void)input_scale;
        const double scale = std::ldexp(1.0, scale_code - 127);
        const auto q = F::element::encode(static_cast<float>(static_cast<double>(x) / scale));
        return static_cast<double>(F::element::decode(q)) * scale;
    }
}

struct oracle_output {
    std::vector<double> y, bound;  ///< [T, K]
    std::size_t ambiguous = 0;     ///< quantized h elements whose code or scale h's fp32 error could change
    std::size_t h_elements = 0;    ///< h elements computed (tokens x routed slots x I)
    std::size_t clamped = 0;       ///< swiglu_oai: gate / up products the limit clamped
};

template <class F, bool Quantized>
class moe_oracle {
public:
    /// input scales: nvfp4 W4A4 only, the shared (largest) ones of w13 and w2.
    moe_oracle(const expert_set& set, float w13_input_scale, float w2_input_scale) : set_(set), in13_(w13_input_scale), in2_(w2_input_scale) {
        for (std::size_t e = 0; e < set.w13.size(); ++e) {
            w13_.push_back(reference_weight_values<F>(set.w13[e]));
            w2_.push_back(reference_weight_values<F>(set.w2[e]));
        }
    }

    struct hidden_values {
        std::vector<double> h;    ///< exact silu(g) * u [I]
        std::vector<double> err;  ///< bound on |kernel's fp32 h - h|
        std::size_t clamped = 0;  ///< swiglu_oai: gate / up products beyond the limit
    };

    /// Stages 1-2 for one routed token: xin is the fp32 row the kernel feeds w13.
    hidden_values hidden(const std::vector<float>& xin, std::int64_t e) const {
        const std::int64_t k = set_.weights.hidden, inter = set_.weights.intermediate;
        const std::vector<double> a = Quantized ? reference_qdq_row<F>(xin, in13_) : std::vector<double>(xin.begin(), xin.end());
        const auto& w = w13_[static_cast<std::size_t>(e)];
        const auto& bias = set_.weights.w13_bias;
        std::vector<double> v(static_cast<std::size_t>(2 * inter)), b(v.size());
        for (std::int64_t n = 0; n < 2 * inter; ++n) {
            double dot = 0, sum_abs = 0;
            for (std::int64_t c = 0; c < k; ++c) {
                const double t = a[static_cast<std::size_t>(c)] * w[static_cast<std::size_t>(n * k + c)];
                dot += t;
                sum_abs += std::fabs(t);
            }
            if (!bias.empty()) {
                const double bv = bias[static_cast<std::size_t>(e * 2 * inter + n)];
                dot += bv;
                sum_abs += std::fabs(bv);
            }
            v[static_cast<std::size_t>(n)] = dot;
            b[static_cast<std::size_t>(n)] = accumulation_bound(k, sum_abs, dot, dtype::f32) + gamma_fp64(static_cast<double>(k + 2)) * sum_abs;
        }
        hidden_values out;
        out.h.resize(static_cast<std::size_t>(inter));
        out.err.resize(static_cast<std::size_t>(inter));
        const expert_activation& act = set_.weights.activation;
        const bool oai = act.kind == moe_activation::swiglu_oai;
        for (std::int64_t i = 0; i < inter; ++i) {
            // silu: gate row i, up row I + i; swiglu_oai: gate row 2i, up row 2i + 1
            const std::size_t gi = static_cast<std::size_t>(oai ? 2 * i : i), ui = static_cast<std::size_t>(oai ? 2 * i + 1 : inter + i);
            double g = v[gi], u = v[ui], bu = b[ui];
            const double bg = b[gi];
            double relative = silu_fp32_relative, s = 0;
            if (!oai) {
                s = g / (1.0 + std::exp(-g));
            } else {
                // clamps are 1-Lipschitz (bounds unchanged); g·sigmoid(a g) has the Lipschitz constant
                // of silu (its derivative in z = a g is silu'(z)); fl(a g) perturbs exp's argument by
                // |a g| u, a relative error of <= 1.01 |a g| u in exp, hence in the quotient
                const double limit = act.limit, alpha = act.alpha;
                out.clamped += (g > limit ? 1u : 0u) + (std::fabs(u) > limit ? 1u : 0u);
                g = std::min(g, limit);
                u = std::clamp(u, -limit, limit) + 1.0;
                bu += fp32_u * (std::fabs(u) + bu);  // u' + 1 rounded to fp32
                relative += 1.01 * alpha * (std::fabs(g) + bg) * fp32_u;
                s = g / (1.0 + std::exp(-alpha * g));
            }
            const double es =
                silu_lipschitz * bg + relative * (std::fabs(s) + silu_lipschitz * bg) + silu_fp32_absolute + fp64_elementwise * std::fabs(s);
            const double u_abs = std::fabs(u) + bu;
            const double h = s * u;
            out.h[static_cast<std::size_t>(i)] = h;
            out.err[static_cast<std::size_t>(i)] =
                es * u_abs + std::fabs(s) * bu + fp32_u * (std::fabs(s) + es) * u_abs + 0x1p-149 + fp64_elementwise * std::fabs(h);
        }
        return out;
    }

    /// The whole layer: x [T, K] (the fp32 values the kernel reads), routing [T, top_k].
    oracle_output run(const std::vector<float>& x, std::int64_t tokens, const std::vector<std::int32_t>& ids, const std::vector<float>& router,
                      std::int64_t top_k, bool weight_on_input, dtype out_type) const {
        const std::int64_t k = set_.weights.hidden, inter = set_.weights.intermediate;
        oracle_output res;
        res.y.assign(static_cast<std::size_t>(tokens * k), 0.0);
        res.bound.assign(res.y.size(), 0.0);
        std::vector<float> xin(static_cast<std::size_t>(k));
        std::vector<double> operand(static_cast<std::size_t>(inter)), dev(static_cast<std::size_t>(inter));
        for (std::int64_t t = 0; t < tokens; ++t) {
            std::vector<double> y(static_cast<std::size_t>(k), 0.0), s_abs(y.size(), 0.0), p(y.size(), 0.0);
            int terms = 0;
            for (std::int64_t j = 0; j < top_k; ++j) {
                const std::int32_t e = ids[static_cast<std::size_t>(t * top_k + j)];
                if (e < 0) continue;  // no expert: contributes nothing
                ++terms;
                const float wr = router[static_cast<std::size_t>(t * top_k + j)];
                for (std::int64_t c = 0; c < k; ++c)
                    xin[static_cast<std::size_t>(c)] =
                        weight_on_input ? x[static_cast<std::size_t>(t * k + c)] * wr : x[static_cast<std::size_t>(t * k + c)];
                const hidden_values hv = hidden(xin, e);
                res.h_elements += static_cast<std::size_t>(inter);
                res.clamped += hv.clamped;
                if constexpr (Quantized) {
                    res.ambiguous += qdq_hidden(hv, operand, dev);
                } else {
                    operand = hv.h;
                    dev = hv.err;
                }
                const auto& w = w2_[static_cast<std::size_t>(e)];
                const auto& bias = set_.weights.w2_bias;
                const double w_eff = weight_on_input ? 1.0 : static_cast<double>(wr);
                for (std::int64_t c = 0; c < k; ++c) {
                    double o = 0, sum_abs = 0, spread = 0;
                    for (std::int64_t i = 0; i < inter; ++i) {
                        const double wv = w[static_cast<std::size_t>(c * inter + i)];
                        o += operand[static_cast<std::size_t>(i)] * wv;
                        sum_abs += (std::fabs(operand[static_cast<std::size_t>(i)]) + dev[static_cast<std::size_t>(i)]) * std::fabs(wv);
                        spread += dev[static_cast<std::size_t>(i)] * std::fabs(wv);
                    }
                    if (!bias.empty()) {
                        const double bv = bias[static_cast<std::size_t>(e * k + c)];
                        o += bv;
                        sum_abs += std::fabs(bv);
                    }
                    const double eo =
                        spread + accumulation_bound(inter, sum_abs, o, dtype::f32) + gamma_fp64(static_cast<double>(inter + 2)) * sum_abs;
                    y[static_cast<std::size_t>(c)] += w_eff * o;
                    s_abs[static_cast<std::size_t>(c)] += std::fabs(w_eff) * (std::fabs(o) + eo);
                    p[static_cast<std::size_t>(c)] += std::fabs(w_eff) * eo;
                }
            }
            for (std::int64_t c = 0; c < k; ++c) {
                const std::size_t i = static_cast<std::size_t>(c);
                res.y[static_cast<std::size_t>(t * k + c)] = y[i];
                res.bound[static_cast<std::size_t>(t * k + c)] =
                    p[i] + accumulation_bound(terms, s_abs[i], std::fabs(y[i]) + p[i], out_type, 0) + gamma_fp64(terms + 1) * s_abs[i];
            }
        }
        return res;
    }

private:
    /// Stage 3 (quantized): the oracle's QDQ(fl32(h)) and, per element, how far any value the
    /// kernel can produce from its own fp32 h may be from it. Returns the ambiguous count.
    std::size_t qdq_hidden(const hidden_values& hv, std::vector<double>& nominal, std::vector<double>& dev) const {
        const std::size_t inter = hv.h.size();
        std::vector<float> hf(inter);
        for (std::size_t i = 0; i < inter; ++i) hf[i] = static_cast<float>(hv.h[i]);
        nominal = reference_qdq_row<F>(hf, in2_);
        dev.assign(inter, 0.0);
        std::size_t ambiguous = 0;
        for (std::size_t b0 = 0; b0 < inter; b0 += F::block_size) {
            float amax = 0, amax_lo = 0, amax_hi = 0;
            std::vector<float> lo(F::block_size), hi(F::block_size);
            for (int i = 0; i < F::block_size; ++i) {
                const std::size_t j = b0 + static_cast<std::size_t>(i);
                lo[static_cast<std::size_t>(i)] = float_down(hv.h[j] - hv.err[j]);
                hi[static_cast<std::size_t>(i)] = float_up(hv.h[j] + hv.err[j]);
                const float l = lo[static_cast<std::size_t>(i)], h = hi[static_cast<std::size_t>(i)];
                amax = std::max(amax, std::fabs(hf[j]));
                amax_lo = std::max(amax_lo, (l <= 0.0f && h >= 0.0f) ? 0.0f : std::min(std::fabs(l), std::fabs(h)));
                amax_hi = std::max(amax_hi, std::max(std::fabs(l), std::fabs(h)));
            }
            // the decomposition reproduces reference_qdq_row on the oracle's own fp32 h
            const int code = activation_scale_code<F>(amax, in2_);
            for (int i = 0; i < F::block_size; ++i) {
                const std::size_t j = b0 + static_cast<std::size_t>(i);
                if (activation_qdq_element<F>(hf[j], code, in2_) != nominal[j]) {
                    ADD_FAILURE() << "oracle: per-scale QDQ of h[" << j << "] disagrees with reference_qdq_row";
                    return ambiguous;
                }
            }
            const int code_lo = activation_scale_code<F>(amax_lo, in2_), code_hi = activation_scale_code<F>(amax_hi, in2_);
            EXPECT_LE(code_lo, code_hi);
            for (int s = code_lo; s <= code_hi; ++s)
                for (int i = 0; i < F::block_size; ++i) {
                    const std::size_t j = b0 + static_cast<std::size_t>(i);
                    const double a = activation_qdq_element<F>(lo[static_cast<std::size_t>(i)], s, in2_);
                    const double c = activation_qdq_element<F>(hi[static_cast<std::size_t>(i)], s, in2_);
                    dev[j] = std::max({dev[j], std::fabs(a - nominal[j]), std::fabs(c - nominal[j])});
                }
            for (int i = 0; i < F::block_size; ++i)
                if (dev[b0 + static_cast<std::size_t>(i)] > 0) ++ambiguous;
        }
        return ambiguous;
    }

    const expert_set& set_;
    std::vector<std::vector<double>> w13_, w2_;
    float in13_, in2_;
};

template <class Kernel>
class MoeSweep : public ::testing::Test {};

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
                // the same experts with their scales stored swizzled_128x4: the same bits
                moe_weights swizzled = w;
                for (auto* mats : {&swizzled.w13, &swizzled.w2}) {
                    for (auto& m : *mats) {
                        m.scales = layout::convert_scales(m.scales, layout::layout_id::linear, layout::layout_id::swizzled_128x4, m.rows,
                                                          format::scale_cols<F>(m.cols));
                        m.scale_layout = layout::layout_id::swizzled_128x4;
                    }
                }
                std::vector<float> ys(y.size());
                Kernel::apply(Kernel::prepare(swizzled), {x.data(), dtype::f32, tokens, hidden}, r.ids, r.weights, top_k,
                              {ys.data(), dtype::f32, tokens, hidden});
                EXPECT_EQ(ys, y) << "experts stored swizzled_128x4";
            }
}

TYPED_TEST(MoeSweep, MatchesTheFp64OracleWithinTheDerivedBound) {
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    constexpr bool quantized = Kernel::activation_type::quantized;
    const std::int64_t hidden = 4 * F::block_size, inter = 3 * F::block_size;
    struct oracle_case {
        std::int64_t experts, top_k, tokens;
        bool bias;
        dtype type;
        bool weight_on_input;
        moe_activation activation = moe_activation::silu;
    };
    constexpr auto oai = moe_activation::swiglu_oai;
    const oracle_case cases[] = {{1, 1, 1, false, dtype::f32, false},      {1, 2, 7, true, dtype::f32, false},
                                 {8, 1, 64, false, dtype::f32, false},     {8, 2, 64, true, dtype::f32, false},
                                 {8, 4, 33, false, dtype::f32, false},     {8, 1, 16, true, dtype::f32, true},
                                 {8, 2, 24, true, dtype::bf16, false},     {1, 1, 5, true, dtype::f32, false, oai},
                                 {8, 4, 33, true, dtype::f32, false, oai}, {8, 2, 24, true, dtype::bf16, false, oai}};
    double worst_f32 = 0, worst_bf16 = 0, widest = 0;
    std::size_t outputs = 0, ambiguous = 0, h_elements = 0, clamped = 0;
    std::uint32_t seed = 500;
    for (const oracle_case& oc : cases) {
        SCOPED_TRACE(::testing::Message() << Kernel::name << " E=" << oc.experts << " k=" << oc.top_k << " T=" << oc.tokens
                                          << (oc.bias ? " +bias " : " ") << dtype_name(oc.type) << (oc.weight_on_input ? " weight-on-input" : "")
                                          << " " << moe_activation_name(oc.activation));
        expert_set set = make_expert_set<F>(oc.experts, hidden, inter, oc.bias, seed++);
        set.weights.activation.kind = oc.activation;
        if (oc.activation == oai) set.weights.activation.limit = 3.0f;  // a limit that clamps some of these products
        routing r = make_routing(oc.tokens, oc.experts, oc.top_k, seed++);
        // slots without an expert (-1): token 1 has none, token 2 starts with one; their router
        // weights are huge and must not matter
        if (oc.tokens > 2) {
            for (std::int64_t j = 0; j < oc.top_k; ++j) r.ids[static_cast<std::size_t>(oc.top_k + j)] = -1;
            r.ids[static_cast<std::size_t>(2 * oc.top_k)] = -1;
        }
        for (std::size_t i = 0; i < r.ids.size(); ++i)
            if (r.ids[i] < 0) r.weights[i] = 1e30f;
        // x: N(0, 1) with a few 30x outliers, as the activation dtype holds them
        std::vector<float> x = detail::normal_values(oc.tokens * hidden, 1.0f, seed++, 97, 30.0f);
        for (auto& v : x) v = round_to(oc.type, v);
        auto xin_of = [&](std::int64_t t, std::int64_t j) {
            std::vector<float> row(x.begin() + t * hidden, x.begin() + (t + 1) * hidden);
            if (oc.weight_on_input)
                for (auto& v : row) v = v * r.weights[static_cast<std::size_t>(t * oc.top_k + j)];  // one fp32 product
            return row;
        };
        // W4A4 NVFP4: calibrated input scales (amax / 2688) that differ per expert; the largest is shared
        float in13 = 1.0f, in2 = 1.0f;
        if constexpr (F::has_global_scale && quantized) {
            float amax_x = 0.0f;
            for (const float v : x) amax_x = std::max(amax_x, std::fabs(v));
            in13 = 0.0f;
            for (std::int64_t e = 0; e < oc.experts; ++e) {
                const float s = amax_x / 2688.0f * (0.5f + 0.25f * static_cast<float>(e % 3));
                set.weights.w13[static_cast<std::size_t>(e)].input_scale = s;
                in13 = std::max(in13, s);
            }
            const moe_oracle<F, quantized> first_stage(set, in13, 1.0f);
            double amax_h = 0;
            for (std::int64_t t = 0; t < oc.tokens; ++t)
                for (std::int64_t j = 0; j < oc.top_k; ++j) {
                    const std::int32_t e = r.ids[static_cast<std::size_t>(t * oc.top_k + j)];
                    if (e < 0) continue;
                    for (const double h : first_stage.hidden(xin_of(t, j), e).h) amax_h = std::max(amax_h, std::fabs(h));
                }
            in2 = 0.0f;
            for (std::int64_t e = 0; e < oc.experts; ++e) {
                const float s = static_cast<float>(amax_h) / 2688.0f * (0.5f + 0.25f * static_cast<float>(e % 3));
                set.weights.w2[static_cast<std::size_t>(e)].input_scale = s;
                in2 = std::max(in2, s);
            }
        }
        const moe_oracle<F, quantized> oracle(set, in13, in2);
        const oracle_output want = oracle.run(x, oc.tokens, r.ids, r.weights, oc.top_k, oc.weight_on_input, oc.type);

        const auto p = Kernel::prepare(set.weights);
        std::vector<std::uint8_t> xb(x.size() * dtype_size(oc.type)), yb(xb.size(), 0xCD);
        for (std::size_t i = 0; i < x.size(); ++i) store_element(xb.data(), oc.type, static_cast<std::int64_t>(i), x[i]);
        moe_options o;
        o.router_weight_on_input = oc.weight_on_input;
        Kernel::apply(p, {xb.data(), oc.type, oc.tokens, hidden}, r.ids, r.weights, oc.top_k, {yb.data(), oc.type, oc.tokens, hidden}, o);

        double y_max = 0, bound_max = 0;
        std::size_t failures = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double got = load_element(yb.data(), oc.type, static_cast<std::int64_t>(i));
            const double err = std::fabs(got - want.y[i]);
            double& worst = oc.type == dtype::f32 ? worst_f32 : worst_bf16;
            worst = std::max(worst, err / want.bound[i]);
            y_max = std::max(y_max, std::fabs(want.y[i]));
            bound_max = std::max(bound_max, want.bound[i]);
            if (!(err <= want.bound[i]) && failures++ < 5)
                ADD_FAILURE() << "y[" << i / static_cast<std::size_t>(hidden) << ", " << i % static_cast<std::size_t>(hidden) << "] = " << got
                              << ", oracle " << want.y[i] << ", error " << err << " > bound " << want.bound[i];
            if (oc.tokens > 2 && i / static_cast<std::size_t>(hidden) == 1) {
                EXPECT_EQ(got, 0.0) << "token 1 has no expert";
            }
        }
        EXPECT_EQ(failures, 0u);
        if (oc.activation == oai && oc.tokens > 2) {
            EXPECT_GT(want.clamped, 0u) << "the limit clamps nothing: the clamp is not exercised";
            EXPECT_LT(want.clamped, 2 * want.h_elements) << "the limit clamps every gate and up product";
        }
        clamped += want.clamped;
        if (y_max > 0 && oc.type == dtype::f32) widest = std::max(widest, bound_max / y_max);
        outputs += x.size();
        ambiguous += want.ambiguous;
        h_elements += want.h_elements;
    }
    std::printf(
        "[  oracle  ] %s: worst |y - oracle| / bound: fp32 output %.3g, bf16 output %.3g (%zu outputs); fp32: largest bound / "
        "max|y| = %.2g; %zu of %zu h elements within their fp32 error of a QDQ boundary; swiglu_oai clamped %zu products\n",
        std::string(Kernel::name).c_str(), worst_f32, worst_bf16, outputs, widest, ambiguous, h_elements, clamped);
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
