"""The Python API over numpy and torch: results against the pure-torch contract in reference.py,
and a Python exception (never a crash) for every kind of bad argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import microscale
import reference as ref

SCHEMES = microscale.schemes()
FORMAT = {s: s.split("_a_")[0][2:] for s in SCHEMES}  # w_<format>[_a_<format>]
W4A4 = {s for s in SCHEMES if "_a_" in s}


def weights(n: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, k)).astype(np.float32)
    w[rng.random((n, k)) < 0.01] *= 20  # outliers: blocks with different scales
    return w


def reference_weight(q: microscale.QuantizedWeight) -> torch.Tensor:
    """fp32 dequantized weight of the contract: e2m1(q) * fp32(s * G) (NVFP4), element * 2^E (MX)."""
    codes, scales = torch.from_numpy(np.array(q.codes)), torch.from_numpy(np.array(q.scales))
    if q.format == "nvfp4":
        factor = ref.e4m3_value(scales).float() * torch.tensor(q.global_scale, dtype=torch.float32)  # fp32 product
        elements = ref.element_value(ref.unpack_codes(codes, q.format, q.cols), q.format).float()
        return (elements * factor.repeat_interleave(16, dim=1)).double()
    return ref.dequantize(q.format, codes, scales, 1.0, q.cols)


def test_table() -> None:
    assert len(SCHEMES) == 8 and "w_nvfp4_a_nvfp4" in SCHEMES and "w_mxfp6_e3m2" in SCHEMES
    assert microscale.resolve_scheme("NVFP4") == "w_nvfp4_a_nvfp4"
    assert microscale.resolve_scheme("nvfp4-pack-quantized") in ("w_nvfp4", "w_nvfp4_a_nvfp4")
    assert ("W4A16_NVFP4", "w_nvfp4") in [(a, s) for a, s, _ in microscale.aliases()]
    rows = microscale.kernels(why=True)
    assert {r["scheme"] for r in rows} == set(SCHEMES)
    assert all(r["why"] for r in rows) and "why" not in microscale.kernels()[0]
    with pytest.raises(ValueError, match="unknown quantization scheme 'w_int3'"):
        microscale.resolve_scheme("w_int3")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_quantize_weight_equals_the_contract(scheme: str) -> None:
    w = weights(48, 256)
    q = microscale.quantize_weight(w, scheme)
    assert (q.format, q.rows, q.cols, q.scale_layout) == (FORMAT[scheme], 48, 256, "linear")
    assert torch.equal(reference_weight(q), ref.weight_qdq(torch.from_numpy(w), q.format))
    # the same bytes again from a QuantizedWeight made of them
    again = microscale.QuantizedWeight(q.format, q.codes, q.scales, q.global_scale)
    assert np.array_equal(again.codes, q.codes) and np.array_equal(again.scales, q.scales)


@pytest.mark.parametrize("scheme", [s for s in SCHEMES if s in W4A4])
def test_qdq_equals_the_contract(scheme: str) -> None:
    x = torch.from_numpy(weights(8, 256, seed=1))
    fmt = FORMAT[scheme]
    input_scale = float(x.abs().max()) / 2688 if fmt == "nvfp4" else None
    got = microscale.qdq(x, scheme, input_scale=input_scale)
    want = ref.qdq(x, fmt, input_scale or 1.0).float()
    assert torch.equal(got, want)


@pytest.mark.parametrize("activation", [torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_linear_within_the_fp32_accumulation_bound(scheme: str, activation: torch.dtype) -> None:
    n, k, m = 40, 192, 5
    w = weights(n, k, seed=2)
    x = torch.from_numpy(weights(m, k, seed=3) / 4).to(activation)
    fmt = FORMAT[scheme]
    input_scale = float(x.float().abs().max()) / 2688 if scheme in W4A4 and fmt == "nvfp4" else None
    q = microscale.quantize_weight(w, scheme, input_scale=input_scale)
    bias = torch.linspace(-1, 1, n)
    layer = microscale.Linear.from_quantized(q, scheme, activation={torch.float32: "f32", torch.bfloat16: "bf16", torch.float16: "f16"}[activation], bias=bias)
    y = layer(x)
    assert y.dtype == activation and y.shape == (m, n)
    # x' stays fp32 inside the GEMM (backend/emulation.hpp), as block-scaled hardware computes it
    xq = ref.qdq(x.float(), fmt, input_scale or 1.0) if scheme in W4A4 else x.double()
    wd = reference_weight(q)
    exact = xq @ wd.T + bias.double()
    bound = ref.fp32_dot_bound(xq, wd) + ref.rounding_bound(exact, activation) * 1.01 + 1e-30
    assert bool(((y.double() - exact).abs() <= bound).all()), float(((y.double() - exact).abs() / bound).max())


def test_numpy_in_numpy_out_and_batch_shapes() -> None:
    q = microscale.quantize_weight(weights(32, 64), "w_mxfp4")
    layer = microscale.Linear.from_quantized(q, "w_mxfp4", activation="f32")
    x = weights(6, 64, seed=4)
    y = layer(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    batched = layer(x.reshape(2, 3, 64))
    assert batched.shape == (2, 3, 32) and np.array_equal(batched.reshape(6, 32), y)  # rows do not depend on M
    out = np.zeros((6, 32), dtype=np.float32)
    assert layer(x, out=out, threads=1) is out and np.array_equal(out, y)
    strided = np.zeros((6, 128), dtype=np.float32)
    strided[:, :64] = x
    assert np.array_equal(layer(strided[:, :64]), y)  # a row stride, no copy


def test_bad_arguments_raise_python_errors() -> None:
    q = microscale.quantize_weight(weights(32, 64), "w_nvfp4")
    layer = microscale.Linear.from_quantized(q, "w_nvfp4", activation="f32")
    with pytest.raises(TypeError, match="x: dtype float64"):
        layer(np.zeros((2, 64)))
    with pytest.raises(ValueError, match=r"expected \[\.\.\., 64\]"):
        layer(np.zeros((2, 48), dtype=np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        layer(np.zeros((64, 2), dtype=np.float32).T)
    with pytest.raises(ValueError, match="not finite|NaN|non-finite"):
        layer(np.full((1, 64), np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="threads"):
        layer(np.zeros((1, 64), dtype=np.float32), threads=-1)
    with pytest.raises(TypeError, match="x: dtype int32"):
        layer(torch.zeros((1, 64), dtype=torch.int32))
    with pytest.raises(ValueError):
        layer(np.zeros((1, 64), dtype=np.float32), out=np.zeros((1, 64), dtype=np.float32))
    with pytest.raises(ValueError, match="unknown quantization scheme"):
        microscale.quantize_weight(weights(4, 64), "w_int3")
    with pytest.raises(ValueError, match="infinite"):
        microscale.quantize_weight(np.full((4, 64), np.inf, dtype=np.float32), "w_mxfp4")
    with pytest.raises(ValueError, match="block size"):
        microscale.quantize_weight(weights(4, 40), "w_nvfp4")
    with pytest.raises(ValueError, match="scale bytes"):
        microscale.QuantizedWeight("nvfp4", q.codes, np.zeros((32, 3), dtype=np.uint8), q.global_scale)
    with pytest.raises(TypeError, match="codes: dtype float32"):
        microscale.QuantizedWeight("nvfp4", np.zeros((32, 32), dtype=np.float32), q.scales, q.global_scale)
    with pytest.raises(ValueError, match="format 'fp5'"):
        microscale.QuantizedWeight("fp5", q.codes, q.scales)
    with pytest.raises(ValueError, match="input_scale"):
        microscale.Linear.from_quantized(q, "w_nvfp4_a_nvfp4", activation="f32")
    with pytest.raises(ValueError, match="activation dtype 'f64'"):
        microscale.Linear.from_quantized(q, "w_nvfp4", activation="f64")
    with pytest.raises(ValueError, match="no such checkpoint"):
        microscale.Checkpoint("/nonexistent/model")


def test_moe_within_the_bound_of_its_two_stages() -> None:
    experts, hidden, inter, tokens, top_k = 4, 64, 32, 6, 2
    w13 = [microscale.quantize_weight(weights(2 * inter, hidden, seed=10 + e) / 8, "w_mxfp4") for e in range(experts)]
    w2 = [microscale.quantize_weight(weights(hidden, inter, seed=20 + e) / 8, "w_mxfp4") for e in range(experts)]
    moe = microscale.MoE.from_quantized(w13, w2, "w_mxfp4", activation="f32")
    x = torch.from_numpy(weights(tokens, hidden, seed=5) / 4)
    ids = torch.tensor([[e % experts, (e + 1) % experts] for e in range(tokens)], dtype=torch.int32)
    wts = torch.rand(tokens, top_k, generator=torch.Generator().manual_seed(0))
    y = moe(x, ids, wts).double()
    for t in range(tokens):
        exact = torch.zeros(hidden, dtype=torch.float64)
        bound = torch.zeros(hidden, dtype=torch.float64)
        for j in range(top_k):
            e = int(ids[t, j])
            a, b = reference_weight(w13[e]), reference_weight(w2[e])
            xt = x[t : t + 1].double()
            gu = (xt @ a.T)[0]
            gu_err = ref.fp32_dot_bound(xt, a)[0]
            g, u, dg, du = gu[:inter], gu[inter:], gu_err[:inter], gu_err[inter:]
            h = ref.silu(g) * u
            # |dh| <= L |dg| (|u| + |du|) + |silu(g)| |du|, plus the fp32 rounding of exp, the
            # division and the product in silu(g) * u (8 ulps of |h| is generous)
            dh = ref.SILU_LIPSCHITZ * dg * (u.abs() + du) + ref.silu(g).abs() * du + 8 * 2.0**-24 * h.abs()
            exact += float(wts[t, j]) * (h @ b.T)
            bound += float(wts[t, j]) * (dh @ b.abs().T + ref.fp32_dot_bound((h.abs() + dh).unsqueeze(0), b)[0])
        bound += 2.0**-23 * (exact.abs() + bound) * top_k  # the weighted sum over experts in fp32
        assert bool(((y[t] - exact).abs() <= bound).all()), t
    with pytest.raises(ValueError, match="topk_ids"):
        moe(x, ids[:3], wts)


def test_torch_ops_trace_with_torch_compile() -> None:
    import microscale.torch as mst

    q = microscale.quantize_weight(weights(32, 64), "w_nvfp4")
    module = mst.Linear.from_quantized(q, "w_nvfp4", dtype=torch.float32)
    x = torch.from_numpy(weights(3, 64, seed=6))
    eager = module(x)
    torch.library.opcheck(torch.ops.microscale.linear.default, (x, module._handle, 32))
    compiled = torch.compile(module, fullgraph=True, backend="aot_eager")
    assert torch.equal(compiled(x), eager)
    assert torch.equal(eager, microscale.Linear.from_quantized(q, "w_nvfp4", activation="f32")(x))
