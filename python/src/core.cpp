// microscale._core: the C++ library as a Python extension (nanobind). Thin: every argument is
// checked here (a Python exception naming it, never a crash), then handed to the same functions the
// CLI calls; the GIL is released around kernels. The Python modules beside it (python/microscale/)
// give the typed, documented API.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "microscale/checkpoint/export.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "microscale/format/qdq.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/library.hpp"
#include "microscale/microscale.hpp"
#include "microscale/moe.hpp"
#include "microscale/names.hpp"

namespace nb = nanobind;
using namespace nb::literals;
namespace ms = microscale;

namespace {

using in_array = nb::ndarray<nb::ro>;
using out_array = nb::ndarray<>;

// ---- argument checks: a TypeError / ValueError naming the argument ---------------------------------

[[noreturn]] void type_error(const std::string& what) { throw nb::type_error(what.c_str()); }
[[noreturn]] void value_error(const std::string& what) { throw nb::value_error(what.c_str()); }

std::string dtype_text(nb::dlpack::dtype t) {
    const char* kind = "?";
    switch (static_cast<nb::dlpack::dtype_code>(t.code)) {
        case nb::dlpack::dtype_code::Int:
            kind = "int";
            break;
        case nb::dlpack::dtype_code::UInt:
            kind = "uint";
            break;
        case nb::dlpack::dtype_code::Float:
            kind = "float";
            break;
        case nb::dlpack::dtype_code::Bfloat:
            kind = "bfloat";
            break;
        case nb::dlpack::dtype_code::Bool:
            kind = "bool";
            break;
        default:
            break;
    }
    return ms::detail::cat(kind, static_cast<int>(t.bits));
}

template <class Array>
void require_cpu(const Array& a, const char* name) {
    if (a.device_type() != nb::device::cpu::value)
        type_error(ms::detail::cat(name, ": a CPU array or tensor is needed (got device type ", a.device_type(), ")"));
}

/// The activation dtype of a float32 / bfloat16 / float16 array.
template <class Array>
ms::dtype activation_dtype(const Array& a, const char* name) {
    const auto t = a.dtype();
    if (t == nb::dtype<float>()) return ms::dtype::f32;
    if (t.code == static_cast<std::uint8_t>(nb::dlpack::dtype_code::Bfloat) && t.bits == 16 && t.lanes == 1) return ms::dtype::bf16;
    if (t.code == static_cast<std::uint8_t>(nb::dlpack::dtype_code::Float) && t.bits == 16 && t.lanes == 1) return ms::dtype::f16;
    type_error(ms::detail::cat(name, ": dtype ", dtype_text(t), " is not float32, bfloat16 or float16"));
}

/// Rows of a 2-D array whose elements are contiguous within a row (any row stride >= cols).
template <class Array>
std::int64_t row_stride_of(const Array& a, const char* name) {
    if (a.ndim() != 2) value_error(ms::detail::cat(name, ": expected a 2-D array, got ", a.ndim(), " dimensions"));
    const auto rows = static_cast<std::int64_t>(a.shape(0)), cols = static_cast<std::int64_t>(a.shape(1));
    if (cols > 1 && a.stride(1) != 1)
        value_error(ms::detail::cat(name, ": the elements of a row must be contiguous (column stride ", a.stride(1), ")"));
    const std::int64_t stride = rows > 1 ? a.stride(0) : cols;
    if (rows > 1 && stride < cols) value_error(ms::detail::cat(name, ": row stride ", stride, " is smaller than the row length ", cols));
    return stride;
}

ms::const_matrix_view input_matrix(const in_array& a, const char* name) {
    require_cpu(a, name);
    const ms::dtype t = activation_dtype(a, name);
    const std::int64_t stride = row_stride_of(a, name);
    return {a.data(), t, static_cast<std::int64_t>(a.shape(0)), static_cast<std::int64_t>(a.shape(1)), stride};
}

ms::matrix_view output_matrix(out_array& a, const char* name) {
    require_cpu(a, name);
    const ms::dtype t = activation_dtype(a, name);
    const std::int64_t stride = row_stride_of(a, name);
    return {a.data(), t, static_cast<std::int64_t>(a.shape(0)), static_cast<std::int64_t>(a.shape(1)), stride};
}

/// A contiguous array of exactly `want` dims (or any, when want < 0) and element type T.
template <class T>
const T* contiguous(const in_array& a, const char* name, int want_ndim, const char* type_name) {
    require_cpu(a, name);
    if (a.dtype() != nb::dtype<T>()) type_error(ms::detail::cat(name, ": dtype ", dtype_text(a.dtype()), " is not ", type_name));
    if (want_ndim >= 0 && static_cast<int>(a.ndim()) != want_ndim)
        value_error(ms::detail::cat(name, ": expected a ", want_ndim, "-D array, got ", a.ndim(), " dimensions"));
    std::int64_t expected = 1;
    for (std::size_t d = a.ndim(); d-- > 0;) {
        if (a.shape(d) > 1 && a.stride(d) != expected) value_error(ms::detail::cat(name, ": must be contiguous (C order)"));
        expected *= static_cast<std::int64_t>(a.shape(d));
    }
    return static_cast<const T*>(a.data());
}

std::vector<std::uint8_t> bytes_of(const in_array& a, const char* name) {
    const auto* p = contiguous<std::uint8_t>(a, name, 2, "uint8 (pass float8 / e8m0 tensors as .view(torch.uint8))");
    return {p, p + a.size()};
}

/// A new numpy array owning `values`, of shape `shape`.
template <class T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T> values, std::vector<std::size_t> shape) {
    auto* owned = new std::vector<T>(std::move(values));
    nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
    return nb::ndarray<nb::numpy, T>(owned->data(), shape.size(), shape.data(), owner);
}

