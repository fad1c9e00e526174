// Scale layout `linear`: row-major [rows, cols], no padding (how checkpoints store block scales).
#pragma once

#include <cstdint>
#include <string_view>

#include "microscale/layout/extents.hpp"

namespace microscale::layout {

struct linear {
    static constexpr std::string_view name = "linear";
    static constexpr layout_id id = layout_id::linear;

    /// Stored shape of a logical [rows, cols] scale matrix.
    static constexpr extents padded_shape(std::int64_t rows, std::int64_t cols) noexcept { return {rows, cols}; }
    /// Byte offset of logical scale (row, col) inside one stored matrix of logical width `cols`.
    static constexpr std::int64_t offset(std::int64_t row, std::int64_t col, std::int64_t cols) noexcept { return row * cols + col; }
};

}  // namespace microscale::layout
