"""torch.floor / ceil / round / trunc (and the Tensor methods): zero gradient, as PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ops
from . import _convert as C
from .tensor import Tensor


def _whole(fn, input: Any):
    x = C.as_tensor_operand(input)
    if x._data.dtype.kind in "iub":
        return ops.identity(x)  # integers are already whole (PyTorch returns a copy)
    return fn(x)


def floor(input: Any) -> Tensor:
    """The largest integer <= input, elementwise."""
    return _whole(ops.floor, input)


def ceil(input: Any) -> Tensor:
    """The smallest integer >= input, elementwise."""
    return _whole(ops.ceil, input)


def trunc(input: Any) -> Tensor:
    """input rounded toward zero."""
    return _whole(ops.trunc, input)


fix = trunc


def round(input: Any, *, decimals: int = 0) -> Tensor:  # noqa: A001 - torch.round
    """input rounded to `decimals` places, halves to even (as PyTorch)."""
    if not decimals:
        return _whole(ops.round, input)
    x = C.as_tensor_operand(input)
    if x._data.dtype.kind in "iub":
        raise NotImplementedError("round: decimals on an integer tensor is not supported")
    scale = np.asarray(10.0 ** int(decimals), x._data.dtype)
    return ops.div(ops.round(ops.mul(x, scale)), scale)


def _install() -> None:
    """The Tensor methods of the same names."""
    Tensor.floor = lambda self: floor(self)
    Tensor.ceil = lambda self: ceil(self)
    Tensor.trunc = lambda self: trunc(self)
    Tensor.fix = lambda self: trunc(self)
    Tensor.round = lambda self, decimals=0: round(self, decimals=decimals)
    for name in ("floor", "ceil", "trunc", "fix", "round"):
        getattr(Tensor, name).__doc__ = globals()[name].__doc__


_install()