ms::apply_options apply_options(int threads) {
    if (threads < 0) value_error(ms::detail::cat("threads: ", threads, " is negative (0 means OpenMP's default)"));
    return {threads};
}

ms::selection_options selection(const std::optional<std::string>& kernel, const std::optional<std::string>& backend) {
    auto o = ms::selection_options::from_environment();
    if (kernel) o.forced_kernel = *kernel;
    if (backend) o.forced_backend = *backend;
    return o;
}

ms::dtype parse_activation(const std::string& name) {
    for (const ms::dtype t : {ms::dtype::f32, ms::dtype::bf16, ms::dtype::f16})
        if (name == ms::dtype_name(t)) return t;
    value_error(ms::detail::cat("activation dtype '", name, "' is not one of f32, bf16, f16"));
}

std::string format_of_scheme(const std::string& scheme) {
    const std::string canonical = ms::resolve_scheme(scheme, ms::kernel_table(), ms::scheme_aliases());
    return ms::format::parse_scheme(canonical)->format;
}

// ---- QuantizedWeight -------------------------------------------------------------------------------

ms::quantized_weight make_weight(const std::string& format, const in_array& codes, const in_array& scales, float global_scale,
                                 std::optional<float> input_scale, const std::string& scale_layout, const std::string& name) {
    ms::quantized_weight w;
    w.format = format;
    w.name = name;
    w.codes = bytes_of(codes, "codes");
    w.scales = bytes_of(scales, "scales");
    w.rows = static_cast<std::int64_t>(codes.shape(0));
    w.global_scale = global_scale;
    w.input_scale = input_scale;
    w.scale_layout = ms::layout::parse_layout(scale_layout);
    const bool known = ms::format::visit_format(format, [&](auto f) {
        using F = decltype(f);
        w.cols = ms::format::row_elements<F>(static_cast<std::int64_t>(codes.shape(1)));
        if (w.cols < 0)
            value_error(ms::detail::cat("codes: ", codes.shape(1), " bytes per row are not a whole number of ", F::name, " element groups"));
        ms::validate<F>(w);
    });
    if (!known) value_error(ms::detail::cat("format '", format, "' is not one of", ms::format::format_list()));
    return w;
}

template <class T>
nb::ndarray<nb::numpy, const T> view_of(const std::vector<T>& v, std::size_t rows, std::size_t cols, nb::handle owner) {
    const std::size_t shape[2] = {rows, cols};
    return nb::ndarray<nb::numpy, const T>(v.data(), 2, shape, owner);
}

