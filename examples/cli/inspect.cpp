// `microscale inspect PATH [--json]`: the checkpoint's scheme, each linear module's kernel and
// shapes, the excluded modules, and bytes on disk against bytes in memory once prepared. A module
// that cannot be read (a malformed quantized module, say) is listed as a problem, and the command
// then exits 1.
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

/// f(), or nullopt with the module listed in out["problems"] when it throws (a malformed module).
template <class F>
auto or_problem(nlohmann::ordered_json& out, const std::string& name, F&& f) -> std::optional<decltype(f())> {
    try {
        return f();
    } catch (const std::exception& e) {
        out["problems"].push_back({{"name", name}, {"error", e.what()}});
        return std::nullopt;
    }
}

/// A module prepared by load(options, &report) as the runtime would, its kernel and bytes in memory
/// recorded in m; nullptr when it does not load (listed in out["problems"], as by or_problem).
template <class Load>
auto prepared_layer(nlohmann::ordered_json& out, const std::string& name, nlohmann::ordered_json& m, checkpoint::fusion_report& report, Load&& load)
    -> decltype(load(selection_options{}, &report)) {
    auto loaded = or_problem(out, name, [&] { return load(selection_options::from_environment(), &report); });
    if (!loaded) return nullptr;
    m["kernel"] = (*loaded)->kernel_name();
    m["bytes_in_memory"] = (*loaded)->memory_bytes();
    return std::move(*loaded);
}

/// The linear modules (stored and fusable) into out["modules"]; sums their bytes on disk and, when
/// prepared, in memory. A module that cannot be read goes to out["problems"].
void inspect_linear(const checkpoint::checkpoint_reader& reader, bool prepare, nlohmann::ordered_json& out, std::uint64_t& disk,
                    std::uint64_t& memory) {
    std::vector<std::string> modules = reader.module_names();
    for (const auto& f : reader.fusable_modules()) modules.push_back(f);
    for (const auto& name : modules) {
        const auto described = or_problem(out, name, [&] { return reader.describe(name); });
        if (!described) continue;
        const checkpoint::module_info& info = *described;
        nlohmann::ordered_json m = {{"name", name},          {"quantized", info.quantized},        {"scheme", info.scheme},
                                    {"reason", info.reason}, {"convention", info.convention},      {"n", info.n},
                                    {"k", info.k},           {"bytes_on_disk", info.bytes_on_disk}};
        if (!info.shards.empty()) m["fused_from"] = info.shards;
        if (prepare) {
            checkpoint::fusion_report report;
            const auto layer = prepared_layer(out, name, m, report, [&](const selection_options& so, checkpoint::fusion_report* r) {
                return reader.load_linear(name, dtype::bf16, so, r);
            });
            if (!layer) continue;
            if (report.rescaled) m["fusion_worst_relative_change"] = report.worst_relative_change;
            if (!report.warnings.empty()) m["warnings"] = report.warnings;
            if (info.shards.empty()) memory += layer->memory_bytes();
        }
        if (info.shards.empty()) disk += info.bytes_on_disk;
        out["modules"].push_back(m);
    }
}

/// The MoE layers into out["moe"] (problems as for linear modules).
void inspect_moe(const checkpoint::checkpoint_reader& reader, bool prepare, nlohmann::ordered_json& out) {
    for (const auto& name : reader.moe_names()) {
        const auto described = or_problem(out, name, [&] { return reader.describe_moe(name); });
        if (!described) continue;
        const auto& info = *described;
        nlohmann::ordered_json m = {{"name", name},
                                    {"layout", info.layout},
                                    {"scheme", info.scheme},
                                    {"convention", info.convention},
                                    {"experts", info.experts},
                                    {"hidden", info.hidden},
                                    {"intermediate", info.intermediate},
                                    {"bytes_on_disk", info.bytes_on_disk}};
        if (prepare) {
            checkpoint::fusion_report report;
            const auto layer = prepared_layer(out, name, m, report, [&](const selection_options& so, checkpoint::fusion_report* r) {
                return reader.load_moe_layer(name, dtype::bf16, so, r);
            });
            if (!layer) continue;
            std::vector<std::string> warnings = report.warnings;
            warnings.insert(warnings.end(), layer->warnings().begin(), layer->warnings().end());
            if (!warnings.empty()) m["warnings"] = warnings;
        }
        out["moe"].push_back(m);
    }
}

void print_config(const checkpoint::checkpoint_reader& reader, const nlohmann::ordered_json& out) {
    const auto& config = reader.config();
    std::cout << out["path"].get<std::string>() << ": " << reader.tensors().shard_count() << " shard(s), " << reader.tensors().total_bytes()
              << " bytes of tensors\n"
              << "config " << config.source << " (" << config.convention << ", " << config.algorithm
              << (config.producer.empty() ? "" : ", producer " + config.producer) << ")\n";
    for (const auto& r : config.rules) {
        std::cout << "  scheme " << r.scheme << " for";
        for (const auto& t : r.targets) std::cout << " " << t;
        std::cout << "\n";
    }
    if (!config.exclude.empty()) {
        std::cout << "  exclude:";
        for (const auto& e : config.exclude) std::cout << " " << e;
        std::cout << "\n";
    }
    if (!config.kv_cache.empty()) std::cout << "  kv cache: " << config.kv_cache << " (accepted, ignored)\n";
    std::cout << "\n";
}

