// One interface over the formats' quantization rules, and whole-tensor quantizers built on it.
//
// block_rules<F> answers, per format:
//   weight side      tensor parameters from the tensor (nvfp4: G), quantize one block, and the
//                    block's dequantization factor;
//   activation side  parameters from the layer (nvfp4: g = 1/input_scale), quantize one block of
//                    a row, and its dequantization factor.
// A dequantized value is always element::decode(code) * factor (one fp32 product).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "microscale/detail/text.hpp"
#include "microscale/format/formats.hpp"
#include "microscale/format/mx.hpp"
#include "microscale/format/nvfp4.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/numeric/packing.hpp"
#include "microscale/tensor.hpp"

namespace microscale::format {

struct quantize_options {
    mx_scale_rule mx_rule = mx_scale_rule::even;  ///< MX formats only
    std::string name = "weight";                  ///< for error messages
    /// NVFP4: the tensor amax the global scale comes from, when shared by a fused group (ModelOpt
    /// unifies the amax of q/k/v and of gate/up before quantizing); default: this tensor's amax.
    std::optional<float> global_amax;
    /// The dtype the weights were stored in: a recipe that computes in the weight's dtype (the
    /// compressed-tensors convention's) rounds its intermediates to it.
    dtype source = dtype::f32;
};

inline float block_amax(const float* x, int n) noexcept {
    float amax = 0.0f;
    for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    return amax;
}

template <weight_format F>
struct block_rules;

template <>
struct block_rules<nvfp4> {
    struct weight_params {
        float global = 1.0f;  ///< G
    };
    struct activation_params {
        float g = 1.0f;  ///< 1 / input_scale
    };

    static weight_params weight_tensor_params(float amax, const quantize_options&) noexcept { return {nvfp4_rules::weight_global_scale(amax)}; }
    static std::uint8_t quantize_weight_block(const float* w, const weight_params& p, std::uint8_t* codes) noexcept {
        const std::uint8_t s = nvfp4_rules::weight_block_scale(block_amax(w, nvfp4::block_size), p.global);
        const float divisor = nvfp4_rules::weight_block_divisor(s, p.global);
        for (int i = 0; i < nvfp4::block_size; ++i) codes[i] = nvfp4_rules::weight_element(w[i], divisor);
        return s;
    }
    static float weight_factor(std::uint8_t s, float global) noexcept { return nvfp4_rules::weight_dequant_factor(s, global); }

    /// The layer's activation parameters: needs the static input_scale (calibrated).
    static activation_params activation_params_from(std::optional<float> input_scale, const std::string& name) {
        if (!input_scale) {
            throw std::invalid_argument(detail::cat(name, ": W4A4 NVFP4 needs the activation global scale (input_scale) from calibration"));
        }
        return {nvfp4_rules::activation_multiplier(*input_scale)};
    }
    static std::uint8_t quantize_activation_block(const float* x, const activation_params& p, std::uint8_t* codes) noexcept {
        const std::uint8_t s = nvfp4_rules::activation_block_scale(block_amax(x, nvfp4::block_size), p.g);
        const float output_scale = nvfp4_rules::activation_output_scale(s, p.g);
        for (int i = 0; i < nvfp4::block_size; ++i) codes[i] = nvfp4_rules::activation_element(x[i], output_scale);
        return s;
    }
    static float activation_factor(std::uint8_t s, const activation_params& p) noexcept { return nvfp4_rules::activation_dequant_factor(s, p.g); }
};

/// The MX formats share one rule set, parameterised by the element codec.
template <weight_format F>
struct mx_block_rules {
    using element = typename F::element;
    struct weight_params {
        mx_scale_rule rule = mx_scale_rule::even;
    };
    struct activation_params {
        mx_scale_rule rule = mx_scale_rule::even;
    };

    static weight_params weight_tensor_params(float, const quantize_options& o) noexcept { return {o.mx_rule}; }
    static std::uint8_t quantize_block(const float* x, mx_scale_rule rule, std::uint8_t* codes) noexcept {
        const std::uint8_t s = mx_rules::scale_code<element>(block_amax(x, F::block_size), rule);
        for (int i = 0; i < F::block_size; ++i) codes[i] = mx_rules::element<element>(x[i], s);
        return s;
    }
    static std::uint8_t quantize_weight_block(const float* w, const weight_params& p, std::uint8_t* codes) noexcept {
        return quantize_block(w, p.rule, codes);
    }
    static float weight_factor(std::uint8_t s, float) noexcept { return mx_rules::dequant_factor(s); }

