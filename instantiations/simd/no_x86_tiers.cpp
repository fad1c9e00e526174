// On non-x86 targets the avx512 and avx2 tiers do not exist; cpuid checks keep them unreachable,
// and their tables point at the generic tier.
#include "microscale/backend/simd.hpp"

namespace microscale::backend::simd_isa {

const isa_kernels& avx512_kernels() noexcept { return generic_kernels(); }
const isa_kernels& avx2_kernels() noexcept { return generic_kernels(); }

}  // namespace microscale::backend::simd_isa