void bind_weight(nb::module_& m) {
    nb::class_<ms::quantized_weight>(m, "QuantizedWeight")
        .def(
            "__init__",
            [](ms::quantized_weight* self, const std::string& format, const in_array& codes, const in_array& scales, float global_scale,
               std::optional<float> input_scale, const std::string& scale_layout, const std::string& name) {
                new (self) ms::quantized_weight(make_weight(format, codes, scales, global_scale, input_scale, scale_layout, name));
            },
            "format"_a, "codes"_a, "scales"_a, "global_scale"_a = 1.0f, "input_scale"_a = nb::none(), "scale_layout"_a = "linear",
            "name"_a = "weight")
        .def_ro("format", &ms::quantized_weight::format)
        .def_ro("rows", &ms::quantized_weight::rows)
        .def_ro("cols", &ms::quantized_weight::cols)
        .def_ro("global_scale", &ms::quantized_weight::global_scale)
        .def_ro("input_scale", &ms::quantized_weight::input_scale)
        .def_ro("name", &ms::quantized_weight::name)
        .def_prop_ro("scale_layout", [](const ms::quantized_weight& w) { return std::string(ms::layout::layout_name(w.scale_layout)); })
        .def_prop_ro(
            "codes",
            [](nb::handle self) {
                const auto& w = nb::cast<const ms::quantized_weight&>(self);
                return view_of(w.codes, static_cast<std::size_t>(w.rows), w.codes.size() / static_cast<std::size_t>(w.rows), self);
            })
        .def_prop_ro("scales", [](nb::handle self) {
            const auto& w = nb::cast<const ms::quantized_weight&>(self);
            const std::int64_t blocks = w.cols / ms::format::facts_of(w.format).block_size;
            const auto shape = ms::layout::visit_layout(w.scale_layout, [&](auto l) { return decltype(l)::padded_shape(w.rows, blocks); });
            return view_of(w.scales, static_cast<std::size_t>(shape.rows), static_cast<std::size_t>(shape.cols), self);
        });

    m.def(
        "quantize_weight",
        [](const in_array& w, const std::string& scheme, std::optional<float> input_scale, const std::string& mx_rule, const std::string& name) {
            const float* p = contiguous<float>(w, "w", 2, "float32");
            const auto rows = static_cast<std::int64_t>(w.shape(0)), cols = static_cast<std::int64_t>(w.shape(1));
            ms::format::quantize_options o;
            o.mx_rule = ms::format::parse_mx_scale_rule(mx_rule);
            o.name = name;
            std::optional<ms::quantized_weight> out;
            ms::format::visit_format(format_of_scheme(scheme), [&](auto f) {
                using F = decltype(f);
                nb::gil_scoped_release release;
                out = ms::format::quantize_weight<F>({p, static_cast<std::size_t>(rows * cols)}, rows, cols, o);
            });
            if (input_scale) {
                if (!ms::format::facts_of(out->format).has_global_scale) value_error("input_scale: only NVFP4 has an activation global scale");
                if (!std::isfinite(*input_scale) || *input_scale <= 0.0f) value_error("input_scale: not a positive finite number");
                out->input_scale = input_scale;
            }
            return std::move(*out);
        },
        "w"_a, "scheme"_a, "input_scale"_a = nb::none(), "mx_rule"_a = "even", "name"_a = "weight");

    m.def(
        "qdq",
        [](const in_array& x, const std::string& scheme, std::optional<float> input_scale, const std::string& mx_rule) {
            const float* p = contiguous<float>(x, "x", 2, "float32");
            const auto rows = static_cast<std::int64_t>(x.shape(0)), cols = static_cast<std::int64_t>(x.shape(1));
            std::optional<ms::format::qdq_result> r;
            ms::format::visit_format(format_of_scheme(scheme), [&](auto f) {
                using F = decltype(f);
                nb::gil_scoped_release release;
                r = ms::format::qdq_matrix<F>({p, static_cast<std::size_t>(rows * cols)}, rows, cols, input_scale,
                                             ms::format::parse_mx_scale_rule(mx_rule), "x");
            });
            return to_numpy(std::move(r->dequantized), {static_cast<std::size_t>(rows), static_cast<std::size_t>(cols)});
        },
        "x"_a, "scheme"_a, "input_scale"_a = nb::none(), "mx_rule"_a = "even");
}

// ---- Linear and MoE --------------------------------------------------------------------------------

void apply_linear(const ms::linear_layer& layer, const in_array& x, out_array& out, const std::optional<in_array>& bias, int threads) {
    const auto xv = input_matrix(x, "x");
    const auto yv = output_matrix(out, "out");
    std::optional<ms::const_vector_view> bv;
    if (bias) {
        require_cpu(*bias, "bias");
        if (bias->ndim() != 1 || (bias->shape(0) > 1 && bias->stride(0) != 1)) value_error("bias: expected a contiguous 1-D array");
        bv = ms::const_vector_view{bias->data(), activation_dtype(*bias, "bias"), static_cast<std::int64_t>(bias->shape(0))};
    }
    const auto options = apply_options(threads);
    nb::gil_scoped_release release;
    layer.apply(xv, yv, bv ? &*bv : nullptr, options);
}

