"""``F.pad`` (constant), padding modules, ``cosine_similarity``, ``pairwise_distance``,
``Dropout2d`` and ``ParameterList``, composed of tensor operations."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import creation as _cr
from .. import shaping as _sh
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims: (left, right) of the last dim first, as PyTorch orders
    them (negative amounts crop)."""
    if mode in ("reflect", "replicate", "circular"):
        from .layers_more3 import pad_modes

        return pad_modes(input, pad, mode)
    if mode != "constant":
        raise NotImplementedError(
            f"F.pad: mode {mode!r} is not one of 'constant', 'reflect', 'replicate', 'circular'"
        )
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > input.dim():
        raise ValueError(
            f"F.pad: the padding must have an even length of at most 2 * {input.dim()} (the "
            f"input's rank), got {pad}"
        )
    x = input
    fill = 0.0 if value is None else value
    for i in range(len(pad) // 2):
        dim = input.dim() - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if before < 0:
            x = x.narrow(dim, -before, x.shape[dim] + before)
        if after < 0:
            x = x.narrow(dim, 0, x.shape[dim] + after)
        parts = []
        for n in (max(before, 0), max(after, 0)):
            shape = list(x.shape)
            shape[dim] = n
            parts.append(_cr.full(shape, fill, dtype=x.dtype) if n else None)
        pieces = [p for p in (parts[0], x, parts[1]) if p is not None]
        x = _sh.cat(pieces, dim) if len(pieces) > 1 else x
    return x


class _ConstantPadNd(Module):
    def __init__(self, padding: Any, value: float, n: int) -> None:
        super().__init__()
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * 2 * n
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """Padded input."""
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        """Padding and value."""
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value, 1)


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value, 2)


class ZeroPad1d(_ConstantPadNd):
    """Pad the last dim with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0, 1)


class ZeroPad2d(_ConstantPadNd):
    """Pad the last two dims with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0, 2)


def torch_broadcast_shapes(a: tuple, b: tuple) -> tuple:
    """The broadcast of two shapes, or PyTorch's RuntimeError."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise RuntimeError(
            f"cosine_similarity: the size of tensor a {a} must match the size of tensor b {b}"
        ) from None


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along `dim` (PyTorch >= 2 form);
    the operands broadcast against each other first, as PyTorch."""
    if not eps >= 0:  # NaN too, as PyTorch
        raise RuntimeError(f"cosine_similarity: eps must be non-negative, got: {eps}")
    shape = torch_broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1 = x1 if tuple(x1.shape) == shape else x1.expand(*shape)
    x2 = x2 if tuple(x2.shape) == shape else x2.expand(*shape)
    n1 = x1.norm(2, dim=dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim=dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, H, W) with probability p while training.

    As torch 2's: one draw per (n, c) whatever the rank, so a 3-D input is (N, C, L) and a
    2-D one (N, C) is dropped element by element, each with torch's warning; fewer than two
    dims is an error."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: dropout probability has to be between 0 and 1, but got {p}")
    nd = input.dim()
    if nd < 2:
        raise RuntimeError(
            f"dropout2d: feature dropout requires at least 2 dimensions in the input, got {nd}"
        )
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim; use dropout1d for that",
            UserWarning,
            stacklevel=2,
        )
    elif nd != 4:
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated; use dropout "
            "instead (dropout2d drops channels of 3D or 4D inputs)",
            UserWarning,
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    shape = list(input.shape[:2]) + [1] * (nd - 2)
    keep = (_cr.rand(*shape, dtype=input.dtype) >= p).to(input.dtype)
    return input * keep / (1.0 - p)


class Dropout2d(Module):
    """Channel dropout for (N, C, H, W) maps."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        """Channel dropout when training, identity in eval mode."""
        return dropout2d(input, self.p, self.training)


class ParameterList(Module):
    """A list of parameters registered on the module (as "0", "1", ...)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._n = 0
        for v in values or ():
            self.append(v)

    def append(self, value: Any) -> ParameterList:
        """Add one parameter (a plain tensor becomes a Parameter)."""
        p = value if isinstance(value, Parameter) else Parameter(value)
        self.register_parameter(str(self._n), p)
        self._n += 1
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add several parameters."""
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, idx: int) -> Any:
        n = self._n
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a ParameterList of length {n}")
        return self._parameters[str(idx % n)]

    def __len__(self) -> int:
        return self._n

    def __iter__(self):
        return iter(self._parameters[str(i)] for i in range(self._n))


__all__ = [
    "ConstantPad1d", "ConstantPad2d", "Dropout2d", "ParameterList", "ZeroPad1d", "ZeroPad2d",
    "cosine_similarity", "dropout2d", "pad", "pairwise_distance",
]  # fmt: skip
