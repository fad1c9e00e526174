// Device code of the cuda backend (nvcc only; instantiations/cuda/<format>.cu instantiates it per
// format). One kernel family serves every format and both activation modes:
//
//   y[m, n] = dtype( factor · Σ_k a[m, k] · w[n, k]  (+ bias[n]) )
//   w[n, k] = element(q[n, k]) · scale(s[n, k / block])      exact in bf16 (≤ 6 significant bits)
//   a       = x (a16), split into bf16 terms that add up to x exactly: 1 term for bf16, 2 for f16,
//             3 for f32 (exact for 2^-110 <= |x| < 3.39e38, bf16's range; beyond it the low
//             bits of a tiny x are lost and an x above bf16's largest finite value gives inf);  or for aq  element(qx) · scale(sx), exact in bf16, from x quantized by
//             the format's own activation rule (format/nvfp4.hpp, format/mx.hpp: the same constexpr
//             functions the CPU backends run, so codes and scales are bit-identical)
//   factor  = nvfp4 G (a16) or G / g (aq); MX 1.
// The products go through bf16 tensor-core MMA (mma.sync m16n8k16, fp32 accumulation); the packed
// weights stream through shared memory (cp.async stages) and are decoded with the format's codecs
// (shared-memory tables filled from F::element / F::scale).
//
// Work split. A lane owns, per 128-wide chunk of K, 32 consecutive k of a column (16 bytes of fp4
// codes, 24 of fp6), which the MMA's k slots are mapped onto (logical k0 + 4s + {0,1} to slots 2t,
// 2t+1 and k0 + 4s + {2,3} to 2t+8, 2t+9 of step s); x is read with the same mapping, so the dot
// products are unchanged. K is cut into split_count(N, K) ranges; each range's sum starts from zero
// and the range sums are added in order. Two kernels do exactly the same fp32 operations per output,
// so a row's bits depend on neither M nor the other rows:
//   linear_mma    (decode, M <= 16) a block of 4 warps takes 128 columns and one range of K, each
//                 warp decoding its 32 columns in registers; partial sums go to the workspace and
//                 reduce_ranges adds them;
//   linear_tiled  (prefill) a block of 8 warps takes 128 rows × 128 columns and all of K: the 256
//                 threads decode each chunk once into shared memory in MMA-fragment order, bf16 x
//                 is staged through shared memory too, and each warp adds its ranges' sums itself.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <utility>

#include "microscale/backend/cuda/launch.hpp"
#include "microscale/format/formats.hpp"
#include "microscale/format/mx.hpp"
#include "microscale/format/nvfp4.hpp"
#include "microscale/numeric/codecs.hpp"

