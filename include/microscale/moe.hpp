// Fused mixture-of-experts (DESIGN.md §7): the CPU counterpart of the NVFP4 / OCP-MX MoE emulation
// inference engines ship for hardware without FP4 tensor cores.
//
//   x [T, K] (bf16 / fp16 / fp32), topk_ids [T, k] int32 (-1: no expert), topk_weights [T, k] fp32
//   w13 [E, 2I, K] (gate rows, then up rows) and w2 [E, K, I] in any weight format, optional biases
//   per token t and slot j with expert e = topk_ids[t, j] >= 0, in fp32:
//     g, u  = x_t · W1[e]ᵀ, x_t · W3[e]ᵀ          (W4A4 / W6A6: x_t quantize-dequantized first)
//     h     = act(g, u)                           (the expert activation, below)
//     o     = h · W2[e]ᵀ                          (W4A4 / W6A6: h quantize-dequantized first)
//     y_t  += topk_weight[t, j] * o               (slots in order; or the weight scales x_t instead)
//   y_t rounded once to x's dtype.
// The expert activation is a policy (moe_activation, data of the layer, moe_detail::gating<A>):
//   silu        h = silu(g) * u, silu(z) = z / (1 + exp(-z)); w13 rows: gate 0..I-1, then up
//               (Mixtral / DeepSeek / Qwen MoE, vLLM's fused_moe)
//   swiglu_oai  gpt-oss: w13 rows interleaved (gate 2i, up 2i+1, biases likewise),
//               g' = min(g, limit), u' = clamp(u, -limit, limit), h = (u' + 1) * g' * sigmoid(alpha g')
//               (alpha 1.702, limit = config.json swiglu_limit, 7.0), as transformers'
//               GptOssExperts computes it
// W4A4 NVFP4 uses one activation global scale for all experts (the largest of the per-expert input
// scales, with a warning when they differ), one for w13's inputs and one for w2's; gate and up
// shards with different global scales are reconciled as fused linear layers are.
//
// moe_kernel<Format, Activation, Layout, Backend> is built from the linear kernel of the same
// policies: tokens are grouped by expert so each expert's weights are decoded once per batch, the
// linear kernels thread over N, and since they are row-invariant a token's result does not depend
// on T, on the other tokens or on the thread count. Scratch buffers are per thread and grow-only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/detail/aligned_buffer.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/detail/threads.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/kernel.hpp"
#include "microscale/numeric/codecs.hpp"
#include "microscale/registry.hpp"

