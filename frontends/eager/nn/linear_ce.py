"""``F.linear_cross_entropy`` / ``nn.LinearCrossEntropyLoss``: cross-entropy of a linear
projection, computed as torch's reference path (the logits, then cross_entropy).
``LinearCrossEntropyOptions`` configures torch's memory-saving chunked path; it is accepted and
recorded, and the reference path runs here (the loss and gradients are the same)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..tensor import Tensor
from . import functional as F
from .layers import Linear
from .loss import _as_buffer, _Loss


@dataclass
class LinearCrossEntropyOptions:
    """torch's options of the chunked path (recorded; the reference path runs here)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: Any = None


def linear_cross_entropy(
    input: Tensor,
    linear_weight: Tensor,
    target: Tensor,
    *,
    linear_bias: Tensor | None = None,
    weight: Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: LinearCrossEntropyOptions | None = None,
) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...); linear_weight is
    (C, d_1, ..., d_K, in_features) for a K-dimensional loss."""
    in_features = int(linear_weight.shape[-1])
    if input.shape[-1] != in_features:
        raise RuntimeError(
            f"linear_cross_entropy: input of shape {tuple(input.shape)} must end in "
            f"{in_features} features to match linear_weight {tuple(linear_weight.shape)}"
        )
    out_shape = tuple(int(s) for s in linear_weight.shape[:-1])
    bias = None if linear_bias is None else linear_bias.reshape(-1)
    logits = F.linear(input, linear_weight.reshape(-1, in_features), bias)
    logits = logits.reshape(*input.shape[:-1], *out_shape)
    return F.cross_entropy(
        logits, target, weight, ignore_index=-100 if ignore_index is None else ignore_index,
        reduction=reduction, label_smoothing=label_smoothing,
    )  # fmt: skip


class LinearCrossEntropyLoss(_Loss):
    """A Linear layer (named `linear`) followed by cross_entropy, as torch's module."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple[int, ...] = (),
        bias: bool = False,
        device: Any = None,
        dtype: Any = None,
        reduction: str = "mean",
        weight: Tensor | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: LinearCrossEntropyOptions | None = None,
    ) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(
                f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}"
            )
        if not 0.0 <= label_smoothing <= 1.0:
            raise RuntimeError(
                f"expected label_smoothing to be in range [0, 1], got {label_smoothing}"
            )
        super().__init__(None, None, reduction)
        self.register_buffer("weight", _as_buffer(weight))
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = (
            ignore_index,
            label_smoothing,
            options,
        )
        size = math.prod(self.out_features, start=num_classes)
        self.linear = Linear(in_features, size, bias=bias, dtype=dtype)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss."""
        shape = (self.num_classes, *self.out_features)
        w = self.linear.weight.reshape(*shape, self.linear.in_features)
        b = self.linear.bias.reshape(*shape) if self.linear.bias is not None else None
        return linear_cross_entropy(
            input, w, target, linear_bias=b, weight=self.weight, reduction=self.reduction,
            ignore_index=self.ignore_index, label_smoothing=self.label_smoothing,
            options=self.options,
        )  # fmt: skip


FUNCTIONS = ["linear_cross_entropy", "native_channel_shuffle"]
MODULES = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """The native kernel's name of channel_shuffle (the same result)."""
    return F.channel_shuffle(input, groups)