    static activation_params activation_params_from(std::optional<float>, const std::string&) noexcept { return {}; }
    static std::uint8_t quantize_activation_block(const float* x, const activation_params& p, std::uint8_t* codes) noexcept {
        return quantize_block(x, p.rule, codes);
    }
    static float activation_factor(std::uint8_t s, const activation_params&) noexcept { return mx_rules::dequant_factor(s); }
};

template <>
struct block_rules<mxfp4> : mx_block_rules<mxfp4> {};
template <>
struct block_rules<mxfp6_e2m3> : mx_block_rules<mxfp6_e2m3> {};
template <>
struct block_rules<mxfp6_e3m2> : mx_block_rules<mxfp6_e3m2> {};

/// Throws std::invalid_argument naming the first non-finite element of a [rows, cols] matrix.
inline void require_finite(std::span<const float> values, std::int64_t cols, const std::string& name) {
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values[i])) {
            const auto row = static_cast<std::int64_t>(i) / cols, col = static_cast<std::int64_t>(i) % cols;
            throw std::invalid_argument(detail::cat(name, ": element [", row, ", ", col, "] is ", std::isnan(values[i]) ? "NaN" : "infinite"));
        }
    }
}

/// Checks W [rows, cols] for quantization to format F (a non-empty matrix, K a multiple of the
/// block, finite values, a shared amax not below the tensor's) and returns the amax its tensor
/// parameters come from: options.global_amax, else the tensor's own.
template <weight_format F>
float checked_weight_amax(std::span<const float> w, std::int64_t rows, std::int64_t cols, const quantize_options& options) {
    if (rows <= 0 || cols <= 0 || static_cast<std::int64_t>(w.size()) != rows * cols) {
        throw std::invalid_argument(detail::cat(options.name, ": ", w.size(), " values do not make a non-empty [", rows, ", ", cols, "] matrix"));
    }
    if (cols % F::block_size != 0) {
        throw std::invalid_argument(detail::cat(options.name, ": K = ", cols, " is not a multiple of the ", F::name, " block size ", F::block_size));
    }
    require_finite(w, cols, options.name);
    float amax = 0.0f;
    for (const float v : w) amax = std::max(amax, std::fabs(v));
    if (options.global_amax) {
        if (!(*options.global_amax >= amax))
            throw std::invalid_argument(detail::cat(options.name, ": shared amax ", *options.global_amax, " is below the tensor's own amax ", amax));
        amax = *options.global_amax;
    }
    return amax;
}

/// Quantizes W [rows, cols] (fp32, row-major) to format F with linear scales, as the format's
/// reference exporter does (ModelOpt for nvfp4, Quark / torchao "even" for MX).
/// Errors: cols not a multiple of the block, non-finite elements.
template <weight_format F>
quantized_weight quantize_weight(std::span<const float> w, std::int64_t rows, std::int64_t cols, const quantize_options& options = {}) {
    using rules = block_rules<F>;
    const float amax = checked_weight_amax<F>(w, rows, cols, options);
    const auto params = rules::weight_tensor_params(amax, options);

    quantized_weight q;
    q.format = std::string(F::name);
    q.name = options.name;
    q.rows = rows;
    q.cols = cols;
    if constexpr (F::has_global_scale) q.global_scale = params.global;
    const std::int64_t blocks = scale_cols<F>(cols);
    q.scales.resize(static_cast<std::size_t>(rows * blocks));
    q.codes.resize(static_cast<std::size_t>(rows * packed_row_bytes<F>(cols)));
    std::vector<std::uint8_t> row_codes(static_cast<std::size_t>(cols));
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* row = w.data() + r * cols;
        for (std::int64_t b = 0; b < blocks; ++b) {
            q.scales[static_cast<std::size_t>(r * blocks + b)] =
                rules::quantize_weight_block(row + b * F::block_size, params, row_codes.data() + b * F::block_size);
        }
        numeric::pack<typename F::element>(row_codes,
                                           std::span<std::uint8_t>(q.codes).subspan(static_cast<std::size_t>(r * packed_row_bytes<F>(cols)),
                                                                                    static_cast<std::size_t>(packed_row_bytes<F>(cols))));
    }
    return q;
}

/// Quantize-dequantizes one activation row x[K] (fp32) in format F:
///   codes[K] (one element code per byte), scales[K / block] (scale codes, this row, linear),
///   dequantized[K] = element(code) * factor, in fp32 (not yet rounded to the activation dtype).
template <weight_format F>
void qdq_row(const float* x, std::int64_t k, const typename block_rules<F>::activation_params& params, std::uint8_t* codes, std::uint8_t* scales,
             float* dequantized) noexcept {
    using rules = block_rules<F>;
    for (std::int64_t b = 0; b < k / F::block_size; ++b) {
        const std::uint8_t s = rules::quantize_activation_block(x + b * F::block_size, params, codes + b * F::block_size);
        scales[b] = s;
        const float factor = rules::activation_factor(s, params);
        for (int i = 0; i < F::block_size; ++i) {
            const std::int64_t j = b * F::block_size + i;
            dequantized[j] = F::element::decode(codes[j]) * factor;
        }
    }
}

}  // namespace microscale::format
