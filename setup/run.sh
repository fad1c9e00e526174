#!/usr/bin/env bash
# microscale set-up: installs what is missing (Debian packages), configures, builds, and runs.
#   bash setup/run.sh demo   build the `microscale` tool and run its demo (README command 1)
#   bash setup/run.sh test   build everything and run the whole test suite: the C++ suite (ctest),
#                            then the Python package's (setup/python-tests.sh) (README command 2)
# Environment:
#   MICROSCALE_BUILD_DIR   build folder (default: build)
#   MICROSCALE_CMAKE_ARGS  extra CMake arguments (CI passes -DMICROSCALE_WERROR=ON etc.)
#   MICROSCALE_JOBS        parallel build jobs (default: 2)
set -euo pipefail

mode=${1:-}
case "$mode" in
  demo|test) ;;
  *) echo "usage: bash setup/run.sh demo|test" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build_dir=${MICROSCALE_BUILD_DIR:-build}
jobs=${MICROSCALE_JOBS:-2}

bash setup/install-deps.sh
# ccache keys on paths relative to the repository, so the Python package's build (beside this one)
# reuses the kernels compiled here
export CCACHE_BASEDIR="$repo"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086  # MICROSCALE_CMAKE_ARGS is a list of words
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release ${MICROSCALE_CMAKE_ARGS:-}
elif [ -n "${MICROSCALE_CMAKE_ARGS:-}" ]; then
  # shellcheck disable=SC2086
  cmake -S . -B "$build_dir" ${MICROSCALE_CMAKE_ARGS}
fi

case "$mode" in
  demo)
    cmake --build "$build_dir" --target microscale_cli -j "$jobs"
    "$build_dir/examples/cli/microscale" demo
    ;;
  test)
    cmake --build "$build_dir" -j "$jobs"
    ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
    # the Python package, installed with pip into a fresh virtual environment, and its pytest suite
    bash setup/python-tests.sh "$build_dir"
    ;;
esac