namespace microscale {

/// The expert activation h = act(g, u) and where w13 keeps gate and up rows (moe.hpp's header).
enum class moe_activation : std::uint8_t { silu, swiglu_oai };

inline std::string_view moe_activation_name(moe_activation a) noexcept { return a == moe_activation::silu ? "silu" : "swiglu_oai"; }

/// The expert activation with its parameters (alpha and limit: swiglu_oai only).
struct expert_activation {
    moe_activation kind = moe_activation::silu;
    float alpha = 1.702f;  ///< gpt-oss's sigmoid slope (transformers GptOssExperts.alpha)
    float limit = 7.0f;    ///< gpt-oss's swiglu_limit
};

/// The stacked experts of one MoE layer.
struct moe_weights {
    std::string format;                 ///< the weights' format
    std::int64_t experts = 0;           ///< E
    std::int64_t hidden = 0;            ///< K
    std::int64_t intermediate = 0;      ///< I
    std::vector<quantized_weight> w13;  ///< per expert [2I, K]: gate and up rows as `activation` places them
    std::vector<quantized_weight> w2;   ///< per expert [K, I]
    std::vector<float> w13_bias;        ///< [E, 2I] (rows as w13's) or empty
    std::vector<float> w2_bias;         ///< [E, K] or empty
    expert_activation activation;       ///< h = act(g, u); silu unless the checkpoint says otherwise
    std::string name = "experts";       ///< for messages
};

struct moe_options {
    int threads = 0;                      ///< 0: OpenMP's default; clamped to the processors there are; < 0: an error
    bool router_weight_on_input = false;  ///< scale x_t by the weight instead of the expert output
};

/// The experts' common input scale: their value when they agree, else the largest (with a warning).
inline float shared_input_scale(const std::vector<float>& scales, const std::string& what, std::vector<std::string>& warnings) {
    const float largest = *std::max_element(scales.begin(), scales.end());
    if (std::any_of(scales.begin(), scales.end(), [&](float s) { return s != largest; }))
        warnings.push_back(detail::cat(what, ": the experts' input scales differ; all experts use the largest (", largest,
                                       "), which may waste precision for the others"));
    return largest;
}

namespace moe_detail {

inline float silu(float z) noexcept { return z / (1.0f + std::exp(-z)); }

/// The expert activation policies: h[i] of one row of gu = [g, u] products (2I values).
template <moe_activation A>
struct gating;

template <>
struct gating<moe_activation::silu> {
    static constexpr std::string_view formula = "silu(g)·u";
    static void row(const float* gu, std::int64_t inter, const expert_activation&, float* h) noexcept {
        for (std::int64_t i = 0; i < inter; ++i) h[i] = silu(gu[i]) * gu[inter + i];
    }
};

template <>
struct gating<moe_activation::swiglu_oai> {
    static constexpr std::string_view formula = "(clamp(u)+1)·g·sigmoid(alpha·g)";
    static void row(const float* gu, std::int64_t inter, const expert_activation& a, float* h) noexcept {
        for (std::int64_t i = 0; i < inter; ++i) {
            const float g = std::min(gu[2 * i], a.limit);
            const float u = std::min(std::max(gu[2 * i + 1], -a.limit), a.limit);
            h[i] = (u + 1.0f) * (g / (1.0f + std::exp(-(a.alpha * g))));
        }
    }
};

/// Calls f(gating<A>{}) for the layer's activation.
template <class Fn>
void visit_gating(moe_activation a, Fn&& f) {
    if (a == moe_activation::silu)
        f(gating<moe_activation::silu>{});
    else
        f(gating<moe_activation::swiglu_oai>{});
}

inline void check(const moe_weights& w) {
    auto fail = [&](const std::string& what) { throw std::invalid_argument(detail::cat(w.name, ": ", what)); };
    if (w.experts <= 0 || w.hidden <= 0 || w.intermediate <= 0)
        fail(detail::cat("E=", w.experts, " K=", w.hidden, " I=", w.intermediate, " must be positive"));
    if (static_cast<std::int64_t>(w.w13.size()) != w.experts || static_cast<std::int64_t>(w.w2.size()) != w.experts)
        fail(detail::cat(w.w13.size(), " w13 and ", w.w2.size(), " w2 matrices for ", w.experts, " experts"));
    for (std::int64_t e = 0; e < w.experts; ++e) {
        const auto& a = w.w13[static_cast<std::size_t>(e)];
        const auto& b = w.w2[static_cast<std::size_t>(e)];
        if (a.rows != 2 * w.intermediate || a.cols != w.hidden)
            fail(detail::cat("expert ", e, " w13 is [", a.rows, ", ", a.cols, "], expected [", 2 * w.intermediate, ", ", w.hidden, "]"));
        if (b.rows != w.hidden || b.cols != w.intermediate)
            fail(detail::cat("expert ", e, " w2 is [", b.rows, ", ", b.cols, "], expected [", w.hidden, ", ", w.intermediate, "]"));
    }
    if (!w.w13_bias.empty() && static_cast<std::int64_t>(w.w13_bias.size()) != w.experts * 2 * w.intermediate)
        fail(detail::cat("w13 bias has ", w.w13_bias.size(), " values, expected E * 2I = ", w.experts * 2 * w.intermediate));
    if (!w.w2_bias.empty() && static_cast<std::int64_t>(w.w2_bias.size()) != w.experts * w.hidden)
        fail(detail::cat("w2 bias has ", w.w2_bias.size(), " values, expected E * K = ", w.experts * w.hidden));
    for (const float v : w.w13_bias)
        if (!std::isfinite(v)) fail("w13 bias is not finite");
    for (const float v : w.w2_bias)
        if (!std::isfinite(v)) fail("w2 bias is not finite");
    if (w.activation.kind == moe_activation::swiglu_oai &&
        !(std::isfinite(w.activation.alpha) && std::isfinite(w.activation.limit) && w.activation.limit > 0.0f))
        fail(detail::cat("swiglu_oai needs a finite alpha and a positive finite limit, got alpha ", w.activation.alpha, ", limit ",
                         w.activation.limit));
}

}  // namespace moe_detail

/// A prepared MoE layer behind a virtual interface (what the runtime table hands out).
class moe_layer {
public:
    virtual ~moe_layer() = default;
    virtual std::string_view kernel_name() const noexcept = 0;
    virtual std::int64_t experts() const noexcept = 0;
    virtual std::int64_t hidden() const noexcept = 0;
    virtual std::int64_t intermediate() const noexcept = 0;
    virtual const expert_activation& activation() const noexcept = 0;
    virtual const std::vector<std::string>& warnings() const noexcept = 0;
    /// y [T, K] = MoE(x [T, K], topk_ids [T, k], topk_weights [T, k]).
    virtual void apply(const_matrix_view x, std::span<const std::int32_t> topk_ids, std::span<const float> topk_weights, std::int64_t top_k,
                       matrix_view y, const moe_options& options = {}) const = 0;
    virtual std::size_t memory_bytes() const noexcept = 0;
};

template <class Format, class Activation, class Layout, class Backend>
class moe_kernel {
public:
    using linear = linear_kernel<Format, Activation, Layout, Backend>;
    using format_type = Format;
    using activation_type = Activation;
    using layout_type = Layout;
    using backend_type = Backend;

private:
    static constexpr name_buffer name_storage =
        name_buffer{}.append("moe.").append(make_kernel_name(Format::name, Activation::quantized, Layout::name, Backend::name).view());

public:
    static constexpr std::string_view name = name_storage.view();
    static constexpr std::string_view scheme = linear::scheme;

