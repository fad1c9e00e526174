// The tensors of a checkpoint: every safetensors shard memory-mapped, with one name -> (shard,
// tensor) index. A folder is read through model.safetensors.index.json (every shard it names must
// hold the tensors mapped to it) or as one model.safetensors; a path to a .safetensors file is
// that file alone. A tensor in two shards is an error.
#pragma once

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/detail/json_file.hpp"
#include "microscale/detail/text.hpp"

namespace microscale::checkpoint {

/// Every safetensors shard of a checkpoint, mapped, with one name -> (shard, tensor) index.
class tensor_store {
public:
    /// `path`: a folder (model.safetensors.index.json or model.safetensors) or one .safetensors file.
    explicit tensor_store(const std::filesystem::path& path) {
        namespace fs = std::filesystem;
        if (fs::is_regular_file(path)) {
            add_file(path);
            return;
        }
        if (!fs::is_directory(path)) throw format_error(detail::cat(path.string(), ": no such checkpoint folder or file"));
        const fs::path index = path / "model.safetensors.index.json";
        if (fs::exists(index)) {
            nlohmann::json j = detail::read_json_file<format_error>(index);
            if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
                throw format_error(detail::cat(index.string(), ": missing object 'weight_map'"));
            std::map<std::string, std::vector<std::string>> by_file;
            for (const auto& [tensor, file] : j["weight_map"].items()) {
                if (!file.is_string()) throw format_error(detail::cat(index.string(), ": weight_map entry '", tensor, "' is not a file name"));
                const std::string f = file.get<std::string>();
                if (f.find('/') != std::string::npos || f.find("..") != std::string::npos)
                    throw format_error(detail::cat(index.string(), ": shard name '", f, "' leaves the checkpoint folder"));
                by_file[f].push_back(tensor);
            }
            for (const auto& [file, tensors] : by_file) add_file(path / file);
            for (const auto& [file, tensors] : by_file) {
                for (const auto& t : tensors) {
                    const auto it = index_.find(t);
                    if (it == index_.end() || files_[it->second.first].path() != (path / file).string())
                        throw format_error(detail::cat(index.string(), ": tensor '", t, "' is mapped to ", file, ", which does not hold it",
                                                       it == index_.end() ? std::string() : " (" + files_[it->second.first].path() + " does)"));
                }
            }
            return;
        }
        if (fs::exists(path / "model.safetensors")) {
            add_file(path / "model.safetensors");
            return;
        }
        throw format_error(detail::cat(path.string(), ": no model.safetensors or model.safetensors.index.json"));
    }

    const tensor_info* find(std::string_view name, const safetensors_file** file = nullptr) const noexcept {
        const auto it = index_.find(std::string(name));
        if (it == index_.end()) return nullptr;
        if (file != nullptr) *file = &files_[it->second.first];
        return it->second.second;
    }
    const safetensors_file& file_of(std::string_view name) const {
        const safetensors_file* f = nullptr;
        if (find(name, &f) == nullptr) throw format_error(detail::cat("no tensor '", name, "' in the checkpoint"));
        return *f;
    }
    std::span<const std::byte> bytes(std::string_view name) const {
        const safetensors_file* f = nullptr;
        const tensor_info* t = find(name, &f);
        if (t == nullptr) throw format_error(detail::cat("no tensor '", name, "' in the checkpoint"));
        return f->bytes(*t);
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& [name, where] : index_) out.push_back(name);
        return out;
    }
    std::uint64_t total_bytes() const noexcept {
        std::uint64_t total = 0;
        for (const auto& [name, where] : index_) total += where.second->end - where.second->begin;
        return total;
    }
    std::size_t shard_count() const noexcept { return files_.size(); }

private:
    void add_file(const std::filesystem::path& path) {
        files_.emplace_back(path);
        const std::size_t at = files_.size() - 1;
        for (const auto& t : files_.back().tensors()) {
            if (index_.find(t.name) != index_.end())
                throw format_error(detail::cat(path.string(), ": tensor '", t.name, "' is also in another shard"));
        }
        for (const auto& t : files_.back().tensors()) index_[t.name] = {at, &t};
    }
    std::deque<safetensors_file> files_;  // stable addresses
    std::map<std::string, std::pair<std::size_t, const tensor_info*>> index_;
};

}  // namespace microscale::checkpoint
