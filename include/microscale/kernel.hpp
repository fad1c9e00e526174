// The linear-kernel contract (DESIGN.md §3), modelled on vLLM's NVFP4 linear-kernel abstraction:
//
//   static support is_supported()                      can it run on this CPU?
//   static support can_implement(const linear_shape&)  can it do this problem?
//   static prepared prepare(const quantized_weight&)   validate, re-lay, repack: once per layer
//   static void apply(prepared, x[M,K], y[M,N], bias)  y = x · Wᵀ (+ bias)
//
// `linear_kernel<Format, Activation, Layout, Backend>` checks the policies (one static_assert per
// rule, each naming the rule), names itself, validates inputs and forwards to
// `Backend::impl<Format, Activation, Layout>`. Layout is the scale layout the kernel's inner loop
// reads: a concrete one (the kernel takes weights stored in it only) or layout::stored (it takes the
// weight's stored layout as runtime data: the CPU backends; see layout/layouts.hpp). Every kernel guarantees: a row's result does not
// depend on M, on the other rows or on the thread count (bitwise); apply() does not allocate
// after warm-up; bad input is an exception naming the problem, never undefined behaviour.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "microscale/detail/text.hpp"
#include "microscale/detail/threads.hpp"
#include "microscale/format/activation.hpp"
#include "microscale/format/formats.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/layout/layouts.hpp"
#include "microscale/names.hpp"
#include "microscale/tensor.hpp"

