#!/usr/bin/env bash
# Fuzzes the checkpoint parsers and the MoE loader (tests/fuzz) for a bounded time each: builds
# the libFuzzer targets with clang + ASan + UBSan, runs each on a writable copy of its seed corpus
# with its dictionary, and fails if any of them finds a crash (a sanitizer report, an unexpected
# exception, a failed invariant, a timeout or an out-of-memory).
#
#   bash .ci/fuzz.sh [BUILD_DIR]        # BUILD_DIR defaults to build-fuzz
#   FUZZ_SECONDS=300 bash .ci/fuzz.sh   # seconds per fuzzer (default 60)
#
# Compiler: Debian 12's clang, clang++-14 (the one .ci/run builds the whole suite with too),
# installed with its libFuzzer runtime if missing. FUZZ_CLANG_VERSION=NN picks another version.
# Crash inputs are left in BUILD_DIR/findings/<fuzzer>/ (crash-*, timeout-*, oom-*).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
version=${FUZZ_CLANG_VERSION:-14}
cxx=clang++-$version

# --- toolchain: clang + libFuzzer runtime (the runtime lives in libclang-rt-NN-dev) -----------
fuzzer_runtime() { compgen -G "/usr/lib/llvm-$version/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null ||
                   compgen -G "/usr/lib/llvm-$version/lib/clang/*/lib/x86_64-pc-linux-gnu/libclang_rt.fuzzer.a" >/dev/null; }
missing=()
command -v "$cxx" >/dev/null || missing+=("clang-$version")
fuzzer_runtime || missing+=("libclang-rt-$version-dev")
command -v cmake >/dev/null || missing+=(cmake)
[ -f /usr/share/cmake/nlohmann_json/nlohmann_jsonConfig.cmake ] || [ -f /usr/lib/cmake/nlohmann_json/nlohmann_jsonConfig.cmake ] ||
  missing+=(nlohmann-json3-dev)
[ -f /usr/share/eigen3/cmake/Eigen3Config.cmake ] || [ -f /usr/lib/cmake/eigen3/Eigen3Config.cmake ] ||
  missing+=(libeigen3-dev)  # fuzz_moe_loader runs the emulation backend's MoE kernels
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- build --------------------------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S tests/fuzz -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE= >/dev/null
cmake --build "$build" -j 2

# --- run ----------------------------------------------------------------------------------------
work=$(mktemp -d /tmp/microscale-fuzz.XXXXXX)
# fuzz_moe_loader rewrites a checkpoint folder under $TMPDIR every input: keep it in memory where
# there is /dev/shm, and removed even after a crash
scratch=$(mktemp -d /dev/shm/microscale-fuzz.XXXXXX 2>/dev/null || mktemp -d "$work/scratch.XXXXXX")
trap 'rm -rf "$work" "$scratch"' EXIT
failed=0
summaries=()
# stack traces need llvm-symbolizer: this clang's, else whichever is on PATH
for symbolizer in "/usr/lib/llvm-$version/bin/llvm-symbolizer" "$(command -v llvm-symbolizer || true)"; do
  if [ -n "$symbolizer" ] && [ -x "$symbolizer" ]; then export ASAN_SYMBOLIZER_PATH="$symbolizer"; break; fi
done
for name in safetensors quant_config moe_loader; do
  exe="$build/fuzz_$name"
  corpus="$work/corpus_$name"
  findings="$build/findings/$name"
  log="$build/fuzz_$name.log"
  mkdir -p "$corpus" "$findings"
  cp tests/fuzz/corpus/"$name"/* "$corpus"/
  echo
  echo "=== fuzz_$name: ${seconds}s (log: $log)"
  rc=0
  TMPDIR="$scratch" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$exe" "$corpus" -dict="tests/fuzz/$name.dict" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || rc=$?
  tail -n 25 "$log" | grep -E '^(==[0-9]+==|SUMMARY|Done|stat::)|ERROR|Test unit written' || true
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1 || true)
  artifacts=$(find "$findings" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$rc" -ne 0 ] || [ "$artifacts" -ne 0 ]; then
    status="FAILED (exit $rc; $artifacts input(s) in $findings)"
    failed=1
  else
    status="ok"
  fi
  summaries+=("fuzz_$name: $status, ${runs:-?} executions in ${seconds}s, ${cov:-no coverage line}")
done

echo
for line in "${summaries[@]}"; do echo "$line"; done
exit "$failed"
