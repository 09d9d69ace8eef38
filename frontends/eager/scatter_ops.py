"""Writes at indices: ``scatter`` / ``scatter_add`` / ``index_add`` / ``masked_scatter`` / ``put``
(and their in-place ``_`` forms), ``masked_select``, ``index_fill``, ``bincount``,
``searchsorted``.

The differentiable ones are compositions of core ops: the values written land through
`getitem_grad` (zeros with values added at an index; its gradient is the matching `getitem`),
and a `where` on the written positions keeps the rest of the input. So a written position's
gradient goes to the source element written there, and the others to the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import domain, ops
from ...core.primitives.bounds import index_bounds
from . import _convert as C
from . import inplace as _I
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return C.as_tensor_operand(x)


def _grids(op: str, x: Tensor, dim: int, index: Tensor) -> tuple[int, tuple]:
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {index.dtype}")
    nd = x._data.ndim
    if idx.ndim != nd and not (nd == 0 and idx.ndim <= 1):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as self tensor "
            f"(index {tuple(idx.shape)}, self {tuple(x.shape)})"
        )
    d = domain.check_dim(op, dim, max(nd, 1))
    if nd == 0:
        return d, ()
    for k, (m, n) in enumerate(zip(idx.shape, x._data.shape, strict=True)):
        if k != d and m > n:
            raise RuntimeError(
                f"{op}(): Expected index {tuple(idx.shape)} to be smaller than self "
                f"{tuple(x.shape)} apart from dimension {d}"
            )
    # the record's index_bounds guard checks them (PyTorch's RuntimeError for scatter)
    idx = index_bounds(idx, op, "index", (x._data.shape[d],), dim=d, error="runtime")
    grids = list(np.ogrid[tuple(slice(0, n) for n in idx.shape)])
    grids[d] = idx.astype(np.int64)
    return d, tuple(np.broadcast_arrays(*grids))


def _source(op: str, src: Any, x: Tensor, shape: tuple) -> Tensor:
    """src as a tensor of `shape` (a number fills it; a larger tensor gives its leading block)."""
    if not isinstance(src, Tensor):
        return Tensor._make(np.full(shape, src, dtype=x._data.dtype))
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(
            f"{op}(): Expected self.dtype to be equal to src.dtype ({x.dtype} vs {src.dtype})"
        )
    if tuple(src.shape) == shape:
        return src
    if src._data.ndim != len(shape) or any(s < n for s, n in zip(src.shape, shape, strict=True)):
        raise RuntimeError(
            f"{op}(): Expected src {tuple(src.shape)} to be at least as large as index {shape}"
        )
    return ops.getitem(src, tuple(slice(0, n) for n in shape))


def _last_writer(grids: tuple, shape: tuple) -> np.ndarray:
    """Which index entries win when several write one position (the last, as numpy assigns)."""
    flat = np.ravel_multi_index(grids, shape).ravel()
    keep = np.zeros(flat.shape, bool)
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    keep[len(flat) - 1 - first_from_end] = True
    return keep.reshape(grids[0].shape)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:  # fmt: skip
    """A copy of input with src written at `index` along `dim` (reduce='add' / 'multiply')."""
    x, idx = _t(input), _t(index)
    if src is None:
        src = value
    if reduce is not None:
        if reduce == "add":
            return scatter_add(x, dim, idx, src)
        if reduce == "multiply":
            d, grids = _grids("scatter", x, dim, idx)
            s = _source("scatter", src, x, idx._data.shape)
            out = x._data.copy()
            np.multiply.at(out, grids, s._data)
            return Tensor._make(out)
        raise RuntimeError(
            f"scatter(): reduce argument must be 'add' or 'multiply', got {reduce!r}"
        )
    d, grids = _grids("scatter", x, dim, idx)
    if not grids:
        return _source("scatter", src, x, ()).clone()
    s = _source("scatter", src, x, tuple(idx._data.shape))
    keep = _last_writer(grids, tuple(x.shape))
    if not keep.all():
        s = ops.where(Tensor._make(keep), s, Tensor._make(np.zeros((), x._data.dtype)))
    written = np.zeros(x._data.shape, bool)
    written[grids] = True
    placed = ops.getitem_grad(s, x, grids)
    return ops.where(Tensor._make(written), placed, x)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of input with src added at `index` along `dim` (repeated indices add up)."""
    x, idx = _t(input), _t(index)
    d, grids = _grids("scatter_add", x, dim, idx)
    s = _source("scatter_add", src, x, tuple(idx._data.shape))
    if not grids:
        return ops.add(x, s)
    return ops.add(x, ops.getitem_grad(s, x, grids))


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """A copy of input with alpha * source's slices added at the 1-D `index` along `dim`."""
    x, idx, src = _t(input), _t(index), _t(source)
    if idx._data.ndim > 1:  # as PyTorch (a 2-D index was flattened silently)
        raise IndexError(
            f"index_add_(): index is supposed to be a vector, got dim {idx._data.ndim} with "
            f"size {list(idx.shape)}"
        )
    i = _long_index("index_add", idx, IndexError).reshape(-1)
    d = domain.check_dim("index_add", dim, max(x._data.ndim, 1))
    if x._data.ndim == 0:
        return ops.add(x, src if alpha == 1 else ops.mul(src, ops.scalar(alpha, src)))
    i = index_bounds(i, "index_add", "index", (x._data.shape[d],), dim=d)
    want = x._data.shape[:d] + (len(i),) + x._data.shape[d + 1 :]
    if tuple(src.shape) != want:
        raise RuntimeError(
            f"index_add_(): source {tuple(src.shape)} must have shape {want} (self "
            f"{tuple(x.shape)} with dimension {d} the length of index, {len(i)})"
        )
    if src._data.dtype != x._data.dtype:
        src = C.to_dtype(src, x._data.dtype)
    if alpha != 1:
        src = ops.mul(src, ops.scalar(alpha, src))
    key = (slice(None),) * d + (i,)
    return ops.add(x, ops.getitem_grad(src, x, key))


