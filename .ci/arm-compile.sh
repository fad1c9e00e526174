#!/usr/bin/env bash
# Arm (AArch64 / NEON) must at least compile: cross-compile the portable simd tier, the tiers'
# stand-ins and one simd and one emulation kernel instantiation with Debian's aarch64 g++.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: arm-compile.sh BUILD_DIR (a configured build, for enabled_kernels.hpp)}
if ! command -v aarch64-linux-gnu-g++ >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++-aarch64-linux-gnu >/dev/null
fi
out=$(mktemp -d)
flags=(-std=c++20 -O2 -fopenmp -Wall -Wextra -Wpedantic -Werror -Iinclude -I"$build/include" -isystem /usr/include/eigen3 -isystem /usr/include)
for tu in instantiations/simd/generic.cpp instantiations/simd/no_x86_tiers.cpp \
          instantiations/generated/w_mxfp4_a_mxfp4.stored.simd.cpp instantiations/generated/w_nvfp4.stored.emulation.cpp; do
  echo "aarch64: $tu"
  aarch64-linux-gnu-g++ "${flags[@]}" -c "$tu" -o "$out/$(basename "$tu").o"
done
aarch64-linux-gnu-objdump -d "$out/generic.cpp.o" | grep -q "fmla" && echo "aarch64: NEON FMA (fmla) in the generic tier"
rm -rf "$out"
