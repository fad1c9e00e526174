// Runs the registered benchmarks and turns them into the table of same-run ratios:
//   decode (M <= 8)    effective weight GB/s and its fraction of the read probe at the same bytes,
//                      threads and cache state;
//   prefill (M >= 128) GFLOP/s and its fraction of the peak of the instruction the path relies on
//                      (int8 dot for W4A4, int16 dot for W6A6; bf16 dot and fp32 FMA for W4A16);
//   simd / emulation and simd / dense-Eigen-fp32 speed ratios, and 2-thread scaling.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "harness.hpp"
#include "microscale/format/scheme.hpp"

namespace microscale::bench {

namespace {

struct measurement {
    std::string name;
    double ms = 0;
    std::map<std::string, double> counters;
};

class collector : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        benchmark::ConsoleReporter::ReportRuns(runs);
        for (const auto& run : runs) {
            if (run.run_type != Run::RT_Iteration) continue;
            measurement m;
            m.name = run.run_name.function_name;  // as registered (no /real_time, /iterations: suffixes)
            m.ms = run.GetAdjustedRealTime();
            if (run.time_unit == benchmark::kMicrosecond) m.ms /= 1e3;
            if (run.time_unit == benchmark::kNanosecond) m.ms /= 1e6;
            if (run.time_unit == benchmark::kSecond) m.ms *= 1e3;
            for (const auto& [key, counter] : run.counters) m.counters[key] = counter.value;
            results.push_back(std::move(m));
        }
    }
    std::vector<measurement> results;
};

struct config {
    std::string kernel;  // canonical name or "dense_eigen_fp32"
    std::int64_t n = 0, k = 0, m = 0;
    int threads = 0;
    bool cold = false;
};

std::optional<config> parse_config(const std::string& name) {
    static const std::regex pattern(R"(^([^/]+)/N=(\d+)/K=(\d+)/M=(\d+)/threads=(\d+)/(hot|cold)$)");
    std::smatch match;
    if (!std::regex_match(name, match, pattern)) return std::nullopt;
    return config{match[1], std::stoll(match[2]), std::stoll(match[3]), std::stoll(match[4]), std::stoi(match[5]), match[6] == "cold"};
}

/// v with `digits` decimals.
std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string backend_of(const std::string& kernel) { return kernel.substr(kernel.rfind('.') + 1); }
std::string sibling(const std::string& kernel, const std::string& backend) { return kernel.substr(0, kernel.rfind('.') + 1) + backend; }

struct target {
    std::string what;
    double figure;
    double goal;
    std::string unit;
    bool met() const { return figure >= goal; }
};

/// The same-run probes: read bandwidth by (bytes, threads, cold) and instruction peaks by (kind, threads).
struct probes {
    std::map<std::pair<std::uint64_t, std::pair<int, bool>>, double> bandwidth;  // B/s
    std::map<std::pair<int, int>, double> peaks;                                 // ops/s

    explicit probes(const std::vector<measurement>& results) {
        static const std::regex read_probe(R"(^probe/read/bytes=(\d+)/threads=(\d+)/(hot|cold)$)");
        static const std::regex peak_probe(R"(^probe/peak/(\d+)/threads=(\d+)$)");
        for (const auto& r : results) {
            std::smatch match;
            if (std::regex_match(r.name, match, read_probe))
                bandwidth[{std::stoull(match[1]), {std::stoi(match[2]), match[3] == "cold"}}] = r.counters.at("bytes_per_second");
            if (std::regex_match(r.name, match, peak_probe)) peaks[{std::stoi(match[1]), std::stoi(match[2])}] = r.counters.at("ops_per_second");
        }
    }

    /// The read bandwidth measured at the size closest to `bytes` (0 if none).
    double nearest_bandwidth(std::uint64_t bytes, int threads, bool cold) const {
        double best = 0;
        std::uint64_t best_distance = ~0ull;
        for (const auto& [key, bps] : bandwidth) {
            if (key.second.first != threads || key.second.second != cold) continue;
            const std::uint64_t d = key.first > bytes ? key.first - bytes : bytes - key.first;
            if (d < best_distance) {
                best_distance = d;
                best = bps;
            }
        }
        return best;
    }

