// The generic tier, compiled for the baseline (SSE2 on x86-64, NEON on AArch64): runs everywhere.
#include "microscale/backend/simd/kernels_portable.hpp"

namespace microscale::backend::simd_isa {

const isa_kernels& generic_kernels() noexcept {
    static const isa_kernels table = portable_kernels<xsimd::default_arch>::table(isa::generic);
    return table;
}

}  // namespace microscale::backend::simd_isa
