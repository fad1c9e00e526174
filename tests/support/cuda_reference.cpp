#include "cuda_reference.hpp"

#include <stdexcept>
#include <string>

#if MICROSCALE_HAVE_CUDA_HEADERS
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp4.h>
#include <cuda_fp6.h>
#include <cuda_fp8.h>
#include <cstring>
#endif

namespace microscale::test::cuda {

#if MICROSCALE_HAVE_CUDA_HEADERS
bool available() { return true; }

namespace {
float half_raw_to_float(__half_raw raw) { return __half2float(__half(raw)); }
float bf16_raw_to_float(__nv_bfloat16_raw raw) { return __bfloat162float(__nv_bfloat16(raw)); }
}  // namespace

std::uint32_t encode(std::string_view codec, float x) {
    if (codec == "e2m1") return __nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundNearest);
    if (codec == "e2m3") return __nv_cvt_float_to_fp6(x, __NV_E2M3, cudaRoundNearest);
    if (codec == "e3m2") return __nv_cvt_float_to_fp6(x, __NV_E3M2, cudaRoundNearest);
    if (codec == "e4m3") return __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
    if (codec == "e5m2") return __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2);
    if (codec == "e8m0") return __nv_cvt_float_to_e8m0(x, __NV_SATFINITE, cudaRoundZero);
    if (codec == "bf16") {
        const __nv_bfloat16 value = __float2bfloat16_rn(x);
        std::uint16_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        return bits;
    }
    if (codec == "fp16") {
        const __half value = __float2half_rn(x);
        std::uint16_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        return bits;
    }
    throw std::invalid_argument("cuda reference: unknown codec " + std::string(codec));
}

float decode(std::string_view codec, std::uint32_t code) {
    if (codec == "e2m1") return half_raw_to_float(__nv_cvt_fp4_to_halfraw(static_cast<__nv_fp4_storage_t>(code), __NV_E2M1));
    if (codec == "e2m3") return half_raw_to_float(__nv_cvt_fp6_to_halfraw(static_cast<__nv_fp6_storage_t>(code), __NV_E2M3));
    if (codec == "e3m2") return half_raw_to_float(__nv_cvt_fp6_to_halfraw(static_cast<__nv_fp6_storage_t>(code), __NV_E3M2));
    if (codec == "e4m3") return half_raw_to_float(__nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(code), __NV_E4M3));
    if (codec == "e5m2") return half_raw_to_float(__nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(code), __NV_E5M2));
    if (codec == "e8m0") return bf16_raw_to_float(__nv_cvt_e8m0_to_bf16raw(static_cast<__nv_fp8_storage_t>(code)));
    if (codec == "bf16") {
        __nv_bfloat16_raw raw;
        raw.x = static_cast<unsigned short>(code);
        return bf16_raw_to_float(raw);
    }
    if (codec == "fp16") {
        __half_raw raw;
        raw.x = static_cast<unsigned short>(code);
        return half_raw_to_float(raw);
    }
    throw std::invalid_argument("cuda reference: unknown codec " + std::string(codec));
}
#else
bool available() { return false; }
std::uint32_t encode(std::string_view, float) { throw std::logic_error("CUDA headers not available"); }
float decode(std::string_view, std::uint32_t) { throw std::logic_error("CUDA headers not available"); }
#endif

}  // namespace microscale::test::cuda
