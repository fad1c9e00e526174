// The avx512 tier: AVX-512 VNNI (vpdpbusd, vpdpwssd), VBMI (vpermb, vpmultishiftqb) and fp32 FMA.
// Included only by instantiations/simd/avx512.cpp, which is compiled with those flags; xsimd 8
// has none of the byte permutes or integer dot products, so this tier is written with intrinsics.
//
// Three paths, by the packed flavour (backend/simd/packed.hpp):
//   int8   e2m1 x e2m1 (W4A4): vpdpbusd(u8 activations + 12, s8 weights); blocks start at the
//          precomputed correction -12 * sum(w)
//   int16  fp6 x fp6 (W6A6): vpdpwssd on int16 pairs
//   fma    weight-only: fp32 FMA of the decoded elements with the fp32 activations
// Each block's dot is folded into the output with its factors:
//   y += float(dot) * (w_factor[n, b] * x_factor[m, b])     (int paths)
//   y += dot * w_factor[n, b]                                (fma path)
// Two drivers share those operations exactly, so a row's result does not depend on M:
//   streaming (M <= 4)  decodes each weight quad in registers as it streams by (decode-bound M)
//   panel     (M >= 5)  decodes a panel of 3 row groups x 1024 k once into per-thread scratch and
//                       runs 3 x MT micro-tiles over it (compute-bound M)
#pragma once

#if !(defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && defined(__AVX512VNNI__) && \
      defined(__AVX512VBMI__))
#error "kernels_avx512.hpp must be compiled with the avx512 tier's flags (see instantiations/CMakeLists.txt)"
#endif

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "microscale/backend/simd/packed.hpp"
#include "microscale/detail/threads.hpp"

namespace microscale::backend::simd_isa::avx512 {

// GCC 12 rotates accumulators of the destructive VNNI intrinsics through extra register copies
// inside unrolled loops (a vmovdqa per dot product); these wrappers keep the accumulator in place.
inline void dpbusd(__m512i& acc, __m512i u8, __m512i s8) noexcept { asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8)); }
inline void dpwssd(__m512i& acc, __m512i a, __m512i b) noexcept { asm("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b)); }

inline std::int32_t load_u32(const void* p) noexcept {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline constexpr std::int64_t panel_groups = 3;  ///< row groups per panel
inline constexpr std::int64_t panel_k = 512;     ///< k per panel (a multiple of every block size)
inline constexpr std::int64_t streaming_max_m = 4;

// ---- decoders of one (row group, quad) -----------------------------------------------------------

struct byte_decoder {  // e2m1, byte flavour -> 64 int8 (2 * e2m1); byte c belongs to lane c / 4
    __m512i table, control;
    __m512i operator()(const std::uint8_t* chunk) const noexcept {
        const __m512i raw = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk)));
        // lower half: each byte as is; upper half: the byte's high nibble in its low 4 bits
        return _mm512_permutexvar_epi8(_mm512_multishift_epi64_epi8(control, raw), table);
    }
};

struct word_decoder {  // fp6, word flavour -> two vectors of 32 int16: pairs (k0, k1) and (k2, k3) of each lane
    __m512i table_lo, table_hi, shift_control, nibble_mask;
    void operator()(const std::uint8_t* chunk, __m512i& first, __m512i& second) const noexcept {
        const __m512i words = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk)));
        std::int64_t high[2];
        std::memcpy(high, chunk + 32, 16);
        // bits 2i, 2i+1 of the high-bit word -> bits 4-5 of word i (vpermt2w reads bits 0-5)
        const __m512i high_first = _mm512_multishift_epi64_epi8(shift_control, _mm512_set1_epi64(high[0]));
        const __m512i high_second = _mm512_multishift_epi64_epi8(shift_control, _mm512_set1_epi64(high[1]));
        const __m512i index_first = _mm512_ternarylogic_epi32(nibble_mask, words, high_first, 0xCA);  // mask ? nibble : high
        const __m512i index_second = _mm512_ternarylogic_epi32(nibble_mask, _mm512_srli_epi16(words, 4), high_second, 0xCA);
        first = _mm512_permutex2var_epi16(table_lo, index_first, table_hi);
        second = _mm512_permutex2var_epi16(table_lo, index_second, table_hi);
    }
};

