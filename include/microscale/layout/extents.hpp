// Shared vocabulary of the scale-layout policies.
#pragma once

#include <cstdint>

namespace microscale::layout {

enum class layout_id : std::uint8_t { linear, swizzled_128x4 };

struct extents {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    constexpr std::int64_t size() const noexcept { return rows * cols; }
    constexpr bool operator==(const extents&) const = default;
};

constexpr std::int64_t round_up(std::int64_t value, std::int64_t multiple) noexcept { return (value + multiple - 1) / multiple * multiple; }

}  // namespace microscale::layout
