// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4_a_nvfp4.stored.cuda: linear kernel, nvfp4 weights, aq activations, scales in any stored layout, cuda backend (manifest line 38).
#include "microscale/backend/cuda.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>;
