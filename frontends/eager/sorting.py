"""``torch.sort`` / ``argsort`` / ``topk`` / ``cumsum`` / ``prod`` and their Tensor methods
(with ``clamp_min`` / ``clamp_max``).

Orders are decided on the values (numpy's stable sort, as torch's stable=True); the values come
back through ``gather``, a core op, so they carry gradients to the picked elements.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ...core import domain
from . import shaping as _sh
from .functions import nonzero as _nonzero
from .tensor import Tensor


class _ValuesIndices(NamedTuple):
    values: Any
    indices: Any


def _as(x: Any) -> Any:
    return x if isinstance(x, Tensor) else Tensor(x)


def _order(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    if descending:  # stable descending: sort the negated keys
        if a.dtype.kind == "f":  # NaN counts as the largest value, so it comes first (as torch)
            return np.lexsort((-a, ~np.isnan(a)), axis=dim)
        key = -a if a.dtype.kind == "i" else ~a if a.dtype.kind == "b" else -a.astype(np.int64)
        return np.argsort(key, axis=dim, kind="stable")
    return np.argsort(a, axis=dim, kind="stable")


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Indices (int64) that sort `input` along `dim`."""
    x = _as(input)
    dim = domain.check_dim("argsort", int(dim), x.dim())
    if x.dim() == 0:
        return Tensor._make(np.zeros((), np.int64))
    return Tensor._make(_order(x._data, dim, descending).astype(np.int64))


def sort(
    input: Any, dim: int = -1, descending: bool = False, stable: bool = False, *, out: Any = None
) -> _ValuesIndices:
    """(values, indices) of `input` sorted along `dim`."""
    x = _as(input)
    if x.dim() == 0:  # dim 0 or -1 only, as PyTorch
        domain.check_dim("sort", int(dim), 0)
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros((), np.int64)))
    idx = argsort(x, dim, descending)
    return _ValuesIndices(_sh.gather(x, dim, idx), idx)


def topk(
    input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, out: Any = None
) -> _ValuesIndices:
    """The k largest (or smallest) elements along `dim` and their indices."""
    x = _as(input)
    dim = domain.check_dim("topk", int(dim), x.dim())
    n = x.shape[dim] if x.dim() else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) out of range for dimension {dim} of size {n}")
    if not x.dim():  # as torch: a 0-d input gives 0-d results for k = 0 and k = 1
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros((), np.int64)))
    order = _order(x._data, dim, largest)
    idx = Tensor._make(np.take(order, np.arange(k), axis=dim).astype(np.int64))
    return _ValuesIndices(_sh.gather(x, dim, idx), idx)


