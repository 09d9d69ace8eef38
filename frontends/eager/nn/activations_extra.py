"""``F.embedding``, ``F.kl_div``, ``F.prelu`` / ``nn.PReLU``, ``F.hardswish`` / ``nn.Hardswish``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of `weight` at the integer indices `input` (torch's options: see
    embedding_more3.py)."""
    from .embedding_more3 import embedding as _embedding

    return _embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL divergence with `input` as log-probabilities: target * (log target - input)."""
    for t in (input, target):
        if isinstance(t, Tensor) and t._data.dtype.kind in "biu":
            raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        pointwise = target.exp() * (target - input)
    else:
        # t log t is 0 at t == 0 (torch's xlogy) and NaN for a negative target, as torch's
        safe = target + (target == 0).to(target.dtype)
        pointwise = target * (safe.log() - input)
    if reduction == "none":
        return pointwise
    if reduction == "sum":
        return pointwise.sum()
    if reduction == "batchmean":
        return pointwise.sum() / input.shape[0]
    if reduction == "mean":
        return pointwise.mean()
    raise ValueError(f"kl_div: {reduction!r} is not a valid value for reduction")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), weight per channel (dim 1) or one for all."""
    if isinstance(input, Tensor) and input.dim() == 0 and weight.numel() > 1:
        # a weight per channel needs a channel dim (one shared weight is fine, as PyTorch)
        raise RuntimeError("prelu: Not allow zero-dim input tensor.")
    if isinstance(input, Tensor) and isinstance(weight, Tensor):
        if input.dtype != weight.dtype:  # PyTorch promotes nothing here
            raise RuntimeError(
                f"prelu: Type promoting not supported. Got {input.dtype} and {weight.dtype}"
            )
        if input._data.dtype.kind != "f":
            raise RuntimeError(f"prelu: not implemented for {input.dtype}")
    if isinstance(weight, Tensor) and weight.dim() > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}"
        )
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            "prelu: Mismatch of parameter numbers and input channel size. Found parameter "
            f"numbers = {weight.numel()} and channel size = {channels}."
        )
    w = weight
    if input.dim() == 0:  # one shared weight: the result keeps the 0-d shape
        w = w.reshape(())
    elif w.numel() > 1:
        w = w.reshape(*([-1] + [1] * (input.dim() - 2)))
    return input.clamp_min(0) + w * input.clamp_max(0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return input * (input + 3.0).clamp(0.0, 6.0) / 6.0


class PReLU(Module):
    """Parametric ReLU with learnable slope(s) for negative inputs (initialised to `init`)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(Tensor._make(np.full(num_parameters, init, np.float32)))

    def forward(self, input: Tensor) -> Tensor:
        """PReLU of the input."""
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        """Number of slopes."""
        return f"num_parameters={self.num_parameters}"


class Hardswish(Module):
    """x * relu6(x + 3) / 6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Hardswish of the input."""
        return hardswish(input)
