// The output folder of an export: which of its files are a checkpoint's, the checks before writing,
// atomic JSON writes, and the staging folder that makes an export all or nothing.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/detail/text.hpp"

namespace microscale::checkpoint {

/// Writes JSON to `path` atomically (temporary file, then rename); errors name `path`.
inline void write_json(const std::filesystem::path& path, const nlohmann::ordered_json& json) {
    const std::filesystem::path temp = path.parent_path() / detail::cat(".", path.filename().string(), ".tmp");
    {
        std::ofstream out(temp, std::ios::trunc);
        if (!out) throw format_error(detail::cat(path.string(), ": cannot create: ", std::strerror(errno)));
        out << json.dump(2) << "\n";
        if (!out) throw format_error(detail::cat(path.string(), ": write failed: ", std::strerror(errno)));
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) throw format_error(detail::cat(path.string(), ": cannot write: ", ec.message()));
}

/// True for the names of a checkpoint folder's own files: what an export writes and the loader
/// reads (model.safetensors, model-00001-of-00002.safetensors, the index, the config files).
inline bool is_checkpoint_file(std::string_view name) {
    if (name == "model.safetensors" || name == "model.safetensors.index.json" || name == "hf_quant_config.json" || name == "config.json") return true;
    constexpr std::string_view head = "model-", tail = ".safetensors", of = "-of-";
    if (!name.starts_with(head) || !name.ends_with(tail)) return false;
    const std::string_view middle = name.substr(head.size(), name.size() - head.size() - tail.size());
    const auto at = middle.find(of);
    auto digits = [](std::string_view d) { return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }); };
    return at != std::string_view::npos && digits(middle.substr(0, at)) && digits(middle.substr(at + of.size()));
}

/// The checkpoint files in folder `dir` (none if it does not exist), sorted.
inline std::vector<std::filesystem::path> checkpoint_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return out;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (is_checkpoint_file(entry.path().filename().string())) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

namespace export_detail {

/// Refuses an output folder that is a file, that holds a checkpoint (unless `overwrite`), or
/// whose checkpoint files include one of `inputs` (the export would replace what it reads).
inline void check_output_folder(const std::filesystem::path& out_dir, const std::vector<std::filesystem::path>& inputs, bool overwrite) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
        throw std::invalid_argument(detail::cat(out_dir.string(), ": exists and is not a folder"));
    const auto existing = checkpoint_files(out_dir);
    for (const auto& f : existing)
        for (const auto& in : inputs)
            if (fs::equivalent(f, in, ec))
                throw std::invalid_argument(detail::cat(out_dir.string(), ": the export would replace ", f.filename().string(),
                                                        ", which is its input ", in.string(), "; write the checkpoint to another folder"));
    if (!existing.empty() && !overwrite) {
        std::string names;
        for (const auto& f : existing) names.append(names.empty() ? "" : ", ").append(f.filename().string());
        throw std::invalid_argument(detail::cat(out_dir.string(), " already holds a checkpoint (", names,
                                                "); replace it with overwrite (microscale quantize --overwrite) or choose another folder"));
    }
}

/// A fresh folder beside `target` that the export writes into; commit() makes its files the
/// target's; if commit() is never reached (an error), the folder is removed and the target is as it was.
class staging_folder {
public:
    explicit staging_folder(const std::filesystem::path& target) : target_(normalized(target)) {
        namespace fs = std::filesystem;
        fs::create_directories(target_.parent_path());
        temp_ = sibling("export");
        fs::create_directory(temp_);
    }
    staging_folder(const staging_folder&) = delete;
    staging_folder& operator=(const staging_folder&) = delete;
    ~staging_folder() {
        std::error_code ignored;
        if (!committed_) std::filesystem::remove_all(temp_, ignored);
    }

    const std::filesystem::path& path() const noexcept { return temp_; }

    /// A new target is the staged folder renamed. An existing one keeps its other files: its
    /// checkpoint files move aside, the staged files move in, and on any failure all of it is undone.
    void commit() {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (!fs::exists(target_, ec)) {
            fs::rename(temp_, target_);
            committed_ = true;
            return;
        }
        const fs::path old = sibling("replaced");
        fs::create_directory(old);
        std::vector<std::pair<fs::path, fs::path>> moved;  // (from, to), in order
        try {
            for (const auto& f : checkpoint_files(target_)) {
                fs::rename(f, old / f.filename());
                moved.emplace_back(f, old / f.filename());
            }
            for (const auto& entry : fs::directory_iterator(temp_)) {
                fs::rename(entry.path(), target_ / entry.path().filename());
                moved.emplace_back(entry.path(), target_ / entry.path().filename());
            }
        } catch (...) {
            for (auto it = moved.rbegin(); it != moved.rend(); ++it) fs::rename(it->second, it->first, ec);
            fs::remove_all(old, ec);
            throw;
        }
        committed_ = true;
        fs::remove_all(old, ec);
        fs::remove_all(temp_, ec);
    }

private:
    static std::filesystem::path normalized(const std::filesystem::path& p) {
        std::filesystem::path out = std::filesystem::absolute(p).lexically_normal();
        return out.has_filename() ? out : out.parent_path();
    }
    std::filesystem::path sibling(std::string_view what) const {
        static std::atomic<unsigned> counter{0};
        return target_.parent_path() /
               detail::cat(".", target_.filename().string(), ".microscale-", what, "-", static_cast<long>(::getpid()), "-", counter++);
    }
    std::filesystem::path target_, temp_;
    bool committed_ = false;
};

}  // namespace export_detail

}  // namespace microscale::checkpoint
