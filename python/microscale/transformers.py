"""transformers integration: a quantized checkpoint folder as a ready ``PreTrainedModel``.

``from_pretrained(path)`` builds the model from the folder's config.json with empty weights, puts a
``microscale.torch.Linear`` in place of every ``nn.Linear`` the checkpoint stores quantized
(ModelOpt, compressed-tensors or Quark; fused qkv / gate_up shards assembled as the C++ loader
does), loads every other tensor, and returns the model in eval mode; ``.generate()`` works.
Modules the config excludes (an ``lm_head`` in ``ignore``, say) and tied embeddings stay in
floating point.

Mixture-of-experts: the quantized experts of gpt-oss (transformers' ``mxfp4`` checkpoints, e.g.
openai/gpt-oss-20b, or a microscale ``hf-mxfp4`` export) run on a microscale MoE kernel, kept in
MXFP4; attention and router stay in torch. Other MoE architectures are refused with a clear error.
"""

from __future__ import annotations

import itertools
import os
from typing import Optional, Union

import torch
from torch import nn

import microscale
import microscale.torch as mst


def _empty_model(path: str, dtype: torch.dtype) -> nn.Module:
    from accelerate import init_empty_weights
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(path)
    # microscale runs the quantized modules: transformers must not build its own quantizer
    if getattr(config, "quantization_config", None) is not None:
        del config.quantization_config
    with init_empty_weights(include_buffers=False):  # parameters on "meta", buffers (rotary tables) real
        return AutoModelForCausalLM.from_config(config, dtype=dtype)


def _swap_quantized(model: nn.Module, checkpoint: microscale.Checkpoint, dtype: torch.dtype, kernel: Optional[str]) -> list[str]:
    stored = set(checkpoint.modules()) | set(checkpoint.fusable_modules())
    swapped = []
    for name, module in list(model.named_modules()):
        if not isinstance(module, nn.Linear) or name not in stored or not checkpoint.describe(name)["quantized"]:
            continue
        layer = mst.Linear.from_checkpoint(checkpoint, name, dtype=dtype, kernel=kernel)
        if (layer.in_features, layer.out_features) != (module.in_features, module.out_features):
            raise ValueError(
                f"{name}: the checkpoint's weight is [{layer.out_features}, {layer.in_features}], "
                f"the model's nn.Linear [{module.out_features}, {module.in_features}]"
            )
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, layer)
        swapped.append(name)
    quantized = [m for m in checkpoint.modules() if checkpoint.describe(m)["quantized"]]
    covered = set(swapped) | {s for m in swapped for s in checkpoint.describe(m)["shards"]}
    missing = [m for m in quantized if m not in covered]
    if missing:
        raise ValueError(f"quantized modules of the checkpoint with no nn.Linear in the model: {', '.join(missing[:8])}")
    return swapped


class GptOssExperts(nn.Module):
    """transformers' ``GptOssExperts`` on a microscale MoE kernel: ``forward(hidden_states [T, K],
    router_indices [T, k], routing_weights)`` as ``GptOssMLP`` calls it (routing weights [T, k], or
    transformers 4.x's dense [T, E] scores)."""

    def __init__(self, moe: mst.MoE) -> None:
        super().__init__()
        self.moe = moe
        self.num_experts = moe.layer.experts
        self.hidden_size = moe.layer.hidden

    def forward(self, hidden_states: torch.Tensor, router_indices: torch.Tensor, routing_weights: torch.Tensor) -> torch.Tensor:
        if routing_weights.shape[-1] != router_indices.shape[-1]:  # 4.x: scores over all experts
            routing_weights = routing_weights.gather(-1, router_indices)
        return self.moe(hidden_states, router_indices, routing_weights)