void bind_layers(nb::module_& m) {
    nb::class_<ms::linear_layer>(m, "Linear")
        .def_prop_ro("kernel_name", [](const ms::linear_layer& l) { return std::string(l.kernel_name()); })
        .def_prop_ro("in_features", &ms::linear_layer::in_features)
        .def_prop_ro("out_features", &ms::linear_layer::out_features)
        .def_prop_ro("memory_bytes", &ms::linear_layer::memory_bytes)
        .def("apply", &apply_linear, "x"_a, "out"_a, "bias"_a = nb::none(), "threads"_a = 0);

    m.def(
        "create_linear",
        [](const std::string& scheme, const ms::quantized_weight& w, const std::string& activation, std::optional<std::string> kernel,
           std::optional<std::string> backend) { return ms::create_linear(scheme, w, parse_activation(activation), selection(kernel, backend)); },
        "scheme"_a, "weight"_a, "activation"_a = "bf16", "kernel"_a = nb::none(), "backend"_a = nb::none());
    m.def(
        "dense_linear",
        [](const in_array& w) -> std::unique_ptr<ms::linear_layer> {
            const float* p = contiguous<float>(w, "w", 2, "float32");
            const auto n = static_cast<std::int64_t>(w.shape(0)), k = static_cast<std::int64_t>(w.shape(1));
            return std::make_unique<ms::backend::dense_layer>(std::vector<float>(p, p + n * k), n, k);
        },
        "w"_a);

    nb::class_<ms::moe_layer>(m, "MoE")
        .def_prop_ro("kernel_name", [](const ms::moe_layer& l) { return std::string(l.kernel_name()); })
        .def_prop_ro("experts", &ms::moe_layer::experts)
        .def_prop_ro("hidden", &ms::moe_layer::hidden)
        .def_prop_ro("intermediate", &ms::moe_layer::intermediate)
        .def_prop_ro("warnings", &ms::moe_layer::warnings)
        .def_prop_ro("memory_bytes", &ms::moe_layer::memory_bytes)
        .def(
            "apply",
            [](const ms::moe_layer& l, const in_array& x, const in_array& ids, const in_array& weights, out_array& out, int threads,
               bool router_weight_on_input) {
                const auto xv = input_matrix(x, "x");
                const auto yv = output_matrix(out, "out");
                const auto* id = contiguous<std::int32_t>(ids, "topk_ids", 2, "int32");
                const auto* wt = contiguous<float>(weights, "topk_weights", 2, "float32");
                if (ids.shape(0) != x.shape(0) || weights.shape(0) != x.shape(0) || ids.shape(1) != weights.shape(1))
                    value_error(ms::detail::cat("topk_ids [", ids.shape(0), ", ", ids.shape(1), "] and topk_weights [", weights.shape(0), ", ",
                                                weights.shape(1), "] must both be [T, top_k] with T = ", x.shape(0), " rows of x"));
                const auto top_k = static_cast<std::int64_t>(ids.shape(1));
                ms::moe_options o;
                o.threads = apply_options(threads).threads;
                o.router_weight_on_input = router_weight_on_input;
                nb::gil_scoped_release release;
                l.apply(xv, {id, ids.size()}, {wt, weights.size()}, top_k, yv, o);
            },
            "x"_a, "topk_ids"_a, "topk_weights"_a, "out"_a, "threads"_a = 0, "router_weight_on_input"_a = false);

    m.def(
        "create_moe",
        [](const std::string& scheme, std::vector<ms::quantized_weight> w13, std::vector<ms::quantized_weight> w2,
           const std::optional<in_array>& w13_bias, const std::optional<in_array>& w2_bias, const std::string& activation,
           std::optional<std::string> kernel, std::optional<std::string> backend, const std::string& name) {
            if (w13.empty() || w13.size() != w2.size()) value_error(ms::detail::cat(w13.size(), " w13 and ", w2.size(), " w2 weights: one each per expert"));
            ms::moe_weights w;
            w.format = w13.front().format;
            w.experts = static_cast<std::int64_t>(w13.size());
            w.hidden = w13.front().cols;
            w.intermediate = w13.front().rows / 2;
            w.name = name;
            auto floats = [](const std::optional<in_array>& a, const char* what) {
                if (!a) return std::vector<float>{};
                const float* p = contiguous<float>(*a, what, 2, "float32");
                return std::vector<float>(p, p + a->size());
            };
            w.w13_bias = floats(w13_bias, "w13_bias");
            w.w2_bias = floats(w2_bias, "w2_bias");
            w.w13 = std::move(w13);
            w.w2 = std::move(w2);
            return ms::create_moe(scheme, std::move(w), parse_activation(activation), selection(kernel, backend));
        },
        "scheme"_a, "w13"_a, "w2"_a, "w13_bias"_a = nb::none(), "w2_bias"_a = nb::none(), "activation"_a = "bf16", "kernel"_a = nb::none(),
        "backend"_a = nb::none(), "name"_a = "experts");
}