namespace microscale::backend::cuda_detail {

inline constexpr int chunk_k = 128;      // k per chunk: 4 lanes × 32
inline constexpr int warp_columns = 32;  // n per warp: 4 n8 tiles
inline constexpr int block_warps = 4;
inline constexpr int block_columns = warp_columns * block_warps;
inline constexpr int max_grid_split_m = 16;  // M up to this: ranges of K in the grid
inline constexpr int blocks_per_multiprocessor = 4;  // the decode kernel's occupancy (registers capped for it)

// ---- elements --------------------------------------------------------------------------------

// Elements of x, y and bias: tensor.hpp's load_element / store_element (constexpr, so device code
// runs them too).

__device__ inline std::uint32_t bf16_bits(float v) { return numeric::bf16::encode(v); }
__device__ inline float bf16_value(std::uint32_t bits) { return __uint_as_float(bits << 16); }
/// Two bf16 in one register, `lo` in the low half (the MMA operand order).
__device__ inline std::uint32_t pack2(std::uint32_t lo, std::uint32_t hi) { return lo | (hi << 16); }

/// d += a · b: one m16n8k16 bf16 MMA with fp32 accumulation.
__device__ inline void mma(float (&d)[4], const std::uint32_t (&a)[4], std::uint32_t b0, std::uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// ---- the operand a: x split into exact bf16 terms ----------------------------------------------

template <dtype X>
inline constexpr int terms_of = X == dtype::bf16 ? 1 : X == dtype::f16 ? 2 : 3;

// ---- the operand w: packed codes decoded in registers ------------------------------------------

/// bf16x2 product, exact here (element · scale has at most 6 significant bits).
__device__ inline std::uint32_t mul2(std::uint32_t a, std::uint32_t b) {
    __nv_bfloat162 x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    const __nv_bfloat162 z = __hmul2(x, y);
    std::uint32_t r;
    memcpy(&r, &z, 4);
    return r;
}

/// Shared-memory decode tables, filled from the format's own codecs: elements (fp4 one entry per
/// byte, two bf16; fp6 one bf16 per code) and block scales (the bf16 value twice, per code byte).
template <class F>
struct decode_tables {
    static constexpr int bits = F::element::bits;
    static constexpr int entries = bits == 4 ? 256 : 64;
    std::uint32_t element[entries];
    std::uint32_t scale[256];

    __device__ void fill() {
        for (int i = threadIdx.x; i < entries; i += blockDim.x) {
            if constexpr (bits == 4) {
                element[i] = pack2(bf16_bits(F::element::decode(static_cast<std::uint8_t>(i & 15))),
                                   bf16_bits(F::element::decode(static_cast<std::uint8_t>(i >> 4))));
            } else {
                element[i] = bf16_bits(F::element::decode(static_cast<std::uint8_t>(i)));
            }
        }
        for (int i = threadIdx.x; i < 256; i += blockDim.x) {
            // NaN codes never reach the device (validate<F> rejects them)
            const std::uint32_t v = bf16_bits(F::scale::decode(static_cast<std::uint8_t>(i)));
            scale[i] = pack2(v, v);
        }
    }
};

/// One lane's 32 codes of one column in a chunk (from the block's shared-memory tile), and their
/// block scale codes (from global memory).
template <class F>
struct w_slice {
    static constexpr int bits = F::element::bits;
    static constexpr int words = bits == 4 ? 4 : 6;  // 16 or 24 bytes
    static constexpr int scales = 32 / F::block_size;
    std::uint32_t word[words];
    std::uint8_t scale_code[scales];
    std::uint32_t scale_pair[scales];  ///< bf16 scale twice, from the table (prepare_scales)

    /// The lane's bytes of its column's tile row (lane t: bytes [t·words·4, +words·4)).
    __device__ void codes_from(const std::uint8_t* tile_row, int t) {
        const std::uint8_t* p = tile_row + t * words * 4;
        if constexpr (bits == 4) {
            const uint4 q = *reinterpret_cast<const uint4*>(p);
            word[0] = q.x, word[1] = q.y, word[2] = q.z, word[3] = q.w;
        } else {
#pragma unroll
            for (int i = 0; i < 3; ++i) {
                const uint2 q = *reinterpret_cast<const uint2*>(p + 8 * i);
                word[2 * i] = q.x, word[2 * i + 1] = q.y;
            }
        }
    }

    /// valid: elements of the 32 inside K (32, 16 for an nvfp4 tail, or 0).
    __device__ void scales_from(const std::uint8_t* scale_row, std::int64_t k0, int valid) {
        const std::int64_t b0 = k0 / F::block_size;
#pragma unroll
        for (int i = 0; i < scales; ++i) scale_code[i] = i * F::block_size < valid ? __ldg(scale_row + b0 + i) : std::uint8_t{0};
    }

    __device__ void prepare_scales(const decode_tables<F>& t) {
#pragma unroll
        for (int i = 0; i < scales; ++i) scale_pair[i] = t.scale[scale_code[i]];
    }

    /// The four weights of step s (logical k0 + 4s .. + 3) as two bf16x2 registers.
    template <int S>
    __device__ void step(const decode_tables<F>& t, std::uint32_t& b0, std::uint32_t& b1) const {
        const std::uint32_t s = scale_pair[(4 * S) / F::block_size];
        if constexpr (bits == 4) {
            const std::uint32_t half = (word[S / 2] >> (16 * (S % 2))) & 0xFFFFu;
            b0 = mul2(t.element[half & 0xFFu], s);
            b1 = mul2(t.element[half >> 8], s);
        } else {
            constexpr int bit = 24 * S, w = bit / 32, shift = bit % 32;
            std::uint32_t group = word[w] >> shift;
            if constexpr (shift + 24 > 32) group |= word[w + 1] << (32 - shift);
            b0 = mul2(pack2(t.element[group & 63u], t.element[(group >> 6) & 63u]), s);
            b1 = mul2(pack2(t.element[(group >> 12) & 63u], t.element[(group >> 18) & 63u]), s);
        }
    }
};

/// One row's 32 activations of a lane in a chunk (logical k0 .. k0 + 31), as the A operand's
/// registers, step by step: bf16 loaded once per chunk (16-byte loads where aligned) and used as
/// is; f16 / f32 loaded at each step and split into exact bf16 terms.
template <dtype X, bool Preload = true>
struct a_slice {
    static constexpr int terms = terms_of<X>;
    static constexpr bool preloaded = Preload && X == dtype::bf16;
    const void* row = nullptr;
    std::int64_t k0 = 0;
    int valid = 0;
    bool aligned = false;
    std::uint32_t w[preloaded ? 16 : 1];

    /// Preload: the lane's 64 bytes of a bf16 row at once (decode); else each step reads its own.
    __device__ void load(const void* r, bool row_ok, std::int64_t k, int v, bool is_aligned) {
        row = r;
        k0 = k;
        valid = row_ok ? v : 0;
        aligned = is_aligned;
        if constexpr (preloaded) {
#pragma unroll
            for (int i = 0; i < 16; ++i) w[i] = 0;
            if (valid > 0) {
                const auto* p = static_cast<const std::uint16_t*>(row) + k0;
                if (aligned) {
#pragma unroll
                    for (int q = 0; q < 4; ++q) {
                        if (8 * q < valid) {
                            const uint4 u = *reinterpret_cast<const uint4*>(p + 8 * q);
                            w[4 * q] = u.x, w[4 * q + 1] = u.y, w[4 * q + 2] = u.z, w[4 * q + 3] = u.w;
                        }
                    }
                } else {
#pragma unroll
                    for (int i = 0; i < 16; ++i)
                        if (2 * i < valid) w[i] = pack2(p[2 * i], p[2 * i + 1]);
                }
            }
        }
    }

    /// Step s: (v0, v1) and (v2, v3) of each term.
    template <int S>
    __device__ void step(std::uint32_t (&lo)[terms], std::uint32_t (&hi)[terms]) const {
        if constexpr (preloaded) {
            lo[0] = w[2 * S];
            hi[0] = w[2 * S + 1];
        } else if constexpr (X == dtype::bf16) {
            lo[0] = hi[0] = 0;
            if (4 * S < valid) {
                const auto* p = static_cast<const std::uint16_t*>(row) + k0 + 4 * S;
                if (aligned) {
                    const uint2 u = *reinterpret_cast<const uint2*>(p);
                    lo[0] = u.x, hi[0] = u.y;
                } else {
                    lo[0] = pack2(p[0], p[1]);
                    hi[0] = pack2(p[2], p[3]);
                }
            }
        } else {
            float v[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) v[i] = 4 * S < valid ? load_element(row, X, k0 + 4 * S + i) : 0.0f;
#pragma unroll
            for (int t = 0; t < terms; ++t) {
                std::uint32_t b[4];
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    b[i] = bf16_bits(v[i]);
                    v[i] -= bf16_value(b[i]);
                }
                lo[t] = pack2(b[0], b[1]);
                hi[t] = pack2(b[2], b[3]);
            }
        }
    }
};

// ---- the kernels --------------------------------------------------------------------------------

/// The chunks [first, last) of range `r` of `ranges`.
__device__ inline void range_chunks(std::int64_t chunks, std::int64_t ranges, std::int64_t r, std::int64_t& first, std::int64_t& last) {
    first = r * chunks / ranges;
    last = (r + 1) * chunks / ranges;
}

/// y (or the range's partial sums) from fp32 sums: the epilogue both paths share.
/// Explicitly rounded operations: nvcc may not contract them into an FMA, so every kernel that
/// inlines this computes the same bits.
__device__ inline void finish(const linear_launch& L, std::int64_t m, std::int64_t n, float total) {
    float v = __fmul_rn(total, L.factor);
    if (L.bias != nullptr) v = __fadd_rn(v, load_element(L.bias, L.bias_type, n));
    store_element(static_cast<char*>(L.y) + static_cast<std::size_t>(m * L.y_stride) * dtype_size(L.x_type), L.x_type, n, v);
}

// ---- the block's weight tile: cp.async stages of [128 columns][one chunk's packed bytes] -----------

template <class F>
inline constexpr int tile_row_bytes = chunk_k * F::element::bits / 8;  // 64 (fp4) or 96 (fp6)
template <class F>
inline constexpr int stages = F::element::bits == 4 ? 4 : 3;  // 32 or 36 KB

/// Copies `bytes` (16, 8 or 4) from global to shared memory asynchronously; zero-fills when !valid.
__device__ inline void copy_async(void* shared, const void* global, int bytes, bool valid) {
    const auto s = static_cast<unsigned>(__cvta_generic_to_shared(shared));
    const int source = valid ? bytes : 0;
    if (bytes == 16)
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(global), "r"(source));
    else if (bytes == 8)
        asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(s), "l"(global), "r"(source));
    else
        asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(global), "r"(source));
}
__device__ inline void copy_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ inline void copy_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

