// Same-run probes that give the benchmark figures their meaning: how fast this machine reads
// memory, and the peak of each instruction the kernels rely on.
#pragma once

#include <cstddef>
#include <string>

namespace microscale::bench {

/// Bytes per second reading a `bytes`-sized buffer with `threads` threads; `cold`: the buffer is
/// evicted from every cache level (clflush) before each timed pass.
double read_bandwidth(std::size_t bytes, int threads, bool cold);

enum class peak_kind { int8_dot, int16_dot, bf16_dot, fp32_fma };
std::string peak_name(peak_kind k);
/// Operations per second (2 per multiply-add) of the instruction, `threads` threads, or 0 when
/// this CPU lacks it (no AVX-512 VNNI / BF16).
double instruction_peak(peak_kind k, int threads);

/// Evicts [data, data + bytes) from the caches.
void evict(const void* data, std::size_t bytes);

}  // namespace microscale::bench
