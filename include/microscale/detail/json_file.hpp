// Reading a JSON file (checkpoint configs, shard indexes): one reader, so that every such file's
// errors name it the same way.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "microscale/detail/text.hpp"

namespace microscale::detail {

/// The JSON document in file `path`. A file that cannot be opened ("<path>: cannot read") or is
/// not valid JSON ("<path>: not valid JSON: ...") is an Error (constructed from the message).
template <class Error>
nlohmann::json read_json_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw Error(cat(path.string(), ": cannot read"));
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        throw Error(cat(path.string(), ": not valid JSON: ", e.what()));
    }
}

}  // namespace microscale::detail