namespace microscale {

/// Yes or no, and why.
struct support {
    bool ok = true;
    std::string reason;
    static support yes(std::string why = {}) { return {true, std::move(why)}; }
    static support no(std::string why) { return {false, std::move(why)}; }
    explicit operator bool() const noexcept { return ok; }
};

/// A problem: y[M, N] = x[M, K] · W[N, K]ᵀ (+ bias[N]).
struct linear_shape {
    std::int64_t m = 1;
    std::int64_t n = 0;
    std::int64_t k = 0;
    dtype activation = dtype::bf16;
    bool has_bias = false;
    /// The layout the weight's scales are stored in (quantized_weight::scale_layout; checkpoints
    /// store linear): selection gives a kernel whose layout slot is concrete only its own layout.
    layout::layout_id scale_layout = layout::layout_id::linear;
};

struct apply_options {
    int threads = 0;  ///< 0: OpenMP's default (OMP_NUM_THREADS, else all cores); clamped to the processors there are; < 0: an error
    /// Device backends (cuda): the stream the call is enqueued on (a cudaStream_t; null: the
    /// default stream). CPU backends ignore it.
    void* stream = nullptr;
    /// Device backends, x in device memory: scan x and bias for NaN / inf before the call (one
    /// kernel and a synchronisation). false skips the scan: non-finite inputs then give non-finite
    /// outputs instead of an error. Host memory is always checked.
    bool device_value_check = true;
};

/// A backend policy: a name, a CPU check, and `impl<F, A, L>` with prepared / prepare / apply /
/// can_implement, plus `supports<F, A, L>` saying which combinations it can build.
///
/// Input validation is split so that a backend whose x lives elsewhere (a device) can reuse
/// linear_kernel: apply() checks shapes, dtypes, strides and aliasing itself (no element is read),
/// then the values (x and bias finite) through the backend's hook
///     static void check_values(std::string_view kernel, const const_matrix_view& x,
///                              const const_vector_view* bias, const apply_options& options);
/// which throws std::invalid_argument naming the first bad element. A backend without one gets
/// detail::check_values_on_host, which reads x and bias on the host (the CPU backends' choice).
/// A backend that reads device memory says so (`static constexpr bool reads_device_memory =
/// true`); for every other backend, a view of device memory (`device` >= 0) is an error.
template <class B>
concept backend_policy = requires {
    { B::name } -> std::convertible_to<std::string_view>;
    { B::is_supported() } -> std::same_as<support>;
};

/// Does backend B check x and bias itself (see backend_policy)?
template <class B>
concept backend_checks_values = requires(std::string_view kernel, const const_matrix_view& x, const const_vector_view* bias,
                                         const apply_options& options) { B::check_values(kernel, x, bias, options); };

/// Does backend B take views of device memory?
template <class B>
concept backend_reads_device_memory = requires {
    requires B::reads_device_memory;
};

namespace detail {
/// The scheme (`whole` false) or kernel name of valid policies; empty for invalid ones (their
/// static_assert is then the only error).
template <bool Valid, class Format, class Activation, class Layout, class Backend>
consteval name_buffer policy_name(bool whole) {
    if constexpr (Valid) {
        return whole ? make_kernel_name(Format::name, Activation::quantized, Layout::name, Backend::name)
                     : make_scheme_name(Format::name, Activation::quantized);
    } else {
        return name_buffer{};
    }
}

// Stands in for the backend when a rule is broken, so that the rule's static_assert is the only
// error the compiler reports.
struct invalid_impl {
    struct prepared {
        std::int64_t rows = 0, cols = 0;
    };
    static std::size_t memory_bytes(const prepared&) noexcept { return 0; }
};
template <bool Valid, class Format, class Activation, class Layout, class Backend>
struct backend_impl {
    using type = invalid_impl;
};
template <class Format, class Activation, class Layout, class Backend>
struct backend_impl<true, Format, Activation, Layout, Backend> {
    using type = typename Backend::template impl<Format, Activation, Layout>;
};

void check_apply_shapes(std::string_view kernel, std::int64_t n, std::int64_t k, const const_matrix_view& x, const matrix_view& y,
                        const const_vector_view* bias);
void check_values_on_host(std::string_view kernel, const const_matrix_view& x, const const_vector_view* bias);
void check_host_memory(std::string_view kernel, const const_matrix_view& x, const matrix_view& y, const const_vector_view* bias);

/// The value check of backend B: its own hook, else the host scan (after making sure every view
/// is host memory, for a backend that reads no other).
template <class B>
void check_values(std::string_view kernel, const const_matrix_view& x, const matrix_view& y, const const_vector_view* bias,
                  const apply_options& options) {
    if constexpr (!backend_reads_device_memory<B>) check_host_memory(kernel, x, y, bias);
    if constexpr (backend_checks_values<B>) {
        B::check_values(kernel, x, bias, options);
    } else {
        check_values_on_host(kernel, x, bias);
    }
}
}  // namespace detail

// ---- the kernel ------------------------------------------------------------------------------------

template <class Format, class Activation, class Layout, class Backend>
class linear_kernel {
    static_assert(format::weight_format<Format>,
                  "rule format-policy: Format must be a weight-format policy (name, element, scale, "
                  "block_size, has_global_scale), e.g. microscale::format::nvfp4");
    static_assert(activation::activation_policy<Activation>, "rule activation-policy: Activation must be microscale::activation::a16 or aq");
    static_assert(layout::layout_slot<Layout>,
                  "rule scale-layout-policy: Layout must be a scale-layout policy (name, id, "
                  "padded_shape, offset), e.g. microscale::layout::swizzled_128x4, or "
                  "microscale::layout::stored (the stored layout as runtime data)");
    static_assert(backend_policy<Backend>,
                  "rule backend-policy: Backend must be a backend policy (name, is_supported()), "
                  "e.g. microscale::backend::emulation");

    static constexpr bool policies_valid =
        format::weight_format<Format> && activation::activation_policy<Activation> && layout::layout_slot<Layout> && backend_policy<Backend>;

    static consteval bool element_width_ok() {
        if constexpr (format::weight_format<Format>) {
            return Format::element::bits == 4 || Format::element::bits == 6;
        } else {
            return true;
        }
    }
    static consteval bool block_packing_ok() {
        if constexpr (format::weight_format<Format>) {
            return Format::block_size % (Format::element::bits == 4 ? 2 : 4) == 0;
        } else {
            return true;
        }
    }
    static consteval bool scale_byte_ok() {
        if constexpr (format::weight_format<Format>) {
            return sizeof(typename Format::scale::code_type) == 1;
        } else {
            return true;
        }
    }
    static consteval bool backend_builds_it() {
        if constexpr (policies_valid) {
            return Backend::template supports<Format, Activation, Layout>;
        } else {
            return true;
        }
    }
    static_assert(element_width_ok(), "rule element-width: element codes must be 4 or 6 bits wide (the fp4 and fp6 packings)");
    static_assert(block_packing_ok(),
                  "rule block-packing: the block size must be a whole number of packed groups "
                  "(2 codes per byte for 4-bit elements, 4 codes per 3 bytes for 6-bit)");
    static_assert(scale_byte_ok(), "rule scale-byte: block-scale codes must be one byte (scale layouts store bytes)");
    static_assert(backend_builds_it(),
                  "rule backend-combination: this backend cannot build this format/activation/layout "
                  "(see the backend's `supports`; the CPU backends, emulation and simd, take "
                  "microscale::layout::stored only)");