void print_modules(const nlohmann::ordered_json& out) {
    for (const auto& m : out["modules"]) {
        std::cout << "  " << m["name"].get<std::string>() << "  [" << m["n"].get<std::int64_t>() << " x " << m["k"].get<std::int64_t>() << "]  ";
        if (m["quantized"].get<bool>())
            std::cout << m["scheme"].get<std::string>() << " (" << m["convention"].get<std::string>() << ")";
        else
            std::cout << "unquantized (" << m["reason"].get<std::string>() << ")";
        if (m.contains("kernel")) std::cout << " -> " << m["kernel"].get<std::string>();
        std::cout << "  disk " << m["bytes_on_disk"].get<std::uint64_t>();
        if (m.contains("bytes_in_memory")) std::cout << ", memory " << m["bytes_in_memory"].get<std::uint64_t>();
        if (m.contains("fused_from")) std::cout << "  (fused from " << m["fused_from"].size() << " shards)";
        std::cout << "\n";
        if (m.contains("warnings"))
            for (const auto& w : m["warnings"]) std::cout << "    warning: " << w.get<std::string>() << "\n";
    }
    for (const auto& m : out["moe"]) {
        std::cout << "  " << m["name"].get<std::string>() << "  MoE " << m["layout"].get<std::string>() << ", " << m["experts"].get<std::int64_t>()
                  << " experts, K=" << m["hidden"].get<std::int64_t>() << " I=" << m["intermediate"].get<std::int64_t>() << "  "
                  << m["scheme"].get<std::string>() << " (" << m["convention"].get<std::string>() << ")";
        if (m.contains("kernel")) std::cout << " -> " << m["kernel"].get<std::string>();
        std::cout << "  disk " << m["bytes_on_disk"].get<std::uint64_t>();
        if (m.contains("bytes_in_memory")) std::cout << ", memory " << m["bytes_in_memory"].get<std::uint64_t>();
        std::cout << "\n";
        if (m.contains("warnings"))
            for (const auto& w : m["warnings"]) std::cout << "    warning: " << w.get<std::string>() << "\n";
    }
    for (const auto& p : out["problems"]) std::cout << "  " << p["name"].get<std::string>() << "  PROBLEM: " << p["error"].get<std::string>() << "\n";
}

}  // namespace

int run_inspect(const std::vector<std::string>& args) {
    po::options_description options("inspect");
    options.add_options()("path", po::value<std::string>()->required(), "checkpoint folder or .safetensors file")("json", "print JSON")(
        "no-prepare", "skip preparing the layers (no in-memory sizes; fast for huge checkpoints)");
    po::positional_options_description positional;
    positional.add("path", 1);
    po::variables_map values;
    if (!parse_options("inspect", args, options, values, &positional)) return 0;
    const bool prepare = values.count("no-prepare") == 0;

    const checkpoint::checkpoint_reader reader(values["path"].as<std::string>());
    const auto& config = reader.config();
    nlohmann::ordered_json out;
    out["path"] = values["path"].as<std::string>();
    out["config"] = {{"source", config.source},     {"origin", config.convention}, {"algorithm", config.algorithm},
                     {"producer", config.producer}, {"exclude", config.exclude},   {"kv_cache", config.kv_cache}};
    out["config"]["rules"] = nlohmann::ordered_json::array();
    for (const auto& r : config.rules) out["config"]["rules"].push_back({{"scheme", r.scheme}, {"targets", r.targets}});
    out["shards"] = reader.tensors().shard_count();
    std::uint64_t disk = 0, memory = 0;
    out["modules"] = nlohmann::ordered_json::array();
    out["problems"] = nlohmann::ordered_json::array();  // malformed modules: reported, then exit 1
    inspect_linear(reader, prepare, out, disk, memory);
    out["moe"] = nlohmann::ordered_json::array();
    inspect_moe(reader, prepare, out);
    out["linear_bytes_on_disk"] = disk;
    if (prepare) out["linear_bytes_in_memory"] = memory;
    out["checkpoint_bytes"] = reader.tensors().total_bytes();
    const std::size_t problems = out["problems"].size();
    auto fail_on_problems = [&] {
        if (problems != 0)
            throw std::runtime_error(detail::cat(problems, " malformed module(s) in ", out["path"].get<std::string>(), " (listed above)"));
        return 0;
    };
    if (values.count("json")) {
        std::cout << out.dump(2) << "\n";
        return fail_on_problems();
    }
    print_config(reader, out);
    print_modules(out);
    std::cout << "\nlinear modules: " << disk << " bytes on disk";
    if (prepare) std::cout << ", " << memory << " bytes in memory prepared";
    std::cout << "\n";
    return fail_on_problems();
}

}  // namespace microscale::cli