// ---- Checkpoint ------------------------------------------------------------------------------------

nb::dict module_dict(const ms::checkpoint::module_info& i) {
    nb::dict d;
    d["name"] = i.name;
    d["quantized"] = i.quantized;
    d["scheme"] = i.scheme;
    d["reason"] = i.reason;
    d["convention"] = i.convention;
    d["out_features"] = i.n;
    d["in_features"] = i.k;
    d["bytes_on_disk"] = i.bytes_on_disk;
    d["shards"] = i.shards;
    return d;
}

nb::ndarray<nb::numpy, float> read_tensor(const ms::checkpoint::checkpoint_reader& r, const std::string& name) {
    const ms::checkpoint::safetensors_file* file = nullptr;
    const auto* t = r.tensors().find(name, &file);
    if (t == nullptr) throw nb::key_error(ms::detail::cat("no tensor '", name, "' in the checkpoint").c_str());
    std::vector<std::size_t> shape(t->shape.begin(), t->shape.end());
    return to_numpy(ms::checkpoint::read_floats(*file, *t), std::move(shape));
}

void bind_checkpoint(nb::module_& m) {
    using reader = ms::checkpoint::checkpoint_reader;
    nb::class_<reader>(m, "Checkpoint")
        .def(nb::init<const std::string&>(), "path"_a)
        .def("module_names", &reader::module_names)
        .def("fusable_modules", &reader::fusable_modules)
        .def("describe", [](const reader& r, const std::string& module) { return module_dict(r.describe(module)); }, "module"_a)
        .def("moe_names", &reader::moe_names)
        .def(
            "describe_moe",
            [](const reader& r, const std::string& prefix) {
                const auto i = r.describe_moe(prefix);
                nb::dict d;
                d["name"] = i.name;
                d["layout"] = i.layout;
                d["scheme"] = i.scheme;
                d["convention"] = i.convention;
                d["experts"] = i.experts;
                d["hidden"] = i.hidden;
                d["intermediate"] = i.intermediate;
                d["bytes_on_disk"] = i.bytes_on_disk;
                return d;
            },
            "prefix"_a)
        .def("tensor_names", [](const reader& r) { return r.tensors().names(); })
        .def(
            "tensor_shape",
            [](const reader& r, const std::string& name) {
                const auto* t = r.tensors().find(name);
                if (t == nullptr) throw nb::key_error(ms::detail::cat("no tensor '", name, "' in the checkpoint").c_str());
                return t->shape;
            },
            "name"_a)
        .def("read_tensor", &read_tensor, "name"_a)
        .def("load_quantized", [](const reader& r, const std::string& module) { return r.load_quantized(module); }, "module"_a)
        .def(
            "load_linear",
            [](const reader& r, const std::string& module, const std::string& activation, std::optional<std::string> kernel,
               std::optional<std::string> backend) {
                nb::gil_scoped_release release;
                return r.load_linear(module, parse_activation(activation), selection(kernel, backend));
            },
            "module"_a, "activation"_a = "bf16", "kernel"_a = nb::none(), "backend"_a = nb::none())
        .def(
            "load_moe",
            [](const reader& r, const std::string& prefix, const std::string& activation, std::optional<std::string> kernel,
               std::optional<std::string> backend) {
                nb::gil_scoped_release release;
                return r.load_moe_layer(prefix, parse_activation(activation), selection(kernel, backend));
            },
            "prefix"_a, "activation"_a = "bf16", "kernel"_a = nb::none(), "backend"_a = nb::none())
        .def_prop_ro("convention", [](const reader& r) { return r.config().convention; })
        .def_prop_ro("producer", [](const reader& r) { return r.config().producer; })
        .def_prop_ro("algorithm", [](const reader& r) { return r.config().algorithm; })
        .def_prop_ro("exclude", [](const reader& r) { return r.config().exclude; })
        .def_prop_ro("config_source", [](const reader& r) { return r.config().source; });

    m.def(
        "quantize_checkpoint",
        [](const std::string& source, const std::string& output, const std::string& scheme, std::optional<std::string> convention,
           std::vector<std::string> exclude, bool overwrite, std::optional<std::string> calibration) {
            ms::checkpoint::export_options o;
            std::optional<ms::checkpoint::safetensors_file> samples;
            if (calibration) {
                samples.emplace(*calibration);
                o.calibration = &*samples;
            }
            o.scheme = ms::resolve_scheme(scheme, ms::kernel_table(), ms::scheme_aliases());
            if (convention) o.convention = ms::checkpoint::parse_convention(*convention);
            o.exclude = std::move(exclude);
            o.overwrite = overwrite;
            // a folder's model.safetensors, or the file itself (the exporter reads one file)
            std::filesystem::path file(source);
            if (std::filesystem::is_directory(file)) {
                if (std::filesystem::exists(file / "model.safetensors.index.json") && !std::filesystem::exists(file / "model.safetensors"))
                    value_error(ms::detail::cat(source, ": a sharded checkpoint; quantize_checkpoint reads one model.safetensors"));
                file /= "model.safetensors";
            }
            const ms::checkpoint::safetensors_file in(file);
            ms::checkpoint::export_report report;
            {
                nb::gil_scoped_release release;
                report = ms::checkpoint::export_checkpoint(in, output, o);
            }
            nb::dict d;
            d["quantized"] = report.quantized;
            d["excluded"] = report.excluded;
            d["copied"] = report.copied;
            d["files"] = report.files;
            d["bytes_in"] = report.bytes_in;
            d["bytes_out"] = report.bytes_out;
            d["notes"] = report.notes;
            d["warnings"] = report.warnings;
            return d;
        },
        "source"_a, "output"_a, "scheme"_a, "convention"_a = nb::none(), "exclude"_a = std::vector<std::string>{}, "overwrite"_a = false,
        "calibration"_a = nb::none());
}

