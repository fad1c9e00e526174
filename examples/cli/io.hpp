// Tensor I/O shared by the sub-commands: 2-D floating-point tensors in and out of safetensors.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/tensor.hpp"

namespace microscale::cli {

/// A row-major [rows, cols] matrix widened to fp32, with the dtype it was stored in.
struct float_matrix {
    std::vector<float> values;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    dtype type = dtype::f32;
};

/// The activation dtype of a safetensors dtype (F32, BF16, F16); throws for others.
dtype activation_dtype(const checkpoint::tensor_info& t, const std::string& file);
checkpoint::st_dtype st_dtype_of(dtype t);

/// Reads tensor `name` of `file` as a 2-D floating-point matrix (error if missing or not 2-D).
float_matrix read_matrix(const checkpoint::safetensors_file& file, const std::string& name);

/// Adds `values` ([rows, cols] fp32) to `writer` as `name`, rounded to `type`.
void add_matrix(checkpoint::safetensors_writer& writer, const std::string& name, const std::vector<float>& values, std::int64_t rows,
                std::int64_t cols, dtype type);

/// Throws if a buffer of prod(dims) elements of `bytes_per_element` bytes each (`what`, e.g. "y")
/// overflows or would not fit in this machine's memory: a clear error instead of std::bad_alloc or
/// the out-of-memory killer.
void require_memory(std::initializer_list<std::int64_t> dims, std::uint64_t bytes_per_element, const std::string& what);

/// Stored bytes of values rounded to `type` (for kernel inputs and outputs).
std::vector<std::uint8_t> to_bytes(const std::vector<float>& values, dtype type);
std::vector<float> from_bytes(const std::vector<std::uint8_t>& bytes, dtype type);

}  // namespace microscale::cli
