// Scale-layout policies and the helpers kernels and tests share to move scales between layouts.
// A concrete layout (linear, swizzled_128x4) has `name`, `id`, `padded_shape(rows, cols)` and
// `offset(row, col, cols)`: it says where the bytes of a stored scale matrix are.
//
// The layout slot of a kernel (linear_kernel<Format, Activation, Layout, Backend>) means "the scale
// layout this kernel's inner loop reads". It holds either a concrete layout — the kernel reads that
// layout natively, and selection gives it only weights stored in it — or `stored` — the kernel takes
// the weight's stored layout (quantized_weight::scale_layout) as runtime data and accepts any. The
// CPU backends are instantiated with `stored` only (layout/stored.hpp).
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/detail/text.hpp"
#include "microscale/layout/extents.hpp"
#include "microscale/layout/linear.hpp"
#include "microscale/layout/stored.hpp"
#include "microscale/layout/swizzled_128x4.hpp"

namespace microscale::layout {

template <class L>
concept scale_layout = requires(std::int64_t i) {
    { L::name } -> std::convertible_to<std::string_view>;
    { L::id } -> std::convertible_to<layout_id>;
    { L::padded_shape(i, i) } -> std::same_as<extents>;
    { L::offset(i, i, i) } -> std::same_as<std::int64_t>;
};

/// What a kernel's layout slot may hold: a concrete scale layout, or `stored` (runtime data).
template <class L>
concept layout_slot = scale_layout<L> || std::same_as<L, stored>;

constexpr std::string_view layout_name(layout_id id) noexcept { return id == layout_id::linear ? linear::name : swizzled_128x4::name; }

/// True if a kernel whose layout slot is named `slot` reads scales stored in layout `id`: a
/// `stored` slot reads any layout, a concrete one only its own.
constexpr bool slot_reads(std::string_view slot, layout_id id) noexcept { return slot == stored::name || slot == layout_name(id); }

/// Parses "linear" / "swizzled_128x4"; throws std::invalid_argument naming the known ones.
inline layout_id parse_layout(std::string_view name) {
    if (name == linear::name) return layout_id::linear;
    if (name == swizzled_128x4::name) return layout_id::swizzled_128x4;
    throw std::invalid_argument(detail::cat("unknown scale layout '", name, "' (known: linear, swizzled_128x4)"));
}

/// Calls f(L{}) for the layout with this id.
template <class Fn>
decltype(auto) visit_layout(layout_id id, Fn&& f) {
    if (id == layout_id::linear) return f(linear{});
    return f(swizzled_128x4{});
}

/// Bytes of `batch` stacked [rows, cols] scale matrices stored in layout L.
template <scale_layout L>
constexpr std::int64_t stored_size(std::int64_t rows, std::int64_t cols, std::int64_t batch = 1) noexcept {
    return batch * L::padded_shape(rows, cols).size();
}

/// linear [batch, rows, cols] -> layout L (padding zero-filled).
template <scale_layout L>
std::vector<std::uint8_t> pack_scales(std::span<const std::uint8_t> linear_scales, std::int64_t rows, std::int64_t cols, std::int64_t batch = 1) {
    if (static_cast<std::int64_t>(linear_scales.size()) != batch * rows * cols) {
        throw std::invalid_argument(
            detail::cat("pack_scales: got ", linear_scales.size(), " scale bytes for ", batch, " x [", rows, ", ", cols, "]"));
    }
    const std::int64_t matrix = L::padded_shape(rows, cols).size();
    std::vector<std::uint8_t> out(static_cast<std::size_t>(batch * matrix), 0);
    if (rows == 0 || cols == 0) return out;  // empty: no loop over 2^40 empty rows
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < cols; ++c)
                out[static_cast<std::size_t>(b * matrix + L::offset(r, c, cols))] =
                    linear_scales[static_cast<std::size_t>((b * rows + r) * cols + c)];
    return out;
}

/// layout L -> linear [batch, rows, cols] (padding dropped).
template <scale_layout L>
std::vector<std::uint8_t> unpack_scales(std::span<const std::uint8_t> stored, std::int64_t rows, std::int64_t cols, std::int64_t batch = 1) {
    const std::int64_t matrix = L::padded_shape(rows, cols).size();
    if (static_cast<std::int64_t>(stored.size()) != batch * matrix) {
        throw std::invalid_argument(detail::cat("unpack_scales: got ", stored.size(), " bytes, layout ", L::name, " of ", batch, " x [", rows, ", ",
                                                cols, "] stores ", batch * matrix));
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(batch * rows * cols));
    if (rows == 0 || cols == 0) return out;
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < cols; ++c)
                out[static_cast<std::size_t>((b * rows + r) * cols + c)] = stored[static_cast<std::size_t>(b * matrix + L::offset(r, c, cols))];
    return out;
}

/// Re-lays scales stored in layout `from` into layout `to`.
inline std::vector<std::uint8_t> convert_scales(std::span<const std::uint8_t> stored, layout_id from, layout_id to, std::int64_t rows,
                                                std::int64_t cols, std::int64_t batch = 1) {
    std::vector<std::uint8_t> as_linear = visit_layout(from, [&](auto l) { return unpack_scales<decltype(l)>(stored, rows, cols, batch); });
    return visit_layout(to, [&](auto l) { return pack_scales<decltype(l)>(as_linear, rows, cols, batch); });
}

/// Stored byte count for a runtime layout id.
inline std::int64_t stored_size(layout_id id, std::int64_t rows, std::int64_t cols, std::int64_t batch = 1) {
    return visit_layout(id, [&](auto l) { return stored_size<decltype(l)>(rows, cols, batch); });
}

}  // namespace microscale::layout
