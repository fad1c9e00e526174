// Scale layout `swizzled_128x4`: the CUTLASS / cuBLAS block-scale layout (vLLM swizzle_blockscale,
// torchao to_blocked). Rows are padded to a multiple of 128 and scale columns to a multiple of 4
// (padding holds 0x00); each 128x4 tile is 512 contiguous bytes in which logical (r, c) of the tile
// sits at (r % 32) * 16 + (r / 32) * 4 + c. Tiles are ordered row-tile major:
//   offset(m, k) = ((m / 128) * (Kp / 4) + k / 4) * 512 + (m % 32) * 16 + ((m / 32) % 4) * 4 + (k % 4)
// A batch of matrices (MoE experts) stacks whole padded matrices.
#pragma once

#include <cstdint>
#include <string_view>

#include "microscale/layout/extents.hpp"

namespace microscale::layout {

struct swizzled_128x4 {
    static constexpr std::string_view name = "swizzled_128x4";
    static constexpr layout_id id = layout_id::swizzled_128x4;
    static constexpr std::int64_t tile_rows = 128;
    static constexpr std::int64_t tile_cols = 4;

    static constexpr extents padded_shape(std::int64_t rows, std::int64_t cols) noexcept {
        return {round_up(rows, tile_rows), round_up(cols, tile_cols)};
    }
    static constexpr std::int64_t offset(std::int64_t row, std::int64_t col, std::int64_t cols) noexcept {
        const std::int64_t col_tiles = round_up(cols, tile_cols) / tile_cols;
        return ((row / 128) * col_tiles + col / 4) * 512 + (row % 32) * 16 + ((row / 32) % 4) * 4 + (col % 4);
    }
};

}  // namespace microscale::layout