def cumsum(input: Any, dim: int, *, dtype: Any = None, out: Any = None) -> Any:
    """Running sums along `dim` (a product with a triangular matrix of ones, differentiable)."""
    x = _as(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x._data.dtype.kind in "biu":
        x = x.long()
    dim = domain.check_dim("cumsum", int(dim), x.dim())
    if x.dim() == 0:
        return x.clone()
    n = x.shape[dim]
    tri = Tensor._make(np.triu(np.ones((n, n), x._data.dtype)))
    if x._data.dtype.kind == "f" and not np.isfinite(x._data).all():
        return _cumsum_nonfinite(x, dim, tri)
    moved = x.transpose(dim, -1)
    return (moved @ tri).transpose(dim, -1).contiguous()


def _cumsum_nonfinite(x: Tensor, dim: int, tri: Tensor) -> Tensor:
    """cumsum of a tensor holding NaN or inf: in the triangular product, 0 * inf = NaN would
    reach every position, so the finite entries are summed by the product (gradients flow as
    before) and the positions a NaN or inf has reached take the running sum's value (plus the
    product, detached, so every position's gradient still reaches the finite entries)."""
    from .functions import where

    finite = Tensor._make(np.isfinite(x._data))
    clean = where(finite, x, Tensor._make(np.zeros((), x._data.dtype)))
    summed = (clean.transpose(dim, -1) @ tri).transpose(dim, -1).contiguous()
    with np.errstate(invalid="ignore"):
        running = np.cumsum(x._data, axis=dim, dtype=x._data.dtype)
    # inf - a finite sum is inf and NaN stays NaN, so this adds up to `running` exactly there
    jump = Tensor._make(running) - summed.detach()
    return where(Tensor._make(np.isfinite(running)), summed, summed + jump)


def prod(input: Any, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Product of the elements (along `dim`); the gradient is the product of the others."""
    x = _as(input)
    if dtype is not None:
        x = x.to(dtype)
    if dim is None:
        x = x.reshape(-1)
        dim, keepdim = 0, False
    a = x._data
    out = np.prod(a, axis=dim, keepdims=keepdim)
    if not (x.requires_grad and a.dtype.kind == "f"):
        return Tensor._make(np.asarray(out))
    # product of the others, exact at zeros: exclusive running products from both ends
    moved = np.moveaxis(a, dim, -1)
    left = np.cumprod(np.concatenate([np.ones_like(moved[..., :1]), moved[..., :-1]], -1), -1)
    rev = moved[..., ::-1]
    right = np.cumprod(np.concatenate([np.ones_like(rev[..., :1]), rev[..., :-1]], -1), -1)
    others = Tensor._make(np.moveaxis(left * right[..., ::-1], -1, dim).copy())
    # value: the exact product; gradient: d/dx_i sum(x * others) = others_i
    lin = (x * others).sum(dim=dim, keepdim=keepdim)
    return (lin - lin.detach()) + Tensor._make(np.asarray(out))


def median(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (of all elements, or (values, indices) along `dim`), as torch takes it."""
    x = _as(input)
    if dim is None:
        flat = x.reshape(-1)
        if flat.shape[0] == 0:  # as torch: the median of nothing is NaN (0 for integers)
            empty = np.nan if x._data.dtype.kind in "fc" else 0
            return Tensor._make(np.asarray(empty, x._data.dtype))
        ordered = np.sort(flat._data, kind="stable")  # NaN last
        nan = x._data.dtype.kind == "f" and bool(np.isnan(ordered[-1]))
        # as torch: a NaN anywhere makes the median NaN
        v = ordered[-1] if nan else ordered[(flat.shape[0] - 1) // 2]
        if not (x.requires_grad and x._data.dtype.kind == "f"):
            return Tensor._make(np.asarray(v, x._data.dtype))
        # the gradient is shared evenly among the elements equal to the median (torch's rule)
        at = np.isnan(x._data) if nan else x._data == v
        mask = Tensor._make(at.astype(x._data.dtype))
        lin = (x * mask).sum() / float(mask._data.sum())
        return (lin - lin.detach()) + Tensor._make(np.asarray(v, x._data.dtype))
    if x.dim() == 0:  # a 0-d tensor is its own median along dim 0 (or -1)
        domain.check_dim("median", dim, 0)
        return _ValuesIndices(x.clone(), Tensor._make(np.zeros((), np.int64)))
    dim = domain.check_dim("median", dim, x.dim())
    n = x.shape[dim]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
    vals, idx = sort(x, dim)
    k = (n - 1) // 2
    if x._data.dtype.kind == "f" and np.isnan(x._data).any():
        # as torch: a slice holding NaN has median NaN (the first NaN; ascending sorts put NaN
        # last, so it sits right after the slice's numbers)
        valid = (~np.isnan(x._data)).sum(axis=dim, keepdims=True)
        at = Tensor._make(np.where(valid < n, valid, k).astype(np.int64))
        v, i = vals.gather(dim, at), idx.gather(dim, at)
    else:
        v = vals.narrow(dim, k, 1)
        i = idx.narrow(dim, k, 1)
    if not keepdim and x.dim():
        v, i = v.squeeze(dim), i.squeeze(dim)
    return _ValuesIndices(v, i)


def unique(
    input: Any,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct values, sorted (with the inverse indices and counts when asked)."""
    x = _as(input)
    if dim is not None:
        dim = domain.check_dim("unique", int(dim), x.dim())
        if x.dim() == 0:
            raise IndexError("unique: a 0-d tensor has no dim to take unique slices along")
        if any(n == 0 for k, n in enumerate(x.shape) if k != dim):
            raise RuntimeError(
                "unique: there are 0 sized dimensions, and they aren't selected, so unique "
                "cannot be applied"
            )
    res = np.unique(x._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return Tensor._make(res)
    out = [Tensor._make(res[0])]
    k = 1
    if return_inverse:
        inv = res[k].reshape(x.shape if dim is None else (-1,)).astype(np.int64)
        out.append(Tensor._make(inv))
        k += 1
    if return_counts:
        out.append(Tensor._make(res[k].astype(np.int64)))
    return tuple(out)


def broadcast_shapes(*shapes: Any) -> Any:
    """The shape the given shapes broadcast to."""
    from .tensor import Size

    return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


def _install() -> None:
    T = Tensor  # noqa: N806
    T.sort = lambda self, dim=-1, descending=False, stable=False: sort(self, dim, descending)
    T.argsort = lambda self, dim=-1, descending=False, stable=False: argsort(self, dim, descending)
    T.topk = lambda self, k, dim=-1, largest=True, sorted=True: topk(self, k, dim, largest)
    T.cumsum = lambda self, dim, dtype=None: cumsum(self, dim, dtype=dtype)
    T.cumsum_ = lambda self, dim, dtype=None: self.copy_(cumsum(self, dim, dtype=dtype))
    T.prod = lambda self, dim=None, keepdim=False, dtype=None: prod(self, dim, keepdim, dtype=dtype)
    T.median = lambda self, dim=None, keepdim=False: median(self, dim, keepdim)
    T.unique = lambda self, sorted=True, return_inverse=False, return_counts=False, dim=None: (
        unique(self, sorted, return_inverse, return_counts, dim)
    )
    T.nonzero = lambda self, as_tuple=False: _nonzero(self, as_tuple=as_tuple)
    T.clamp_min = lambda self, min: self.clamp(min=min)  # noqa: A006
    T.clamp_max = lambda self, max: self.clamp(max=max)  # noqa: A006


_install()

__all__ = [
    "argsort", "broadcast_shapes", "cumsum", "median", "prod", "sort", "topk", "unique",
]  # fmt: skip