    struct prepared {
        std::int64_t experts = 0, hidden = 0, intermediate = 0;
        std::vector<typename linear::prepared> w13, w2;
        std::vector<float> w13_bias, w2_bias;
        expert_activation activation;
        std::vector<std::string> warnings;
    };

    static support is_supported() { return linear::is_supported(); }
    /// shape: n = I (intermediate), k = K (hidden).
    static support can_implement(const linear_shape& s) {
        if (support a = linear::can_implement({s.m, 2 * s.n, s.k, s.activation, false, s.scale_layout}); !a)
            return support::no(detail::cat("w13: ", a.reason));
        if (support b = linear::can_implement({s.m, s.k, s.n, s.activation, false, s.scale_layout}); !b)
            return support::no(detail::cat("w2: ", b.reason));
        return support::yes();
    }

    static prepared prepare(moe_weights w) {
        moe_detail::check(w);
        prepared p;
        p.experts = w.experts;
        p.hidden = w.hidden;
        p.intermediate = w.intermediate;
        if constexpr (Format::has_global_scale && Activation::quantized) {
            // one activation global scale for all experts, for w13's inputs and for w2's
            for (auto* mats : {&w.w13, &w.w2}) {
                std::vector<float> scales;
                for (const auto& m : *mats) {
                    if (!m.input_scale)
                        throw std::invalid_argument(detail::cat(m.name, ": W4A4 NVFP4 needs the activation global scale (input_scale)"));
                    scales.push_back(*m.input_scale);
                }
                const float shared = shared_input_scale(scales, detail::cat(w.name, mats == &w.w13 ? " w13" : " w2"), p.warnings);
                for (auto& m : *mats) m.input_scale = shared;
            }
        }
        for (std::int64_t e = 0; e < w.experts; ++e) {
            p.w13.push_back(linear::prepare(w.w13[static_cast<std::size_t>(e)]));
            p.w2.push_back(linear::prepare(w.w2[static_cast<std::size_t>(e)]));
        }
        p.w13_bias = std::move(w.w13_bias);
        p.w2_bias = std::move(w.w2_bias);
        p.activation = w.activation;
        return p;
    }