/// Enqueues chunk c of the block's 128 columns into `tile`; bytes past K or N are zeros.
template <class F>
__device__ void load_tile(const linear_launch& L, std::uint8_t (*tile)[tile_row_bytes<F>], std::int64_t n_block, std::int64_t c, std::int64_t row_bytes,
                          int copy_bytes) {
    constexpr int row = tile_row_bytes<F>;
    const int per_row = row / copy_bytes;
    const std::int64_t first = c * row;  // byte offset of the chunk in a packed row
    for (int i = static_cast<int>(threadIdx.x); i < block_columns * per_row; i += static_cast<int>(blockDim.x)) {
        const int column = i / per_row, offset = (i % per_row) * copy_bytes;
        const std::int64_t n = n_block + column;
        const bool valid = n < L.n && first + offset < row_bytes;
        copy_async(&tile[column][offset], L.codes + (valid ? n * row_bytes + first + offset : 0), copy_bytes, valid);
    }
}

/// Elements of lane t's 32 in chunk c that lie inside K: 32, 16 (an nvfp4 tail) or 0.
__device__ inline int lane_valid(std::int64_t k, std::int64_t c, int t) {
    const std::int64_t left = k - (c * chunk_k + 32 * t);
    return static_cast<int>(left < 0 ? 0 : left > 32 ? 32 : left);
}

/// The rows g and g + 8 of each of a warp's MT m16 tiles from m_base: where they start, and
/// whether they exist (rows past M read as zeros).
template <int MT>
struct a_rows {
    const void* row[MT][2];
    bool ok[MT][2];
    __device__ a_rows(const linear_launch& L, const void* a, std::size_t row_bytes, std::int64_t m_base, int g) {
#pragma unroll
        for (int i = 0; i < MT; ++i)
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const std::int64_t m = m_base + 16 * i + g + 8 * h;
                ok[i][h] = m < L.m;
                row[i][h] = static_cast<const char*>(a) + static_cast<std::size_t>(ok[i][h] ? m : 0) * row_bytes;
            }
    }
};

/// f(i, j, e, m, n) for each of a lane's accumulators: m16 tile i, n8 tile j, element e of the D
/// fragment (rows g and g + 8, columns 2t and 2t + 1).
template <int MT, int NT, class Fn>
__device__ inline void each_output(std::int64_t m_base, std::int64_t n_base, int g, int t, Fn&& f) {
#pragma unroll
    for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int j = 0; j < NT; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) f(i, j, e, m_base + 16 * i + g + (e >= 2 ? 8 : 0), n_base + 8 * j + 2 * t + (e & 1));
}