def _long_index(op: str, index: Any, exc: type) -> np.ndarray:
    """The integer array of `index`, as int64 (a float or bool index is refused, as torch)."""
    a = _t(index)._data
    if a.dtype.kind not in "iu":
        raise exc(f"{op}: Expected a long tensor for index, but got {_t(index).dtype}")
    return a.astype(np.int64)


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Tensor:
    """A copy of input with the slices at `index` along `dim` set to value."""
    x = _t(input)
    i = _long_index("index_fill", index, IndexError)
    if i.ndim > 1:
        raise RuntimeError(f"index_fill: index has to be a vector or a scalar, got {i.shape}")
    i = i.reshape(-1)
    d = domain.check_dim("index_fill", dim, max(x._data.ndim, 1))
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            f"index_fill: only a 0-dimensional value tensor is supported, got {tuple(value.shape)}"
        )
    n = x._data.shape[d] if x._data.ndim else 1
    i = index_bounds(i, "index_fill", "index", (n,), low=-n, dim=d)  # negatives wrap, as torch
    mask = np.zeros(x._data.shape, bool)
    mask[(slice(None),) * d + (i,)] = True
    v = value if isinstance(value, Tensor) else Tensor._make(np.asarray(value, x._data.dtype))
    return ops.where(Tensor._make(mask), v, x)


def _bool_mask(op: str, mask: Any, x: Tensor) -> np.ndarray:
    m = _t(mask)._data
    if m.dtype != np.bool_:
        if m.dtype != np.uint8:
            raise RuntimeError(f"{op}: expected a bool mask, got {_t(mask).dtype}")
        m = m != 0
    try:
        return np.broadcast_to(m, x._data.shape)
    except ValueError:
        raise RuntimeError(
            f"{op}: the mask {tuple(m.shape)} does not broadcast to self {tuple(x.shape)}"
        ) from None


def masked_scatter(input: Any, mask: Any, source: Any) -> Tensor:
    """A copy of input with source's leading elements written, in order, where mask is true."""
    x, src = _t(input), _t(source)
    m = _bool_mask("masked_scatter_", mask, x)
    where_idx = np.nonzero(m)
    k = len(where_idx[0]) if where_idx else int(m)
    if src._data.size < k:
        raise RuntimeError(
            f"masked_scatter_: expected source to have at least {k} elements (the mask's true "
            f"count), got {src._data.size}"
        )
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(
            f"masked_scatter_: expected self and source to have the same dtype ({x.dtype} vs "
            f"{src.dtype})"
        )
    vals = ops.getitem(ops.reshape(src, (-1,)), (slice(0, k),))
    placed = ops.getitem_grad(vals, x, where_idx)
    return ops.where(Tensor._make(np.ascontiguousarray(m)), placed, x)


def masked_select(input: Any, mask: Any) -> Tensor:
    """The elements where mask is true, as a 1-D tensor (mask and input broadcast)."""
    x = _t(input)
    mt = _t(mask)
    shape = np.broadcast_shapes(tuple(x.shape), tuple(mt.shape))
    if tuple(x.shape) != shape:
        x = ops.broadcast_to(x, shape)
    m = np.broadcast_to(_bool_mask("masked_select", mt, x), shape)
    return ops.getitem(x, np.nonzero(m))


