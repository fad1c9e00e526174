// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4.stored.emulation: linear kernel, mxfp4 weights, a16 activations, scales in any stored layout, emulation backend (manifest line 31).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