struct dword_decoder {  // any element, dword flavour -> four vectors of 16 fp32: k = 4q + j for the 16 rows
    bool fp6 = false;
    __m512 table_lo, table_hi;  // element values by code (fp4: 16 codes; fp6: 32 magnitudes)
    __m512i nibble_mask, row_shifts, sign_mask;
    void operator()(const std::uint8_t* chunk, __m512 (&out)[4]) const noexcept {
        const __m512i d01 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk)));
        const __m512i d23 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk + 16)));
        const __m512i index[4] = {d01, _mm512_srli_epi32(d01, 4), d23, _mm512_srli_epi32(d23, 4)};
        if (!fp6) {
#pragma GCC unroll 16
            for (int j = 0; j < 4; ++j) out[j] = _mm512_permutexvar_ps(index[j], table_lo);  // bits 0-3
            return;
        }
#pragma GCC unroll 16
        for (int j = 0; j < 4; ++j) {
            // hi2 of row r is bits 2r, 2r+1 of word j: move to bits 4-5 next to the nibble
            const __m512i high = _mm512_slli_epi32(_mm512_srlv_epi32(_mm512_set1_epi32(load_u32(chunk + 32 + 4 * j)), row_shifts), 4);
            const __m512i code = _mm512_ternarylogic_epi32(nibble_mask, index[j], high, 0xCA);
            const __m512 magnitude = _mm512_permutex2var_ps(table_lo, code, table_hi);  // bits 0-4
            // bit 5 of the code is the sign: xor it into bit 31
            out[j] = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(magnitude), _mm512_slli_epi32(code, 26), sign_mask, 0x78));
        }
    }
};

// ---- the three paths --------------------------------------------------------------------------------
// A path decodes a quad (`decode`, into `quad_weights`), stores it in a panel (`panel_bytes` per
// (row group, quad)), applies a quad to a block accumulator (`dot`), and folds a block.

/// The integer paths' block fold: the exact int32 block sum, scaled by weight factor × activation factor.
struct integer_fold {
    static __m512 fold(__m512 y, __m512i blk, __m512 w_factor, const float* x_factor) noexcept {
        return _mm512_fmadd_ps(_mm512_cvtepi32_ps(blk), _mm512_mul_ps(w_factor, _mm512_set1_ps(*x_factor)), y);
    }
};

struct int8_path : integer_fold {
    using block_acc = __m512i;
    struct quad_weights {
        __m512i w;
    };
    static constexpr std::int64_t panel_bytes = 64;
    byte_decoder decode_bytes;
    void decode(const std::uint8_t* chunk, quad_weights& q) const noexcept { q.w = decode_bytes(chunk); }
    static void store(const quad_weights& q, std::byte* panel) noexcept { _mm512_store_si512(panel, q.w); }
    static void load(const std::byte* panel, quad_weights& q) noexcept { q.w = _mm512_load_si512(panel); }
    static block_acc start(const gemm_call& c, std::int64_t g, std::int64_t b) noexcept {
        return _mm512_loadu_si512(c.corrections + (g * c.blocks + b) * group_rows);
    }
    static void dot(block_acc& blk, const quad_weights& q, const std::byte* x, std::int64_t quad) noexcept {
        dpbusd(blk, _mm512_set1_epi32(load_u32(x + 4 * quad)), q.w);
    }
    /// One block's quads [q0, q1) from a panel: weights loaded once per quad, activations once per row.
    template <int NV, int MT>
    static void panel_block(block_acc (&blk)[NV][MT], const std::byte* panel, std::int64_t stride, const std::byte* const (&x)[MT], std::int64_t q0,
                            std::int64_t q1, std::int64_t panel_q0) noexcept {
        for (std::int64_t q = q0; q < q1; ++q) {
            __m512i w[NV];
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) w[v] = _mm512_load_si512(panel + v * stride + (q - panel_q0) * panel_bytes);
#pragma GCC unroll 16
            for (int i = 0; i < MT; ++i) {
                const __m512i xq = _mm512_set1_epi32(load_u32(x[i] + 4 * q));
#pragma GCC unroll 16
                for (int v = 0; v < NV; ++v) dpbusd(blk[v][i], xq, w[v]);
            }
        }
    }
};