    static std::size_t memory_bytes(const prepared& p) noexcept {
        std::size_t total = (p.w13_bias.size() + p.w2_bias.size()) * sizeof(float);
        for (const auto& m : p.w13) total += linear::memory_bytes(m);
        for (const auto& m : p.w2) total += linear::memory_bytes(m);
        return total;
    }

    /// Throws std::invalid_argument naming the first bad argument of apply().
    static void validate(const prepared& p, const const_matrix_view& x, std::span<const std::int32_t> topk_ids, std::span<const float> topk_weights,
                         std::int64_t top_k, const matrix_view& y, const moe_options& options) {
        const std::int64_t t_count = x.rows, k = p.hidden;
        auto fail = [&](const std::string& what) { throw std::invalid_argument(detail::cat(name, ": ", what)); };
        if (x.cols != k) fail(detail::cat("x is [", x.rows, ", ", x.cols, "] but the experts take K=", k));
        if (y.rows != t_count || y.cols != k || y.type != x.type)
            fail(detail::cat("y is [", y.rows, ", ", y.cols, "] ", dtype_name(y.type), ", expected [", t_count, ", ", k, "] ", dtype_name(x.type)));
        if (top_k <= 0 || static_cast<std::int64_t>(topk_ids.size()) != t_count * top_k ||
            static_cast<std::int64_t>(topk_weights.size()) != t_count * top_k)
            fail(detail::cat("topk_ids / topk_weights have ", topk_ids.size(), " / ", topk_weights.size(), " values, expected T * k = ", t_count,
                             " * ", top_k));
        if (options.router_weight_on_input && top_k != 1) fail("the router weight can scale the input only with k = 1");
        if (options.threads < 0) fail(detail::cat("threads = ", options.threads, " is negative (0: OpenMP's default)"));
        for (std::size_t i = 0; i < topk_ids.size(); ++i) {
            if (topk_ids[i] < -1 || topk_ids[i] >= p.experts)
                fail(detail::cat("topk_ids[", i / static_cast<std::size_t>(top_k), ", ", i % static_cast<std::size_t>(top_k), "] = ", topk_ids[i],
                                 " is not an expert of ", p.experts, " (or -1)"));
            if (!std::isfinite(topk_weights[i])) fail(detail::cat("topk_weights[", i, "] is not finite"));
        }
        for (std::int64_t t = 0; t < t_count; ++t) {
            if (!detail::all_finite(x.row(t), x.type, k)) {
                for (std::int64_t c = 0; c < k; ++c)
                    if (!std::isfinite(load_element(x.row(t), x.type, c))) fail(detail::cat("x[", t, ", ", c, "] is not finite"));
            }
        }
    }

