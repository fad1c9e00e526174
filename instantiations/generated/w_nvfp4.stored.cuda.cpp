// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4.stored.cuda: linear kernel, nvfp4 weights, a16 activations, scales in any stored layout, cuda backend (manifest line 39).
#include "microscale/backend/cuda.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>;