    using impl = typename detail::backend_impl<policies_valid && element_width_ok() && block_packing_ok() && scale_byte_ok() && backend_builds_it(),
                                               Format, Activation, Layout, Backend>::type;
    // the names come from a function outside the class: a static data member's initialiser is not
    // a complete-class context, so clang rejects a call to a consteval member there
    static constexpr name_buffer scheme_storage = detail::policy_name<policies_valid, Format, Activation, Layout, Backend>(false);
    static constexpr name_buffer name_storage = detail::policy_name<policies_valid, Format, Activation, Layout, Backend>(true);

public:
    using format_type = Format;
    using activation_type = Activation;
    using layout_type = Layout;
    using backend_type = Backend;
    using prepared = typename impl::prepared;

    static constexpr std::string_view scheme = scheme_storage.view();
    static constexpr std::string_view name = name_storage.view();

    static support is_supported() { return Backend::is_supported(); }

    static support can_implement(const linear_shape& s);

    /// Validates the weight (shape, byte counts, scales; for a concrete Layout, that its scales are
    /// stored in it) and builds the kernel's own layout.
    static prepared prepare(const quantized_weight& w);

    /// y[M, N] = x[M, K] · Wᵀ (+ bias[N]); x and y share the activation dtype; bias may be any
    /// dtype. Non-finite activations, shape or dtype mismatches, overlapping x / y: exceptions.
    static void apply(const prepared& p, const_matrix_view x, matrix_view y, const const_vector_view* bias = nullptr,
                      const apply_options& options = {});

