// generated from generators/kernels.manifest by generators/generate.py — do not edit
// The runtime table: every enabled kernel of the manifest in priority order, and the
// scheme aliases.
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"
#include "microscale/registry.hpp"

namespace microscale {

namespace {
constexpr kernel_entry table[] = {
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_simd
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_emulation
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_cuda
    make_entry<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>(),
#endif
    kernel_entry{},  // end marker (not part of the table)
};

constexpr moe_kernel_entry moe_table[] = {
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_simd
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_emulation
    make_moe_entry<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>(),
#endif
    moe_kernel_entry{},  // end marker (not part of the table)
};

constexpr scheme_alias alias_table[] = {
    {"NVFP4", "w_nvfp4_a_nvfp4", "ModelOpt quant_algo; compressed-tensors preset"},
    {"modelopt_fp4", "w_nvfp4_a_nvfp4", "vLLM quantization method for ModelOpt NVFP4"},
    {"nvfp4-pack-quantized", "w_nvfp4_a_nvfp4", "compressed-tensors format (W4A4 when input_activations are set)"},
    {"W4A16_NVFP4", "w_nvfp4", "ModelOpt quant_algo (weight-only)"},
    {"NVFP4A16", "w_nvfp4", "compressed-tensors preset (weight-only)"},
    {"nvfp4-pack-quantized-a16", "w_nvfp4", "compressed-tensors nvfp4 with no input_activations"},
    {"mxfp4", "w_mxfp4", "vLLM quantization method (weight-only MXFP4)"},
    {"w_mxfp4_a_mxfp4", "w_mxfp4_a_mxfp4", "Quark OCP_MX_Scheme"},
    {"w_mxfp4", "w_mxfp4", "Quark OCP_MX_Scheme"},
    {"w_mxfp6_e3m2_a_mxfp6_e3m2", "w_mxfp6_e3m2_a_mxfp6_e3m2", "Quark OCP_MX_Scheme"},
    {"w_mxfp6_e3m2", "w_mxfp6_e3m2", "Quark (weight-only MXFP6 E3M2)"},
    {"w_mxfp6_e2m3_a_mxfp6_e2m3", "w_mxfp6_e2m3_a_mxfp6_e2m3", "Quark OCP_MX_Scheme"},
    {"w_mxfp6_e2m3", "w_mxfp6_e2m3", "Quark (weight-only MXFP6 E2M3)"},
};

#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_nvfp4_a_nvfp4.stored.simd",
              "generate.py and make_kernel_name disagree on w_nvfp4_a_nvfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_nvfp4.stored.simd",
              "generate.py and make_kernel_name disagree on w_nvfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_mxfp4_a_mxfp4.stored.simd",
              "generate.py and make_kernel_name disagree on w_mxfp4_a_mxfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_mxfp4.stored.simd",
              "generate.py and make_kernel_name disagree on w_mxfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_mxfp6_e2m3_a_mxfp6_e2m3.stored.simd",
              "generate.py and make_kernel_name disagree on w_mxfp6_e2m3_a_mxfp6_e2m3.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_mxfp6_e2m3.stored.simd",
              "generate.py and make_kernel_name disagree on w_mxfp6_e2m3.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_mxfp6_e3m2_a_mxfp6_e3m2.stored.simd",
              "generate.py and make_kernel_name disagree on w_mxfp6_e3m2_a_mxfp6_e3m2.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_simd
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "w_mxfp6_e3m2.stored.simd",
              "generate.py and make_kernel_name disagree on w_mxfp6_e3m2.stored.simd");
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_nvfp4_a_nvfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on w_nvfp4_a_nvfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_nvfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on w_nvfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_mxfp4_a_mxfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on w_mxfp4_a_mxfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_mxfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on w_mxfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_mxfp6_e2m3_a_mxfp6_e2m3.stored.emulation",
              "generate.py and make_kernel_name disagree on w_mxfp6_e2m3_a_mxfp6_e2m3.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_mxfp6_e2m3.stored.emulation",
              "generate.py and make_kernel_name disagree on w_mxfp6_e2m3.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_mxfp6_e3m2_a_mxfp6_e3m2.stored.emulation",
              "generate.py and make_kernel_name disagree on w_mxfp6_e3m2_a_mxfp6_e3m2.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_emulation
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "w_mxfp6_e3m2.stored.emulation",
              "generate.py and make_kernel_name disagree on w_mxfp6_e3m2.stored.emulation");
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_nvfp4_a_nvfp4.stored.cuda",
              "generate.py and make_kernel_name disagree on w_nvfp4_a_nvfp4.stored.cuda");
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_nvfp4.stored.cuda",
              "generate.py and make_kernel_name disagree on w_nvfp4.stored.cuda");
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_mxfp4_a_mxfp4.stored.cuda",
              "generate.py and make_kernel_name disagree on w_mxfp4_a_mxfp4.stored.cuda");
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_mxfp4.stored.cuda",
              "generate.py and make_kernel_name disagree on w_mxfp4.stored.cuda");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_mxfp6_e2m3_a_mxfp6_e2m3.stored.cuda",
              "generate.py and make_kernel_name disagree on w_mxfp6_e2m3_a_mxfp6_e2m3.stored.cuda");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_mxfp6_e2m3.stored.cuda",
              "generate.py and make_kernel_name disagree on w_mxfp6_e2m3.stored.cuda");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_mxfp6_e3m2_a_mxfp6_e3m2.stored.cuda",
              "generate.py and make_kernel_name disagree on w_mxfp6_e3m2_a_mxfp6_e3m2.stored.cuda");
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_cuda
static_assert(::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>::name == "w_mxfp6_e3m2.stored.cuda",
              "generate.py and make_kernel_name disagree on w_mxfp6_e3m2.stored.cuda");
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_nvfp4_a_nvfp4.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_nvfp4_a_nvfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_nvfp4.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_nvfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_mxfp4_a_mxfp4.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_mxfp4_a_mxfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_mxfp4.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_mxfp4.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_mxfp6_e2m3_a_mxfp6_e2m3.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e2m3_a_mxfp6_e2m3.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_mxfp6_e2m3.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e2m3.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_mxfp6_e3m2_a_mxfp6_e3m2.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e3m2_a_mxfp6_e3m2.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_simd
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>::name == "moe.w_mxfp6_e3m2.stored.simd",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e3m2.stored.simd");
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_nvfp4_a_nvfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_nvfp4_a_nvfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_nvfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_nvfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_mxfp4_a_mxfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_mxfp4_a_mxfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_mxfp4.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_mxfp4.stored.emulation");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_mxfp6_e2m3_a_mxfp6_e2m3.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e2m3_a_mxfp6_e2m3.stored.emulation");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_mxfp6_e2m3.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e2m3.stored.emulation");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_mxfp6_e3m2_a_mxfp6_e3m2.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e3m2_a_mxfp6_e3m2.stored.emulation");
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_emulation
static_assert(::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>::name == "moe.w_mxfp6_e3m2.stored.emulation",
              "generate.py and make_kernel_name disagree on moe.w_mxfp6_e3m2.stored.emulation");
#endif
}  // namespace

std::span<const kernel_entry> kernel_table() noexcept {
    return {table, std::size(table) - 1};
}

std::span<const scheme_alias> scheme_aliases() noexcept { return alias_table; }

std::span<const moe_kernel_entry> moe_kernel_table() noexcept {
    return {moe_table, std::size(moe_table) - 1};
}

}  // namespace microscale