/// Decode, M <= max_grid_split_m: block (x, z) takes 128 columns and range z of K; its sums go to
/// `partials` ([ranges, M, N] fp32), or straight to y when there is one range.
template <class F, dtype X>
__global__ void __launch_bounds__(block_warps * 32, blocks_per_multiprocessor) linear_mma(const linear_launch L, const void* a, std::int64_t a_stride, std::int64_t ranges,
                                                               float* partials) {
    __shared__ decode_tables<F> tables;
    __shared__ alignas(16) std::uint8_t tile[stages<F>][block_columns][tile_row_bytes<F>];

    const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
    const int g = lane / 4, t = lane % 4;
    const std::int64_t n_block = static_cast<std::int64_t>(blockIdx.x) * block_columns;
    const std::int64_t n_warp = n_block + warp * warp_columns;
    constexpr int MT = 1;  // one m16 tile: every row of the batch
    const std::int64_t m_base = 0;
    const std::int64_t chunks = (L.k + chunk_k - 1) / chunk_k;
    const std::int64_t row_bytes = format::packed_row_bytes<F>(L.k), scale_cols = L.k / F::block_size;
    const int copy_bytes = row_bytes % 16 == 0 ? 16 : 8;  // rows are 8-byte multiples (K % 16 or 32 == 0)
    const std::size_t a_row_bytes = static_cast<std::size_t>(a_stride) * dtype_size(X);
    const bool a_aligned = (reinterpret_cast<std::uintptr_t>(a) & 15) == 0 && a_row_bytes % 16 == 0;

    // the block's chunks: its range of K
    const std::int64_t r = blockIdx.z;
    std::int64_t c_begin, c_end;
    range_chunks(chunks, ranges, r, c_begin, c_end);
#pragma unroll
    for (int s = 0; s < stages<F> - 1; ++s) {
        if (c_begin + s < c_end) load_tile<F>(L, tile[s], n_block, c_begin + s, row_bytes, copy_bytes);
        copy_commit();
    }
    tables.fill();

    const std::uint8_t* scale_row[4];
    bool column_ok[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const std::int64_t n = n_warp + 8 * j + g;
        column_ok[j] = n < L.n;
        scale_row[j] = L.scales + (column_ok[j] ? n : 0) * scale_cols;
    }
    const a_rows<MT> rows(L, a, a_row_bytes, m_base, g);
    auto valid_of = [&](std::int64_t c) { return lane_valid(L.k, c, t); };
    auto each_output = [&](auto&& f) { cuda_detail::each_output<MT, 4>(m_base, n_warp, g, t, f); };
    float acc[MT][4][4];
#pragma unroll
    for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    w_slice<F> w[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) w[j].scales_from(scale_row[j], c_begin * chunk_k + 32 * t, column_ok[j] ? valid_of(c_begin) : 0);
    for (std::int64_t c = c_begin; c < c_end; ++c) {
        const std::int64_t k0 = c * chunk_k + 32 * t;
        const int valid = valid_of(c);
        // the tile `stages - 1` chunks ahead goes into the stage read one iteration ago
        if (c + stages<F> - 1 < c_end) load_tile<F>(L, tile[(c - c_begin + stages<F> - 1) % stages<F>], n_block, c + stages<F> - 1, row_bytes, copy_bytes);
        copy_commit();
        a_slice<X> av[MT][2];
#pragma unroll
        for (int i = 0; i < MT; ++i)
#pragma unroll
            for (int h = 0; h < 2; ++h) av[i][h].load(rows.row[i][h], rows.ok[i][h], k0, valid, a_aligned);
        copy_wait<stages<F> - 1>();
        __syncthreads();
        const int stage = static_cast<int>((c - c_begin) % stages<F>);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            w[j].codes_from(tile[stage][warp * warp_columns + 8 * j + g], t);
            w[j].prepare_scales(tables);
        }
        w_slice<F> next[4];
        if (c + 1 < c_end) {
#pragma unroll
            for (int j = 0; j < 4; ++j) next[j].scales_from(scale_row[j], k0 + chunk_k, column_ok[j] ? valid_of(c + 1) : 0);
        }
        auto one_step = [&](auto step) {
            constexpr int S = decltype(step)::value;
            constexpr int terms = terms_of<X>;
            std::uint32_t lo[MT][2][terms], hi[MT][2][terms];
#pragma unroll
            for (int i = 0; i < MT; ++i)
#pragma unroll
                for (int h = 0; h < 2; ++h) av[i][h].template step<S>(lo[i][h], hi[i][h]);
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                std::uint32_t b0, b1;
                w[j].template step<S>(tables, b0, b1);
#pragma unroll
                for (int i = 0; i < MT; ++i)
#pragma unroll
                    for (int term = 0; term < terms; ++term) {
                        const std::uint32_t frag[4] = {lo[i][0][term], lo[i][1][term], hi[i][0][term], hi[i][1][term]};
                        mma(acc[i][j], frag, b0, b1);
                    }
            }
        };
        [&]<int... S>(std::integer_sequence<int, S...>) {
            (one_step(std::integral_constant<int, S>{}), ...);
        }(std::make_integer_sequence<int, 8>{});
        __syncthreads();  // every warp is done with this stage before it is refilled
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int i = 0; i < w_slice<F>::scales; ++i) w[j].scale_code[i] = next[j].scale_code[i];

    }
    // the range's sum: y itself when it is the only one (0 + sum, as the reduction adds it)
    each_output([&](int i, int j, int e, std::int64_t m, std::int64_t n) {
        if (m < L.m && n < L.n) {
            if (ranges == 1)
                finish(L, m, n, 0.0f + acc[i][j][e]);
            else
                partials[(r * L.m + m) * L.n + n] = acc[i][j][e];
        }
    });
}

