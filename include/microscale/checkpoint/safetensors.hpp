// safetensors: read through a memory map, trusting nothing in the header; write atomically.
//
// File layout: 8-byte little-endian header length n, n bytes of JSON
//   {"__metadata__": {str: str}, "<tensor>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...}
// then the data section; offsets are relative to it. Like the reference (Rust) implementation,
// the reader requires the tensors to tile the data section exactly: sorted by offset, no overlap,
// no gap, nothing left over, and every byte count equal to numel * dtype size. Every violation is
// a `format_error` naming the file and the tensor.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/detail/text.hpp"
#include "microscale/numeric/codecs.hpp"

namespace microscale::checkpoint {

/// A malformed file (or a tensor that is not what the caller needs); the message names the file.
struct format_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class st_dtype : std::uint8_t { BOOL, U8, I8, U16, I16, U32, I32, U64, I64, F16, BF16, F32, F64, F8_E4M3, F8_E5M2, F8_E8M0 };

struct st_dtype_info {
    st_dtype type;
    std::string_view name;
    std::size_t size;
};

inline constexpr st_dtype_info st_dtypes[] = {
    {st_dtype::BOOL, "BOOL", 1}, {st_dtype::U8, "U8", 1},           {st_dtype::I8, "I8", 1},           {st_dtype::U16, "U16", 2},
    {st_dtype::I16, "I16", 2},   {st_dtype::U32, "U32", 4},         {st_dtype::I32, "I32", 4},         {st_dtype::U64, "U64", 8},
    {st_dtype::I64, "I64", 8},   {st_dtype::F16, "F16", 2},         {st_dtype::BF16, "BF16", 2},       {st_dtype::F32, "F32", 4},
    {st_dtype::F64, "F64", 8},   {st_dtype::F8_E4M3, "F8_E4M3", 1}, {st_dtype::F8_E5M2, "F8_E5M2", 1}, {st_dtype::F8_E8M0, "F8_E8M0", 1},
};

constexpr std::string_view dtype_name(st_dtype t) noexcept {
    for (const auto& d : st_dtypes)
        if (d.type == t) return d.name;
    return "?";
}
constexpr std::size_t dtype_size(st_dtype t) noexcept {
    for (const auto& d : st_dtypes)
        if (d.type == t) return d.size;
    return 0;
}
constexpr std::optional<st_dtype> parse_dtype(std::string_view name) noexcept {
    for (const auto& d : st_dtypes)
        if (d.name == name) return d.type;
    return std::nullopt;
}
constexpr bool is_floating(st_dtype t) noexcept { return t == st_dtype::F16 || t == st_dtype::BF16 || t == st_dtype::F32 || t == st_dtype::F64; }

struct tensor_info {
    std::string name;
    st_dtype dtype = st_dtype::U8;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0;  ///< offset in the data section
    std::uint64_t end = 0;

    std::int64_t numel() const noexcept {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }
    std::string shape_string() const { return shape_text(shape); }

