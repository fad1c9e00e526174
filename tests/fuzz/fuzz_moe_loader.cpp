// libFuzzer target: the MoE path of checkpoint_reader (moe_names, is_moe, describe_moe, load_moe,
// load_moe_layer) on a whole checkpoint folder, and one apply of every layer that loads.
//
// Input framing (one byte, then the config, then the weights):
//   byte 0          options: bits 0-1  which config file the folder gets: 0 hf_quant_config.json,
//                                      1 config.json, 2 or 3 none (an unquantized checkpoint)
//                            bit 2     x holds small non-zero values (else zeros)
//                            bit 3     top_k = 1 with the router weight on the input (else top_k = 2)
//   bytes 1 ..      the config file's text, up to the first NUL byte (JSON has no raw NUL)
//   after the NUL   model.safetensors, byte for byte; no NUL: the folder has no model.safetensors
// tests/fuzz/make_corpus.py writes the seeds (tests/fuzz/corpus/moe_loader/) in this framing.
//
// The files go to one temporary folder per process ($TMPDIR, else /dev/shm; fixed names, rewritten
// every input, removed at a normal exit; .ci/fuzz.sh points TMPDIR at a folder it removes, as a
// crash leaves the folder behind). The MoE kernels are the emulation backend's: this target builds
// its own runtime table, as a header-only user does, and forces selection to "emulation" as well,
// so nothing but the headers, Eigen and nlohmann-json is needed.
//
// Expected failures, swallowed: format_error and config_error from every step; from
// load_moe_layer also std::invalid_argument (quantized_weight validation and the MoE kernel's
// checks: NaN scale codes, non-positive global scales, experts of mismatched shapes; this includes
// unknown_scheme) and no_kernel (a shape no kernel can do, e.g. I = 0). Anything else escapes
// (std::bad_alloc, std::length_error, std::out_of_range, nlohmann's exceptions, ...) or aborts
// (apply() throwing on valid arguments, an invariant below failing), and libFuzzer reports it; the
// one apply() failure allowed is an expert's hidden activations overflowing to inf / NaN (weights
// with huge scales), which the MoE kernel reports as such.
// Invariants checked once a layer loads: load_moe / load_moe_layer agree with describe_moe; the
// kernel is the scheme's emulation kernel; the stored tensors have exactly the shapes and dtypes
// the convention documents (a loader that accepts anything else is a bug: loader.hpp, "Tensor
// conventions"); a token's output does not depend on the other tokens (T = 2 vs T = 1, bitwise).
//
// Size limits: safetensors requires every tensor's bytes to be in the file, and a layer that loads
// has E, K, I > 0, so what the loader and the kernels hold is bounded by the input (-max_len
// bytes); x [T, K] is only built for K <= max_hidden (always so within .ci/fuzz.sh's -max_len).
// Zero-element tensors are not bounded that way ([E, 0, K] with E = 10^8 is a few bytes), but a
// loader that works per expert before rejecting I = 0 is a bug, not a legitimate allocation, so
// no limit hides it (corpus/moe_loader/repro_stacked_zero_intermediate_1e8_experts.bin).
//
// Build: tests/fuzz/CMakeLists.txt; run: .ci/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "microscale/backend/emulation.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/moe.hpp"
#include "microscale/registry.hpp"

namespace ms = microscale;
namespace mc = microscale::checkpoint;
namespace fs = std::filesystem;

// ---- the runtime table: the emulation backend's MoE kernels ------------------------------------
// (the compiled library's table, instantiations/generated/registry_table.cpp, is not linked)
namespace microscale {
namespace {
template <class F, class A>
using emulated_moe = moe_kernel<F, A, layout::stored, backend::emulation>;
constexpr moe_kernel_entry fuzz_moe_table[] = {
    make_moe_entry<emulated_moe<format::nvfp4, activation::aq>>(),      make_moe_entry<emulated_moe<format::nvfp4, activation::a16>>(),
    make_moe_entry<emulated_moe<format::mxfp4, activation::aq>>(),      make_moe_entry<emulated_moe<format::mxfp4, activation::a16>>(),
    make_moe_entry<emulated_moe<format::mxfp6_e2m3, activation::aq>>(), make_moe_entry<emulated_moe<format::mxfp6_e2m3, activation::a16>>(),
    make_moe_entry<emulated_moe<format::mxfp6_e3m2, activation::aq>>(), make_moe_entry<emulated_moe<format::mxfp6_e3m2, activation::a16>>(),
};
}  // namespace
std::span<const moe_kernel_entry> moe_kernel_table() noexcept { return fuzz_moe_table; }
// linear layers are not loaded here; schemes from the config are canonical, so no aliases are needed
std::span<const kernel_entry> kernel_table() noexcept { return {}; }
std::span<const scheme_alias> scheme_aliases() noexcept { return {}; }
}  // namespace microscale

