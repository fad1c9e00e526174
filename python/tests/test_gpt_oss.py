"""gpt-oss end to end without its weights: a tiny random ``GptOssConfig`` model built by transformers,
exported by microscale in transformers' ``mxfp4`` convention (hf-mxfp4), then loaded twice —
(a) by transformers itself with ``Mxfp4Config(dequantize=True)``, the independent reference, and
(b) by ``microscale.transformers.from_pretrained``, experts on a microscale MoE kernel in MXFP4.

Checked: the weights transformers dequantizes are exactly microscale's quantize-dequantize of the
source (codes, scales, layout and nibble order round trip bitwise); every MoE layer's output on the
reference's own inputs is within a bound derived from fp32 accumulation (below); the logits agree
and greedy generation gives the same tokens; the experts stay in MXFP4 in memory.
"""

from __future__ import annotations

import pathlib

import pytest
import torch

import microscale

transformers = pytest.importorskip("transformers")
mtf = pytest.importorskip("microscale.transformers")

U = 2.0**-24  # fp32 unit roundoff


def gamma(n: int) -> float:
    return n * U / (1 - n * U)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, pathlib.Path]:
    if not hasattr(transformers, "Mxfp4Config") or not hasattr(transformers, "GptOssConfig"):
        pytest.skip(f"transformers {transformers.__version__} has no gpt-oss / Mxfp4Config (4.55.1 or newer)")
    root = tmp_path_factory.mktemp("gpt_oss")
    torch.manual_seed(0)
    config = transformers.GptOssConfig(
        vocab_size=256, hidden_size=64, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        head_dim=16, num_local_experts=4, num_experts_per_tok=2, sliding_window=8, max_position_embeddings=256,
    )
    model = transformers.GptOssForCausalLM(config).eval()
    with torch.no_grad():  # weights large enough that the swiglu clamps (limit 7) take part
        for layer in model.model.layers:
            experts = layer.mlp.experts
            experts.gate_up_proj.normal_(0, 0.5)
            experts.down_proj.normal_(0, 0.2)
            experts.gate_up_proj_bias.normal_(0, 0.5)
            experts.down_proj_bias.normal_(0, 0.2)
    source, output = root / "bf16", root / "mxfp4"
    model.to(torch.bfloat16).save_pretrained(source)
    report = microscale.quantize_checkpoint(source, output, "mxfp4", convention="hf-mxfp4")
    assert sorted(report["quantized"]) == sorted(f"model.layers.{i}.mlp.experts.{p}" for i in range(2) for p in ("gate_up_proj", "down_proj"))
    return source, output


@pytest.fixture(scope="module")
def models(exported: tuple[pathlib.Path, pathlib.Path]) -> tuple[torch.nn.Module, torch.nn.Module]:
    _, output = exported
    reference = transformers.AutoModelForCausalLM.from_pretrained(
        output, quantization_config=transformers.Mxfp4Config(dequantize=True), dtype=torch.float32
    ).eval()
    ours = mtf.from_pretrained(output, dtype=torch.float32)
    return reference, ours


def test_checkpoint_is_read_as_hf_mxfp4(exported: tuple[pathlib.Path, pathlib.Path]) -> None:
    checkpoint = microscale.Checkpoint(exported[1])
    assert checkpoint.convention == "hf-mxfp4"
    assert checkpoint.moe_names() == ["model.layers.0.mlp.experts", "model.layers.1.mlp.experts"]
    assert checkpoint.tensor_shape("model.layers.0.mlp.experts.gate_up_proj_blocks") == [4, 128, 2, 16]
    assert checkpoint.tensor_shape("model.layers.0.mlp.experts.down_proj_scales") == [4, 64, 2]


def test_dequantized_weights_round_trip_bitwise(exported: tuple[pathlib.Path, pathlib.Path], models: tuple[torch.nn.Module, torch.nn.Module]) -> None:
    """transformers' dequantized experts == microscale's own quantize-dequantize (rceil rule) of the
    source weights along the input dimension: the exporter's codes, scales, transpose and nibble
    order are what transformers reads."""
    from safetensors.torch import load_file

    source = load_file(exported[0] / "model.safetensors")
    reference, _ = models
    for i, layer in enumerate(reference.model.layers):
        for name in ("gate_up_proj", "down_proj"):
            w = source[f"model.layers.{i}.mlp.experts.{name}"].float()  # [E, K, N]
            e, k, n = w.shape
            rows = w.transpose(1, 2).reshape(e * n, k)  # [E * N, K]: blocks along K
            qdq = microscale.qdq(rows, "w_mxfp4_a_mxfp4", mx_rule="rceil").reshape(e, n, k).transpose(1, 2)
            got = getattr(layer.mlp.experts, name).detach()
            assert got.dtype == torch.float32
            assert torch.equal(got, qdq), f"layer {i} {name}: {(got != qdq).sum()} values differ"


def swiglu_bound_inputs(x: torch.Tensor, experts: torch.nn.Module, e: int) -> tuple[torch.Tensor, torch.Tensor]:
    """fp64 gate_up and its fp32-accumulation error bound (one side) for tokens x of expert e."""
    w = experts.gate_up_proj[e].double()
    b = experts.gate_up_proj_bias[e].double()
    exact = x @ w + b
    terms = x.abs() @ w.abs() + b.abs()
    return exact, gamma(x.shape[1] + 2) * terms