    double peak(peak_kind kind, int threads) const {
        const auto it = peaks.find({static_cast<int>(kind), threads});
        return it == peaks.end() ? 0.0 : it->second;
    }

    void report(nlohmann::ordered_json& json) const {
        json["probes"]["read_bandwidth_GBps"] = nlohmann::ordered_json::array();
        for (const auto& [key, bps] : bandwidth)
            json["probes"]["read_bandwidth_GBps"].push_back(
                {{"bytes", key.first}, {"threads", key.second.first}, {"cold", key.second.second}, {"GBps", bps * 1e-9}});
        for (const auto& [key, ops] : peaks)
            json["probes"]["peak_GOPS"][peak_name(static_cast<peak_kind>(key.first)) + " x" + std::to_string(key.second)] = ops * 1e-9;

        std::printf("\nmicroscale bench: probes (same run)\n");
        for (const auto& [key, bps] : bandwidth)
            std::printf("  read %7.1f MB, %d thread(s), %-4s %8.1f GB/s\n", static_cast<double>(key.first) / 1e6, key.second.first,
                        key.second.second ? "cold" : "hot", bps * 1e-9);
        for (const auto& [key, ops] : peaks)
            std::printf("  peak %-22s x%d  %8.1f GOPS\n", peak_name(static_cast<peak_kind>(key.first)).c_str(), key.second, ops * 1e-9);
    }
};

/// The worst and best figures over the rows, which the targets are judged on.
struct extremes {
    double min_emulation_ratio = 1e30, min_cold_fraction = 1e30, max_hot_gbps_per_thread = 0, min_scaling = 1e30;
    std::string min_emulation_kernel, min_cold_kernel, min_scaling_kernel;
    std::map<std::string, double> prefill_fraction;  // scheme family -> best fraction at M=512, 2 threads
};

/// One simd measurement and the columns of its table row.
struct row_context {
    const measurement& r;
    const config& c;
    const format::scheme_parts& parts;
    double gbps, gflops;
    nlohmann::ordered_json& row;
};

/// Decode (M <= 8): the fraction of the read probe; returns the %probe column.
std::string decode_columns(const row_context& x, const probes& p, extremes& e) {
    const double probe = p.nearest_bandwidth(static_cast<std::uint64_t>(x.r.counters.at("weight_bytes")), x.c.threads, x.c.cold) * 1e-9;
    std::string probe_text;
    if (probe > 0) {
        x.row["probe_GBps"] = probe;
        x.row["fraction_of_probe"] = x.gbps / probe;
        probe_text = std::to_string(static_cast<int>(100 * x.gbps / probe + 0.5)) + "%";
        if (x.c.m == 1 && x.c.cold && x.gbps / probe < e.min_cold_fraction) {
            e.min_cold_fraction = x.gbps / probe;
            e.min_cold_kernel = x.r.name;
        }
    }
    if (x.c.m == 1 && !x.c.cold && x.c.n == 4096) e.max_hot_gbps_per_thread = std::max(e.max_hot_gbps_per_thread, x.gbps / x.c.threads);
    return probe_text;
}