def _swap_experts(model: nn.Module, checkpoint: microscale.Checkpoint, dtype: torch.dtype) -> list[str]:
    swapped = []
    for prefix in checkpoint.moe_names():
        try:
            module = model.get_submodule(prefix)
        except AttributeError:
            raise ValueError(f"{prefix}: the checkpoint stores experts there, the model has no such module") from None
        if type(module).__name__ != "GptOssExperts":
            raise ValueError(f"{prefix}: quantized experts of {type(module).__name__} are not supported yet (gpt-oss's GptOssExperts are)")
        experts = GptOssExperts(mst.MoE.from_checkpoint(checkpoint, prefix, dtype=dtype))
        if (experts.num_experts, experts.hidden_size) != (module.num_experts, module.hidden_size):
            raise ValueError(
                f"{prefix}: the checkpoint has {experts.num_experts} experts of hidden size {experts.hidden_size}, "
                f"the model {module.num_experts} of {module.hidden_size}"
            )
        parent_name, _, child = prefix.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, experts)
        swapped.append(prefix)
    return swapped


def _load_rest(model: nn.Module, checkpoint: microscale.Checkpoint, dtype: torch.dtype) -> None:
    names = set(checkpoint.tensor_names())
    state = {}
    for key, value in model.state_dict().items():
        if key in names:
            state[key] = torch.from_numpy(checkpoint.read_tensor(key)).to(value.dtype if value.is_floating_point() else dtype)
    model.load_state_dict(state, strict=False, assign=True)
    if getattr(model.config, "tie_word_embeddings", False):
        model.tie_weights()
    empty = [n for n, p in itertools.chain(model.named_parameters(), model.named_buffers()) if p.device.type == "meta"]
    if empty:
        raise ValueError(f"tensors the model needs are not in the checkpoint: {', '.join(empty[:8])}")


def from_pretrained(
    path: Union[str, "os.PathLike[str]"], *, dtype: torch.dtype = torch.bfloat16, kernel: Optional[str] = None
) -> nn.Module:
    """The causal LM stored in checkpoint folder ``path``, its quantized linears on microscale
    kernels for activations of ``dtype`` (``kernel``: force one kernel by canonical name)."""
    path = os.fspath(path)
    checkpoint = microscale.Checkpoint(path)
    model = _empty_model(path, dtype)
    swapped = _swap_quantized(model, checkpoint, dtype, kernel) + _swap_experts(model, checkpoint, dtype)
    _load_rest(model, checkpoint, dtype)
    model.microscale_modules = swapped
    return model.eval()


def save_calibration(model: nn.Module, inputs: dict, output: Union[str, "os.PathLike[str]"]) -> None:  # type: ignore[type-arg]
    """Runs ``model(**inputs)`` and saves the input of every ``nn.Linear`` as ``<module>.input``
    [tokens, K] (float32) in a .safetensors file: the ``calibration`` W4A4 NVFP4 exports need."""
    from safetensors.torch import save_file

    samples: dict[str, torch.Tensor] = {}
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):

            def keep(m: nn.Module, args: tuple, name: str = name) -> None:  # type: ignore[type-arg]
                samples[f"{name}.input"] = args[0].reshape(-1, args[0].shape[-1]).to(torch.float32).clone()

            hooks.append(module.register_forward_pre_hook(keep))
    try:
        with torch.no_grad():
            model(**inputs)
    finally:
        for h in hooks:
            h.remove()
    save_file(samples, os.fspath(output))


def memory_bytes(model: nn.Module) -> int:
    """Bytes the model's weights take in memory: its parameters and buffers, plus the prepared
    weights of its microscale modules."""
    tensors = itertools.chain(model.parameters(), model.buffers())
    dense = sum(t.numel() * t.element_size() for t in {id(t): t for t in tensors}.values())
    return dense + sum(m.layer.memory_bytes for m in model.modules() if isinstance(m, (mst.Linear, mst.MoE)))


def save_floating_point(source: Union[str, "os.PathLike[str]"], output: Union[str, "os.PathLike[str]"], *, gguf_file: Optional[str] = None, dtype: torch.dtype = torch.bfloat16) -> None:
    """Saves a model transformers can load (a GGUF file, which it dequantizes, or any folder) as a
    floating-point safetensors folder with config.json and tokenizer: a source for
    ``microscale.quantize_checkpoint``. Tied weights are stored once, as transformers does."""
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    output = os.fspath(output)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf_file, dtype=dtype)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if getattr(model.config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)
    os.makedirs(output, exist_ok=True)
    save_file(state, os.path.join(output, "model.safetensors"), metadata={"format": "pt"})
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config  # the GGUF's: the tensors written are floating point
    model.config.save_pretrained(output)
    tokenizer.save_pretrained(output)
