"""gpt-oss on this CPU, one run, side by side: microscale's MoE kernel (experts kept in MXFP4) against
transformers' own CPU path for an mxfp4 checkpoint (``Mxfp4Config(dequantize=True)``: experts
dequantized to bf16 at load, then its GptOssExperts in torch).

1. One gpt-oss-20b-shaped MoE layer (E=32 experts, top-4, K=I=2880) with random MXFP4 experts:
   decode (1 token) and prefill (--prefill tokens) tokens/s, and the experts' bytes in memory.
2. A small random GptOssConfig model exported by microscale (hf-mxfp4): prefill and greedy
   decode tokens/s of the whole model, and its weights in memory.
Prints the CPU, its measured clock and the thread count first; compare numbers only within one run.

    python bench/python/gpt_oss.py [--workdir DIR] [--threads N] [--prefill 128] [--decode 16]
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np
import torch
import transformers
from safetensors.numpy import save_file
from smollm2 import best_of, cpu_name, measured_clock_ghz  # the same machine report and timer

import microscale
import microscale.transformers as mtf

PREFIX = "model.layers.0.mlp.experts"


def write_layer(folder: pathlib.Path, experts: int, hidden: int, inter: int) -> None:
    """One MoE layer as gpt-oss stores it: random codes, scales 2^-7..2^-5, small biases."""
    rng = np.random.default_rng(0)
    tensors = {}
    for name, rows, cols in (("gate_up_proj", 2 * inter, hidden), ("down_proj", hidden, inter)):
        tensors[f"{PREFIX}.{name}_blocks"] = rng.integers(0, 256, (experts, rows, cols // 32, 16), dtype=np.uint8)
        tensors[f"{PREFIX}.{name}_scales"] = rng.integers(120, 123, (experts, rows, cols // 32), dtype=np.uint8)
        tensors[f"{PREFIX}.{name}_bias"] = rng.normal(0, 0.1, (experts, rows)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "model.safetensors"))
    config = {"model_type": "gpt_oss", "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": []}}
    (folder / "config.json").write_text(json.dumps(config))


def transformers_experts(folder: pathlib.Path, config: transformers.GptOssConfig) -> torch.nn.Module:
    """transformers' GptOssExperts holding the layer dequantized by transformers' own function."""
    from safetensors.torch import load_file
    from transformers.integrations.mxfp4 import convert_moe_packed_tensors

    stored = load_file(folder / "model.safetensors")
    module = transformers.models.gpt_oss.modeling_gpt_oss.GptOssExperts(config).to(torch.bfloat16)
    with torch.no_grad():
        for name in ("gate_up_proj", "down_proj"):
            w = convert_moe_packed_tensors(stored[f"{PREFIX}.{name}_blocks"], stored[f"{PREFIX}.{name}_scales"], dtype=torch.bfloat16)
            param = getattr(module, name)
            param.copy_(w if w.shape == param.shape else w.transpose(1, 2))
            getattr(module, f"{name}_bias").copy_(stored[f"{PREFIX}.{name}_bias"])
    return module.eval()


def routing(tokens: int, experts: int, top_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(tokens)
    logits = torch.randn(tokens, experts, generator=g)
    values, ids = torch.topk(logits, top_k, dim=-1)
    return ids, torch.softmax(values, dim=-1).to(torch.bfloat16)


def moe_layer_rows(workdir: pathlib.Path, prefill: int) -> list[tuple[str, float, float, int]]:
    experts, hidden, inter, top_k = 32, 2880, 2880, 4
    folder = workdir / "gpt-oss-20b-layer"
    if not (folder / "model.safetensors").exists():
        write_layer(folder, experts, hidden, inter)
    config = transformers.GptOssConfig(hidden_size=hidden, intermediate_size=inter, num_local_experts=experts, num_experts_per_tok=top_k)
    ours = microscale.Checkpoint(folder).moe(PREFIX, activation="bf16")
    theirs = transformers_experts(folder, config)
    rows = []
    for name, run, memory in (
        ("transformers dequantized (bf16)", lambda x, i, w: theirs(x, i, w), sum(p.numel() * p.element_size() for p in theirs.parameters())),
        (f"microscale {ours.kernel_name}", lambda x, i, w: ours(x, i, w), ours.memory_bytes),
    ):
        speeds = []
        for tokens, repeats in ((1, 20), (prefill, 3)):
            x = torch.randn(tokens, hidden, generator=torch.Generator().manual_seed(7)).to(torch.bfloat16)
            ids, weights = routing(tokens, experts, top_k)
            with torch.no_grad():
                speeds.append(tokens / best_of(lambda: run(x, ids, weights), repeats))
        rows.append((name, speeds[1], speeds[0], memory))
    return rows


def small_model_rows(workdir: pathlib.Path, prefill: int, decode: int) -> list[tuple[str, float, float, int]]:
    source, folder = workdir / "gpt-oss-small-bf16", workdir / "gpt-oss-small-mxfp4"
    if not (folder / "model.safetensors").exists():
        torch.manual_seed(0)
        config = transformers.GptOssConfig(
            vocab_size=4096, hidden_size=512, intermediate_size=512, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2,
            head_dim=64, num_local_experts=16, num_experts_per_tok=4, max_position_embeddings=4096,
        )
        transformers.GptOssForCausalLM(config).to(torch.bfloat16).save_pretrained(source)
        microscale.quantize_checkpoint(source, folder, "mxfp4", convention="hf-mxfp4", overwrite=True)
    models = (
        ("transformers dequantized (bf16)",
         transformers.AutoModelForCausalLM.from_pretrained(folder, quantization_config=transformers.Mxfp4Config(dequantize=True), dtype=torch.bfloat16).eval()),
        ("microscale", mtf.from_pretrained(folder, dtype=torch.bfloat16)),
    )
    ids = torch.randint(0, 4096, (1, prefill), generator=torch.Generator().manual_seed(3))
    rows = []
    for name, model in models:
        with torch.no_grad():
            prefill_s = best_of(lambda: model(ids))
            decode_s = best_of(lambda: model.generate(ids[:, :8], max_new_tokens=decode, min_new_tokens=decode, do_sample=False), repeats=2)
        rows.append((name, prefill / prefill_s, decode / decode_s, mtf.memory_bytes(model)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path("build/python-bench"))
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--prefill", type=int, default=128, help="tokens of one prefill forward pass")
    parser.add_argument("--decode", type=int, default=16, help="new tokens per generate() of the small model")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"{cpu_name()}; measured clock {measured_clock_ghz():.2f} GHz; {torch.get_num_threads()} threads; "
          f"torch {torch.__version__}, transformers {transformers.__version__}")
    for title, rows in (
        ("gpt-oss-20b-shaped MoE layer (E=32, top-4, K=I=2880)", moe_layer_rows(args.workdir, args.prefill)),
        ("small random gpt-oss model (4 layers, 16 experts, K=I=512), whole model", small_model_rows(args.workdir, args.prefill, args.decode)),
    ):
        base = rows[0]
        print(f"\n{title}\n{'path':44s} {'prefill tok/s':>14s} {'decode tok/s':>13s} {'vs transformers (decode / prefill)':>34s} {'weights MiB':>12s}")
        for name, pre, dec, mem in rows:
            print(f"{name:44s} {pre:14.1f} {dec:13.1f} {dec / base[2]:24.2f}x / {pre / base[1]:.2f}x {mem / 2**20:12.1f}")


if __name__ == "__main__":
    main()
