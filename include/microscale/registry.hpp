// The runtime table: quant_method strings -> kernels (DESIGN.md §5).
//
// A table is a priority-ordered list of `kernel_entry`s (the compiled library's comes from the
// manifest: `kernel_table()`), plus `scheme_alias`es (what checkpoints and engines call a scheme).
// Selection walks the kernels of a scheme in order, skips the ones that are disabled, that cannot
// read the weight's stored scale layout, unsupported on this machine or unable to do the shape, and
// remembers why; nothing left is an error carrying every reason.
//
// The scale layout: an entry's `layout` is its kernel's layout slot, the scale layout its inner loop
// reads. A concrete one (linear, swizzled_128x4: a kernel that reads that layout natively) matches
// only a weight stored in that layout; `stored` (the CPU backends, which take the stored layout as
// runtime data) matches any. The stored layout comes in linear_shape::scale_layout (default linear,
// what checkpoints store; create_linear passes the weight's).
//
// Environment:
//   MICROSCALE_LINEAR_BACKEND=emulation|simd   only that backend (error if it cannot run); auto/empty: all
//   MICROSCALE_DISABLED_KERNELS=glob[,glob…]   skip kernels whose canonical name matches
// Header-only users can build their own table with make_entry<Kernel>().
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/detail/glob.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/kernel.hpp"

namespace microscale {

/// A prepared linear layer behind a virtual interface: what the runtime table hands out.
class linear_layer {
public:
    virtual ~linear_layer() = default;
    virtual std::string_view kernel_name() const noexcept = 0;
    virtual std::int64_t out_features() const noexcept = 0;  ///< N
    virtual std::int64_t in_features() const noexcept = 0;   ///< K
    virtual void apply(const_matrix_view x, matrix_view y, const const_vector_view* bias = nullptr, const apply_options& options = {}) const = 0;
    virtual std::size_t memory_bytes() const noexcept = 0;  ///< the prepared weight in memory
};

template <class Kernel>
class kernel_layer final : public linear_layer {
public:
    explicit kernel_layer(typename Kernel::prepared prepared) : prepared_(std::move(prepared)) {}
    std::string_view kernel_name() const noexcept override { return Kernel::name; }
    std::int64_t out_features() const noexcept override { return prepared_.rows; }
    std::int64_t in_features() const noexcept override { return prepared_.cols; }
    void apply(const_matrix_view x, matrix_view y, const const_vector_view* bias, const apply_options& options) const override {
        Kernel::apply(prepared_, x, y, bias, options);
    }
    std::size_t memory_bytes() const noexcept override { return Kernel::memory_bytes(prepared_); }
    const typename Kernel::prepared& prepared() const noexcept { return prepared_; }

private:
    typename Kernel::prepared prepared_;
};

struct kernel_entry {
    std::string_view name;    ///< canonical: <scheme>.<layout>.<backend>
    std::string_view scheme;  ///< w_<fmt>[_a_<fmt>]
    std::string_view format;
    std::string_view activation;  ///< a16 | aq
    std::string_view layout;      ///< the layout slot: a concrete scale layout, or "stored" (any)
    std::string_view backend;
    support (*is_supported)();
    support (*can_implement)(const linear_shape&);
    std::unique_ptr<linear_layer> (*create)(const quantized_weight&);
};

/// A runtime-table entry (kernel_entry, moe_kernel_entry) describing `Kernel`, with its factory.
template <class Entry, class Kernel>
constexpr Entry describe_entry(decltype(Entry::create) create) {
    return {Kernel::name,
            Kernel::scheme,
            Kernel::format_type::name,
            Kernel::activation_type::name,
            Kernel::layout_type::name,
            Kernel::backend_type::name,
            &Kernel::is_supported,
            &Kernel::can_implement,
            create};
}

template <class Kernel>
constexpr kernel_entry make_entry() {
    return describe_entry<kernel_entry, Kernel>(
        [](const quantized_weight& w) -> std::unique_ptr<linear_layer> { return std::make_unique<kernel_layer<Kernel>>(Kernel::prepare(w)); });
}

struct scheme_alias {
    std::string_view alias;
    std::string_view scheme;
    std::string_view origin;  ///< who says it (for `microscale list`)
};

/// The compiled library's table (generated from generators/kernels.manifest), in priority order.
std::span<const kernel_entry> kernel_table() noexcept;
/// The compiled library's aliases (generated from the manifest).
std::span<const scheme_alias> scheme_aliases() noexcept;

// ---- selection ----------------------------------------------------------------------------------

struct selection_options {
    std::string forced_backend;               ///< "" or "auto": any backend
    std::vector<std::string> disabled_globs;  ///< canonical-name globs to skip
    std::string forced_kernel;                ///< exact canonical name, or ""

