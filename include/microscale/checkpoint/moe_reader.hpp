// Reading mixture-of-experts layers (checkpoint_reader's MoE members; included by loader.hpp).
//
//   per-expert  <p>.<e>.{gate,up,down}_proj as linear modules of any convention (ModelOpt)
//   stacked     each convention's moe_tensors (conventions/convention.hpp): vLLM's fused names
//               <p>.w13_<codes> [E, 2I, K packed] (gate rows, then up), <p>.w2_<codes> [E, K, I
//               packed], their scales, and per-expert scalars ([E], [E, 1], or [E, 2] for gate / up)
//               named as the convention names a module's after the stems "<p>.w13_" and "<p>.w2_";
//               transformers' mxfp4 (gpt-oss) <p>.gate_up_proj_blocks [E, 2I, K/32, 16] (gate and
//               up rows interleaved), <p>.down_proj_blocks, their _scales; optional biases after the
//               same stems (<p>.w13_bias / <p>.gate_up_proj_bias [E, 2I], <p>.w2_bias [E, K])
// Experts are numbered 0..E-1 without gaps. The expert activation is the convention's (silu, or
// gpt-oss's swiglu_oai with the config's swiglu_alpha / swiglu_limit).
#pragma once

#include "microscale/checkpoint/loader.hpp"

namespace microscale::checkpoint {

inline std::vector<std::string> checkpoint_reader::moe_names() const {
    std::set<std::string> out;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) {
        using C = decltype(c);
        std::vector<std::string> suffixes{detail::cat(".", C::moe.gate_up, C::tensors.codes)};
        if (C::stores_linear) suffixes.push_back(detail::cat(".0.gate_proj.", C::tensors.codes));
        for (const auto& name : store_.names())
            for (const std::string& suffix : suffixes)
                if (reader_detail::ends_with(name, suffix)) out.insert(name.substr(0, name.size() - suffix.size()));
    });
    return {out.begin(), out.end()};
}

inline bool checkpoint_reader::is_moe(const std::string& prefix) const {
    return detect_moe_convention(store_, prefix).has_value() || is_stored(prefix + ".0.gate_proj");
}

