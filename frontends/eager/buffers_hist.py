"""``torch.frombuffer``, ``torch.histogram`` / ``Tensor.histogram`` and ``torch.cholesky_solve``
(differentiable, through the core's matrix_inverse of the factor)."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from ...core.primitives import linalg_inv as _L
from . import _convert as C
from .dtype import to_dtype
from .tensor import Tensor


class _Histogram(NamedTuple):
    hist: Any
    bin_edges: Any


def frombuffer(
    buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0, requires_grad: bool = False
) -> Tensor:
    """A 1-D tensor sharing memory with an object that exposes the buffer protocol."""
    dt = to_dtype(dtype).np_dtype
    view = memoryview(buffer)
    if view.readonly:
        warnings.warn(
            "frombuffer: the given buffer is not writable; writing to the tensor is undefined",
            UserWarning,
            stacklevel=2,
        )
    n = view.nbytes
    if not 0 <= offset < max(n, 1) or (n == 0):
        raise ValueError(f"frombuffer: offset {offset} must be in [0, {n}) for a {n}-byte buffer")
    avail = (n - offset) // dt.itemsize
    if count < 0:
        if (n - offset) % dt.itemsize:
            raise ValueError(
                f"frombuffer: {n - offset} bytes after offset {offset} are not a multiple of the "
                f"element size {dt.itemsize}; pass count"
            )
        count = avail
    elif count == 0 or count > avail:
        raise ValueError(f"frombuffer: count {count} must be in [1, {avail}] for this buffer")
    arr = np.frombuffer(buffer, dtype=dt, count=count, offset=offset)
    t = Tensor._make(arr)
    return t.requires_grad_() if requires_grad else t


def histogram(
    input: Any,
    bins: Any = 100,
    *,
    range: Any = None,  # noqa: A002
    weight: Any = None,
    density: bool = False,
    out: Any = None,
) -> _Histogram:
    """(hist, bin_edges): counts (or weights, or a density) of the values in `bins` bins."""
    x = C.floating(input) if not isinstance(input, Tensor) else input
    data = x._data
    if data.dtype.kind != "f":
        raise RuntimeError(f"histogram: expects a floating tensor, got {data.dtype}")
    w = (
        None
        if weight is None
        else np.asarray(weight._data if isinstance(weight, Tensor) else weight)
    )
    if w is not None and (w.size != data.size or w.dtype != data.dtype):
        raise RuntimeError(
            f"histogram: weight {w.dtype} {tuple(w.shape)} must give one {data.dtype} value per "
            f"input element (input {data.dtype} {tuple(data.shape)})"
        )
    if isinstance(bins, Tensor):
        edges = bins._data
    else:
        lo, hi = (float(range[0]), float(range[1])) if range is not None else (
            (float(data.min()), float(data.max())) if data.size else (0.0, 1.0)  # torch's
        )  # fmt: skip
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"histogram: the range [{lo}, {hi}] is not finite")
        if lo == hi:  # an empty range widens to one unit around the value
            lo, hi = lo - 0.5, hi + 0.5
        if not 0 < int(bins) <= 2**31:
            raise RuntimeError(f"histogram: bins must be a positive count below 2**31, got {bins}")
        edges = np.linspace(lo, hi, int(bins) + 1)
    hist = _binned(data.ravel(), np.asarray(edges), None if w is None else w.ravel(), density)
    return _Histogram(Tensor._make(hist.astype(data.dtype)), Tensor._make(edges.astype(data.dtype)))


def _binned(values: np.ndarray, edges: np.ndarray, weights: Any, density: bool) -> np.ndarray:
    """Per-bin sums of the weights (1 each without) of the values inside the edges; bins are
    half-open but the last, and each bin adds its own weights in input order, so a NaN weight
    makes only its own bin NaN (a cumulative sum would carry it into every later bin)."""
    bins = len(edges) - 1
    inside = (values >= edges[0]) & (values <= edges[-1])
    at = np.minimum(np.searchsorted(edges, values[inside], side="right") - 1, bins - 1)
    w = None if weights is None else np.asarray(weights, np.float64)[inside]
    hist = np.bincount(at, weights=w, minlength=bins).astype(np.float64)
    if density:
        hist = hist / hist.sum() / np.diff(edges)
    return hist


def cholesky_solve(B: Any, L: Any, upper: bool = False, *, out: Any = None) -> Tensor:
    """X with A X = B where A = L L^T (or U^T U with upper=True), given the Cholesky factor."""
    b, f = C.floating(B), C.floating(L)
    if f.dim() < 2 or f.shape[-1] != f.shape[-2]:
        raise RuntimeError(
            f"cholesky_solve: the factor must be square matrices, got {tuple(f.shape)}"
        )
    if b.dim() < 2 or b.shape[-2] != f.shape[-1]:
        raise RuntimeError(
            f"cholesky_solve: B {tuple(b.shape)} must have {f.shape[-1]} rows to match the factor "
            f"{tuple(f.shape)}"
        )
    # only the factor's triangle is read, as PyTorch (the other holds anything); the gradient
    # is the full factor's, as PyTorch's rule gives it (f + (tri - f) is tri exactly)
    tri = f.triu() if upper else f.tril()
    f = f + (tri - f).detach()
    low = f.transpose(-2, -1) if upper else f
    inv = _L.matrix_inverse(low)  # A^-1 = L^-T L^-1
    return inv.transpose(-2, -1) @ (inv @ b)


def _install() -> None:
    Tensor.histogram = lambda self, bins=100, *, range=None, weight=None, density=False: histogram(  # noqa: E731
        self, bins, range=range, weight=weight, density=density
    )
    Tensor.cholesky_solve = lambda self, input2, upper=False: cholesky_solve(self, input2, upper)


_install()

__all__ = ["cholesky_solve", "frombuffer", "histogram"]
