#!/usr/bin/env bash
# Arm (AArch64 / NEON) must at least compile: configures microscale for AArch64 with Debian's
# aarch64 g++, so that the simd tiers are the ones instantiations/CMakeLists.txt picks for that
# processor (the generic tier, and generated stand-ins for the x86-64 tiers), and builds
# microscale::kernels with one simd and one emulation kernel instantiation (compiled, not linked
# into a program: there is no AArch64 machine to run it on).
#
#   bash .ci/arm-compile.sh [BUILD_DIR]      # BUILD_DIR defaults to build-arm
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-arm}
if ! command -v aarch64-linux-gnu-g++ >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends g++-aarch64-linux-gnu >/dev/null
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
# the host's header-only packages (xsimd, Eigen, nlohmann-json, Boost) serve the cross build; some
# keep their package configs in the host's multiarch folder, where a cross build does not look
host_cmake=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/cmake
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
      -DCMAKE_PREFIX_PATH="$host_cmake" \
      -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ -DCMAKE_BUILD_TYPE=Release -DMICROSCALE_WERROR=ON \
      -DMICROSCALE_BUILD_TESTS=OFF -DMICROSCALE_BUILD_BENCH=OFF -DMICROSCALE_BUILD_EXAMPLES=OFF -DMICROSCALE_CUDA=OFF \
      "-DMICROSCALE_KERNELS=w_mxfp4_a_mxfp4.stored.simd;w_nvfp4.stored.emulation" >/dev/null
cmake --build "$build" --target microscale_kernels -j 2
# no `| grep -q` or `| head` here: under pipefail the writer's SIGPIPE would fail the stage (exit 141)
generic=$(find "$build" -name 'generic.cpp.o' -path '*microscale_kernels*' -print -quit)
if [ -z "$generic" ]; then echo "error: generic.cpp.o was not built in $build" >&2; exit 1; fi
fmla=$(aarch64-linux-gnu-objdump -d "$generic" | grep -c "fmla" || true)
if [ "${fmla:-0}" -eq 0 ]; then echo "error: no NEON FMA (fmla) in the generic tier: $generic" >&2; exit 1; fi
echo "aarch64: $fmla NEON FMA (fmla) instructions in the generic tier"