/// Prefill (M > 8): the fraction of the instruction peak; returns the %peak column.
std::string peak_column(const row_context& x, const probes& p, extremes& e) {
    const bool six_bit = x.parts.format.find("mxfp6") == 0;
    const peak_kind kind = x.parts.quantized_activations ? (six_bit ? peak_kind::int16_dot : peak_kind::int8_dot) : peak_kind::bf16_dot;
    const double peak = p.peak(kind, x.c.threads) * 1e-9;
    if (peak <= 0) return "";
    x.row["peak_instruction"] = peak_name(kind);
    x.row["fraction_of_peak"] = x.gflops / peak;
    std::string peak_text = std::to_string(static_cast<int>(100 * x.gflops / peak + 0.5)) + "% " +
                            (kind == peak_kind::int8_dot    ? "i8"
                             : kind == peak_kind::int16_dot ? "i16"
                                                            : "bf16");
    if (!x.parts.quantized_activations) {
        const double fma = p.peak(peak_kind::fp32_fma, x.c.threads) * 1e-9;
        if (fma > 0) {
            x.row["fraction_of_fp32_fma_peak"] = x.gflops / fma;
            // appended piece by piece: GCC 12's -Wrestrict misfires on " " + std::string (GCC bug 105329)
            peak_text.append(" ").append(std::to_string(static_cast<int>(100 * x.gflops / fma + 0.5))).append("% fma");
        }
    }
    if (x.c.m == 512 && x.c.threads == 2) {
        const std::string family = x.parts.quantized_activations ? "W4A4 " + x.parts.format : "W4A16 (a16)";
        e.prefill_fraction[family] = std::max(e.prefill_fraction[family], x.gflops / peak);
    }
    return peak_text;
}

using measurements_by_name = std::map<std::string, const measurement*>;

/// Prefill at 2 threads: the speed-up over 1 thread; returns the 2t/1t column.
std::string scaling_column(const row_context& x, const measurements_by_name& by_name, extremes& e) {
    if (x.c.threads != 2) return "";
    const auto one = by_name.find(config_name(x.c.kernel, {x.c.n, x.c.k}, x.c.m, 1, x.c.cold));
    if (one == by_name.end()) return "";
    const double scaling = one->second->ms / x.r.ms;
    x.row["two_thread_scaling"] = scaling;
    if (x.c.m == 512 && scaling < e.min_scaling) {
        e.min_scaling = scaling;
        e.min_scaling_kernel = x.r.name;
    }
    return fixed(scaling, 2);
}

/// The x emu and x dense columns: speed against the emulation sibling and the dense fp32 peer.
std::pair<std::string, std::string> peer_columns(const row_context& x, const measurements_by_name& by_name, extremes& e) {
    std::string emulation_text, dense_text;
    const auto emu = by_name.find(config_name(sibling(x.c.kernel, "emulation"), {x.c.n, x.c.k}, x.c.m, x.c.threads, x.c.cold));
    if (emu != by_name.end()) {
        const double ratio = emu->second->ms / x.r.ms;
        x.row["speedup_vs_emulation"] = ratio;
        emulation_text = fixed(ratio, 1);
        if (ratio < e.min_emulation_ratio) {
            e.min_emulation_ratio = ratio;
            e.min_emulation_kernel = x.r.name;
        }
    }
    const auto dense = by_name.find(config_name("dense_eigen_fp32", {x.c.n, x.c.k}, x.c.m, x.c.threads, false));
    if (dense != by_name.end() && !x.c.cold) {
        x.row["speedup_vs_dense_fp32"] = dense->second->ms / x.r.ms;
        dense_text = fixed(dense->second->ms / x.r.ms, 2);
    }
    return {emulation_text, dense_text};
}

