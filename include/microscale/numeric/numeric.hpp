// Element codecs (e2m1, e2m3, e3m2, e4m3, e5m2, e8m0, bf16, fp16), packing and span helpers.
#pragma once

#include "microscale/numeric/codecs.hpp"
#include "microscale/numeric/minifloat.hpp"
#include "microscale/numeric/packing.hpp"
