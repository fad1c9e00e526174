// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e2m3.stored.emulation: linear kernel, mxfp6_e2m3 weights, a16 activations, scales in any stored layout, emulation backend (manifest line 33).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
