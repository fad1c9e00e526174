// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e3m2.stored.cuda: linear kernel, mxfp6_e3m2 weights, a16 activations, scales in any stored layout, cuda backend (manifest line 45).
#include "microscale/backend/cuda.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>;
