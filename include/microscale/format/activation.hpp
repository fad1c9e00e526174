// Activation policies: how x enters the GEMM.
//   a16  x (bf16 / fp16 / fp32) is used as is: weight-only quantization ("W4A16", ModelOpt's
//        W4A16_NVFP4, Quark's w_mxfp4).
//   aq   x is quantize-dequantized in the weight's own format first, one row at a time (W4A4 NVFP4
//        as vLLM's emulation does it, W4A4 MXFP4, W6A6 MXFP6).
#pragma once

#include <concepts>
#include <string_view>

namespace microscale::activation {

struct a16 {
    static constexpr std::string_view name = "a16";
    static constexpr bool quantized = false;
};

struct aq {
    static constexpr std::string_view name = "aq";
    static constexpr bool quantized = true;
};

template <class A>
concept activation_policy = requires {
    { A::name } -> std::convertible_to<std::string_view>;
    { A::quantized } -> std::convertible_to<bool>;
};

}  // namespace microscale::activation
