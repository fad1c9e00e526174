#!/usr/bin/env bash
# bench/gpu/run.sh [BUILD_DIR]: everything the cuda backend needs a GPU for, in one go — the cuda
# kernels' tests (typed sweeps, device memory; the `gpu` label of ctest), the same tests of device
# memory under compute-sanitizer's memcheck where it is installed, and the GPU benchmark. Logs go
# to $OUT (else BUILD_DIR/gpu-results); the benchmark's table is printed last.
# Built elsewhere (a CPU machine with nvcc) and carried, or built here with `setup/run.sh`'s build.
set -uo pipefail
build=${1:-build}
out=${OUT:-$build/gpu-results}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,memory.total --format=csv 2>&1 | tee "$out/gpu.txt"
# cuBLAS (the benchmark's dense and emulation peers): the toolkit's, else the one PyTorch's wheels carry
for d in /usr/local/cuda/lib64 \
         $(python3 -c 'import nvidia.cublas as c; print(list(c.__path__)[0] + "/lib")' 2>/dev/null); do
  if [ -e "$d/libcublas.so.13" ]; then export LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"; break; fi
done

"$build/tests/cuda_kernel_tests" --gtest_brief=1 >"$out/tests.log" 2>&1
tests_rc=$?
grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests? ran|FAILED" "$out/tests.log" | tail -20
if command -v compute-sanitizer >/dev/null 2>&1; then
  timeout 300 compute-sanitizer --tool memcheck --error-exitcode 9 "$build/tests/cuda_kernel_tests" \
    --gtest_brief=1 '--gtest_filter=CudaDevice/*:LinearSweep/w_nvfp4*:LinearSweep/w_mxfp6_e3m2*' >"$out/memcheck.log" 2>&1
  memcheck_rc=$?
  grep -E "ERROR SUMMARY|PASSED|FAILED" "$out/memcheck.log" | tail -5
else
  memcheck_rc=none
fi
# shellcheck disable=SC2086  # MICROSCALE_GPU_BENCH_ARGS: extra words, e.g. --quick
"$build/bench/microscale_gpu_bench" --csv "$out/bench.csv" ${MICROSCALE_GPU_BENCH_ARGS:-} >"$out/bench.log" 2>&1
bench_rc=$?
sed -n '1,3p' "$out/bench.log"
echo "tests exit $tests_rc, memcheck exit $memcheck_rc, benchmark exit $bench_rc"
sed -n '/^kernel /,$p' "$out/bench.log"