/// The table: one row per simd measurement, printed and added to json["rows"].
extremes report_rows(const std::vector<measurement>& results, const probes& p, nlohmann::ordered_json& json) {
    measurements_by_name by_name;
    for (const auto& r : results) by_name[r.name] = &r;
    std::printf("\n%-44s %12s %5s %3s %-4s %9s %8s %7s %9s %14s %7s %7s %6s\n", "kernel", "N x K", "M", "thr", "wts", "ms", "GB/s", "%probe",
                "GFLOP/s", "%peak", "x emu", "x dense", "2t/1t");
    json["rows"] = nlohmann::ordered_json::array();
    extremes e;
    for (const auto& r : results) {
        const auto c = parse_config(r.name);
        if (!c || backend_of(c->kernel) != "simd") continue;
        const std::string linear_name = c->kernel.rfind("moe.", 0) == 0 ? c->kernel.substr(4) : c->kernel;
        const auto parts = format::parse_scheme(linear_name.substr(0, linear_name.find('.')));
        if (!parts) continue;
        const double seconds = r.ms * 1e-3;
        const double gbps = r.counters.at("weight_bytes") / seconds * 1e-9;
        const double gflops = r.counters.at("flop") / seconds * 1e-9;
        nlohmann::ordered_json row = {{"kernel", c->kernel},
                                      {"n", c->n},
                                      {"k", c->k},
                                      {"m", c->m},
                                      {"threads", c->threads},
                                      {"weights", c->cold ? "cold" : "hot"},
                                      {"ms", r.ms},
                                      {"weight_GBps", gbps},
                                      {"GFLOPs", gflops}};
        const row_context x{r, *c, *parts, gbps, gflops, row};
        std::string probe_text, peak_text, scaling_text;
        if (c->m <= 8) {
            probe_text = decode_columns(x, p, e);
        } else {
            peak_text = peak_column(x, p, e);
            scaling_text = scaling_column(x, by_name, e);
        }
        const auto [emulation_text, dense_text] = peer_columns(x, by_name, e);
        std::printf("%-44s %5lldx%-6lld %5lld %3d %-4s %9.3f %8.2f %7s %9.1f %14s %7s %7s %6s\n", c->kernel.c_str(), static_cast<long long>(c->n),
                    static_cast<long long>(c->k), static_cast<long long>(c->m), c->threads, c->cold ? "cold" : "hot", r.ms, gbps, probe_text.c_str(),
                    gflops, peak_text.c_str(), emulation_text.c_str(), dense_text.c_str(), scaling_text.c_str());
        json["rows"].push_back(row);
    }
    return e;
}

std::vector<target> targets_of(const extremes& e) {
    std::vector<target> targets;
    if (e.min_cold_kernel.size())
        targets.push_back(
            {"decode M=1 cold, worst kernel: fraction of the read probe (" + e.min_cold_kernel + ")", 100 * e.min_cold_fraction, 80, "%"});
    if (e.max_hot_gbps_per_thread > 0)
        targets.push_back({"decode M=1 hot 4096x4096, best kernel: weight GB/s per thread", e.max_hot_gbps_per_thread, 45, "GB/s"});
    for (const auto& [family, fraction] : e.prefill_fraction) {
        const double goal = family == "W4A4 mxfp4" ? 60 : family == "W4A4 nvfp4" ? 50 : family == "W4A16 (a16)" ? 50 : 0;
        if (goal > 0) targets.push_back({"prefill M=512, 2 threads, " + family + ": fraction of the instruction peak", 100 * fraction, goal, "%"});
    }
    if (e.min_scaling_kernel.size())
        targets.push_back({"prefill 2 threads / 1 thread, worst (" + e.min_scaling_kernel + ")", e.min_scaling, 1.8, "x"});
    if (e.min_emulation_kernel.size())
        targets.push_back({"simd / emulation speed, worst (" + e.min_emulation_kernel + ")", e.min_emulation_ratio, 10, "x"});
    return targets;
}

void report_targets(const std::vector<target>& targets, nlohmann::ordered_json& json) {
    std::printf("\ntargets (this run)\n");
    json["targets"] = nlohmann::ordered_json::array();
    for (const auto& t : targets) {
        std::printf("  [%s] %-95s %8.2f %s (goal %.1f)\n", t.met() ? "met" : "MISSED", t.what.c_str(), t.figure, t.unit.c_str(), t.goal);
        json["targets"].push_back({{"target", t.what}, {"figure", t.figure}, {"goal", t.goal}, {"unit", t.unit}, {"met", t.met()}});
    }
}

}  // namespace

int run_and_report(int argc, char** argv, const std::string& json_path) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    collector reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    const probes p(reporter.results);
    nlohmann::ordered_json json;
    p.report(json);
    const extremes e = report_rows(reporter.results, p, json);
    report_targets(targets_of(e), json);
    if (!json_path.empty()) {
        std::ofstream out(json_path);
        out << json.dump(2) << "\n";
        if (!out) {
            std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
            return 1;
        }
        std::printf("\nwrote %s\n", json_path.c_str());
    }
    return 0;
}

}  // namespace microscale::bench