namespace {

constexpr std::int64_t max_hidden = 1 << 20;

[[noreturn]] void loader_bug(const std::string& what) {
    std::fprintf(stderr, "loader bug: %s\n", what.c_str());
    std::abort();
}

// MICROSCALE_FUZZ_VERBOSE=1: say what each step did (to check the seeds; off while fuzzing)
const bool verbose = std::getenv("MICROSCALE_FUZZ_VERBOSE") != nullptr;

void trace(const std::string& step, const char* what) {
    if (verbose) std::fprintf(stderr, "  %s: %s\n", step.c_str(), what);
}

// ---- the checkpoint folder ---------------------------------------------------------------------

const fs::path& folder() {
    static const fs::path dir = [] {
        // $TMPDIR, else /dev/shm (files rewritten thousands of times a second are best kept in memory)
        std::error_code ec;
        const char* tmpdir = std::getenv("TMPDIR");
        const fs::path base = tmpdir != nullptr && *tmpdir != '\0'                                  ? fs::path(tmpdir)
                              : fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm")
                                                                                                    : fs::temp_directory_path();
        std::string tmpl = (base / "microscale-fuzz-moe.XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            std::perror("fuzz_moe_loader: mkdtemp");
            std::abort();
        }
        static const fs::path made(tmpl);
        std::atexit([] {
            std::error_code ignored;
            fs::remove_all(made, ignored);
        });
        return made;
    }();
    return dir;
}

void put(const fs::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
        std::fprintf(stderr, "fuzz_moe_loader: cannot write %s\n", path.c_str());
        std::abort();
    }
}

void drop(const fs::path& path) {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) {
        std::fprintf(stderr, "fuzz_moe_loader: cannot remove %s: %s\n", path.c_str(), ec.message().c_str());
        std::abort();
    }
}

// ---- what a loaded layer's tensors must look like (loader.hpp, "Tensor conventions") -------------

std::string shape_text(const std::vector<std::int64_t>& s) { return mc::tensor_info::shape_text(s); }

struct convention {
    std::string format;
    std::int64_t block = 0;
    std::int64_t packed(std::int64_t k) const { return format == "nvfp4" || format == "mxfp4" ? k / 2 : k / 4 * 3; }
    bool scale_dtype(mc::st_dtype d) const {
        return format == "nvfp4" ? d == mc::st_dtype::F8_E4M3 || d == mc::st_dtype::U8 : d == mc::st_dtype::U8 || d == mc::st_dtype::F8_E8M0;
    }
};

void expect_stored(const mc::checkpoint_reader& r, const std::string& name, const std::vector<std::int64_t>& shape, bool codes, const convention& c) {
    const mc::tensor_info* t = r.tensors().find(name);
    if (t == nullptr) loader_bug("layer loaded without tensor '" + name + "'");
    const bool dtype_ok = codes ? t->dtype == mc::st_dtype::U8 : c.scale_dtype(t->dtype);
    if (t->shape != shape || !dtype_ok)
        loader_bug("layer loaded with tensor '" + name + "' " + std::string(mc::dtype_name(t->dtype)) + " " + t->shape_string() + ", expected " +
                   (codes                 ? "U8"
                    : c.format == "nvfp4" ? "F8_E4M3/U8"
                                          : "U8/F8_E8M0") +
                   " " + shape_text(shape));
}

void expect_optional(const mc::checkpoint_reader& r, const std::string& name, const std::vector<std::int64_t>& shape) {
    const mc::tensor_info* t = r.tensors().find(name);
    if (t != nullptr && t->shape != shape)
        loader_bug("layer loaded with tensor '" + name + "' " + t->shape_string() + ", expected " + shape_text(shape));
}