def expert_reference(x: torch.Tensor, experts: torch.nn.Module, e: int) -> tuple[torch.Tensor, torch.Tensor]:
    """fp64 expert output h·Wd + bd and a bound on |fp32 result - it| for one fp32 evaluation.

    gate_up: gamma(K+2)·(|x||W| + |b|). Clamps are 1-Lipschitz; for h = (u'+1)·g'·sigmoid(alpha g'),
    |dh/du'| <= |g'| and |dh/dg'| <= (|u'|+1)(1 + alpha|g'|/4), taken at the fp64 values plus the
    gate_up error; the fp32 activation's own rounding (clamps exact, ~6 roundings and exp's <= 2 ulp)
    is bounded by 16u|h|. down: sum_i |Wd_i| eh_i + gamma(I+2)·(|h||Wd| + |bd|)."""
    alpha, limit = experts.alpha, experts.limit
    gu, egu = swiglu_bound_inputs(x, experts, e)
    g, u = gu[:, ::2].clamp(max=limit), gu[:, 1::2].clamp(-limit, limit)
    eg, eu = egu[:, ::2], egu[:, 1::2]
    h = (u + 1) * g * torch.sigmoid(alpha * g)
    eh = (u.abs() + eu + 1) * (1 + alpha * (g.abs() + eg) / 4) * eg + (g.abs() + eg) * eu + 16 * U * (h.abs() + 1e-30)
    wd, bd = experts.down_proj[e].double(), experts.down_proj_bias[e].double()
    out = h @ wd + bd
    err = eh @ wd.abs() + gamma(h.shape[1] + 2) * ((h.abs() + eh) @ wd.abs() + bd.abs())
    return out, err


def test_moe_layers_within_the_fp32_bound(models: tuple[torch.nn.Module, torch.nn.Module]) -> None:
    """Each MoE layer on the reference's own inputs (captured by a hook): microscale's and
    transformers' outputs each lie within the derived fp32 bound of the fp64 value, so they differ
    by at most twice it."""
    reference, ours = models
    captured: dict[int, tuple[torch.Tensor, ...]] = {}
    hooks = [
        layer.mlp.experts.register_forward_hook(lambda m, args, out, i=i: captured.__setitem__(i, (*args, out)))
        for i, layer in enumerate(reference.model.layers)
    ]
    try:
        with torch.no_grad():
            reference(torch.randint(0, 256, (2, 9), generator=torch.Generator().manual_seed(1)))
    finally:
        for h in hooks:
            h.remove()
    clamped = 0
    for i, (x, ids, weights, ref_out) in captured.items():
        experts = reference.model.layers[i].mlp.experts
        with torch.no_grad():
            got = ours.model.layers[i].mlp.experts(x, ids, weights)
        x64 = x.double()
        exact = torch.zeros_like(x64)
        bound = torch.zeros_like(x64)
        for e in range(experts.num_experts):
            token, slot = torch.where(ids == e)
            if token.numel() == 0:
                continue
            out, err = expert_reference(x64[token], experts, e)
            w = weights[token, slot].double()[:, None]
            exact.index_add_(0, token, w * out)
            bound.index_add_(0, token, w * err + gamma(ids.shape[1] + 1) * (w * out).abs())
            clamped += int((swiglu_bound_inputs(x64[token], experts, e)[0][:, ::2] > experts.limit).sum())
        assert got.shape == ref_out.shape and got.dtype == torch.float32
        for name, y in (("microscale", got), ("transformers", ref_out)):
            excess = ((y.double() - exact).abs() - bound).max()
            assert excess <= 0, f"layer {i}: {name} is {excess} beyond the fp32 bound"
        assert ((got.double() - ref_out.double()).abs() <= 2 * bound).all()
    assert clamped > 0, "the test's weights never reach the swiglu clamp"


def test_logits_and_greedy_tokens_match_transformers(models: tuple[torch.nn.Module, torch.nn.Module]) -> None:
    reference, ours = models
    assert ours.microscale_modules == ["model.layers.0.mlp.experts", "model.layers.1.mlp.experts"]
    ids = torch.randint(0, 256, (1, 12), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        a, b = reference(ids).logits, ours(ids).logits
    # end to end the per-layer bound compounds through attention and norms: a cross-check, 1e-5 of
    # the logits' scale (measured: ~6e-7)
    assert (a - b).abs().max() <= 1e-5 * a.abs().max()
    with torch.no_grad():
        ga = reference.generate(ids, max_new_tokens=8, do_sample=False)
        gb = ours.generate(ids, max_new_tokens=8, do_sample=False)
    assert torch.equal(ga, gb)


def test_experts_stay_mxfp4_in_memory(models: tuple[torch.nn.Module, torch.nn.Module]) -> None:
    reference, ours = models
    dense = sum(p.numel() * p.element_size() for layer in reference.model.layers for p in layer.mlp.experts.parameters())
    prepared = sum(layer.mlp.experts.moe.layer.memory_bytes for layer in ours.model.layers)
    weights = sum(p.numel() for layer in reference.model.layers for p in (layer.mlp.experts.gate_up_proj, layer.mlp.experts.down_proj))
    # MXFP4 is 4.25 bits per weight on disk; the prepared form keeps it within 0.7 B per weight
    # (fp32 per-block factors), against fp32's 4 B
    assert prepared <= 0.7 * weights + 4 * 2 * (4 * 128 + 4 * 64)
    assert prepared < dense / 5
    assert mtf.memory_bytes(ours) < mtf.memory_bytes(reference)


def test_expert_count_mismatch_is_named(tmp_path: pathlib.Path, exported: tuple[pathlib.Path, pathlib.Path]) -> None:
    """A config whose expert count is not the checkpoint's is an error naming both."""
    import json
    import shutil

    folder = tmp_path / "renamed"
    shutil.copytree(exported[1], folder)
    config = json.loads((folder / "config.json").read_text())
    config["num_local_experts"] = 8  # the checkpoint holds 4
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="the checkpoint has 4 experts of hidden size 64, the model 8 of 64"):
        mtf.from_pretrained(folder, dtype=torch.float32)