struct int16_path : integer_fold {
    using block_acc = __m512i;
    struct quad_weights {
        __m512i first, second;
    };
    static constexpr std::int64_t panel_bytes = 128;
    word_decoder decode_words;
    void decode(const std::uint8_t* chunk, quad_weights& q) const noexcept { decode_words(chunk, q.first, q.second); }
    static void store(const quad_weights& q, std::byte* panel) noexcept {
        _mm512_store_si512(panel, q.first);
        _mm512_store_si512(panel + 64, q.second);
    }
    static void load(const std::byte* panel, quad_weights& q) noexcept {
        q.first = _mm512_load_si512(panel);
        q.second = _mm512_load_si512(panel + 64);
    }
    static block_acc start(const gemm_call&, std::int64_t, std::int64_t) noexcept { return _mm512_setzero_si512(); }
    static void dot(block_acc& blk, const quad_weights& q, const std::byte* x, std::int64_t quad) noexcept {
        dpwssd(blk, _mm512_set1_epi32(load_u32(x + 8 * quad)), q.first);
        dpwssd(blk, _mm512_set1_epi32(load_u32(x + 8 * quad + 4)), q.second);
    }
    template <int NV, int MT>
    static void panel_block(block_acc (&blk)[NV][MT], const std::byte* panel, std::int64_t stride, const std::byte* const (&x)[MT], std::int64_t q0,
                            std::int64_t q1, std::int64_t panel_q0) noexcept {
        for (std::int64_t q = q0; q < q1; ++q) {
            for (int half = 0; half < 2; ++half) {
                __m512i w[NV];
#pragma GCC unroll 16
                for (int v = 0; v < NV; ++v) w[v] = _mm512_load_si512(panel + v * stride + (q - panel_q0) * panel_bytes + 64 * half);
#pragma GCC unroll 16
                for (int i = 0; i < MT; ++i) {
                    const __m512i xq = _mm512_set1_epi32(load_u32(x[i] + 8 * q + 4 * half));
#pragma GCC unroll 16
                    for (int v = 0; v < NV; ++v) dpwssd(blk[v][i], xq, w[v]);
                }
            }
        }
    }
};

struct fma_path {
    using block_acc = __m512;
    struct quad_weights {
        __m512 w[4];
    };
    static constexpr std::int64_t panel_bytes = 256;
    dword_decoder decode_dwords;
    void decode(const std::uint8_t* chunk, quad_weights& q) const noexcept { decode_dwords(chunk, q.w); }
    static void store(const quad_weights& q, std::byte* panel) noexcept {
#pragma GCC unroll 16
        for (int j = 0; j < 4; ++j) _mm512_store_ps(reinterpret_cast<float*>(panel) + 16 * j, q.w[j]);
    }
    static void load(const std::byte* panel, quad_weights& q) noexcept {
#pragma GCC unroll 16
        for (int j = 0; j < 4; ++j) q.w[j] = _mm512_load_ps(reinterpret_cast<const float*>(panel) + 16 * j);
    }
    static block_acc start(const gemm_call&, std::int64_t, std::int64_t) noexcept { return _mm512_setzero_ps(); }
    static void dot(block_acc& blk, const quad_weights& q, const std::byte* x, std::int64_t quad) noexcept {
        const float* xf = reinterpret_cast<const float*>(x) + 4 * quad;
#pragma GCC unroll 16
        for (int j = 0; j < 4; ++j) blk = _mm512_fmadd_ps(q.w[j], _mm512_set1_ps(xf[j]), blk);
    }
    static __m512 fold(__m512 y, block_acc blk, __m512 w_factor, const float*) noexcept { return _mm512_fmadd_ps(blk, w_factor, y); }
    template <int NV, int MT>
    static void panel_block(block_acc (&blk)[NV][MT], const std::byte* panel, std::int64_t stride, const std::byte* const (&x)[MT], std::int64_t q0,
                            std::int64_t q1, std::int64_t panel_q0) noexcept {
        for (std::int64_t q = q0; q < q1; ++q) {
#pragma GCC unroll 16
            for (int j = 0; j < 4; ++j) {  // one k at a time: the same order as dot()
                __m512 w[NV];
#pragma GCC unroll 16
                for (int v = 0; v < NV; ++v)
                    w[v] = _mm512_load_ps(reinterpret_cast<const float*>(panel + v * stride + (q - panel_q0) * panel_bytes) + 16 * j);
#pragma GCC unroll 16
                for (int i = 0; i < MT; ++i) {
                    const __m512 xk = _mm512_set1_ps(reinterpret_cast<const float*>(x[i])[4 * q + j]);
#pragma GCC unroll 16
                    for (int v = 0; v < NV; ++v) blk[v][i] = _mm512_fmadd_ps(w[v], xk, blk[v][i]);
                }
            }
        }
    }
};

