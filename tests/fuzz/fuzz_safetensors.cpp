// libFuzzer target: parse_safetensors_header on a whole file image held in memory.
//
// Every malformed input must be a format_error; any other exception escapes and libFuzzer reports
// it as a crash. After a successful parse the result is checked against the file it came from
// (offsets inside the data section, tensors tiling it, byte counts matching the shapes) and the
// floating-point tensors are read the way read_floats() does, through a bounds-checked copy of the
// span: a violation is a parser bug and aborts.
//
// Build: tests/fuzz/CMakeLists.txt; run: .ci/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/numeric/codecs.hpp"

namespace mc = microscale::checkpoint;
namespace mn = microscale::numeric;

namespace {

[[noreturn]] void parser_bug(const char* what, const mc::tensor_info* t) {
    std::fprintf(stderr, "parser bug: %s", what);
    if (t != nullptr)
        std::fprintf(stderr, " (tensor '%s', %s, shape %s, data_offsets [%llu, %llu])", t->name.c_str(),
                     std::string(mc::dtype_name(t->dtype)).c_str(), t->shape_string().c_str(), static_cast<unsigned long long>(t->begin),
                     static_cast<unsigned long long>(t->end));
    std::fputc('\n', stderr);
    std::abort();
}

/// Bytes [offset, offset + count) of the file; aborts if they are not all inside it.
std::span<const std::byte> checked_subspan(std::span<const std::byte> file, std::uint64_t offset, std::uint64_t count, const mc::tensor_info& t) {
    std::uint64_t end = 0;
    if (__builtin_add_overflow(offset, count, &end) || end > file.size()) parser_bug("tensor bytes outside the file", &t);
    return file.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(count));
}

volatile float sink;  // keeps the decoded values alive

void read_values(std::span<const std::byte> file, const mc::safetensors_header& h, const mc::tensor_info& t, std::int64_t numel) {
    const std::size_t size = mc::dtype_size(t.dtype);
    const auto bytes = checked_subspan(file, h.data_offset + t.begin, t.end - t.begin, t);
    if (bytes.size() != static_cast<std::uint64_t>(numel) * size) parser_bug("byte count is not numel * dtype size", &t);
    // a copy, as read_floats() makes (F32 is memcpy'd whole, the 16-bit types element by element)
    std::vector<float> out(static_cast<std::size_t>(numel));
    float acc = 0.0f;
    switch (t.dtype) {
        case mc::st_dtype::F32:
            if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
            break;
        case mc::st_dtype::F64:
            for (std::size_t i = 0; i < out.size(); ++i) {
                double v;
                std::memcpy(&v, bytes.data() + 8 * i, 8);
                out[i] = static_cast<float>(v);
            }
            break;
        case mc::st_dtype::BF16:
        case mc::st_dtype::F16:
            for (std::size_t i = 0; i < out.size(); ++i) {
                std::uint16_t v;
                std::memcpy(&v, bytes.data() + 2 * i, 2);
                out[i] = t.dtype == mc::st_dtype::BF16 ? mn::bf16::decode(v) : mn::fp16::decode(v);
            }
            break;
        case mc::st_dtype::F8_E4M3:
        case mc::st_dtype::F8_E5M2:
        case mc::st_dtype::F8_E8M0:
            for (std::size_t i = 0; i < out.size(); ++i) {
                const auto v = static_cast<std::uint8_t>(bytes[i]);
                out[i] = t.dtype == mc::st_dtype::F8_E4M3   ? mn::e4m3::decode(v)
                         : t.dtype == mc::st_dtype::F8_E5M2 ? mn::e5m2::decode(v)
                                                            : mn::e8m0::decode(v);
            }
            break;
        default:  // integer tensors: touch every byte
            for (const std::byte b : bytes) acc += static_cast<float>(static_cast<std::uint8_t>(b));
            break;
    }
    for (const float v : out) acc += v;
    // read_scalar(): shape [] or [1]
    if (t.numel() == 1 && t.shape.size() <= 1 && !out.empty()) acc += out.front();
    sink = acc;
}

void check(std::span<const std::byte> file, const mc::safetensors_header& h) {
    if (h.data_offset < 8 || h.data_offset > file.size()) parser_bug("data_offset outside the file", nullptr);
    const std::uint64_t data_size = file.size() - h.data_offset;
    std::uint64_t covered = 0;
    for (std::size_t i = 0; i < h.tensors.size(); ++i) {
        const auto& t = h.tensors[i];
        if (t.name == "__metadata__") parser_bug("__metadata__ parsed as a tensor", &t);
        if (i > 0 && t.name == h.tensors[i - 1].name) parser_bug("duplicate tensor", &t);
        if (mc::dtype_size(t.dtype) == 0 || mc::dtype_name(t.dtype) == "?" || mc::parse_dtype(mc::dtype_name(t.dtype)) != t.dtype)
            parser_bug("invalid dtype", &t);
        if (t.end < t.begin) parser_bug("end before begin", &t);
        if (t.begin != covered) parser_bug("tensors do not tile the data section (gap or overlap)", &t);
        if (t.end > data_size) parser_bug("tensor runs past the data section", &t);
        covered = t.end;
        // numel, recomputed with overflow checks (tensor_info::numel() must agree)
        std::int64_t numel = 1;
        for (const auto d : t.shape) {
            if (d < 0) parser_bug("negative dimension", &t);
            if (__builtin_mul_overflow(numel, d, &numel)) parser_bug("numel overflows int64", &t);
        }
        if (t.numel() != numel) parser_bug("numel() disagrees", &t);
        std::uint64_t want = 0;
        if (__builtin_mul_overflow(static_cast<std::uint64_t>(numel), mc::dtype_size(t.dtype), &want)) parser_bug("byte count overflows", &t);
        if (t.end - t.begin != want) parser_bug("end - begin is not numel * dtype size", &t);
        (void)t.shape_string();
        (void)mc::is_floating(t.dtype);
        read_values(file, h, t, numel);
    }
    if (covered != data_size) parser_bug("data section has bytes no tensor describes", nullptr);
    for (const auto& [key, value] : h.metadata) sink = static_cast<float>(key.size() + value.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // libFuzzer's buffer is exactly `size` bytes on the heap: ASan sees any read past it
    const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
    mc::safetensors_header header;
    try {
        header = mc::parse_safetensors_header(file, "fuzz.safetensors");
    } catch (const mc::format_error& e) {
        if (std::strncmp(e.what(), "fuzz.safetensors: ", 18) != 0) parser_bug("format_error does not name the file", nullptr);
        return 0;
    }
    check(file, header);
    return 0;
}
