"""More normalisations: ``local_response_norm`` / ``LocalResponseNorm``, ``CrossMapLRN2d``,
``rms_norm`` / ``RMSNorm``, ``BatchNorm3d`` and ``SyncBatchNorm`` (batch norm on this one
process, with ``convert_sync_batchnorm``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import ops
from ....core import shuffle_pad as SP
from .. import _convert as C
from ..tensor import Tensor
from .conv import _BatchNorm, _np_dtype
from .module import Module
from .parameter import Parameter


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x / (k + alpha / size * sum of x^2 over `size` neighbouring channels) ** beta (channels in
    dim 1; the window is zero-padded by size // 2 before and (size - 1) // 2 after)."""
    if input.dim() < 3:
        raise ValueError(
            f"local_response_norm: expected 3D or higher dimensionality input (got {input.dim()} "
            "dimensions)"
        )
    if input.numel() == 0:
        return input
    size = int(size)
    x = C.floating(input)
    return SP.local_response_norm(x, 1, size // 2, (size - 1) // 2, k, alpha / size, beta)


class LocalResponseNorm(Module):
    """local_response_norm as a module."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        """The normalised input."""
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        """Options."""
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _cross_map_window(channels: int, size: int) -> np.ndarray:
    """The (C, C) 0/1 matrix of which channels feed each channel's scale in the legacy
    CrossMapLRN2d, including its running-window recurrence as torch computes it."""
    pre = int((size - 1) / 2 + 1)
    m = np.zeros((channels, channels))
    m[0, : min(pre, channels)] = 1
    for c in range(1, channels):
        m[c] = m[c - 1]
        if c < channels - pre + 1:
            m[c, c + pre - 1] += 1
        if c > pre:
            m[c, c - pre] -= 1
    return m


class CrossMapLRN2d(Module):
    """The legacy cross-channel LRN of (N, C, H, W) input: x * (k + alpha / size * S) ** -beta."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        """The normalised input."""
        if input.dim() != 4:
            raise ValueError(
                f"CrossMapLRN2d: expected a 4D input, got {input.dim()}D of shape "
                f"{tuple(input.shape)}"
            )
        x = C.floating(input)
        m = _cross_map_window(int(x.shape[1]), int(self.size)).astype(x._data.dtype)
        sq = ops.transpose(ops.square(x), (0, 2, 3, 1))
        s = ops.transpose(ops.matmul(sq, np.ascontiguousarray(m.T)), (0, 3, 1, 2))
        scale = s * (self.alpha / self.size) + self.k
        return x * scale ** (-self.beta)

    def extra_repr(self) -> str:
        """Options."""
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _shape_tuple(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def rms_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """x / sqrt(mean(x^2 over the last len(normalized_shape) dims) + eps) * weight; eps defaults
    to the dtype's machine epsilon, as torch's."""
    shape = _shape_tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape) :]) != shape:
        raise RuntimeError(
            f"rms_norm: normalized_shape {list(shape)} must match the trailing dims of the input "
            f"of shape {tuple(input.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            f"rms_norm: weight of shape {tuple(weight.shape)} must have normalized_shape "
            f"{list(shape)}"
        )
    x = C.floating(input)
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    dims = tuple(range(x.dim() - len(shape), x.dim()))
    y = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


class RMSNorm(Module):
    """rms_norm as a module (a learnable per-element weight when `elementwise_affine`)."""

    def __init__(
        self,
        normalized_shape: Any,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(Tensor._make(np.ones(self.normalized_shape, _np_dtype(dtype))))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        """Weight back to ones."""
        if self.weight is not None:
            self.weight._data[...] = 1

    def forward(self, input: Tensor) -> Tensor:
        """The normalised input."""
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        """Options."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input."""

    _dims = (5,)


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, *) input. This runs in one process, so the batch statistics are
    this process's (what torch's SyncBatchNorm computes with a world of one)."""

    _dims = (2, 3, 4, 5, 6)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = process_group

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """`module` with every BatchNorm*d inside replaced by a SyncBatchNorm holding the same
        parameters and buffers."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(
                module.num_features, module.eps, module.momentum, module.affine,
                module.track_running_stats, process_group, bias=module.bias is not None,
            )  # fmt: skip
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            if module.track_running_stats:
                out.running_mean = module.running_mean
                out.running_var = module.running_var
                out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in list(module.named_children()):
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


FUNCTIONS = ["local_response_norm", "rms_norm"]
MODULES = [
    "BatchNorm3d", "CrossMapLRN2d", "LocalResponseNorm", "RMSNorm", "SyncBatchNorm",
]  # fmt: skip
