// Non-x86 builds: no AVX-512 instruction peaks to measure.
#include "probes.hpp"

namespace microscale::bench {
double avx512_peak(peak_kind, int) { return 0.0; }
}  // namespace microscale::bench
