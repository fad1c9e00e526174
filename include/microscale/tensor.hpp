// Activation dtypes and the non-owning matrix views kernels take.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "microscale/numeric/codecs.hpp"

namespace microscale {

/// Activation / output element types. Runtime, not a template parameter: the inner loops work
/// in fp32 and only the load and the final store depend on it.
enum class dtype : std::uint8_t { f32, bf16, f16 };

constexpr std::string_view dtype_name(dtype t) noexcept {
    switch (t) {
        case dtype::f32:
            return "f32";
        case dtype::bf16:
            return "bf16";
        case dtype::f16:
            return "f16";
    }
    return "?";
}

constexpr std::size_t dtype_size(dtype t) noexcept { return t == dtype::f32 ? 4 : 2; }

/// Element i of a row of type t, widened to fp32 (exact). constexpr so that device code (the cuda
/// backend, nvcc --expt-relaxed-constexpr) runs this same function.
constexpr float load_element(const void* row, dtype t, std::int64_t i) noexcept {
    switch (t) {
        case dtype::f32:
            return static_cast<const float*>(row)[i];
        case dtype::bf16:
            return numeric::bf16::decode(static_cast<const std::uint16_t*>(row)[i]);
        case dtype::f16:
            return numeric::fp16::decode(static_cast<const std::uint16_t*>(row)[i]);
    }
    return 0.0f;
}

/// Stores v rounded to nearest even in type t (constexpr: see load_element).
constexpr void store_element(void* row, dtype t, std::int64_t i, float v) noexcept {
    switch (t) {
        case dtype::f32:
            static_cast<float*>(row)[i] = v;
            return;
        case dtype::bf16:
            static_cast<std::uint16_t*>(row)[i] = numeric::bf16::encode(v);
            return;
        case dtype::f16:
            static_cast<std::uint16_t*>(row)[i] = numeric::fp16::encode(v);
            return;
    }
}

/// Rounds an fp32 value to type t and back (the value a store then load would give).
inline float round_to(dtype t, float v) noexcept {
    switch (t) {
        case dtype::f32:
            return v;
        case dtype::bf16:
            return numeric::bf16::decode(numeric::bf16::encode(v));
        case dtype::f16:
            return numeric::fp16::decode(numeric::fp16::encode(v));
    }
    return v;
}

/// A read-only row-major matrix: rows x cols elements of `type`, rows `row_stride` elements apart.
struct const_matrix_view {
    const void* data = nullptr;
    dtype type = dtype::f32;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t row_stride = 0;  ///< in elements; 0 means `cols` (contiguous)
    int device = -1;              ///< -1: host memory; d >= 0: memory of CUDA device d

    std::int64_t stride() const noexcept { return row_stride == 0 ? cols : row_stride; }
    const void* row(std::int64_t r) const noexcept {
        return static_cast<const char*>(data) + static_cast<std::size_t>(r * stride()) * dtype_size(type);
    }
};

/// A writable row-major matrix.
struct matrix_view {
    void* data = nullptr;
    dtype type = dtype::f32;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t row_stride = 0;
    int device = -1;  ///< -1: host memory; d >= 0: memory of CUDA device d

    std::int64_t stride() const noexcept { return row_stride == 0 ? cols : row_stride; }
    void* row(std::int64_t r) const noexcept { return static_cast<char*>(data) + static_cast<std::size_t>(r * stride()) * dtype_size(type); }
    operator const_matrix_view() const noexcept { return {data, type, rows, cols, row_stride, device}; }
};

/// A read-only vector (bias).
struct const_vector_view {
    const void* data = nullptr;
    dtype type = dtype::f32;
    std::int64_t size = 0;
    int device = -1;  ///< -1: host memory; d >= 0: memory of CUDA device d
};

}  // namespace microscale
