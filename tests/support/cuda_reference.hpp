// NVIDIA's own conversion routines (cuda_fp4.h, cuda_fp6.h, cuda_fp8.h, cuda_bf16.h, cuda_fp16.h),
// called on the host: the independent reference for the numeric codecs. Compiled in a separate
// TU only when the CUDA toolkit's headers are found; otherwise `available()` is false and the
// cross-checks skip (CI requires them: MICROSCALE_REQUIRE_CUDA_REFERENCE=ON).
#pragma once

#include <cstdint>
#include <string_view>

namespace microscale::test::cuda {

bool available();

/// Encode with the CUDA routine for the codec named `codec` ("e2m1", "e2m3", "e3m2", "e4m3",
/// "e5m2", "e8m0", "bf16", "fp16"); e8m0 uses round-toward-zero + satfinite. Returns the code.
std::uint32_t encode(std::string_view codec, float x);
/// Decode with the CUDA routine (through its widening conversion to half / bf16, then to float).
float decode(std::string_view codec, std::uint32_t code);

}  // namespace microscale::test::cuda