    /// Expert e on its routed (token, slot) rows: out[slot] = w2 · act(w13 · x[token]).
    static void run_expert(const prepared& p, std::int64_t e, const std::vector<std::int64_t>& rows, const const_matrix_view& x,
                           std::span<const float> topk_weights, std::int64_t top_k, const moe_options& options, float* out) {
        const std::int64_t k = p.hidden, inter = p.intermediate, m = static_cast<std::int64_t>(rows.size());
        const int threads = detail::thread_count(options.threads);
        apply_options linear_options;
        linear_options.threads = options.threads;
        thread_local detail::aligned_buffer<float> gathered, gate_up, hidden_act, expert_out;
        float* xin = gathered.reserve(static_cast<std::size_t>(m * k));
        detail::parallel_rows(m, k, threads, [&](std::int64_t r) {
            const std::int64_t slot = rows[static_cast<std::size_t>(r)];
            const float scale = options.router_weight_on_input ? topk_weights[static_cast<std::size_t>(slot)] : 1.0f;
            const void* xrow = x.row(slot / top_k);
            for (std::int64_t c = 0; c < k; ++c) xin[r * k + c] = load_element(xrow, x.type, c) * scale;
        });
        float* gu = gate_up.reserve(static_cast<std::size_t>(m * 2 * inter));
        const const_vector_view b13{p.w13_bias.empty() ? nullptr : p.w13_bias.data() + e * 2 * inter, dtype::f32, 2 * inter};
        linear::apply(p.w13[static_cast<std::size_t>(e)], {xin, dtype::f32, m, k}, {gu, dtype::f32, m, 2 * inter},
                      p.w13_bias.empty() ? nullptr : &b13, linear_options);
        float* h = hidden_act.reserve(static_cast<std::size_t>(m * inter));
        std::string_view formula;
        moe_detail::visit_gating(p.activation.kind, [&](auto gating) {
            formula = decltype(gating)::formula;
            detail::parallel_rows(m, inter, threads,
                                  [&](std::int64_t r) { decltype(gating)::row(gu + r * 2 * inter, inter, p.activation, h + r * inter); });
        });
        if (!detail::all_finite(h, dtype::f32, m * inter)) {  // name it here, not as a bad x of the down projection
            const std::int64_t at = std::find_if(h, h + m * inter, [](float v) { return !std::isfinite(v); }) - h;
            throw std::invalid_argument(detail::cat(name, ": expert ", e, ": the hidden activation ", formula, " of token ",
                                                    rows[static_cast<std::size_t>(at / inter)] / top_k,
                                                    " is not finite (its gate / up products overflow fp32)"));
        }
        float* o = expert_out.reserve(static_cast<std::size_t>(m * k));
        const const_vector_view b2{p.w2_bias.empty() ? nullptr : p.w2_bias.data() + e * k, dtype::f32, k};
        linear::apply(p.w2[static_cast<std::size_t>(e)], {h, dtype::f32, m, inter}, {o, dtype::f32, m, k}, p.w2_bias.empty() ? nullptr : &b2,
                      linear_options);
        detail::parallel_rows(m, k, threads,
                              [&](std::int64_t r) { std::copy(o + r * k, o + (r + 1) * k, out + rows[static_cast<std::size_t>(r)] * k); });
    }