def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Tensor:
    """A copy of input with source written (or added) at flat indices `index`."""
    x, src = _t(input), _t(source)
    i = _long_index("put_", index, RuntimeError).reshape(-1)
    if i.size != src._data.size:
        raise IndexError(
            f"put_: source and index must have the same number of elements, got {src._data.size} "
            f"and {i.size}"
        )
    n = x._data.size
    i = index_bounds(i, "put_", "index", (n,), low=-n, dim=0)  # negatives wrap, as torch
    i = np.where(i < 0, i + n, i)
    flat = ops.reshape(x, (-1,))
    s = ops.reshape(src, (-1,))
    if accumulate:
        out = scatter_add(flat, 0, Tensor._make(i), s)
    else:
        out = scatter(flat, 0, Tensor._make(i), s)
    return ops.reshape(out, tuple(x.shape))


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:
    """Counts of each non-negative integer in a 1-D tensor (weighted sums with weights)."""
    a = _t(input)._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs, got {a.dtype}"
        )
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs")
    if weights is None:
        return Tensor._make(np.bincount(a, minlength=minlength).astype(np.int64))
    w = _t(weights)._data
    return Tensor._make(np.bincount(a, weights=w, minlength=minlength).astype(
        w.dtype if w.dtype.kind == "f" else np.float64))  # fmt: skip


def searchsorted(
    sorted_sequence: Any, input: Any, *, out_int32: bool = False, right: bool = False,
    side: str | None = None, sorter: Any = None,
) -> Tensor:  # fmt: skip
    """Where the values of input would go in the (last dim of the) sorted sequence."""
    seq = _t(sorted_sequence)._data
    v = input._data if isinstance(input, Tensor) else np.asarray(input)
    side = side or ("right" if right else "left")
    if seq.ndim == 0:
        raise RuntimeError("searchsorted: boundaries tensor should have at least 1 dimension")
    if seq.ndim > 1 and (np.ndim(v) != seq.ndim or np.shape(v)[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            f"searchsorted: boundaries {seq.shape} must be 1-D or match the leading dims of "
            f"input {np.shape(v)} (all but the last)"
        )
    if sorter is not None:
        seq = np.take_along_axis(seq, _t(sorter)._data, -1)
    if seq.ndim == 1:
        out = np.searchsorted(seq, v, side=side)
    else:
        rows = seq.reshape(-1, seq.shape[-1])
        vals = v.reshape(rows.shape[0], -1)
        out = np.stack([np.searchsorted(r, q, side=side) for r, q in zip(rows, vals, strict=True)])
        out = out.reshape(v.shape)
    return Tensor._make(np.asarray(out, np.int32 if out_int32 else np.int64))


def _inplace(name: str, fn: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return _I.apply(self, f"{name}_", lambda s, *a: fn(s, *a, **kwargs), *args)

    method.__name__ = f"{name}_"
    method.__doc__ = f"In-place {name}: writes self.{name}(...) into self."
    return method


def _install() -> None:
    T = Tensor  # noqa: N806
    T.scatter = lambda self, dim, index, src=None, *, value=None, reduce=None: scatter(
        self, dim, index, src, value=value, reduce=reduce
    )
    T.scatter_ = _inplace("scatter", scatter)
    T.scatter_add = lambda self, dim, index, src: scatter_add(self, dim, index, src)
    T.scatter_add_ = _inplace("scatter_add", scatter_add)
    T.index_add = lambda self, dim, index, source, *, alpha=1: index_add(
        self, dim, index, source, alpha=alpha
    )
    T.index_add_ = _inplace("index_add", index_add)
    T.index_fill = lambda self, dim, index, value: index_fill(self, dim, index, value)
    T.index_fill_ = _inplace("index_fill", index_fill)
    T.masked_scatter = lambda self, mask, source: masked_scatter(self, mask, source)
    T.masked_scatter_ = _inplace("masked_scatter", masked_scatter)
    T.masked_select = lambda self, mask: masked_select(self, mask)
    T.put = lambda self, index, source, accumulate=False: put(self, index, source, accumulate)
    T.put_ = _inplace("put", put)
    T.bincount = lambda self, weights=None, minlength=0: bincount(self, weights, minlength)


_install()

__all__ = [
    "bincount", "index_add", "index_fill", "masked_scatter", "masked_select", "put", "scatter",
    "scatter_add", "searchsorted",
]  # fmt: skip