    /// "[2, 3]" for {2, 3}; "[]" for a scalar.
    static std::string shape_text(const std::vector<std::int64_t>& shape) {
        std::string s = "[";
        for (std::size_t i = 0; i < shape.size(); ++i) s.append(i ? ", " : "").append(std::to_string(shape[i]));
        return s + "]";
    }
};

/// The validated table of contents of a safetensors file.
struct safetensors_header {
    std::vector<tensor_info> tensors;  ///< sorted by offset
    std::map<std::string, std::string> metadata;
    std::uint64_t data_offset = 0;  ///< where the data section starts in the file
};

inline constexpr std::uint64_t max_header_bytes = 100'000'000;  // the reference implementation's limit

/// Parses and validates the header of a whole file held in `file` (`source` names it in errors).
inline safetensors_header parse_safetensors_header(std::span<const std::byte> file, const std::string& source) {
    auto fail = [&](const std::string& what) -> void { throw format_error(detail::cat(source, ": ", what)); };
    if (file.size() < 8) fail(detail::cat("truncated: ", file.size(), " bytes, a safetensors file has at least 8"));
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<std::uint8_t>(file[static_cast<std::size_t>(i)]);
    if (n > max_header_bytes) fail(detail::cat("header length ", n, " exceeds the ", max_header_bytes, "-byte limit"));
    if (n > file.size() - 8) fail(detail::cat("truncated: header length ", n, " but only ", file.size() - 8, " bytes follow"));
    const auto* text = reinterpret_cast<const char*>(file.data() + 8);
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text, text + n);
    } catch (const nlohmann::json::exception& e) {
        fail(detail::cat("header is not valid JSON: ", e.what()));
    }
    if (!json.is_object()) fail("header is not a JSON object");

    safetensors_header h;
    h.data_offset = 8 + n;
    const std::uint64_t data_size = file.size() - h.data_offset;
    for (const auto& [key, value] : json.items()) {
        if (key == "__metadata__") {
            if (!value.is_object()) fail("__metadata__ is not an object");
            for (const auto& [mk, mv] : value.items()) {
                if (!mv.is_string()) fail(detail::cat("__metadata__ value of '", mk, "' is not a string"));
                h.metadata[mk] = mv.get<std::string>();
            }
            continue;
        }
        const std::string& tensor_name = key;  // (a structured binding is not capturable before clang 16)
        auto bad = [&](const std::string& what) { fail(detail::cat("tensor '", tensor_name, "': ", what)); };
        if (!value.is_object()) bad("entry is not an object");
        tensor_info t;
        t.name = key;
        const auto dtype = value.find("dtype");
        if (dtype == value.end() || !dtype->is_string()) bad("missing string 'dtype'");
        const auto parsed = parse_dtype(dtype->get<std::string>());
        if (!parsed) bad(detail::cat("unknown dtype '", dtype->get<std::string>(), "'"));
        t.dtype = *parsed;
        const auto shape = value.find("shape");
        if (shape == value.end() || !shape->is_array()) bad("missing array 'shape'");
        std::int64_t numel = 1;
        for (const auto& d : *shape) {
            if (!d.is_number_unsigned()) bad("shape holds something other than non-negative integers");
            const auto dim = d.get<std::uint64_t>();
            if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) bad("shape dimension too large");
            t.shape.push_back(static_cast<std::int64_t>(dim));
            if (t.shape.back() != 0 && numel > std::numeric_limits<std::int64_t>::max() / 16 / t.shape.back()) bad("shape has too many elements");
            numel *= t.shape.back();
        }
        const auto offsets = value.find("data_offsets");
        if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
            !(*offsets)[1].is_number_unsigned())
            bad("'data_offsets' is not a pair of non-negative integers");
        t.begin = (*offsets)[0].get<std::uint64_t>();
        t.end = (*offsets)[1].get<std::uint64_t>();
        if (t.end < t.begin) bad(detail::cat("data_offsets [", t.begin, ", ", t.end, "] end before they begin"));
        if (t.end > data_size) bad(detail::cat("data_offsets [", t.begin, ", ", t.end, "] run past the data section (", data_size, " bytes)"));
        const auto want = static_cast<std::uint64_t>(numel) * dtype_size(t.dtype);
        if (t.end - t.begin != want)
            bad(detail::cat("shape ", t.shape_string(), " of ", dtype_name(t.dtype), " needs ", want, " bytes but data_offsets hold ",
                            t.end - t.begin));
        h.tensors.push_back(std::move(t));
    }
    std::sort(h.tensors.begin(), h.tensors.end(),
              [](const tensor_info& a, const tensor_info& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    std::uint64_t covered = 0;
    for (const auto& t : h.tensors) {
        if (t.begin < covered) fail(detail::cat("tensor '", t.name, "' overlaps the tensor before it (offset ", t.begin, " < ", covered, ")"));
        if (t.begin > covered) fail(detail::cat("gap in the data section before tensor '", t.name, "' (bytes ", covered, "..", t.begin, ")"));
        covered = t.end;
    }
    if (covered != data_size) fail(detail::cat("data section has ", data_size - covered, " bytes no tensor describes"));
    return h;
}

/// A file mapped read-only into memory (POSIX mmap).
class mapped_file {
public:
    explicit mapped_file(const std::filesystem::path& path) : path_(path.string()) {
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw format_error(detail::cat(path_, ": cannot open: ", std::strerror(errno)));
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            throw format_error(detail::cat(path_, ": not a regular file"));
        }
        size_ = static_cast<std::size_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                const int err = errno;
                ::close(fd);
                throw format_error(detail::cat(path_, ": cannot map: ", std::strerror(err)));
            }
            data_ = static_cast<const std::byte*>(p);
        }
        ::close(fd);
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    ~mapped_file() {
        if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
    }
    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

