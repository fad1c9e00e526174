// Layout slot `stored`: the kernel takes the weight's stored scale layout as runtime data.
//
// The layout template slot of a kernel names the scale layout its inner loop reads. A kernel that
// reads one layout natively (a GPU kernel reading swizzled_128x4 scales, as CUTLASS does) puts that
// concrete layout in the slot, and selection gives it only weights stored in that layout. The CPU
// backends (emulation, simd) read whatever layout the weight arrives in — `quantized_weight`
// carries it as `scale_layout` — either in place (emulation) or by repacking once in prepare()
// (simd), so they have one instantiation per (format, activation) with this slot, and selection
// gives them weights in any layout.
//
// `stored` is not a layout of bytes: it has no id, shape or offsets (layouts.hpp: the concept
// `scale_layout` is the concrete layouts, `layout_slot` either kind).
#pragma once

#include <string_view>

namespace microscale::layout {

struct stored {
    static constexpr std::string_view name = "stored";
};

}  // namespace microscale::layout
