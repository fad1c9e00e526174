// generated from generators/kernels.manifest by generators/generate.py — do not edit
// One Google Benchmark registration per enabled kernel (the harness is bench/harness.hpp).
#include "harness.hpp"

namespace microscale::bench {

void register_generated_kernels() {
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_simd
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_emulation
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_cuda
    register_linear_kernel<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>();
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_simd
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>();
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_emulation
    register_moe_kernel<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>();
#endif
}

}  // namespace microscale::bench
