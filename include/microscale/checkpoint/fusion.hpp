// Fused modules (qkv_proj from q/k/v, gate_up_proj from gate/up; the mapping is a parameter) are
// the shards' weights concatenated along N. NVFP4 shards whose global scales differ are reconciled
// exactly as DESIGN §6 says: G = max G_i and every block scale of shard i becomes
// e4m3(float(s8) * G_i / G) (one round-to-nearest-even re-rounding); the worst relative change of
// a block's dequantization factor is reported. W4A4 input scales take the maximum, with a warning
// when they differ.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "microscale/detail/text.hpp"
#include "microscale/format/quantized_weight.hpp"

namespace microscale::checkpoint {

/// What fusing shards did.
struct fusion_report {
    std::vector<std::string> shards;     ///< module names, in row order; empty: not fused
    bool rescaled = false;               ///< NVFP4 global scales differed and block scales were re-rounded
    double worst_relative_change = 0.0;  ///< of a block's dequantization factor
    std::vector<std::string> warnings;
};

namespace fusion_detail {

/// Re-rounds the block scales of `p` (format F, which has a global scale) from its global scale to
/// `g_max`: s8' = scale(float(s8) * G_i / G), factors <= 1, one round-to-nearest-even.
template <format::weight_format F>
void rescale_to(quantized_weight& p, float g_max, fusion_report* report) {
    using scale = typename F::scale;
    const float ratio = p.global_scale / g_max;
    for (auto& s : p.scales) {
        const float before = scale::decode(s) * p.global_scale;
        s = scale::encode(scale::decode(s) * ratio);
        const float after = scale::decode(s) * g_max;
        if (before != 0.0f && report != nullptr)
            report->worst_relative_change = std::max(report->worst_relative_change, std::fabs(static_cast<double>(after) - before) / before);
    }
    if (report != nullptr) report->rescaled = true;
}

}  // namespace fusion_detail

/// The shards `parts` (same format and K, in row order) as one weight named `module`.
inline quantized_weight fuse_shards(const std::string& module, std::vector<quantized_weight>& parts, fusion_report* report) {
    const bool global = format::facts_of(parts.front().format).has_global_scale;
    quantized_weight out = parts.front();
    out.name = module;
    out.rows = 0;
    out.codes.clear();
    out.scales.clear();
    out.global_scale = 1.0f;
    float g_max = 0.0f;
    for (const auto& p : parts) g_max = std::max(g_max, p.global_scale);
    std::optional<float> input_max;
    bool inputs_differ = false;
    for (const auto& p : parts) {
        if (p.input_scale) {
            if (input_max && *input_max != *p.input_scale) inputs_differ = true;
            input_max = std::max(input_max.value_or(0.0f), *p.input_scale);
        }
    }
    for (auto& p : parts) {
        if (global && p.global_scale != g_max)
            format::visit_format(p.format, [&](auto f) {
                if constexpr (decltype(f)::has_global_scale) fusion_detail::rescale_to<decltype(f)>(p, g_max, report);
            });
        out.rows += p.rows;
        out.codes.insert(out.codes.end(), p.codes.begin(), p.codes.end());
        out.scales.insert(out.scales.end(), p.scales.begin(), p.scales.end());
    }
    if (global) out.global_scale = g_max;
    out.input_scale = input_max;
    if (inputs_differ && report != nullptr)
        report->warnings.push_back(detail::cat(module, ": the shards' input scales differ; using the largest (", *input_max, ")"));
    if (report != nullptr && report->rescaled)
        report->warnings.push_back(detail::cat(module, ": the shards' global scales differ; block scales re-rounded to G = ", g_max,
                                               " (worst relative change ", report->worst_relative_change, ")"));
    return out;
}

}  // namespace microscale::checkpoint
