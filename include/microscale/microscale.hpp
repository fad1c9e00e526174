// microscale umbrella header: everything a header-only user needs.
#pragma once

#include "microscale/numeric/numeric.hpp"
#include "microscale/version.hpp"