// ---- streaming driver (small M): decode in registers, accumulate in registers ------------------------

template <class Path, int NV, int MT>
void stream_tile(const gemm_call& c, const Path& path, std::int64_t g0, std::int64_t m0) noexcept {
    const std::int64_t qbytes = quad_bytes(c.element), quads_per_block = c.block / quad_k, blocks = c.blocks, quads = c.quads;
    const std::uint8_t* const codes = c.codes + g0 * quads * qbytes;
    const float* const factors = c.factors + g0 * blocks * group_rows;
    const float* const x_factors = c.x_factors ? c.x_factors + m0 * blocks : nullptr;
    const std::byte* x[MT];
#pragma GCC unroll 16
    for (int i = 0; i < MT; ++i) x[i] = c.x + (m0 + i) * c.x_row_bytes;
    __m512 acc[NV][MT];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v)
#pragma GCC unroll 16
        for (int i = 0; i < MT; ++i) acc[v][i] = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < blocks; ++b) {
        typename Path::block_acc blk[NV][MT];
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
            const auto first = Path::start(c, g0 + v, b);
#pragma GCC unroll 16
            for (int i = 0; i < MT; ++i) blk[v][i] = first;
        }
        for (std::int64_t q = b * quads_per_block; q < (b + 1) * quads_per_block; ++q) {
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) {
                typename Path::quad_weights w;
                path.decode(codes + (v * quads + q) * qbytes, w);
#pragma GCC unroll 16
                for (int i = 0; i < MT; ++i) Path::dot(blk[v][i], w, x[i], q);
            }
        }
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
            const __m512 w_factor = _mm512_loadu_ps(factors + (v * blocks + b) * group_rows);
#pragma GCC unroll 16
            for (int i = 0; i < MT; ++i) acc[v][i] = Path::fold(acc[v][i], blk[v][i], w_factor, x_factors ? x_factors + i * blocks + b : nullptr);
        }
    }
    float* const y = c.y + m0 * c.y_row_stride + g0 * group_rows;
    const std::int64_t y_stride = c.y_row_stride;
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v)
#pragma GCC unroll 16
        for (int i = 0; i < MT; ++i) _mm512_storeu_ps(y + i * y_stride + v * group_rows, acc[v][i]);
}

template <class Path, int NV>
void stream_rows(int mt, const gemm_call& c, const Path& path, std::int64_t g0, std::int64_t m0) noexcept {
    switch (mt) {
        case 1:
            stream_tile<Path, NV, 1>(c, path, g0, m0);
            break;
        case 2:
            if constexpr (NV <= 4) stream_tile<Path, NV, 2>(c, path, g0, m0);
            break;
        case 3:
            if constexpr (NV <= 4) stream_tile<Path, NV, 3>(c, path, g0, m0);
            break;
        case 4:
            if constexpr (NV <= 4) stream_tile<Path, NV, 4>(c, path, g0, m0);
            break;
        default:
            break;
    }
}

template <class Path>
void run_streaming(const gemm_call& c, const Path& path) {
    const int nv = c.m == 1 ? 8 : 4, mt = static_cast<int>(c.m);
    const std::int64_t full = c.row_groups / nv, chunks = full + c.row_groups % nv;
    // work per chunk: at most nv row groups of 16 rows x k x m multiply-adds
    detail::parallel_rows(chunks, c.m * nv * group_rows * c.k, c.threads, [&](std::int64_t chunk) {
        if (chunk >= full)
            stream_rows<Path, 1>(mt, c, path, full * nv + (chunk - full), 0);
        else if (nv == 8)
            stream_rows<Path, 8>(mt, c, path, chunk * nv, 0);
        else
            stream_rows<Path, 4>(mt, c, path, chunk * nv, 0);
    });
}

// ---- panel driver (large M): decode a panel once, accumulate in y ----------------------------------

