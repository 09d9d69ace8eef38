"""Reductions on tensors (``sum``, ``mean``, ``max`` with dim, ``norm``, ``all``, ...).

Each is a core op or a `core.functional` composition (norm, var, std), as in the graph frontend.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

import numpy as np

from ...core import dtypes as D
from ...core import functional as CF
from ...core import ops
from ...core.primitives import reduction as PR
from . import _convert as C
from . import dispatch as _D
from . import tensor as _t
from .functions import _bools, _tensor, eq, maximum, minimum

# read on every operation: no module __getattr__ guard here (see namespaces._guard_module)
__dg_hot__ = True

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def sum(input: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None):  # noqa: A001
    """Sum over `dim` (all dims when None); ints and bools sum to int64."""
    x = _tensor(input)
    if dtype is not None:
        x = x.type(dtype)
    return ops.sum(x, C.dims(dim), keepdim)


sum = _D.full_reduction(PR.SUM, sum)  # noqa: A001


def mean(input: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None):
    """Mean over `dim` (all dims when None); needs a float tensor, as in PyTorch."""
    x = _tensor(input)
    if dtype is not None:
        x = x.type(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {x.dtype}; convert with .float() first"
        )
    return ops.mean(x, C.dims(dim), keepdim)


def _extreme(reduce_op, arg_op, result, other_op):
    def f(input: Any, dim: Any = None, keepdim: bool = False):
        x = _tensor(input)
        if isinstance(dim, _t.Tensor):
            return other_op(x, dim)
        if dim is None:
            return reduce_op(x)
        return result(reduce_op(x, (int(dim),), keepdim), arg_op(x, int(dim), keepdim))

    return f


max = _extreme(ops.max, ops.argmax, MaxResult, maximum)  # noqa: A001
max.__doc__ = "The largest value; with dim, (values, indices); with a tensor, the elementwise max."
min = _extreme(ops.min, ops.argmin, MinResult, minimum)  # noqa: A001
min.__doc__ = "The smallest value; with dim, (values, indices); with a tensor, the elementwise min."


def amax(input: Any, dim: Any = None, keepdim: bool = False):
    """The largest value over `dim` (ties share the gradient)."""
    return ops.max(_tensor(input), C.dims(dim), keepdim)


def amin(input: Any, dim: Any = None, keepdim: bool = False):
    """The smallest value over `dim` (ties share the gradient)."""
    return ops.min(_tensor(input), C.dims(dim), keepdim)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False):
    """Index of the first largest value (int64); no gradient flows."""
    x = _tensor(input)
    if x._data.dtype == np.bool_:
        raise RuntimeError("argmax(): does not support bool input")
    return ops.argmax(x, dim, keepdim)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False):
    """Index of the first smallest value (int64); no gradient flows."""
    x = _tensor(input)
    if x._data.dtype == np.bool_:
        raise RuntimeError("argmin(): does not support bool input")
    return ops.argmin(x, dim, keepdim)


def logsumexp(input: Any, dim: Any, keepdim: bool = False):
    """log(sum(exp(input))) over `dim`, computed stably."""
    return ops.logsumexp(C.floating(input), C.dims(dim), keepdim)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None):
    """The p-norm over `dim` (all elements when None)."""
    x = C.floating(input) if dtype is not None else C.floating_only("norm", input)
    if dtype is not None:
        x = x.type(dtype)
    return CF.norm(x, 2 if p is None else p, C.dims(dim), keepdim)


def var(
    input: Any,
    dim: Any = None,
    unbiased: bool = True,
    keepdim: bool = False,
    *,
    correction: int | None = None,
):
    """Variance over `dim` (unbiased by default, as PyTorch)."""
    corr = (1 if unbiased else 0) if correction is None else int(correction)
    return CF.var(_float_or_complex("var", input), C.dims(dim), corr, keepdim)


def _float_or_complex(op: str, input: Any) -> Any:
    if isinstance(input, _t.Tensor) and input._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: std and var only support floating point and complex dtypes")
    return C.floating(input)


def std(
    input: Any,
    dim: Any = None,
    unbiased: bool = True,
    keepdim: bool = False,
    *,
    correction: int | None = None,
):
    """Standard deviation over `dim` (unbiased by default, as PyTorch)."""
    corr = (1 if unbiased else 0) if correction is None else int(correction)
    return CF.std(_float_or_complex("std", input), C.dims(dim), corr, keepdim)


def all(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A001
    """True where every element (over `dim`) is nonzero."""
    ones = ops.cast(_bools(input), D.int64)
    axes = C.dims(dim)
    nd = builtins.max(ones.ndim, 1)
    ax = tuple(range(ones.ndim)) if axes is None else tuple(a % nd for a in axes)
    return ops.equal(ops.sum(ones, axes, keepdim), ops.count_like(ones, ax))


def any(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A001
    """True where some element (over `dim`) is nonzero."""
    ones = ops.cast(_bools(input), D.int64)
    return ops.greater(ops.sum(ones, C.dims(dim), keepdim), np.zeros((), np.int64))


def allclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True when |input - other| <= atol + rtol * |other| everywhere."""
    if isinstance(input, _t.Tensor) and isinstance(other, _t.Tensor) and input.dtype != other.dtype:
        raise RuntimeError(f"allclose: {input.dtype} did not match {other.dtype}")
    a, b = C.pair(C.floating(input), C.floating(other))
    diff = ops.abs(ops.sub(a, b))
    dt = diff._data.dtype
    tol = ops.add(np.asarray(atol, dt), ops.mul(ops.abs(b), np.asarray(rtol, dt)))
    return bool(all(ops.less_equal(diff, tol)).item())


def equal(input: Any, other: Any) -> bool:
    """True when both tensors have the same shape and values."""
    a, b = _tensor(input), _tensor(other)
    if a._data.shape != b._data.shape:
        return False
    return bool(all(eq(a, b)).item())