    /// Bytes the prepared weight occupies in memory.
    static std::size_t memory_bytes(const prepared& p) noexcept { return impl::memory_bytes(p); }
};

// Members are defined out of class, so they are not implicitly inline: a translation unit that
// sees `extern template class linear_kernel<...>` (generated/kernel_declarations.hpp) does not
// instantiate them, and links to microscale::kernels instead.
template <class Format, class Activation, class Layout, class Backend>
support linear_kernel<Format, Activation, Layout, Backend>::can_implement(const linear_shape& s) {
    if (s.n <= 0 || s.k <= 0 || s.m < 0) return support::no(detail::cat("shape M=", s.m, " N=", s.n, " K=", s.k, " is empty or negative"));
    if (s.k % Format::block_size != 0)
        return support::no(detail::cat("K=", s.k, " is not a multiple of the ", Format::name, " block size ", Format::block_size));
    return impl::can_implement(s);
}

template <class Format, class Activation, class Layout, class Backend>
typename linear_kernel<Format, Activation, Layout, Backend>::prepared linear_kernel<Format, Activation, Layout, Backend>::prepare(
    const quantized_weight& w) {
    validate<Format>(w);
    if constexpr (layout::scale_layout<Layout>) {
        if (w.scale_layout != Layout::id)
            throw std::invalid_argument(detail::cat(name, ": ", w.name, " has its scales stored ", layout::layout_name(w.scale_layout),
                                                    "; this kernel reads ", Layout::name, " scales only"));
    }
    return impl::prepare(w);
}

template <class Format, class Activation, class Layout, class Backend>
void linear_kernel<Format, Activation, Layout, Backend>::apply(const prepared& p, const_matrix_view x, matrix_view y, const const_vector_view* bias,
                                                               const apply_options& options) {
    detail::check_apply_shapes(name, p.rows, p.cols, x, y, bias);
    detail::check_values<Backend>(name, x, y, bias, options);
    detail::check_thread_option(options.threads, name);
    if (x.rows == 0) return;
    impl::apply(p, x, y, bias, options);
}

// ---- argument checks shared by every kernel ----------------------------------------------------------

namespace detail {

/// True if no element of the row is NaN or infinite: an all-ones exponent field, checked on the
/// bits in a loop the compiler vectorizes.
inline bool all_finite(const void* row, dtype t, std::int64_t n) noexcept {
    std::uint32_t special = 0;
    if (t == dtype::f32) {
        const auto* p = static_cast<const std::uint32_t*>(row);
        for (std::int64_t i = 0; i < n; ++i) special |= static_cast<std::uint32_t>((p[i] & 0x7F80'0000u) == 0x7F80'0000u);
    } else {
        const std::uint16_t mask = t == dtype::bf16 ? 0x7F80 : 0x7C00;
        const auto* p = static_cast<const std::uint16_t*>(row);
        for (std::int64_t i = 0; i < n; ++i) special |= static_cast<std::uint32_t>((p[i] & mask) == mask);
    }
    return special == 0;
}

[[noreturn]] inline void argument_error(std::string_view kernel, const std::string& what) { throw std::invalid_argument(cat(kernel, ": ", what)); }

/// Shapes, dtypes, null pointers, strides and overlap of apply()'s arguments; reads no element.
inline void check_apply_shapes(std::string_view kernel, std::int64_t n, std::int64_t k, const const_matrix_view& x, const matrix_view& y,
                               const const_vector_view* bias) {
    auto fail = [&](const std::string& what) { argument_error(kernel, what); };
    if (x.cols != k) fail(cat("x is [", x.rows, ", ", x.cols, "] but the weight has K=", k));
    if (y.rows != x.rows || y.cols != n) fail(cat("y is [", y.rows, ", ", y.cols, "], expected [", x.rows, ", ", n, "]"));
    if (x.type != y.type) fail(cat("y is ", dtype_name(y.type), " but x is ", dtype_name(x.type), " (the output has the activation dtype)"));
    if (x.rows < 0) fail("x has a negative row count");
    if (x.rows > 0 && (x.data == nullptr || y.data == nullptr)) fail("null x or y");
    if (x.stride() < x.cols || y.stride() < y.cols) fail("row stride smaller than the row");
    if (bias != nullptr && bias->size != n) fail(cat("bias has ", bias->size, " elements, expected N=", n));
    if (bias != nullptr && bias->data == nullptr) fail("null bias");
    if (x.rows > 0) {
        const auto* xb = static_cast<const char*>(x.data);
        const auto* xe = static_cast<const char*>(x.row(x.rows - 1)) + x.cols * dtype_size(x.type);
        const auto* yb = static_cast<const char*>(y.data);
        const auto* ye = static_cast<const char*>(y.row(y.rows - 1)) + y.cols * dtype_size(y.type);
        if (xb < ye && yb < xe) fail("y overlaps x");
    }
}

/// Every view in host memory (the CPU backends' requirement).
inline void check_host_memory(std::string_view kernel, const const_matrix_view& x, const matrix_view& y, const const_vector_view* bias) {
    auto where = [&](const char* what, int device) {
        if (device >= 0) argument_error(kernel, cat(what, " is in CUDA device ", device, " memory; this kernel reads host memory only"));
    };
    where("x", x.device);
    where("y", y.device);
    if (bias != nullptr) where("bias", bias->device);
}

/// The default value check (see backend_policy): every element of x and bias finite, read on the host.
inline void check_values_on_host(std::string_view kernel, const const_matrix_view& x, const const_vector_view* bias) {
    auto fail = [&](const std::string& what) { argument_error(kernel, what); };
    for (std::int64_t r = 0; r < x.rows; ++r) {
        const void* row = x.row(r);
        if (all_finite(row, x.type, x.cols)) continue;
        for (std::int64_t c = 0; c < x.cols; ++c) {
            const float v = load_element(row, x.type, c);
            if (!std::isfinite(v)) fail(cat("x[", r, ", ", c, "] is ", std::isnan(v) ? "NaN" : "infinite"));
        }
    }
    if (bias != nullptr) {
        for (std::int64_t c = 0; c < bias->size; ++c) {
            if (!std::isfinite(load_element(bias->data, bias->type, c))) fail(cat("bias[", c, "] is not finite"));
        }
    }
}

/// Everything a CPU kernel checks before apply: check_apply_shapes, then check_values_on_host.
inline void check_apply_arguments(std::string_view kernel, std::int64_t n, std::int64_t k, const const_matrix_view& x, const matrix_view& y,
                                  const const_vector_view* bias) {
    check_apply_shapes(kernel, n, k, x, y, bias);
    check_values_on_host(kernel, x, bias);
}

}  // namespace detail
}  // namespace microscale