template <class Path, int NV, int MT>
void panel_tile(const gemm_call& c, const std::byte* panel, std::int64_t panel_quads, std::int64_t g0, std::int64_t q_begin,
                std::int64_t m0) noexcept {
    // Everything the loops need, in locals: the y stores go through may_alias vector types, after
    // which the compiler would otherwise reload every field of `c`.
    const std::int64_t quads_per_block = c.block / quad_k, blocks = c.blocks, y_stride = c.y_row_stride;
    const float* const factors = c.factors + g0 * blocks * group_rows;
    const float* const x_factors = c.x_factors ? c.x_factors + m0 * blocks : nullptr;
    float* const y = c.y + m0 * y_stride + g0 * group_rows;
    const gemm_call& start_call = c;
    const std::int64_t panel_stride = panel_quads * Path::panel_bytes;
    const std::byte* x[MT];
#pragma GCC unroll 16
    for (int i = 0; i < MT; ++i) x[i] = c.x + (m0 + i) * c.x_row_bytes;
    for (std::int64_t q0 = q_begin; q0 < q_begin + panel_quads; q0 += quads_per_block) {
        const std::int64_t b = q0 / quads_per_block;
        typename Path::block_acc blk[NV][MT];
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
            const auto first = Path::start(start_call, g0 + v, b);
#pragma GCC unroll 16
            for (int i = 0; i < MT; ++i) blk[v][i] = first;
        }
        Path::template panel_block<NV, MT>(blk, panel, panel_stride, x, q0, q0 + quads_per_block, q_begin);
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
            const __m512 w_factor = _mm512_loadu_ps(factors + (v * blocks + b) * group_rows);
#pragma GCC unroll 16
            for (int i = 0; i < MT; ++i) {
                float* out = y + i * y_stride + v * group_rows;
                _mm512_storeu_ps(out, Path::fold(_mm512_loadu_ps(out), blk[v][i], w_factor, x_factors ? x_factors + i * blocks + b : nullptr));
            }
        }
    }
}

template <class Path, int NV>
void panel_rows(int mt, const gemm_call& c, const std::byte* panel, std::int64_t panel_quads, std::int64_t g0, std::int64_t q_begin,
                std::int64_t m0) noexcept {
    switch (mt) {
        case 1:
            panel_tile<Path, NV, 1>(c, panel, panel_quads, g0, q_begin, m0);
            break;
        case 2:
            panel_tile<Path, NV, 2>(c, panel, panel_quads, g0, q_begin, m0);
            break;
        case 3:
            panel_tile<Path, NV, 3>(c, panel, panel_quads, g0, q_begin, m0);
            break;
        case 4:
            panel_tile<Path, NV, 4>(c, panel, panel_quads, g0, q_begin, m0);
            break;
        case 5:
            panel_tile<Path, NV, 5>(c, panel, panel_quads, g0, q_begin, m0);
            break;
        case 6:
            panel_tile<Path, NV, 6>(c, panel, panel_quads, g0, q_begin, m0);
            break;
        default:
            break;
    }
}

inline std::int64_t panel_scratch_floats(std::int64_t) noexcept { return panel_groups * (panel_k / quad_k) * fma_path::panel_bytes / 4 + 16; }

template <class Path>
void run_panels(const gemm_call& c, const Path& path) {
    constexpr int mt = 6;
    const std::int64_t chunks = (c.row_groups + panel_groups - 1) / panel_groups;
    const std::int64_t qbytes = quad_bytes(c.element);
    detail::parallel_rows(chunks, c.m * panel_groups * group_rows * c.k, c.threads, [&](std::int64_t chunk) {
        const std::int64_t g0 = chunk * panel_groups;
        const int nv = static_cast<int>(c.row_groups - g0 < panel_groups ? c.row_groups - g0 : panel_groups);
        float* scratch = c.scratch + static_cast<std::int64_t>(detail::thread_index()) * c.scratch_per_thread;
        std::byte* panel = reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(scratch) + 63) & ~std::uintptr_t{63});
        for (std::int64_t m = 0; m < c.m; ++m)
            for (int v = 0; v < nv; ++v) _mm512_storeu_ps(c.y + m * c.y_row_stride + (g0 + v) * group_rows, _mm512_setzero_ps());
        for (std::int64_t q_begin = 0; q_begin < c.quads; q_begin += panel_k / quad_k) {
            const std::int64_t panel_quads = c.quads - q_begin < panel_k / quad_k ? c.quads - q_begin : panel_k / quad_k;
            for (int v = 0; v < nv; ++v)
                for (std::int64_t q = 0; q < panel_quads; ++q) {
                    typename Path::quad_weights w;
                    path.decode(c.codes + ((g0 + v) * c.quads + q_begin + q) * qbytes, w);
                    Path::store(w, panel + (v * panel_quads + q) * Path::panel_bytes);
                }
            for (std::int64_t m0 = 0; m0 < c.m; m0 += mt) {
                const int rows = static_cast<int>(c.m - m0 < mt ? c.m - m0 : mt);
                if (nv == 3)
                    panel_rows<Path, 3>(rows, c, panel, panel_quads, g0, q_begin, m0);
                else if (nv == 2)
                    panel_rows<Path, 2>(rows, c, panel, panel_quads, g0, q_begin, m0);
                else
                    panel_rows<Path, 1>(rows, c, panel, panel_quads, g0, q_begin, m0);
            }
        }
    });
}