/// A safetensors file opened for reading: validated header + memory-mapped data.
class safetensors_file {
public:
    explicit safetensors_file(const std::filesystem::path& path)
        : map_(std::make_shared<mapped_file>(path)), header_(parse_safetensors_header(map_->bytes(), map_->path())) {}

    const std::string& path() const noexcept { return map_->path(); }
    const std::vector<tensor_info>& tensors() const noexcept { return header_.tensors; }
    const std::map<std::string, std::string>& metadata() const noexcept { return header_.metadata; }

    const tensor_info* find(std::string_view name) const noexcept {
        for (const auto& t : header_.tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
    const tensor_info& at(std::string_view name) const {
        if (const auto* t = find(name)) return *t;
        throw format_error(detail::cat(path(), ": no tensor '", name, "'"));
    }
    /// The tensor's bytes, inside the map (no alignment guarantee).
    std::span<const std::byte> bytes(const tensor_info& t) const noexcept {
        return map_->bytes().subspan(header_.data_offset + t.begin, t.end - t.begin);
    }

private:
    std::shared_ptr<mapped_file> map_;
    safetensors_header header_;
};

/// A floating-point tensor's values widened to fp32 (F32, BF16, F16 exactly; F64 rounded).
inline std::vector<float> read_floats(const safetensors_file& file, const tensor_info& t) {
    const auto bytes = file.bytes(t);
    std::vector<float> out(static_cast<std::size_t>(t.numel()));
    switch (t.dtype) {
        case st_dtype::F32:
            if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
            break;
        case st_dtype::F64:
            for (std::size_t i = 0; i < out.size(); ++i) {
                double v;
                std::memcpy(&v, bytes.data() + 8 * i, 8);
                out[i] = static_cast<float>(v);
            }
            break;
        case st_dtype::BF16:
        case st_dtype::F16:
            for (std::size_t i = 0; i < out.size(); ++i) {
                std::uint16_t v;
                std::memcpy(&v, bytes.data() + 2 * i, 2);
                out[i] = t.dtype == st_dtype::BF16 ? numeric::bf16::decode(v) : numeric::fp16::decode(v);
            }
            break;
        default:
            throw format_error(detail::cat(file.path(), ": tensor '", t.name, "' is ", dtype_name(t.dtype),
                                           ", expected a floating-point tensor (F32, BF16, F16, F64)"));
    }
    return out;
}

/// The one value of a scalar tensor: shape [] or [1] (the same scale, as checkpoints use both).
inline float read_scalar(const safetensors_file& file, const tensor_info& t) {
    if (t.numel() != 1 || t.shape.size() > 1)
        throw format_error(detail::cat(file.path(), ": tensor '", t.name, "' has shape ", t.shape_string(), ", expected a scalar ([] or [1])"));
    return read_floats(file, t).front();
}

/// Writes a safetensors file: collect tensors, then write() to a temporary file in the target's
/// folder and rename it into place, so a failure never leaves a half-written file behind.
class safetensors_writer {
public:
    /// Adds a tensor whose bytes the writer keeps.
    void add(std::string name, st_dtype dtype, std::vector<std::int64_t> shape, std::vector<std::byte> data) {
        check(name, dtype, shape, data.size());
        owned_.push_back(std::make_unique<std::vector<std::byte>>(std::move(data)));
        entries_.push_back({std::move(name), dtype, std::move(shape), std::span<const std::byte>(*owned_.back())});
    }
    /// Adds a tensor whose bytes the caller keeps alive until write() returns.
    void add_view(std::string name, st_dtype dtype, std::vector<std::int64_t> shape, std::span<const std::byte> data) {
        check(name, dtype, shape, data.size());
        entries_.push_back({std::move(name), dtype, std::move(shape), data});
    }
    template <class T>
    void add_values(std::string name, st_dtype dtype, std::vector<std::int64_t> shape, std::span<const T> values) {
        std::vector<std::byte> bytes(values.size_bytes());
        if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
        add(std::move(name), dtype, std::move(shape), std::move(bytes));
    }
    void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }
    bool contains(std::string_view name) const {
        return std::any_of(entries_.begin(), entries_.end(), [&](const entry& e) { return e.name == name; });
    }
    std::size_t size() const noexcept { return entries_.size(); }
    std::uint64_t data_bytes() const noexcept {
        std::uint64_t total = 0;
        for (const auto& e : entries_) total += e.data.size();
        return total;
    }

    void write(const std::filesystem::path& path) const {
        nlohmann::ordered_json header = nlohmann::ordered_json::object();
        if (!metadata_.empty()) header["__metadata__"] = metadata_;
        std::uint64_t offset = 0;
        for (const auto& e : entries_) {
            header[e.name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {offset, offset + e.data.size()}}};
            offset += e.data.size();
        }
        std::string text = header.dump();
        text.append((8 - text.size() % 8) % 8, ' ');
        static std::atomic<unsigned> counter{0};
        const std::filesystem::path temp =
            path.parent_path() / detail::cat(".", path.filename().string(), ".tmp-", static_cast<long>(::getpid()), "-", counter++);
        // errors name the user's path, not the temporary file
        auto fail = [&](std::string_view what, const std::string& why) { throw format_error(detail::cat(path.string(), ": ", what, ": ", why)); };
        try {
            std::ofstream out(temp, std::ios::binary | std::ios::trunc);
            if (!out) fail("cannot create", std::strerror(errno));
            std::uint8_t length[8];
            std::uint64_t n = text.size();
            for (auto& b : length) {
                b = static_cast<std::uint8_t>(n & 0xFF);
                n >>= 8;
            }
            out.write(reinterpret_cast<const char*>(length), 8);
            out.write(text.data(), static_cast<std::streamsize>(text.size()));
            for (const auto& e : entries_) out.write(reinterpret_cast<const char*>(e.data.data()), static_cast<std::streamsize>(e.data.size()));
            out.flush();
            if (!out) fail("write failed", std::strerror(errno));
            out.close();
            std::error_code ec;
            std::filesystem::rename(temp, path, ec);
            if (ec) fail("cannot write", ec.message());
        } catch (...) {
            std::error_code ignored;
            std::filesystem::remove(temp, ignored);
            throw;
        }
    }

private:
    struct entry {
        std::string name;
        st_dtype dtype;
        std::vector<std::int64_t> shape;
        std::span<const std::byte> data;
    };
    void check(const std::string& name, st_dtype dtype, const std::vector<std::int64_t>& shape, std::size_t bytes) const {
        if (name.empty() || name == "__metadata__") throw std::invalid_argument(detail::cat("invalid tensor name '", name, "'"));
        if (contains(name)) throw std::invalid_argument(detail::cat("tensor '", name, "' added twice"));
        std::int64_t numel = 1;
        for (auto d : shape) {
            if (d < 0) throw std::invalid_argument(detail::cat("tensor '", name, "' has a negative dimension"));
            numel *= d;
        }
        if (static_cast<std::uint64_t>(numel) * dtype_size(dtype) != bytes)
            throw std::invalid_argument(detail::cat("tensor '", name, "': ", bytes, " bytes for ", numel, " elements of ", dtype_name(dtype)));
    }
    std::vector<entry> entries_;
    std::vector<std::unique_ptr<std::vector<std::byte>>> owned_;
    std::map<std::string, std::string> metadata_;
};

}  // namespace microscale::checkpoint
