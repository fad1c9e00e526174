// Entry points defined by the compiled library microscale::kernels (not needed header-only).
#pragma once

#include <string_view>

#include "microscale/version.hpp"

namespace microscale {

/// The version microscale::kernels was compiled as (lets a consumer check headers and library agree).
std::string_view compiled_version() noexcept;

}  // namespace microscale