inline checkpoint_reader::moe_info checkpoint_reader::describe_per_expert(const std::string& prefix) const {
    moe_info info;
    info.name = prefix;
    info.layout = "per-expert";
    while (is_stored(detail::cat(prefix, ".", info.experts, ".gate_proj"))) ++info.experts;
    // experts are numbered 0..E-1 without gaps: a stored tensor of expert >= E (a missing
    // gate_proj) would otherwise be dropped silently
    for (const auto& n : store_.names()) {
        if (n.size() <= prefix.size() + 1 || n.compare(0, prefix.size() + 1, prefix + ".") != 0) continue;
        const std::string rest = n.substr(prefix.size() + 1);
        const auto dot = rest.find('.');
        if (dot == 0 || dot == std::string::npos || dot > 9 ||
            !std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(dot), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        if (std::stoll(rest.substr(0, dot)) >= info.experts)
            throw format_error(detail::cat(prefix, ": tensor '", n, "' belongs to expert ", rest.substr(0, dot), ", but expert ", info.experts,
                                           " has no gate_proj (experts are numbered 0..E-1)"));
    }
    for (std::int64_t e = 0; e < info.experts; ++e)
        for (const char* part : {"gate_proj", "up_proj", "down_proj"}) {
            const std::string m = detail::cat(prefix, ".", e, ".", part);
            if (!is_stored(m)) throw format_error(detail::cat(prefix, ": expert ", e, " has no ", part));
            const module_info mi = describe(m);
            if (!mi.quantized) throw format_error(detail::cat(m, ": MoE experts in floating point are not supported (", mi.reason, ")"));
            if (info.scheme.empty()) {
                info.scheme = mi.scheme;
                info.convention = mi.convention;
            } else if (mi.scheme != info.scheme) {
                throw format_error(detail::cat(m, " is ", mi.scheme, " but the other experts are ", info.scheme));
            }
            info.bytes_on_disk += mi.bytes_on_disk;
            if (std::string(part) == "gate_proj") {
                info.intermediate = mi.n;
                info.hidden = mi.k;
            }
        }
    return info;
}

inline checkpoint_reader::moe_info checkpoint_reader::describe_moe(const std::string& prefix) const {
    if (is_stored(prefix + ".0.gate_proj")) return describe_per_expert(prefix);
    const auto convention = detect_moe_convention(store_, prefix);
    if (!convention) throw format_error(detail::cat("no MoE layer '", prefix, "' in the checkpoint"));
    moe_info info;
    info.name = prefix;
    info.layout = "stacked";
    const layer_resolution rule = resolve_layer(config_, prefix, fused_);
    if (!rule.quantized) throw format_error(detail::cat(prefix, ": MoE experts in floating point are not supported (", rule.reason, ")"));
    info.scheme = rule.scheme;
    info.convention = std::string(*convention);
    visit_convention(*convention, [&](auto c) { describe_stacked<decltype(c)>(info); });
    return info;
}

template <checkpoint_convention C>
void checkpoint_reader::describe_stacked(moe_info& info) const {
    const std::string& prefix = info.name;
    const std::string w13_stem = detail::cat(prefix, ".", C::moe.gate_up), w2_stem = detail::cat(prefix, ".", C::moe.down);
    const tensor_info& w13 = tensor(w13_stem + std::string(C::tensors.codes));
    const tensor_info& w2 = tensor(w2_stem + std::string(C::tensors.codes));
    const format::format_facts f = format::facts_of(format::parse_scheme(info.scheme)->format);
    const bool blocked = C::moe.blocked_codes;
    const std::int64_t block_bytes = f.packed_row_bytes(f.block_size);
    const std::string form = blocked ? detail::cat("[E, 2I, K/", f.block_size, ", ", block_bytes, "] and [E, K, I/", f.block_size, ", ", block_bytes, "]")
                                     : std::string("[E, 2I, K packed] and [E, K, I packed]");
    const std::size_t rank = blocked ? 4 : 3;
    if (w13.shape.size() != rank || w2.shape.size() != rank || w13.dtype != st_dtype::U8 || w2.dtype != st_dtype::U8 || w2.shape[0] != w13.shape[0] ||
        (blocked && (w13.shape[3] != block_bytes || w2.shape[3] != block_bytes)))
        throw format_error(detail::cat(prefix, ": stacked ", f.name, " expert weights must be U8 ", form, ", got ", dtype_name(w13.dtype), " ",
                                       w13.shape_string(), " and ", dtype_name(w2.dtype), " ", w2.shape_string()));
    // packed bytes per row (a blocked tensor's last two axes are a row)
    const std::int64_t w13_row = blocked ? w13.shape[2] * w13.shape[3] : w13.shape[2], w2_row = blocked ? w2.shape[2] * w2.shape[3] : w2.shape[2];
    if (f.row_elements(w13_row) < 0 || f.row_elements(w2_row) < 0)
        throw format_error(detail::cat(prefix, ": ", f.name, " expert weights ", w13.shape_string(), " and ", w2.shape_string(),
                                       " do not hold whole packed groups per row"));
    info.experts = w13.shape[0];
    info.intermediate = w13.shape[1] / 2;
    info.hidden = f.row_elements(w13_row);
    if (info.experts <= 0 || info.intermediate <= 0 || info.hidden <= 0)
        throw format_error(detail::cat(prefix, ": stacked experts ", w13.shape_string(), " are empty (E, 2I and K must be positive)"));
    if (w13.shape[1] % 2 != 0 || w2.shape[1] != info.hidden || f.row_elements(w2_row) != info.intermediate)
        throw format_error(detail::cat(prefix, ": ", w13.name, " ", w13.shape_string(), " and ", w2.name, " ", w2.shape_string(),
                                       " do not describe the same experts"));
    for (const auto& n : store_.names())
        if (n.rfind(w13_stem, 0) == 0 || n.rfind(w2_stem, 0) == 0) info.bytes_on_disk += store_.find(n)->end - store_.find(n)->begin;
}

inline std::vector<float> checkpoint_reader::expert_scalars(const std::string& name, std::int64_t experts, std::int64_t per_expert) const {
    const tensor_info& t = tensor(name);
    const bool one = t.shape == std::vector<std::int64_t>{experts} || t.shape == std::vector<std::int64_t>{experts, 1};
    if (!is_floating(t.dtype) || !(one || t.shape == std::vector<std::int64_t>{experts, per_expert}))
        throw format_error(detail::cat(store_.file_of(name).path(), ": tensor '", name, "' is ", dtype_name(t.dtype), " ", t.shape_string(),
                                       ", expected F32 [", experts, "] or [", experts, ", ", per_expert, "]"));
    const auto values = read_floats(store_.file_of(name), t);
    if (!one || per_expert == 1) return values;
    std::vector<float> repeated;
    for (const float v : values) repeated.insert(repeated.end(), static_cast<std::size_t>(per_expert), v);
    return repeated;
}

inline std::vector<std::uint8_t> checkpoint_reader::expert_rows(const std::string& name, std::int64_t e, std::int64_t row0, std::int64_t rows,
                                                                std::int64_t expert_rows_count, std::int64_t cols) const {
    const auto bytes = store_.bytes(name);
    const std::size_t begin = static_cast<std::size_t>((e * expert_rows_count + row0) * cols);
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    return std::vector<std::uint8_t>(data + begin, data + begin + static_cast<std::size_t>(rows * cols));
}

template <checkpoint_convention C, format::weight_format F>
void checkpoint_reader::read_stacked(const moe_info& info, bool quantized_activations, moe_weights& w, fusion_report* report) const {
    const std::string& prefix = info.name;
    const std::string w13 = detail::cat(prefix, ".", C::moe.gate_up), w2 = detail::cat(prefix, ".", C::moe.down);
    const std::int64_t inter = info.intermediate, hidden = info.hidden, experts = info.experts;
    if (hidden % F::block_size != 0 || inter % F::block_size != 0)
        throw format_error(
            detail::cat(prefix, ": K = ", hidden, " and I = ", inter, " must be multiples of the ", F::name, " block size ", F::block_size));
    const std::int64_t hidden_blocks = format::scale_cols<F>(hidden), inter_blocks = format::scale_cols<F>(inter);
    expect_scales(w13 + std::string(C::tensors.scales), std::string(F::name), {experts, 2 * inter, hidden_blocks});
    expect_scales(w2 + std::string(C::tensors.scales), std::string(F::name), {experts, hidden, inter_blocks});
    for (const auto& [bias, shape] :
         {std::pair{w13 + "bias", std::vector<std::int64_t>{experts, 2 * inter}}, std::pair{w2 + "bias", std::vector<std::int64_t>{experts, hidden}}})
        if (store_.find(bias)) expect_tensor(bias, shape, {st_dtype::F32, st_dtype::BF16, st_dtype::F16}, "F32, BF16 or F16");
    // per-expert global and input scales, as kernels use them
    std::vector<float> g13, g2, i13, i2;
    auto dequantized = [](std::vector<float> v) {
        for (auto& x : v) x = dequantization_scale<C>(x);
        return v;
    };
    if constexpr (F::has_global_scale) {
        g13 = dequantized(expert_scalars(w13 + std::string(C::tensors.global_scale), experts, 2));
        g2 = dequantized(expert_scalars(w2 + std::string(C::tensors.global_scale), experts, 1));
        if (quantized_activations) {
            const std::string in13 = w13 + std::string(C::tensors.input_scale), in2 = w2 + std::string(C::tensors.input_scale);
            if (!store_.find(in13) || !store_.find(in2))
                throw format_error(detail::cat(prefix, ": W4A4 NVFP4 experts need ", in13, " and ", in2, " (quantize with --calibration)"));
            i13 = dequantized(expert_scalars(in13, experts, 2));
            i2 = dequantized(expert_scalars(in2, experts, 1));
        }
    } else {
        for (const std::string& stem : {w13, w2})
            for (const std::string& global : global_scale_tensor_names())
                if (store_.find(stem + global))
                    throw format_error(detail::cat(prefix, ": ", F::name, " experts with an NVFP4 global scale tensor (", stem, global, ")"));
    }
    auto expert_weight = [&](const std::string& stem, std::int64_t e, std::int64_t h, std::int64_t rows, std::int64_t stacked_rows, std::int64_t cols,
                             std::string name) {
        quantized_weight q;
        q.format = std::string(F::name);
        q.name = std::move(name);
        q.rows = rows;
        q.cols = cols;
        q.codes = expert_rows(stem + std::string(C::tensors.codes), e, h * rows, rows, stacked_rows, format::packed_row_bytes<F>(cols));
        q.scales = expert_rows(stem + std::string(C::tensors.scales), e, h * rows, rows, stacked_rows, format::scale_cols<F>(cols));
        return q;
    };
    for (std::int64_t e = 0; e < experts; ++e) {
        if constexpr (C::moe.activation == moe_activation::swiglu_oai) {  // interleaved rows: read as stored
            w.w13.push_back(expert_weight(w13, e, 0, 2 * inter, 2 * inter, hidden, detail::cat(prefix, ".", e, ".gate_up")));
            w.w2.push_back(expert_weight(w2, e, 0, hidden, hidden, inter, detail::cat(prefix, ".", e, ".down")));
            continue;
        }
        std::vector<quantized_weight> halves;
        for (std::int64_t h = 0; h < 2; ++h) {
            halves.push_back(expert_weight(w13, e, h, inter, 2 * inter, hidden, detail::cat(prefix, ".", e, h == 0 ? ".gate" : ".up")));
            if (!g13.empty()) halves.back().global_scale = g13[static_cast<std::size_t>(2 * e + h)];
            if (!i13.empty()) halves.back().input_scale = i13[static_cast<std::size_t>(2 * e + h)];
        }
        w.w13.push_back(fuse_shards(detail::cat(prefix, ".", e, ".gate_up"), halves, report));
        w.w2.push_back(expert_weight(w2, e, 0, hidden, hidden, inter, detail::cat(prefix, ".", e, ".down")));
        if (!g2.empty()) w.w2.back().global_scale = g2[static_cast<std::size_t>(e)];
        if (!i2.empty()) w.w2.back().input_scale = i2[static_cast<std::size_t>(e)];
    }
    if (store_.find(w13 + "bias")) w.w13_bias = read_floats(store_.file_of(w13 + "bias"), tensor(w13 + "bias"));
    if (store_.find(w2 + "bias")) w.w2_bias = read_floats(store_.file_of(w2 + "bias"), tensor(w2 + "bias"));
}

inline moe_weights checkpoint_reader::load_moe(const std::string& prefix, fusion_report* report) const {
    const moe_info info = describe_moe(prefix);
    const auto scheme = *format::parse_scheme(info.scheme);
    moe_weights w;
    w.format = scheme.format;
    w.experts = info.experts;
    w.hidden = info.hidden;
    w.intermediate = info.intermediate;
    w.name = prefix;
    if (info.layout == "per-expert") {
        for (std::int64_t e = 0; e < info.experts; ++e) {
            const std::string stem = detail::cat(prefix, ".", e, ".");
            std::vector<quantized_weight> gate_up = {load_stored(stem + "gate_proj", describe(stem + "gate_proj")),
                                                     load_stored(stem + "up_proj", describe(stem + "up_proj"))};
            w.w13.push_back(fuse_shards(stem + "gate_up_proj", gate_up, report));
            w.w2.push_back(load_stored(stem + "down_proj", describe(stem + "down_proj")));
        }
        return w;
    }
    visit_convention(info.convention, [&](auto c) {
        w.activation.kind = decltype(c)::moe.activation;
        format::visit_format(scheme.format, [&](auto f) { read_stacked<decltype(c), decltype(f)>(info, scheme.quantized_activations, w, report); });
    });
    w.activation.alpha = config_.swiglu_alpha;
    w.activation.limit = config_.swiglu_limit;
    return w;
}

inline std::unique_ptr<moe_layer> checkpoint_reader::load_moe_layer(const std::string& prefix, dtype activation, const selection_options& options,
                                                                    fusion_report* report) const {
    const moe_info info = describe_moe(prefix);
    moe_weights w = load_moe(prefix, report);
    const linear_shape shape = moe_shape(w, activation);
    const auto s = select_kernel<moe_kernel_entry>(info.scheme, shape, moe_kernel_table(), scheme_aliases(), options);
    return s.kernel->create(std::move(w));
}

}  // namespace microscale::checkpoint