    /// MICROSCALE_LINEAR_BACKEND and MICROSCALE_DISABLED_KERNELS.
    static selection_options from_environment() {
        selection_options o;
        if (const char* backend = std::getenv("MICROSCALE_LINEAR_BACKEND")) o.forced_backend = backend;
        if (const char* disabled = std::getenv("MICROSCALE_DISABLED_KERNELS")) {
            std::string_view rest(disabled);
            while (!rest.empty()) {
                const auto comma = rest.find(',');
                std::string_view item = rest.substr(0, comma);
                while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
                while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
                if (!item.empty()) o.disabled_globs.emplace_back(item);
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        }
        return o;
    }
};

template <class Entry>
struct basic_rejection {
    const Entry* kernel;
    std::string reason;
};

template <class Entry>
struct basic_selection {
    std::string scheme;  ///< canonical scheme the request resolved to
    const Entry* kernel = nullptr;
    std::vector<basic_rejection<Entry>> rejected;  ///< every kernel passed over, with why
};

using rejection = basic_rejection<kernel_entry>;
using selection = basic_selection<kernel_entry>;

/// Unknown scheme or alias; the message lists the known ones.
struct unknown_scheme : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};
/// Nothing can run; the message carries every kernel's reason.
struct no_kernel : std::runtime_error {
    using std::runtime_error::runtime_error;
};

namespace registry_detail {
inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}
}  // namespace registry_detail

/// The canonical scheme for a canonical name or an alias (case-insensitive).
template <class Entry>
std::string resolve_scheme(std::string_view requested, std::span<const Entry> table, std::span<const scheme_alias> aliases) {
    const std::string key = registry_detail::lower(requested);
    for (const auto& e : table)
        if (registry_detail::lower(e.scheme) == key) return std::string(e.scheme);
    for (const auto& a : aliases)
        if (registry_detail::lower(a.alias) == key) return std::string(a.scheme);
    std::vector<std::string> known;
    for (const auto& e : table)
        if (std::find(known.begin(), known.end(), e.scheme) == known.end()) known.emplace_back(e.scheme);
    for (const auto& a : aliases)
        if (std::find(known.begin(), known.end(), a.alias) == known.end()) known.emplace_back(a.alias);
    std::string message = detail::cat("unknown quantization scheme '", requested, "'; known:");
    for (const auto& k : known) message.append(" ").append(k);
    throw unknown_scheme(message);
}

/// Throws std::invalid_argument if options.forced_backend (MICROSCALE_LINEAR_BACKEND) names no
/// backend of the table ("" and "auto" mean any).
template <class Entry>
void check_forced_backend(std::span<const Entry> table, const selection_options& options) {
    const std::string backend = registry_detail::lower(options.forced_backend);
    if (backend.empty() || backend == "auto" || std::any_of(table.begin(), table.end(), [&](const Entry& e) { return e.backend == backend; })) return;
    std::string known;
    for (const auto& e : table)
        if (known.find(std::string(e.backend)) == std::string::npos) known.append(" ").append(e.backend);
    throw std::invalid_argument(detail::cat("MICROSCALE_LINEAR_BACKEND='", options.forced_backend, "' is not a backend; known: auto", known));
}

