// The one list of checkpoint conventions, which the reader and the exporter iterate. A new
// convention (a GGUF MXFP4 import, say) is one file beside this one plus an entry in the list.
#pragma once

#include <algorithm>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/checkpoint/conventions/compressed_tensors.hpp"
#include "microscale/checkpoint/conventions/hf_mxfp4.hpp"
#include "microscale/checkpoint/conventions/modelopt.hpp"
#include "microscale/checkpoint/conventions/quark.hpp"

namespace microscale::checkpoint {

/// In the order lists and messages show them; detection asks each in turn.
using all_conventions = boost::mp11::mp_list<conventions::modelopt, conventions::compressed_tensors, conventions::quark, conventions::hf_mxfp4>;

/// Calls f(Convention{}) for the convention named `name`; false if there is none.
template <class Fn>
bool visit_convention(std::string_view name, Fn&& f) {
    bool found = false;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) {
        static_assert(checkpoint_convention<decltype(c)>);
        if (!found && decltype(c)::name == name) {
            found = true;
            f(c);
        }
    });
    return found;
}

/// The convention names joined with ", " (for messages).
inline std::string convention_list() {
    std::string out;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) { out.append(out.empty() ? "" : ", ").append(decltype(c)::name); });
    return out;
}

/// The convention whose tensors are stored for module stem `stem` ("<p>." or "<p>.w13_"), if any.
inline std::optional<std::string_view> detect_convention(const tensor_store& store, const std::string& stem) {
    std::optional<std::string_view> out;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) {
        if (!out && decltype(c)::holds(store, stem)) out = decltype(c)::name;
    });
    return out;
}

/// The convention whose stacked experts are stored for MoE layer `prefix` (its gate/up codes), if any.
inline std::optional<std::string_view> detect_moe_convention(const tensor_store& store, const std::string& prefix) {
    std::optional<std::string_view> out;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) {
        using C = decltype(c);
        if (!out && C::holds(store, prefix + "." + std::string(C::moe.gate_up))) out = C::name;
    });
    return out;
}

/// Every distinct codes-tensor name of the conventions ("weight", "weight_packed").
inline std::vector<std::string> codes_tensor_names() {
    std::vector<std::string> out;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) {
        const std::string n(decltype(c)::tensors.codes);
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    });
    return out;
}

/// Every tensor name after a module stem that some convention stores ("weight", "weight_scale", ...).
inline std::vector<std::string> module_tensor_names() {
    std::vector<std::string> out;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) {
        using C = decltype(c);
        for (const std::string_view n : C::tensors.names())
            if (!n.empty() && std::find(out.begin(), out.end(), n) == out.end()) out.emplace_back(n);
    });
    return out;
}

/// The global-scale tensor names of the conventions that have one ("weight_scale_2", ...): an MX
/// module holding one of them is malformed.
inline std::vector<std::string> global_scale_tensor_names() {
    std::vector<std::string> out;
    boost::mp11::mp_for_each<all_conventions>([&](auto c) {
        if (!decltype(c)::tensors.global_scale.empty()) out.emplace_back(decltype(c)::tensors.global_scale);
    });
    return out;
}

/// True if convention `name` stores weight format `format`.
inline bool convention_stores(std::string_view name, std::string_view format) {
    bool out = false;
    visit_convention(name, [&](auto c) { format::visit_format(format, [&](auto f) { out = decltype(c)::template stores<decltype(f)>; }); });
    return out;
}

/// The convention an export of `format` uses by default: its reference exporter's (ModelOpt for
/// NVFP4, Quark for MX).
inline std::string_view default_convention(std::string_view format) {
    std::string_view out;
    format::visit_format(format, [&](auto f) { out = decltype(f)::has_global_scale ? conventions::modelopt::name : conventions::quark::name; });
    return out;
}

}  // namespace microscale::checkpoint