// ---- prefill: a 128 × 128 block tile, the weights decoded once per block into shared memory -------

inline constexpr int tiled_warps = 8;     // 4 along M × 2 along N
inline constexpr int tiled_rows = 128;    // M per block: 4 warps × 2 m16 tiles
inline constexpr int tiled_columns = 128;  // N per block: 2 warps × 8 n8 tiles (= block_columns)

/// The decoded weights of a chunk in MMA-fragment order: [n8 tile][step][lane] × (b0, b1), so that
/// a warp reads one step of one n8 tile as 256 contiguous bytes.
struct decoded_chunk {
    uint2 fragment[tiled_columns / 8][8][32];
};

/// bf16 activations of a chunk, [128 rows][16 chunks of 8 k], each 16-byte chunk at a swizzled
/// place so that a quarter-warp's 16-byte reads (rows g, g + 1; lanes t = 0..3, one chunk each)
/// fall in 8 different bank groups.
struct activation_chunk {
    uint4 piece[tiled_rows][chunk_k / 8];
    /// Where logical chunk c of a row lives.
    __device__ static int place(int row, int c) { return c ^ ((c >> 3) << 1) ^ (row & 1); }
};

inline constexpr int tiled_stages = 3;
template <class F>
inline constexpr int tiled_shared_bytes =
    tiled_stages * (block_columns * tile_row_bytes<F> + static_cast<int>(sizeof(activation_chunk))) + static_cast<int>(sizeof(decoded_chunk));

/// Enqueues the block's 128 rows of bf16 x for chunk c (zeros past M and K), in pieces of `piece`
/// bytes (16, 8 or 4: what the rows' alignment allows).
__device__ inline void load_activations(const linear_launch& L, const void* a, std::size_t a_row_bytes, activation_chunk& out, std::int64_t m_block,
                                        std::int64_t c, int piece) {
    const int per_row = chunk_k * 2 / piece, per_chunk = 16 / piece;
    for (int i = static_cast<int>(threadIdx.x); i < tiled_rows * per_row; i += static_cast<int>(blockDim.x)) {
        const int row = i / per_row, byte = (i % per_row) * piece;
        const int logical = byte / 16;
        const std::int64_t m = m_block + row, k = c * chunk_k + byte / 2;
        const bool valid = m < L.m && k < L.k;
        char* to = reinterpret_cast<char*>(&out.piece[row][activation_chunk::place(row, logical)]) + (i % per_chunk) * piece;
        const char* from = static_cast<const char*>(a) + (valid ? static_cast<std::size_t>(m) * a_row_bytes + static_cast<std::size_t>(k) * 2 : 0);
        copy_async(to, from, piece, valid);
    }
}