void check_tensors(const mc::checkpoint_reader& r, const mc::checkpoint_reader::moe_info& info, std::int64_t E, std::int64_t K, std::int64_t I) {
    const auto parts = ms::format::parse_scheme(info.scheme);
    if (!parts) loader_bug("describe_moe returned unknown scheme '" + info.scheme + "'");
    const convention c{parts->format, parts->format == "nvfp4" ? 16 : 32};
    const std::string& p = info.name;
    if (info.layout == "stacked") {
        const bool ct = info.convention == "compressed-tensors";
        expect_stored(r, p + (ct ? ".w13_weight_packed" : ".w13_weight"), {E, 2 * I, c.packed(K)}, true, c);
        expect_stored(r, p + (ct ? ".w2_weight_packed" : ".w2_weight"), {E, K, c.packed(I)}, true, c);
        expect_stored(r, p + ".w13_weight_scale", {E, 2 * I, K / c.block}, false, c);
        expect_stored(r, p + ".w2_weight_scale", {E, K, I / c.block}, false, c);
        expect_optional(r, p + ".w13_bias", {E, 2 * I});
        expect_optional(r, p + ".w2_bias", {E, K});
    } else if (info.layout == "per-expert") {
        for (std::int64_t e = 0; e < E; ++e) {
            const std::string stem = p + "." + std::to_string(e) + ".";
            for (const char* part : {"gate_proj", "up_proj", "down_proj"}) {
                const std::string m = stem + part;
                const bool down = std::strcmp(part, "down_proj") == 0;
                const std::int64_t n = down ? K : I, k = down ? I : K;
                const bool ct = r.tensors().find(m + ".weight_packed") != nullptr;
                expect_stored(r, m + (ct ? ".weight_packed" : ".weight"), {n, c.packed(k)}, true, c);
                expect_stored(r, m + ".weight_scale", {n, k / c.block}, false, c);
            }
        }
        // every stored expert is one of the layer's: none silently left out after a gap
        for (const auto& name : r.tensors().names()) {
            if (name.size() <= p.size() + 1 || name.compare(0, p.size() + 1, p + ".") != 0) continue;
            std::size_t i = p.size() + 1, digits = 0;
            std::int64_t index = 0;
            while (i < name.size() && name[i] >= '0' && name[i] <= '9' && digits < 12) index = index * 10 + (name[i++] - '0'), ++digits;
            if (digits == 0 || (digits > 1 && name[p.size() + 1] == '0') || i >= name.size() || name[i] != '.') continue;
            const std::string_view part = std::string_view(name).substr(i + 1);
            const bool expert_tensor = part.starts_with("gate_proj.") || part.starts_with("up_proj.") || part.starts_with("down_proj.");
            if (expert_tensor && index >= E && (part.ends_with(".weight") || part.ends_with(".weight_packed")))
                loader_bug(p + ": tensor '" + name + "' is stored but the layer was loaded with E = " + std::to_string(E) + " experts");
        }
    } else {
        loader_bug("describe_moe returned layout '" + info.layout + "'");
    }
}

// ---- one apply -------------------------------------------------------------------------------

void run(const ms::moe_layer& layer, std::uint8_t options) {
    const std::int64_t E = layer.experts(), K = layer.hidden();
    if (K > max_hidden) return;
    const bool small_values = (options & 4) != 0, on_input = (options & 8) != 0;
    const std::int64_t T = 2, top_k = on_input ? 1 : 2;
    std::vector<std::uint16_t> x(static_cast<std::size_t>(T * K), 0);
    if (small_values)
        for (std::size_t i = 0; i < x.size(); ++i)
            x[i] = ms::numeric::bf16::encode(static_cast<float>(static_cast<int>((i * 7 + i / 5) % 9) - 4) * 0.125f);
    const auto last = static_cast<std::int32_t>(E - 1), mid = static_cast<std::int32_t>(E / 2);
    // token 0: the first and last experts; token 1: no expert in its first slot (-1), then the middle one
    const std::vector<std::int32_t> ids = on_input ? std::vector<std::int32_t>{0, mid} : std::vector<std::int32_t>{0, last, -1, mid};
    const std::vector<float> weights = on_input ? std::vector<float>{0.5f, 1.0f} : std::vector<float>{0.75f, 0.25f, 0.5f, 1.0f};
    ms::moe_options mo;
    mo.threads = 1;
    mo.router_weight_on_input = on_input;
    std::vector<std::uint16_t> y(x.size(), 0xFFFF), y1(static_cast<std::size_t>(K), 0xFFFF);
    try {
        layer.apply({x.data(), ms::dtype::bf16, T, K}, ids, weights, top_k, {y.data(), ms::dtype::bf16, T, K}, mo);
        // token 1 alone: bit for bit what it got next to token 0
        layer.apply({x.data() + K, ms::dtype::bf16, 1, K}, std::span(ids).subspan(static_cast<std::size_t>(top_k)),
                    std::span(weights).subspan(static_cast<std::size_t>(top_k)), top_k, {y1.data(), ms::dtype::bf16, 1, K}, mo);
    } catch (const std::invalid_argument& e) {
        // The one failure finite x allows: an expert's hidden activations overflowed (weights with huge
        // scales or biases), which the MoE kernel names ("moe.<kernel>: expert e: the hidden
        // activation ... is not finite").
        const std::string what = e.what();
        if (what.rfind("moe.", 0) == 0 && what.find(": the hidden activation silu(g)") != std::string::npos) {
            trace("apply", e.what());
            return;
        }
        loader_bug(std::string("apply() of a loaded layer threw on valid arguments: ") + e.what());
    } catch (const std::exception& e) {
        loader_bug(std::string("apply() of a loaded layer threw on valid arguments: ") + e.what());
    }
    if (std::memcmp(y.data() + K, y1.data(), y1.size() * sizeof(std::uint16_t)) != 0)
        loader_bug(std::string(layer.kernel_name()) + ": token 1's output depends on token 0");
}

