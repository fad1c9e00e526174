"""PyTorch integration: the ``microscale::linear`` and ``microscale::moe`` custom ops and the
``nn.Module``\\ s holding a prepared kernel.

The ops take the layer as an integer handle (prepared kernels are not tensors); their fake (meta)
implementations give the output's shape and dtype, so ``torch.compile(fullgraph=True)`` traces a
model built of these modules without graph breaks. CPU tensors only; float32, bfloat16, float16.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Optional, Union

import torch
from torch import nn

import microscale as _ms

_layers: dict[int, Union[_ms.Linear, _ms.MoE]] = {}
_next_handle = itertools.count(1)


def _register(layer: Union[_ms.Linear, _ms.MoE], owner: nn.Module) -> int:
    handle = next(_next_handle)
    _layers[handle] = layer
    weakref.finalize(owner, _layers.pop, handle, None)
    return handle


def _layer(handle: int) -> Union[_ms.Linear, _ms.MoE]:
    try:
        return _layers[handle]
    except KeyError:
        raise ValueError(f"microscale: no prepared layer with handle {handle} (its module was deleted)") from None


@torch.library.custom_op("microscale::linear", mutates_args=(), device_types="cpu")
def linear(x: torch.Tensor, handle: int, out_features: int) -> torch.Tensor:
    """y [..., N] = x [..., K] @ W.T (+ bias) on the prepared layer ``handle``."""
    return _layer(handle)(x)


@linear.register_fake
def _(x: torch.Tensor, handle: int, out_features: int) -> torch.Tensor:
    return x.new_empty((*x.shape[:-1], out_features))


@torch.library.custom_op("microscale::moe", mutates_args=(), device_types="cpu")
def moe(x: torch.Tensor, topk_ids: torch.Tensor, topk_weights: torch.Tensor, handle: int, router_weight_on_input: bool = False) -> torch.Tensor:
    """y [T, K] of the prepared experts ``handle`` for x [T, K] routed by topk_ids / topk_weights [T, k]."""
    return _layer(handle)(x, topk_ids, topk_weights, router_weight_on_input=router_weight_on_input)


@moe.register_fake
def _(x: torch.Tensor, topk_ids: torch.Tensor, topk_weights: torch.Tensor, handle: int, router_weight_on_input: bool = False) -> torch.Tensor:
    return torch.empty_like(x)


def _activation_name(dtype: torch.dtype) -> str:
    names = {torch.float32: "f32", torch.bfloat16: "bf16", torch.float16: "f16"}
    if dtype not in names:
        raise TypeError(f"activation dtype {dtype} is not torch.float32, torch.bfloat16 or torch.float16")
    return names[dtype]


class Linear(nn.Module):
    """``nn.Linear`` on a microscale kernel: holds the prepared (quantized) weight, not a Parameter."""

    def __init__(self, layer: _ms.Linear) -> None:
        super().__init__()
        self.layer = layer
        self.in_features = layer.in_features
        self.out_features = layer.out_features
        self._handle = _register(layer, self)

    @classmethod
    def from_quantized(
        cls, weight: _ms.QuantizedWeight, scheme: str, *, dtype: torch.dtype = torch.bfloat16, bias: Optional[torch.Tensor] = None, kernel: Optional[str] = None
    ) -> "Linear":
        return cls(_ms.Linear.from_quantized(weight, scheme, activation=_activation_name(dtype), bias=bias, kernel=kernel))

    @classmethod
    def from_checkpoint(
        cls, checkpoint: Union[_ms.Checkpoint, str], prefix: str, *, dtype: torch.dtype = torch.bfloat16, kernel: Optional[str] = None
    ) -> "Linear":
        return cls(_ms.Linear.from_checkpoint(checkpoint, prefix, activation=_activation_name(dtype), kernel=kernel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.microscale.linear(x, self._handle, self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, kernel={self.layer.kernel_name}"


class MoE(nn.Module):
    """A mixture-of-experts block on a microscale kernel: ``forward(x, topk_ids, topk_weights)``."""

    def __init__(self, layer: _ms.MoE, router_weight_on_input: bool = False) -> None:
        super().__init__()
        self.layer = layer
        self.router_weight_on_input = router_weight_on_input
        self._handle = _register(layer, self)

    @classmethod
    def from_checkpoint(cls, checkpoint: Union[_ms.Checkpoint, str], prefix: str, *, dtype: torch.dtype = torch.bfloat16) -> "MoE":
        return cls(_ms.MoE.from_checkpoint(checkpoint, prefix, activation=_activation_name(dtype)))

    def forward(self, x: torch.Tensor, topk_ids: torch.Tensor, topk_weights: torch.Tensor) -> torch.Tensor:
        return torch.ops.microscale.moe(x, topk_ids, topk_weights, self._handle, self.router_weight_on_input)

    def extra_repr(self) -> str:
        layer = self.layer
        return f"experts={layer.experts}, hidden={layer.hidden}, intermediate={layer.intermediate}, kernel={layer.kernel_name}"