/// M > max_grid_split_m. The same MMAs as linear_mma, operand for operand and in the same order per
/// accumulator (the same k-slot mapping, chunks, steps, terms and ranges): a row's bits do not
/// depend on which kernel ran it. The block's 256 threads decode each chunk's 128 columns once
/// (w_slice, as the decode kernel) into `decoded`, which its four M-warps then share.
template <class F, dtype X>
__global__ void __launch_bounds__(tiled_warps * 32, 1) linear_tiled(const linear_launch L, const void* a, std::int64_t a_stride, std::int64_t ranges) {
    constexpr int MT = 2, NT = 8;
    __shared__ decode_tables<F> tables;
    // dynamic shared memory (tiled_shared_bytes<F>): the packed weight tiles' stages, the bf16
    // activations' stages (bf16 x only; f16 / f32 x is read from global memory), the decoded chunk
    constexpr bool staged = X == dtype::bf16;
    constexpr int stages_here = tiled_stages;
    extern __shared__ uint4 dynamic_shared[];
    auto* tile = reinterpret_cast<std::uint8_t(*)[block_columns][tile_row_bytes<F>]>(dynamic_shared);
    auto* x_tile = reinterpret_cast<activation_chunk*>(tile + stages_here);
    decoded_chunk& decoded = *reinterpret_cast<decoded_chunk*>(x_tile + stages_here);

    const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
    const int g = lane / 4, t = lane % 4, wm = warp / 2, wn = warp % 2;
    const std::int64_t n_block = static_cast<std::int64_t>(blockIdx.x) * tiled_columns;
    const std::int64_t m_base = static_cast<std::int64_t>(blockIdx.y) * tiled_rows + wm * 16 * MT;
    const std::int64_t chunks = (L.k + chunk_k - 1) / chunk_k;
    const std::int64_t row_bytes = format::packed_row_bytes<F>(L.k), scale_cols = L.k / F::block_size;
    const int copy_bytes = row_bytes % 16 == 0 ? 16 : 8;
    const std::size_t a_row_bytes = static_cast<std::size_t>(a_stride) * dtype_size(X);
    const bool a_aligned = (reinterpret_cast<std::uintptr_t>(a) & 7) == 0 && a_row_bytes % 8 == 0;
    const std::int64_t m_block = static_cast<std::int64_t>(blockIdx.y) * tiled_rows;
    const auto a_address = reinterpret_cast<std::uintptr_t>(a) | a_row_bytes;
    const int a_piece = a_address % 16 == 0 ? 16 : a_address % 8 == 0 ? 8 : a_address % 4 == 0 ? 4 : 0;  // 0: not staged
    const bool use_staged = staged && a_piece != 0;
    auto load_chunk = [&](std::int64_t c, int stage) {
        load_tile<F>(L, tile[stage], n_block, c, row_bytes, copy_bytes);
        if (use_staged) load_activations(L, a, a_row_bytes, x_tile[stage], m_block, c, a_piece);
    };

#pragma unroll
    for (int s = 0; s < stages_here - 1; ++s) {
        if (s < chunks) load_chunk(s, s);
        copy_commit();
    }
    tables.fill();

    const a_rows<MT> rows(L, a, a_row_bytes, m_base, g);
    // the decoding thread's two slices: slice q = threadIdx.x + 256 d is lane q % 32 of n8 tile q / 32
    auto slice_column = [&](int d) { return (static_cast<int>(threadIdx.x) + 256 * d) / 32 * 8 + (static_cast<int>(threadIdx.x) % 32) / 4; };
    const int slice_t = static_cast<int>(threadIdx.x) % 4;
    auto valid_at = [&](std::int64_t c, int lane_t) { return lane_valid(L.k, c, lane_t); };
    auto each_output = [&](auto&& f) { cuda_detail::each_output<MT, NT>(m_base, n_block + wn * 64, g, t, f); };
    float total[MT][NT][4], acc[MT][NT][4];
    each_output([&](int i, int j, int e, std::int64_t, std::int64_t) { total[i][j][e] = acc[i][j][e] = 0.0f; });

    std::int64_t r = 0, r_first, r_end;
    range_chunks(chunks, ranges, r, r_first, r_end);
    for (std::int64_t c = 0; c < chunks; ++c) {
        copy_wait<stages_here - 2>();
        __syncthreads();  // chunk c is here, and every warp is done with chunk c - 1 (its stage is refilled next)
        if (c + stages_here - 1 < chunks) load_chunk(c + stages_here - 1, static_cast<int>((c + stages_here - 1) % stages_here));
        copy_commit();
        const int stage = static_cast<int>(c % stages_here);
#pragma unroll
        for (int d = 0; d < 2; ++d) {
            const int column = slice_column(d);
            const std::int64_t n = n_block + column;
            w_slice<F> w;
            w.codes_from(tile[stage][column], slice_t);
            w.scales_from(L.scales + (n < L.n ? n : 0) * scale_cols, c * chunk_k + 32 * slice_t, n < L.n ? valid_at(c, slice_t) : 0);
            w.prepare_scales(tables);
            auto decode_step = [&](auto step) {
                constexpr int S = decltype(step)::value;
                uint2 b;
                w.template step<S>(tables, b.x, b.y);
                decoded.fragment[column / 8][S][(column % 8) * 4 + slice_t] = b;
            };
            [&]<int... S>(std::integer_sequence<int, S...>) {
                (decode_step(std::integral_constant<int, S>{}), ...);
            }(std::make_integer_sequence<int, 8>{});
        }
        __syncthreads();  // the chunk is decoded

        const std::int64_t k0 = c * chunk_k + 32 * t;
        const int valid = valid_at(c, t);
        a_slice<X, false> av[MT][2];
        if (!use_staged) {
#pragma unroll
            for (int i = 0; i < MT; ++i)
#pragma unroll
                for (int h = 0; h < 2; ++h) av[i][h].load(rows.row[i][h], rows.ok[i][h], k0, valid, a_aligned);
        }
        const activation_chunk& xs = x_tile[stage];
        uint4 pair[MT][2];  // staged: the 16 bytes of steps 2q and 2q + 1
        auto one_step = [&](auto step) {
            constexpr int S = decltype(step)::value;
            constexpr int terms = terms_of<X>;
            std::uint32_t lo[MT][2][terms], hi[MT][2][terms];
            if (use_staged) {
                if constexpr (staged) {
#pragma unroll
                    for (int i = 0; i < MT; ++i)
#pragma unroll
                        for (int h = 0; h < 2; ++h) {
                            const int row = wm * 16 * MT + 16 * i + g + 8 * h;
                            if constexpr (S % 2 == 0) pair[i][h] = xs.piece[row][activation_chunk::place(row, 4 * t + S / 2)];
                            lo[i][h][0] = S % 2 == 0 ? pair[i][h].x : pair[i][h].z;
                            hi[i][h][0] = S % 2 == 0 ? pair[i][h].y : pair[i][h].w;
                        }
                }
            } else {
#pragma unroll
                for (int i = 0; i < MT; ++i)
#pragma unroll
                    for (int h = 0; h < 2; ++h) av[i][h].template step<S>(lo[i][h], hi[i][h]);
            }
#pragma unroll
            for (int j = 0; j < NT; ++j) {
                const uint2 b = decoded.fragment[wn * NT + j][S][lane];
#pragma unroll
                for (int i = 0; i < MT; ++i)
#pragma unroll
                    for (int term = 0; term < terms; ++term) {
                        const std::uint32_t frag[4] = {lo[i][0][term], lo[i][1][term], hi[i][0][term], hi[i][1][term]};
                        mma(acc[i][j], frag, b.x, b.y);
                    }
            }
        };
        [&]<int... S>(std::integer_sequence<int, S...>) {
            (one_step(std::integral_constant<int, S>{}), ...);
        }(std::make_integer_sequence<int, 8>{});

        if (c + 1 == r_end) {  // the end of a range of K
            each_output([&](int i, int j, int e, std::int64_t, std::int64_t) {
                total[i][j][e] += acc[i][j][e];
                acc[i][j][e] = 0.0f;
            });
            ++r;
            range_chunks(chunks, ranges, r, r_first, r_end);
        }
    }
    each_output([&](int i, int j, int e, std::int64_t m, std::int64_t n) {
        if (m < L.m && n < L.n) finish(L, m, n, total[i][j][e]);
    });
}