/// Walks the scheme's kernels in priority order (for a weight of `shape`, its scales stored in
/// shape.scale_layout); throws unknown_scheme / no_kernel, and std::invalid_argument for a forced
/// kernel or backend the table does not have.
template <class Entry>
basic_selection<Entry> select_kernel(std::string_view requested, const linear_shape& shape, std::span<const Entry> table,
                                     std::span<const scheme_alias> aliases, const selection_options& options) {
    basic_selection<Entry> result;
    result.scheme = resolve_scheme(requested, table, aliases);
    check_forced_backend(table, options);
    const std::string backend = registry_detail::lower(options.forced_backend);
    const bool any_backend = backend.empty() || backend == "auto";
    if (!options.forced_kernel.empty() && std::none_of(table.begin(), table.end(), [&](const Entry& e) { return e.name == options.forced_kernel; })) {
        std::string known;
        for (const auto& e : table) known.append(" ").append(e.name);
        throw std::invalid_argument(detail::cat("unknown kernel '", options.forced_kernel, "'; known:", known));
    }
    for (const auto& entry : table) {
        if (entry.scheme != result.scheme) continue;
        std::string reason;
        if (!options.forced_kernel.empty() && entry.name != options.forced_kernel) {
            reason = detail::cat("not the requested kernel ", options.forced_kernel);
        } else if (!any_backend && entry.backend != backend) {
            reason = detail::cat("MICROSCALE_LINEAR_BACKEND=", options.forced_backend, " forces another backend");
        } else if (auto glob = std::find_if(options.disabled_globs.begin(), options.disabled_globs.end(),
                                            [&](const std::string& g) { return detail::glob_match(g, entry.name); });
                   glob != options.disabled_globs.end()) {
            reason = detail::cat("disabled by MICROSCALE_DISABLED_KERNELS pattern '", *glob, "'");
        } else if (!layout::slot_reads(entry.layout, shape.scale_layout)) {
            reason = detail::cat("reads ", entry.layout, " scales; the weight's are stored ", layout::layout_name(shape.scale_layout));
        } else if (support s = entry.is_supported(); !s) {
            reason = detail::cat("not supported on this machine: ", s.reason);
        } else if (support c = entry.can_implement(shape); !c) {
            reason = detail::cat("cannot implement this shape: ", c.reason);
        } else if (result.kernel == nullptr) {
            result.kernel = &entry;
            continue;
        } else {
            reason = detail::cat("lower priority than ", result.kernel->name);
        }
        result.rejected.push_back({&entry, reason});
    }
    if (result.kernel == nullptr) {
        std::string message = detail::cat("no kernel can run scheme ", result.scheme);
        if (result.rejected.empty()) message.append(": the table has no kernel for it");
        for (const auto& r : result.rejected) message.append(detail::cat("\n  ", r.kernel->name, ": ", r.reason));
        throw no_kernel(message);
    }
    return result;
}

/// Selection over the compiled library's table with the environment's options.
inline selection select_kernel(std::string_view requested, const linear_shape& shape) {
    return select_kernel<kernel_entry>(requested, shape, kernel_table(), scheme_aliases(), selection_options::from_environment());
}

/// Selects a kernel for the weight's scheme and shape, and prepares the weight with it.
inline std::unique_ptr<linear_layer> create_linear(std::string_view requested, const quantized_weight& w, dtype activation = dtype::bf16,
                                                   const selection_options& options = selection_options::from_environment()) {
    const linear_shape shape{1, w.rows, w.cols, activation, false, w.scale_layout};
    const selection s = select_kernel<kernel_entry>(requested, shape, kernel_table(), scheme_aliases(), options);
    return s.kernel->create(w);
}

}  // namespace microscale
