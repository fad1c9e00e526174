// The avx512 tier (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
// -mavx512vbmi; see instantiations/CMakeLists.txt). Only reached when cpuid says so.
// GCC 12 warns "'__Y' may be used uninitialized" inside its own AVX-512 intrinsic headers (the
// _mm512_undefined_* idiom, GCC bug 105593, fixed in GCC 13); the warning is about GCC's code.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "microscale/backend/simd/kernels_avx512.hpp"
#include "microscale/backend/simd/quantize_avx512.hpp"

namespace microscale::backend::simd_isa {

const isa_kernels& avx512_kernels() noexcept {
    static const isa_kernels table{isa::avx512, &avx512::run, &avx512::panel_scratch_floats, &avx512::quantize};
    return table;
}

}  // namespace microscale::backend::simd_isa
