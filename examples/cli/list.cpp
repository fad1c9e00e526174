// `microscale list [--why] [--json]`: schemes, aliases and kernels (linear and MoE); which kernel
// this machine selects for each scheme, and why each other one is passed over.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "microscale/moe.hpp"
#include "microscale/registry.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

/// One JSON object per scheme of `table`: aliases, the selected kernel (or the error), and every
/// kernel with its support and why it was passed over.
template <class Entry>
nlohmann::ordered_json scheme_table(std::span<const Entry> table, const linear_shape& shape, const selection_options& env) {
    std::vector<std::string> schemes;
    for (const auto& e : table)
        if (std::find(schemes.begin(), schemes.end(), e.scheme) == schemes.end()) schemes.emplace_back(e.scheme);
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& scheme : schemes) {
        nlohmann::ordered_json s;
        s["scheme"] = scheme;
        s["aliases"] = nlohmann::ordered_json::array();
        for (const auto& a : scheme_aliases())
            if (a.scheme == scheme && a.alias != scheme) s["aliases"].push_back({{"alias", a.alias}, {"origin", a.origin}});
        std::map<std::string, std::string> reasons;
        std::string selected, error;
        try {
            const auto sel = select_kernel<Entry>(scheme, shape, table, scheme_aliases(), env);
            selected = sel.kernel->name;
            for (const auto& r : sel.rejected) reasons[std::string(r.kernel->name)] = r.reason;
        } catch (const no_kernel& e) {
            error = e.what();
        }
        s["selected"] = selected.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(selected);
        if (!error.empty()) s["error"] = error;
        s["kernels"] = nlohmann::ordered_json::array();
        for (const auto& e : table) {
            if (e.scheme != scheme) continue;
            nlohmann::ordered_json k = {{"name", e.name}, {"backend", e.backend}, {"layout", e.layout}};
            const support cpu = e.is_supported();
            k["supported"] = cpu.ok;
            k["support"] = cpu.reason;
            k["status"] = e.name == selected ? "selected" : "passed over";
            if (reasons.count(std::string(e.name))) k["reason"] = reasons[std::string(e.name)];
            s["kernels"].push_back(k);
        }
        out.push_back(s);
    }
    return out;
}

void print_schemes(const nlohmann::ordered_json& schemes, bool why) {
    for (const auto& s : schemes) {
        std::cout << "\n" << s["scheme"].get<std::string>();
        if (!s["aliases"].empty()) {
            std::cout << "   aliases:";
            for (const auto& a : s["aliases"]) std::cout << " " << a["alias"].get<std::string>();
        }
        std::cout << "\n";
        for (const auto& k : s["kernels"]) {
            const bool chosen = k["status"] == "selected";
            std::cout << (chosen ? "  * " : "    ") << k["name"].get<std::string>() << (chosen ? "   <- selected" : "") << "\n";
            if (why && !chosen && k.contains("reason")) std::cout << "        " << k["reason"].get<std::string>() << "\n";
            if (why && chosen && !k["support"].get<std::string>().empty()) std::cout << "        " << k["support"].get<std::string>() << "\n";
        }
        if (s.contains("error")) std::cout << "    error: " << s["error"].get<std::string>() << "\n";
    }
}

}  // namespace

int run_list(const std::vector<std::string>& args) {
    po::options_description options("list");
    options.add_options()("why", "show why each kernel that is not selected is passed over")("json", "print the table as JSON");
    po::variables_map values;
    if (!parse_options("list", args, options, values)) return 0;
    const bool why = values.count("why") != 0, json = values.count("json") != 0;

    // the shape `list` asks about: K a multiple of every block size (MoE: I = 256 intermediate, K = 1536 hidden)
    const linear_shape shape{1, 256, 1536, dtype::bf16, false};
    const auto env = selection_options::from_environment();
    check_forced_backend(kernel_table(), env);  // a bad MICROSCALE_LINEAR_BACKEND is an error, not an empty table

    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    out["shape"] = {{"m", shape.m}, {"n", shape.n}, {"k", shape.k}, {"activation", dtype_name(shape.activation)}};
    out["environment"] = {{"MICROSCALE_LINEAR_BACKEND", env.forced_backend}, {"MICROSCALE_DISABLED_KERNELS", env.disabled_globs}};
    out["schemes"] = scheme_table(kernel_table(), shape, env);
    out["moe_schemes"] = scheme_table(moe_kernel_table(), shape, env);
    if (json) {
        std::cout << out.dump(2) << "\n";
        return 0;
    }

    std::cout << "microscale kernels (selection for M=" << shape.m << " N=" << shape.n << " K=" << shape.k << " " << dtype_name(shape.activation)
              << "; MICROSCALE_LINEAR_BACKEND=" << (env.forced_backend.empty() ? "auto" : env.forced_backend) << ")\n";
    print_schemes(out["schemes"], why);
    std::cout << "\nMoE kernels (fused experts; selection for I=" << shape.n << " K=" << shape.k << ")\n";
    print_schemes(out["moe_schemes"], why);
    if (why) {
        std::cout << "\nalias origins:\n";
        for (const auto& a : scheme_aliases())
            if (a.alias != a.scheme) std::cout << "  " << a.alias << " -> " << a.scheme << "   (" << a.origin << ")\n";
    }
    return 0;
}

}  // namespace microscale::cli
