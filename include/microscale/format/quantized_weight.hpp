// A block-quantized weight matrix as checkpoints store it: what kernels' prepare() takes.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "microscale/detail/text.hpp"
#include "microscale/format/formats.hpp"
#include "microscale/layout/layouts.hpp"

namespace microscale {

/// W [rows = N, cols = K] in a block-scaled format.
///   codes:  [N, packed_row_bytes(K)] packed element codes (fp4: 2 per byte, fp6: 4 per 3 bytes)
///   scales: logical [N, K / block] scale codes (e4m3 for nvfp4, e8m0 for MX), stored in
///           `scale_layout` (for swizzled_128x4 the padded shape)
///   global_scale: nvfp4 only, the fp32 dequantization global scale G (ModelOpt weight_scale_2);
///           1 for MX formats
///   input_scale: nvfp4 W4A4 only, ModelOpt's activation global scale (amax / 2688, dequant form)
struct quantized_weight {
    std::string format;  ///< "nvfp4", "mxfp4", "mxfp6_e2m3", "mxfp6_e3m2"
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<std::uint8_t> codes;
    std::vector<std::uint8_t> scales;
    layout::layout_id scale_layout = layout::layout_id::linear;
    float global_scale = 1.0f;
    std::optional<float> input_scale;
    std::string name = "weight";  ///< for error messages (e.g. the checkpoint tensor prefix)
};

/// Throws std::invalid_argument with `w.name` and the problem if `w` is not a well-formed weight
/// of format F: shape, byte counts, NaN scale codes, non-finite or non-positive global scales.
template <format::weight_format F>
void validate(const quantized_weight& w) {
    using detail::cat;
    auto fail = [&](const std::string& what) { throw std::invalid_argument(cat(w.name, " (", F::name, "): ", what)); };
    if (w.format != F::name) fail(cat("weight is in format '", w.format, "'"));
    if (w.rows <= 0 || w.cols <= 0) fail(cat("shape [", w.rows, ", ", w.cols, "] is empty"));
    if (w.cols % F::block_size != 0) fail(cat("K = ", w.cols, " is not a multiple of the block size ", F::block_size));
    const std::int64_t want_codes = w.rows * format::packed_row_bytes<F>(w.cols);
    if (static_cast<std::int64_t>(w.codes.size()) != want_codes)
        fail(cat("has ", w.codes.size(), " code bytes, [", w.rows, ", ", w.cols, "] needs ", want_codes));
    const std::int64_t want_scales = layout::stored_size(w.scale_layout, w.rows, format::scale_cols<F>(w.cols));
    if (static_cast<std::int64_t>(w.scales.size()) != want_scales)
        fail(cat("has ", w.scales.size(), " scale bytes, layout ", layout::layout_name(w.scale_layout), " needs ", want_scales));
    for (std::size_t i = 0; i < w.scales.size(); ++i) {
        if (F::scale::is_nan(w.scales[i])) fail(cat("scale byte ", i, " is the NaN code of ", F::scale::name));
        if constexpr (requires { F::scale::sign_mask; }) {
            // a block scale is amax / 6 >= 0: ModelOpt never writes a sign bit
            if ((w.scales[i] & F::scale::sign_mask) != 0)
                fail(cat("scale byte ", i, " (0x", std::string{"0123456789ABCDEF"[w.scales[i] >> 4], "0123456789ABCDEF"[w.scales[i] & 15]},
                         ") is a negative ", F::scale::name, " block scale"));
        }
    }
    if constexpr (F::has_global_scale) {
        if (!std::isfinite(w.global_scale) || w.global_scale <= 0.0f) fail(cat("global scale ", w.global_scale, " is not a positive finite number"));
        if (w.input_scale && (!std::isfinite(*w.input_scale) || *w.input_scale <= 0.0f))
            fail(cat("input_scale ", *w.input_scale, " is not a positive finite number"));
    } else if (w.global_scale != 1.0f) {
        fail(cat("MX formats have no global scale (got ", w.global_scale, ")"));
    }
}

}  // namespace microscale