// ---- one MoE layer ---------------------------------------------------------------------------------

/// f(); false if it threw an expected error (format_error, config_error; from load_moe_layer also
/// no_kernel and std::invalid_argument); anything else propagates.
template <class F>
bool expected(const std::string& step, F&& f, bool from_layer = false) {
    try {
        f();
        trace(step, "ok");
        return true;
    } catch (const mc::format_error& e) {
        trace(step, e.what());
    } catch (const mc::config_error& e) {
        trace(step, e.what());
    } catch (const ms::no_kernel& e) {
        if (!from_layer) throw;
        trace(step, e.what());
    } catch (const std::invalid_argument& e) {
        if (!from_layer) throw;
        trace(step, e.what());
    }
    return false;
}

void fuzz_layer(const mc::checkpoint_reader& reader, const std::string& prefix, std::uint8_t options) {
    (void)reader.is_moe(prefix);
    mc::checkpoint_reader::moe_info info;
    if (!expected("describe_moe(" + prefix + ")", [&] { info = reader.describe_moe(prefix); })) return;
    if (info.name != prefix) loader_bug("describe_moe(" + prefix + ") named it " + info.name);

    ms::moe_weights w;
    if (!expected("load_moe", [&] { w = reader.load_moe(prefix); })) return;
    if (w.experts != info.experts || w.hidden != info.hidden || w.intermediate != info.intermediate ||
        static_cast<std::int64_t>(w.w13.size()) != w.experts || static_cast<std::int64_t>(w.w2.size()) != w.experts)
        loader_bug(prefix + ": load_moe disagrees with describe_moe (E, K, I or the number of experts)");

    ms::selection_options so;
    so.forced_backend = "emulation";
    std::unique_ptr<ms::moe_layer> layer;
    mc::fusion_report report;
    if (!expected(
            "load_moe_layer", [&] { layer = reader.load_moe_layer(prefix, ms::dtype::bf16, so, &report); }, true))
        return;
    if (layer == nullptr) loader_bug(prefix + ": load_moe_layer returned null");
    if (layer->experts() != info.experts || layer->hidden() != info.hidden || layer->intermediate() != info.intermediate)
        loader_bug(prefix + ": the layer's E, K, I disagree with describe_moe");
    if (layer->kernel_name() != "moe." + info.scheme + ".stored.emulation")
        loader_bug(prefix + ": scheme " + info.scheme + " loaded as " + std::string(layer->kernel_name()));
    check_tensors(reader, info, info.experts, info.hidden, info.intermediate);
    (void)layer->memory_bytes();
    run(*layer, options);
    if (verbose)
        std::fprintf(stderr, "  applied %s: E=%lld K=%lld I=%lld, %s, %zu warning(s)%s\n", std::string(layer->kernel_name()).c_str(),
                     static_cast<long long>(info.experts), static_cast<long long>(info.hidden), static_cast<long long>(info.intermediate),
                     info.layout.c_str(), layer->warnings().size(), report.rescaled ? ", gate/up re-rounded" : "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t options = data[0];
    const std::span<const std::uint8_t> rest(data + 1, size - 1);
    const auto* nul = static_cast<const std::uint8_t*>(std::memchr(rest.data(), 0, rest.size()));
    const std::size_t config_size = nul == nullptr ? rest.size() : static_cast<std::size_t>(nul - rest.data());

    const fs::path& dir = folder();
    const int config_file = options & 3;
    const fs::path hf = dir / "hf_quant_config.json", cfg = dir / "config.json", st = dir / "model.safetensors";
    if (config_file == 0)
        put(hf, rest.first(config_size));
    else
        drop(hf);
    if (config_file == 1)
        put(cfg, rest.first(config_size));
    else
        drop(cfg);
    if (nul != nullptr)
        put(st, rest.subspan(config_size + 1));
    else
        drop(st);

    std::unique_ptr<mc::checkpoint_reader> reader;
    if (!expected("checkpoint_reader", [&] { reader = std::make_unique<mc::checkpoint_reader>(dir); })) return 0;
    for (const auto& prefix : reader->moe_names()) fuzz_layer(*reader, prefix, options);
    return 0;
}
