// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4_a_nvfp4.swizzled_128x4.emulation: linear kernel, nvfp4 weights, aq activations, swizzled_128x4 scales, emulation backend (manifest line 31).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::swizzled_128x4, ::microscale::backend::emulation>;