/// y from the ranges' partial sums, added in range order from zero (as the warp path adds them).
/// (A template, as every kernel in this header: one definition per format's TU.)
template <class F>
__global__ void reduce_ranges(const linear_launch L, const float* partials, std::int64_t ranges) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= L.m * L.n) return;
    const std::int64_t m = i / L.n, n = i % L.n;
    float total = 0.0f;
    for (std::int64_t r = 0; r < ranges; ++r) total += partials[(r * L.m + m) * L.n + n];
    finish(L, m, n, total);
}

/// aq: one thread per (row, block) of x: codes and scale by the format's activation rule, written
/// as element · scale in bf16 (exact) to out [M, K].
template <class F>
__global__ void quantize_activations(const linear_launch L, std::uint16_t* out) {
    const std::int64_t blocks = L.k / F::block_size;
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= L.m * blocks) return;
    const std::int64_t m = i / blocks, b = i % blocks;
    const void* row = static_cast<const char*>(L.x) + static_cast<std::size_t>(m * L.x_stride) * dtype_size(L.x_type);
    float v[F::block_size];
    float amax = 0.0f;
#pragma unroll
    for (int e = 0; e < F::block_size; ++e) {
        v[e] = load_element(row, L.x_type, b * F::block_size + e);
        amax = fmaxf(amax, fabsf(v[e]));
    }
    std::uint16_t* o = out + m * L.k + b * F::block_size;
    if constexpr (F::has_global_scale) {  // nvfp4: vLLM's reference emulation
        const std::uint8_t s = format::nvfp4_rules::activation_block_scale(amax, L.g);
        const float output_scale = format::nvfp4_rules::activation_output_scale(s, L.g);
        const float scale = numeric::e4m3::decode(s);
#pragma unroll
        for (int e = 0; e < F::block_size; ++e)
            o[e] = static_cast<std::uint16_t>(bf16_bits(F::element::decode(format::nvfp4_rules::activation_element(v[e], output_scale)) * scale));
    } else {
        using element = typename F::element;
        const std::uint8_t s = format::mx_rules::scale_code<element>(amax, static_cast<format::mx_scale_rule>(L.mx_rule));
        const float scale = format::mx_rules::dequant_factor(s);
#pragma unroll
        for (int e = 0; e < F::block_size; ++e)
            o[e] = static_cast<std::uint16_t>(bf16_bits(element::decode(format::mx_rules::element<element>(v[e], s)) * scale));
    }
}

/// One thread per 8 consecutive elements of a row: codes decoded with the format's codec, times
/// the block's factor, written as bf16 with one 16-byte store (the emulation peer's weight).
template <class F>
__global__ void dequantize_kernel(const std::uint8_t* codes, const std::uint8_t* scales, std::int64_t n, std::int64_t k, float global,
                                  std::uint16_t* out) {
    const std::int64_t group = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (group * 8 >= k) return;
    constexpr int bits = F::element::bits;
    for (std::int64_t row = blockIdx.y; row < n; row += gridDim.y) {  // gridDim.y <= 65535
    const std::uint8_t* p = codes + row * format::packed_row_bytes<F>(k) + group * bits;  // 8 codes: `bits` bytes
    std::uint64_t stream;
    if constexpr (bits == 4) {
        stream = *reinterpret_cast<const std::uint32_t*>(p);
    } else {
        const auto* h = reinterpret_cast<const std::uint16_t*>(p);
        stream = h[0] | static_cast<std::uint64_t>(h[1]) << 16 | static_cast<std::uint64_t>(h[2]) << 32;
    }
    const float factor = F::scale::decode(scales[row * (k / F::block_size) + group * 8 / F::block_size]) * global;
    std::uint32_t v[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) v[e] = bf16_bits(F::element::decode(static_cast<std::uint8_t>((stream >> (bits * e)) & ((1u << bits) - 1u))) * factor);
    *reinterpret_cast<uint4*>(out + row * k + group * 8) = uint4{pack2(v[0], v[1]), pack2(v[2], v[3]), pack2(v[4], v[5]), pack2(v[6], v[7])};
    }
}

// ---- host side of the launch --------------------------------------------------------------------

