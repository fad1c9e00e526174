// The avx2 tier (compiled with -mavx2 -mfma -mf16c -mbmi2): the portable kernels on 8-wide
// AVX2 + FMA batches. Only reached when cpuid says so.
#include "microscale/backend/simd/kernels_portable.hpp"

namespace microscale::backend::simd_isa {

const isa_kernels& avx2_kernels() noexcept {
    static const isa_kernels table = portable_kernels<xsimd::fma3<xsimd::avx2>>::table(isa::avx2);
    return table;
}

}  // namespace microscale::backend::simd_isa