// ---- the table -------------------------------------------------------------------------------------

void bind_table(nb::module_& m) {
    m.def("schemes", [] {
        std::vector<std::string> out;
        for (const auto& e : ms::kernel_table())
            if (std::find(out.begin(), out.end(), e.scheme) == out.end()) out.emplace_back(e.scheme);
        return out;
    });
    m.def("aliases", [] {
        nb::list out;
        for (const auto& a : ms::scheme_aliases()) out.append(nb::make_tuple(std::string(a.alias), std::string(a.scheme), std::string(a.origin)));
        return out;
    });
    m.def("resolve_scheme", [](const std::string& s) { return ms::resolve_scheme(s, ms::kernel_table(), ms::scheme_aliases()); }, "scheme"_a);
    m.def("kernels", [] {
        nb::list out;
        for (const auto& e : ms::kernel_table()) {
            const ms::support s = e.is_supported();
            nb::dict d;
            d["name"] = std::string(e.name);
            d["scheme"] = std::string(e.scheme);
            d["format"] = std::string(e.format);
            d["activation"] = std::string(e.activation);
            d["layout"] = std::string(e.layout);
            d["backend"] = std::string(e.backend);
            d["supported"] = static_cast<bool>(s);
            d["why"] = !s.reason.empty() ? s.reason : std::string(s ? "supported on this CPU" : "not supported on this CPU");
            out.append(d);
        }
        return out;
    });
}

}  // namespace

NB_MODULE(_core, m) {
    m.doc() = "microscale's C++ kernels (use the `microscale` package, not this module)";
    m.attr("__version__") = std::string(ms::compiled_version());
    m.attr("headers_version") = std::string(ms::version_string);
    static nb::exception<ms::checkpoint::format_error> checkpoint_error(m, "CheckpointError", PyExc_ValueError);
    static nb::exception<ms::checkpoint::config_error> config_error(m, "ConfigError", PyExc_ValueError);
    static nb::exception<ms::no_kernel> no_kernel(m, "NoKernelError", PyExc_RuntimeError);
    bind_table(m);
    bind_weight(m);
    bind_layers(m);
    bind_checkpoint(m);
}