/// Runs `set` once for each device (function attributes belong to a device's context); the caller
/// has made the device current. Each distinct lambda type has its own record.
template <class Set>
void once_per_device(Set set) {
    static std::atomic<std::uint64_t> done[4]{};  // 256 devices
    int device = 0;
    if (cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= 256) {
        (void)cudaGetLastError();
        set();
        return;
    }
    const std::uint64_t bit = std::uint64_t{1} << (device % 64);
    if ((done[device / 64].load(std::memory_order_acquire) & bit) != 0) return;
    set();
    done[device / 64].fetch_or(bit, std::memory_order_acq_rel);
}

template <class F>
std::size_t prefill_shared_bytes() {
    return static_cast<std::size_t>(tiled_shared_bytes<F>) + sizeof(decode_tables<F>);
}

template <class F, dtype X>
void launch_mma(const linear_launch& L, const void* a, std::int64_t a_stride, std::int64_t ranges, float* partials, cudaStream_t stream) {
    const auto blocks_n = static_cast<unsigned>((L.n + block_columns - 1) / block_columns);
    if (L.m <= max_grid_split_m) {
        // four resident blocks need more than the default shared-memory carve-out
        once_per_device([] {
            (void)cudaFuncSetAttribute(linear_mma<F, X>, cudaFuncAttributePreferredSharedMemoryCarveout, cudaSharedmemCarveoutMaxShared);
            (void)cudaGetLastError();  // a hint: its failure is no launch error
        });
        const dim3 grid(blocks_n, 1, static_cast<unsigned>(ranges));
        linear_mma<F, X><<<grid, block_warps * 32, 0, stream>>>(L, a, a_stride, ranges, partials);
        if (ranges > 1) {
            const auto threads = L.m * L.n;
            reduce_ranges<F><<<static_cast<unsigned>((threads + 255) / 256), 256, 0, stream>>>(L, partials, ranges);
        }
    } else {
        once_per_device([] {
            // a failure (a device with less shared memory: cuda::impl::apply refuses those first)
            // shows as the launch's error
            (void)cudaFuncSetAttribute(linear_tiled<F, X>, cudaFuncAttributeMaxDynamicSharedMemorySize, tiled_shared_bytes<F>);
        });
        const dim3 grid(blocks_n, static_cast<unsigned>((L.m + tiled_rows - 1) / tiled_rows), 1);
        linear_tiled<F, X><<<grid, tiled_warps * 32, tiled_shared_bytes<F>, stream>>>(L, a, a_stride, ranges);
    }
}

template <class F>
void run_linear(const linear_launch& L) {
    const auto stream = static_cast<cudaStream_t>(L.stream);
    const std::int64_t ranges = split_count(L.n, L.k, L.multiprocessors);
    auto* base = static_cast<char*>(L.workspace);
    std::uint16_t* quantized = nullptr;
    if (L.quantize) {
        quantized = reinterpret_cast<std::uint16_t*>(base);
        base += (static_cast<std::size_t>(L.m * L.k) * 2 + 255) / 256 * 256;
        quantize_activations_to_bf16<F>(L, quantized);
    }
    auto* partials = reinterpret_cast<float*>(base);
    if (quantized != nullptr) {
        launch_mma<F, dtype::bf16>(L, quantized, L.k, ranges, partials, stream);
    } else {
        switch (L.x_type) {
            case dtype::bf16:
                launch_mma<F, dtype::bf16>(L, L.x, L.x_stride, ranges, partials, stream);
                break;
            case dtype::f16:
                launch_mma<F, dtype::f16>(L, L.x, L.x_stride, ranges, partials, stream);
                break;
            case dtype::f32:
                launch_mma<F, dtype::f32>(L, L.x, L.x_stride, ranges, partials, stream);
                break;
        }
    }
}

template <class F>
void quantize_activations_to_bf16(const linear_launch& L, void* out) {
    const std::int64_t threads = L.m * (L.k / F::block_size);
    quantize_activations<F><<<static_cast<unsigned>((threads + 127) / 128), 128, 0, static_cast<cudaStream_t>(L.stream)>>>(
        L, static_cast<std::uint16_t*>(out));
}

template <class F>
void dequantize_to_bf16(const std::uint8_t* codes, const std::uint8_t* scales, std::int64_t n, std::int64_t k, float global, void* out,
                        void* stream) {
    const dim3 grid(static_cast<unsigned>((k / 8 + 127) / 128), static_cast<unsigned>(n < 65535 ? n : 65535));
    dequantize_kernel<F><<<grid, 128, 0, static_cast<cudaStream_t>(stream)>>>(
        codes, scales, n, k, global, static_cast<std::uint16_t*>(out));
}

}  // namespace microscale::backend::cuda_detail

/// The explicit instantiations of one format (instantiations/cuda/<format>.cu).
#define MICROSCALE_CUDA_INSTANTIATE_FORMAT(F)                                                                                      \
    template void microscale::backend::cuda_detail::run_linear<F>(const microscale::backend::cuda_detail::linear_launch&);        \
    template void microscale::backend::cuda_detail::quantize_activations_to_bf16<F>(const microscale::backend::cuda_detail::linear_launch&, \
                                                                                    void*);                                               \
    template void microscale::backend::cuda_detail::dequantize_to_bf16<F>(const std::uint8_t*, const std::uint8_t*, std::int64_t, \
                                                                          std::int64_t, float, void*, void*);                   \
    template std::size_t microscale::backend::cuda_detail::prefill_shared_bytes<F>();
