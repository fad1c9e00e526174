#include "io.hpp"

#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "microscale/detail/text.hpp"

namespace microscale::cli {

using detail::cat;

dtype activation_dtype(const checkpoint::tensor_info& t, const std::string& file) {
    switch (t.dtype) {
        case checkpoint::st_dtype::F32:
            return dtype::f32;
        case checkpoint::st_dtype::BF16:
            return dtype::bf16;
        case checkpoint::st_dtype::F16:
            return dtype::f16;
        default:
            throw checkpoint::format_error(
                cat(file, ": tensor '", t.name, "' is ", checkpoint::dtype_name(t.dtype), "; activations must be F32, BF16 or F16"));
    }
}

checkpoint::st_dtype st_dtype_of(dtype t) {
    return t == dtype::f32 ? checkpoint::st_dtype::F32 : t == dtype::bf16 ? checkpoint::st_dtype::BF16 : checkpoint::st_dtype::F16;
}

float_matrix read_matrix(const checkpoint::safetensors_file& file, const std::string& name) {
    const auto* t = file.find(name);
    if (t == nullptr) throw checkpoint::format_error(cat(file.path(), ": no tensor '", name, "'"));
    if (t->shape.size() != 2)
        throw checkpoint::format_error(cat(file.path(), ": tensor '", name, "' has shape ", t->shape_string(), ", expected [rows, cols]"));
    float_matrix m;
    m.type = activation_dtype(*t, file.path());
    m.rows = t->shape[0];
    m.cols = t->shape[1];
    m.values = checkpoint::read_floats(file, *t);
    return m;
}

void require_memory(std::initializer_list<std::int64_t> dims, std::uint64_t bytes_per_element, const std::string& what) {
    std::uint64_t total = bytes_per_element;
    bool overflow = false;
    std::string shape;
    for (const std::int64_t d : dims) {
        shape += (shape.empty() ? "" : ", ") + std::to_string(d);
        if (d < 0) throw std::invalid_argument(cat(what, " [", shape, "] has a negative dimension"));
        overflow = overflow || __builtin_mul_overflow(total, static_cast<std::uint64_t>(d), &total);
    }
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    const std::uint64_t memory = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : UINT64_MAX;
    if (overflow || total > memory)
        throw std::invalid_argument(cat(what, " [", shape, "] needs ", overflow ? std::string("more than 2^64") : std::to_string(total),
                                        " bytes; this machine has ", memory, " bytes of memory"));
}

std::vector<std::uint8_t> to_bytes(const std::vector<float>& values, dtype type) {
    std::vector<std::uint8_t> bytes(values.size() * dtype_size(type));
    for (std::size_t i = 0; i < values.size(); ++i) store_element(bytes.data(), type, static_cast<std::int64_t>(i), values[i]);
    return bytes;
}

std::vector<float> from_bytes(const std::vector<std::uint8_t>& bytes, dtype type) {
    std::vector<float> values(bytes.size() / dtype_size(type));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = load_element(bytes.data(), type, static_cast<std::int64_t>(i));
    return values;
}

void add_matrix(checkpoint::safetensors_writer& writer, const std::string& name, const std::vector<float>& values, std::int64_t rows,
                std::int64_t cols, dtype type) {
    const auto bytes = to_bytes(values, type);
    writer.add_values<std::uint8_t>(name, st_dtype_of(type), {rows, cols}, bytes);
}

}  // namespace microscale::cli
