// The compiled part of microscale: the version it was built as.
#include "microscale/library.hpp"

namespace microscale {

std::string_view compiled_version() noexcept { return version_string; }

}  // namespace microscale
