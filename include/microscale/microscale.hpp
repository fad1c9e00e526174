// microscale umbrella header: everything a header-only user needs.
//
//   numeric/   element codecs (e2m1, e2m3, e3m2, e4m3, e5m2, e8m0, bf16, fp16) and packing
//   format/    weight formats (nvfp4, mxfp4, mxfp6_e2m3, mxfp6_e3m2), their quantizers, the
//              activation policies (a16, aq) and the quantized_weight container
//   layout/    scale layouts (linear, swizzled_128x4) and the `stored` layout slot
//   backend/   emulation (the fp32 reference) and simd
//   kernel.hpp linear_kernel<Format, Activation, Layout, Backend>
//   registry.hpp  the runtime table (the compiled table lives in microscale::kernels)
//   moe.hpp    fused mixture-of-experts built on the linear kernels
#pragma once

#include "microscale/backend/emulation.hpp"
#include "microscale/format/activation.hpp"
#include "microscale/format/formats.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/kernel.hpp"
#include "microscale/layout/layouts.hpp"
#include "microscale/moe.hpp"
#include "microscale/numeric/numeric.hpp"
#include "microscale/registry.hpp"
#include "microscale/tensor.hpp"
#include "microscale/version.hpp"
