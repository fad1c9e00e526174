// Quantize-dequantize of activations, a whole matrix at once: what a W4A4 kernel does to x before
// its dot products (DESIGN.md §3), for the `qdq` command and the Python package.
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
#include "microscale/format/quantizer.hpp"

namespace microscale::format {

/// x [rows, cols] after quantize-dequantize, with the codes and (linear) scales it went through.
struct qdq_result {
    std::vector<float> dequantized;   ///< [rows, cols], fp32 (not yet rounded to the activation dtype)
    std::vector<std::uint8_t> codes;  ///< [rows, cols], one element code per byte
    std::vector<std::uint8_t> scales; ///< [rows, cols / block], linear layout
    float input_scale = 1.0f;         ///< NVFP4: the activation global scale used (dequant form); 1 for MX
    bool input_scale_from_x = false;  ///< NVFP4: computed as amax(x) / 2688 (no input_scale was given)
};

/// Quantize-dequantize x [rows, cols] (finite fp32) the way activations of format F are. NVFP4 uses
/// `input_scale` (ModelOpt's calibrated amax / 2688); without one, amax(x) / 2688 (1 for all-zero x,
/// where any scale gives zeros). MX formats scale each block by itself with `rule`.
template <weight_format F>
qdq_result qdq_matrix(std::span<const float> x, std::int64_t rows, std::int64_t cols, std::optional<float> input_scale,
                      mx_scale_rule rule = mx_scale_rule::even, const std::string& name = "x") {
    using rules = block_rules<F>;
    if (rows < 0 || cols < 0 || static_cast<std::int64_t>(x.size()) != rows * cols)
        throw std::invalid_argument(detail::cat(name, ": ", x.size(), " values do not make [", rows, ", ", cols, "]"));
    if (cols % F::block_size != 0)
        throw std::invalid_argument(detail::cat(name, " has K = ", cols, ", not a multiple of the ", F::name, " block size ", F::block_size));
    require_finite(x, cols, name);
    qdq_result out;
    typename rules::activation_params params{};
    if constexpr (F::has_global_scale) {
        if (input_scale && (!std::isfinite(*input_scale) || *input_scale <= 0.0f))
            throw std::invalid_argument(detail::cat(name, ": input_scale ", *input_scale, " is not a positive finite number"));
        if (!input_scale) {
            float amax = 0.0f;
            for (const float v : x) amax = std::max(amax, std::fabs(v));
            const float computed = nvfp4_rules::activation_input_scale(amax);
            input_scale = computed == 0.0f ? 1.0f : computed;
            out.input_scale_from_x = true;
        }
        out.input_scale = *input_scale;
        params = rules::activation_params_from(input_scale, name);
    } else {
        params.rule = rule;
    }
    const std::int64_t blocks = cols / F::block_size;
    out.dequantized.resize(x.size());
    out.codes.resize(x.size());
    out.scales.resize(static_cast<std::size_t>(rows * blocks));
    for (std::int64_t r = 0; r < (cols > 0 ? rows : 0); ++r)  // rows of width 0: nothing to do
        qdq_row<F>(x.data() + r * cols, cols, params, out.codes.data() + r * cols, out.scales.data() + r * blocks, out.dequantized.data() + r * cols);
    return out;
}

}  // namespace microscale::format