    static void apply(const prepared& p, const const_matrix_view& x, std::span<const std::int32_t> topk_ids, std::span<const float> topk_weights,
                      std::int64_t top_k, const matrix_view& y, const moe_options& options = {}) {
        validate(p, x, topk_ids, topk_weights, top_k, y, options);
        const std::int64_t t_count = x.rows, k = p.hidden;
        if (t_count == 0) return;
        const int threads = detail::thread_count(options.threads);

        // group (token, slot) pairs by expert, in token order
        thread_local std::vector<std::vector<std::int64_t>> routed;
        routed.resize(static_cast<std::size_t>(p.experts));
        for (auto& r : routed) r.clear();
        for (std::int64_t i = 0; i < t_count * top_k; ++i)
            if (topk_ids[static_cast<std::size_t>(i)] >= 0) routed[static_cast<std::size_t>(topk_ids[static_cast<std::size_t>(i)])].push_back(i);

        // o [T * k, K] fp32: each (token, slot)'s expert output; zero where the slot has no expert.
        // The element-wise steps run over rows on the caller's threads; each row is computed the
        // same way whichever thread runs it.
        thread_local detail::aligned_buffer<float> slot_out;
        float* out = slot_out.reserve(static_cast<std::size_t>(t_count * top_k * k));
        std::fill(out, out + t_count * top_k * k, 0.0f);
        for (std::int64_t e = 0; e < p.experts; ++e) {
            const auto& rows = routed[static_cast<std::size_t>(e)];
            const auto m = static_cast<std::int64_t>(rows.size());
            if (m == 0) continue;
            run_expert(p, e, rows, x, topk_weights, top_k, options, out);
        }
        // y_t = sum over slots in order of weight * o (fp32), rounded once
        detail::parallel_rows(t_count, k * top_k, threads, [&](std::int64_t t) {
            void* yrow = y.row(t);
            for (std::int64_t c = 0; c < k; ++c) {
                float acc = 0.0f;
                for (std::int64_t j = 0; j < top_k; ++j) {
                    const std::int64_t slot = t * top_k + j;
                    if (topk_ids[static_cast<std::size_t>(slot)] < 0) continue;
                    const float weight = options.router_weight_on_input ? 1.0f : topk_weights[static_cast<std::size_t>(slot)];
                    acc += weight * out[slot * k + c];
                }
                store_element(yrow, y.type, c, acc);
            }
        });
    }
};

template <class Kernel>
class moe_kernel_layer final : public moe_layer {
public:
    explicit moe_kernel_layer(typename Kernel::prepared p) : prepared_(std::move(p)) {}
    std::string_view kernel_name() const noexcept override { return Kernel::name; }
    std::int64_t experts() const noexcept override { return prepared_.experts; }
    std::int64_t hidden() const noexcept override { return prepared_.hidden; }
    std::int64_t intermediate() const noexcept override { return prepared_.intermediate; }
    const expert_activation& activation() const noexcept override { return prepared_.activation; }
    const std::vector<std::string>& warnings() const noexcept override { return prepared_.warnings; }
    void apply(const_matrix_view x, std::span<const std::int32_t> topk_ids, std::span<const float> topk_weights, std::int64_t top_k, matrix_view y,
               const moe_options& options) const override {
        Kernel::apply(prepared_, x, topk_ids, topk_weights, top_k, y, options);
    }
    std::size_t memory_bytes() const noexcept override { return Kernel::memory_bytes(prepared_); }

private:
    typename Kernel::prepared prepared_;
};

struct moe_kernel_entry {
    std::string_view name, scheme, format, activation, layout, backend;
    support (*is_supported)();
    support (*can_implement)(const linear_shape&);
    std::unique_ptr<moe_layer> (*create)(moe_weights);
};

template <class Kernel>
constexpr moe_kernel_entry make_moe_entry() {
    return describe_entry<moe_kernel_entry, Kernel>(
        [](moe_weights w) -> std::unique_ptr<moe_layer> { return std::make_unique<moe_kernel_layer<Kernel>>(Kernel::prepare(std::move(w))); });
}

/// The compiled library's MoE kernels (generated from the manifest), in priority order.
std::span<const moe_kernel_entry> moe_kernel_table() noexcept;

/// The selection problem of an MoE layer: n = I (intermediate), k = K (hidden), and the layout the
/// first expert's scales are stored in (a kernel with a concrete layout slot rejects, in prepare(),
/// any expert stored otherwise).
inline linear_shape moe_shape(const moe_weights& w, dtype activation = dtype::bf16) {
    const layout::layout_id stored = w.w13.empty() ? layout::layout_id::linear : w.w13.front().scale_layout;
    return {1, w.intermediate, w.hidden, activation, false, stored};
}

/// Selects an MoE kernel for the scheme (and shape: I intermediate, K hidden) and prepares the experts.
inline std::unique_ptr<moe_layer> create_moe(std::string_view requested, moe_weights w, dtype activation = dtype::bf16,
                                             const selection_options& options = selection_options::from_environment()) {
    const linear_shape shape = moe_shape(w, activation);
    const auto s = select_kernel<moe_kernel_entry>(requested, shape, moe_kernel_table(), scheme_aliases(), options);
    return s.kernel->create(std::move(w));
}

}  // namespace microscale