template <class Path>
void run_path(const gemm_call& c, const Path& path) {
    if (c.m <= streaming_max_m)
        run_streaming(c, path);
    else
        run_panels(c, path);
}

// ---- tables and the entry point ---------------------------------------------------------------------

template <class Element>
inline constexpr decode_tables<Element> tables_of{};

inline byte_decoder make_byte_decoder() noexcept {
    alignas(64) std::int8_t bytes[64];
    alignas(64) std::uint8_t control[64];
    for (int i = 0; i < 64; ++i) {
        bytes[i] = static_cast<std::int8_t>(tables_of<numeric::e2m1>.integer[static_cast<std::size_t>(i)]);
        control[i] = static_cast<std::uint8_t>(8 * (i % 8) + (i >= 32 ? 4 : 0));
    }
    return {_mm512_load_si512(bytes), _mm512_load_si512(control)};
}

template <class Element>
word_decoder make_word_decoder() noexcept {
    alignas(64) std::int16_t words[64];
    alignas(64) std::uint8_t control[64];
    for (int i = 0; i < 64; ++i) words[i] = tables_of<Element>.integer[static_cast<std::size_t>(i)];
    for (int i = 0; i < 32; ++i) {
        control[2 * i] = static_cast<std::uint8_t>((2 * i - 4) & 63);
        control[2 * i + 1] = 0;
    }
    return {_mm512_load_si512(words), _mm512_load_si512(words + 32), _mm512_load_si512(control), _mm512_set1_epi16(0x000F)};
}

template <class Element>
dword_decoder make_dword_decoder() noexcept {
    alignas(64) float values[32];
    alignas(64) std::int32_t shifts[16];
    for (int i = 0; i < 32; ++i) values[i] = tables_of<Element>.value[static_cast<std::size_t>(i)];
    for (int r = 0; r < 16; ++r) shifts[r] = 2 * r;
    dword_decoder d;
    d.fp6 = Element::bits == 6;
    d.table_lo = _mm512_load_ps(values);
    d.table_hi = _mm512_load_ps(values + 16);
    d.nibble_mask = _mm512_set1_epi32(0x0F);
    d.row_shifts = _mm512_load_si512(shifts);
    d.sign_mask = _mm512_set1_epi32(static_cast<std::int32_t>(0x80000000u));
    return d;
}

template <class Element>
void run_element(const gemm_call& c) {
    if (c.compute == compute_kind::fma) {
        run_path(c, fma_path{make_dword_decoder<Element>()});
    } else if constexpr (Element::bits == 4) {
        run_path(c, int8_path{{}, make_byte_decoder()});
    } else {
        run_path(c, int16_path{{}, make_word_decoder<Element>()});
    }
}

inline void run(const gemm_call& c) {
    switch (c.element) {
        case element_kind::e2m1:
            run_element<numeric::e2m1>(c);
            break;
        case element_kind::e2m3:
            run_element<numeric::e2m3>(c);
            break;
        case element_kind::e3m2:
            run_element<numeric::e3m2>(c);
            break;
    }
    last_run_isa.store(static_cast<int>(isa::avx512), std::memory_order_relaxed);
}

}  // namespace microscale::backend::simd_isa::avx512
