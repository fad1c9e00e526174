// Scale layouts against an independent construction: swizzled_128x4 is rebuilt here from the
// tensor reshapes torchao's to_blocked / vLLM's swizzle_blockscale perform
//   pad -> view(nR, 128, nC, 4) -> permute(0, 2, 1, 3) -> reshape(-1, 4, 32, 4) -> transpose(1, 2) -> flatten
// by walking the output in that order, rather than through the offset formula.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "microscale/layout/layouts.hpp"

namespace ml = microscale::layout;

namespace {

std::vector<std::uint8_t> random_scales(std::int64_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> v(static_cast<std::size_t>(n));
    for (auto& b : v) b = static_cast<std::uint8_t>(1 + rng() % 255);  // never 0: padding is visible
    return v;
}

std::vector<std::uint8_t> swizzle_by_reshapes(const std::vector<std::uint8_t>& s, std::int64_t rows, std::int64_t cols) {
    const std::int64_t row_tiles = (rows + 127) / 128, col_tiles = (cols + 3) / 4;
    std::vector<std::uint8_t> out;
    for (std::int64_t rt = 0; rt < row_tiles; ++rt)         // nR
        for (std::int64_t ct = 0; ct < col_tiles; ++ct)     // nC (permuted before the 128 rows)
            for (std::int64_t i = 0; i < 32; ++i)           // transpose(1, 2): the 32 comes first
                for (std::int64_t j = 0; j < 4; ++j)        // then the 4 row groups of 32
                    for (std::int64_t c = 0; c < 4; ++c) {  // then the 4 columns
                        const std::int64_t r = rt * 128 + j * 32 + i, col = ct * 4 + c;
                        out.push_back(r < rows && col < cols ? s[static_cast<std::size_t>(r * cols + col)] : 0);
                    }
    return out;
}

}  // namespace

TEST(SwizzledLayout, MatchesTheReshapeDefinition) {
    for (const auto& [rows, cols] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 1}, {128, 4}, {136, 5}, {300, 13}, {64, 8}, {129, 3}}) {
        const auto s = random_scales(rows * cols, static_cast<std::uint32_t>(rows * 31 + cols));
        const auto packed = ml::pack_scales<ml::swizzled_128x4>(s, rows, cols);
        EXPECT_EQ(packed, swizzle_by_reshapes(s, rows, cols)) << rows << "x" << cols;
        EXPECT_EQ(ml::unpack_scales<ml::swizzled_128x4>(packed, rows, cols), s);
        const auto padded = ml::swizzled_128x4::padded_shape(rows, cols);
        EXPECT_EQ(static_cast<std::int64_t>(packed.size()), padded.size());
        EXPECT_EQ(padded.rows % 128, 0);
        EXPECT_EQ(padded.cols % 4, 0);
    }
}

TEST(SwizzledLayout, HandComputedOffsets) {
    // DESIGN.md §4.4 with Kp = 8 (two column tiles): ((m/128)*(Kp/4) + k/4)*512 + (m%32)*16 + ((m/32)%4)*4 + k%4
    EXPECT_EQ(ml::swizzled_128x4::offset(0, 0, 8), 0);
    EXPECT_EQ(ml::swizzled_128x4::offset(1, 0, 8), 16);
    EXPECT_EQ(ml::swizzled_128x4::offset(32, 0, 8), 4);
    EXPECT_EQ(ml::swizzled_128x4::offset(0, 3, 8), 3);
    EXPECT_EQ(ml::swizzled_128x4::offset(0, 4, 8), 512);
    EXPECT_EQ(ml::swizzled_128x4::offset(127, 7, 8), 512 + 31 * 16 + 3 * 4 + 3);
    EXPECT_EQ(ml::swizzled_128x4::offset(128, 0, 8), 2 * 512);
    EXPECT_EQ(ml::swizzled_128x4::offset(130, 5, 5), (1 * 2 + 1) * 512 + 2 * 16 + 0 * 4 + 1);  // cols 5 pads to 8
}

TEST(Layouts, StackedBatchesAndConversions) {
    const std::int64_t batch = 3, rows = 40, cols = 6;
    const auto s = random_scales(batch * rows * cols, 9);
    const auto swizzled = ml::pack_scales<ml::swizzled_128x4>(s, rows, cols, batch);
    ASSERT_EQ(static_cast<std::int64_t>(swizzled.size()), batch * 128 * 8);
    for (std::int64_t b = 0; b < batch; ++b) {  // each expert is a whole padded matrix
        std::vector<std::uint8_t> one(s.begin() + b * rows * cols, s.begin() + (b + 1) * rows * cols);
        const auto alone = swizzle_by_reshapes(one, rows, cols);
        EXPECT_TRUE(std::equal(alone.begin(), alone.end(), swizzled.begin() + b * 128 * 8)) << b;
    }
    EXPECT_EQ(ml::convert_scales(swizzled, ml::layout_id::swizzled_128x4, ml::layout_id::linear, rows, cols, batch), s);
    EXPECT_EQ(ml::convert_scales(s, ml::layout_id::linear, ml::layout_id::swizzled_128x4, rows, cols, batch), swizzled);
    EXPECT_EQ(ml::pack_scales<ml::linear>(s, rows, cols, batch), s);
    EXPECT_THROW(ml::unpack_scales<ml::swizzled_128x4>(s, rows, cols, batch), std::invalid_argument);
    EXPECT_THROW(ml::pack_scales<ml::linear>(s, rows, cols + 1, batch), std::invalid_argument);
    EXPECT_EQ(ml::parse_layout("swizzled_128x4"), ml::layout_id::swizzled_128x4);
    EXPECT_THROW(ml::parse_layout("swizzled"), std::invalid_argument);
}
