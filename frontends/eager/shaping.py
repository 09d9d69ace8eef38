"""Shape operations on tensors (reshape, permute, cat, indexing, ...), each a core op call."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core import domain, ops
from ...core import dtypes as D
from ...core.errors import ShapeError
from ...core.primitives import guards as G
from ...core.primitives.bounds import index_bounds
from . import _convert as C
from . import tensor as _t

# read on every operation: no module __getattr__ guard here (see namespaces._guard_module)
__dg_hot__ = True


def _tensor(x: Any):
    return C.as_tensor_operand(x)


def reshape(input: Any, shape: Any):
    """A tensor with the same data and a new shape (one entry may be -1)."""
    x = _tensor(input)
    return ops.reshape(x, C.shape_args((shape,)))


def _dim(dim: int, nd: int, op: str = "") -> int:
    """`dim` as a non-negative axis of a rank-`nd` tensor; out of range is an IndexError (as
    PyTorch), never a silent wrap onto another axis."""
    if not -nd <= dim < nd:
        raise IndexError(
            f"{op + ': ' if op else ''}Dimension out of range (expected to be in range of "
            f"[{-nd}, {nd - 1}], but got {dim})"
        )
    return dim % nd


def view(input: Any, *shape: Any):
    """The same data under a new shape; refuses strides it cannot honour (use reshape)."""
    x = _tensor(input)
    new = C.shape_args(shape)
    if x._base is not None:
        # only a view (transpose, expand, slicing...) has strides the user chose; any other
        # layout is a kernel's own choice where torch's result is contiguous, so reshape copies
        domain.check_view("view", x._data, new)
    try:
        return ops.reshape(x, new)
    except ShapeError as e:
        raise ShapeError(f"view: shape {new} is invalid for the input: {e}") from None


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim into one."""
    x = _tensor(input)
    shape = tuple(x._data.shape)
    if not shape:  # a 0-d tensor takes dims 0 and -1 only, as PyTorch
        domain.check_dim("flatten", int(start_dim), 0, "start_dim")
        domain.check_dim("flatten", int(end_dim), 0, "end_dim")
        return ops.reshape(x, (1,))
    s, e = _dim(start_dim, len(shape), "flatten"), _dim(end_dim, len(shape), "flatten")
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim {start_dim} > end_dim {end_dim}")
    new = shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :]
    return ops.reshape(x, new)


def unflatten(input: Any, dim: int, sizes: Any):
    """Split dim into `sizes`."""
    x = _tensor(input)
    shape = tuple(x._data.shape)
    d = _dim(dim, len(shape))
    sizes = tuple(int(n) for n in sizes)
    known = math.prod(n for n in sizes if n != -1)
    if sizes.count(-1) > 1:
        raise RuntimeError(f"unflatten: only one dimension can be inferred, got {list(sizes)}")
    # the sizes must multiply up to the dim (the record's reshape checks only the total, which
    # an empty dim elsewhere makes 0 whatever the sizes)
    inferred = -1 in sizes
    if (not inferred and known != shape[d]) or (inferred and (known == 0 or shape[d] % known)):
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
            f"({shape[d]}) in the input tensor"
        )
    if inferred:  # resolved here: reshape cannot infer a size from an empty total
        sizes = tuple(shape[d] // known if n == -1 else n for n in sizes)
    return ops.reshape(x, shape[:d] + sizes + shape[d + 1 :])


def transpose(input: Any, dim0: int, dim1: int):
    """Swap two dims."""
    x = _tensor(input)
    nd = x._data.ndim
    if nd == 0:  # dims 0 and -1 only, as PyTorch
        _dim(dim0, 1, "transpose"), _dim(dim1, 1, "transpose")
        return x
    perm = list(range(nd))
    a, b = _dim(dim0, nd, "transpose"), _dim(dim1, nd, "transpose")
    perm[a], perm[b] = perm[b], perm[a]
    return ops.transpose(x, tuple(perm))


swapaxes = swapdims = transpose


def permute(input: Any, *dims: Any):
    """Reorder dims."""
    x = _tensor(input)
    dims = C.shape_args(dims)
    nd = x._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute: the tensor has {nd} dims but dims {tuple(dims)} orders {len(dims)}; "
            "give each dim exactly once"
        )
    order = tuple(domain.check_dim("permute", int(d), nd) for d in dims)
    if len(set(order)) != nd:
        raise RuntimeError(f"permute: duplicate dims are not allowed, got {tuple(dims)}")
    return ops.transpose(x, order)


def t(input: Any):
    """Transpose a matrix (0-d and 1-d tensors are returned as they are)."""
    x = _tensor(input)
    if x._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return x if x._data.ndim < 2 else ops.transpose(x, (1, 0))


def unsqueeze(input: Any, dim: int):
    """Insert a dim of length 1 at `dim`."""
    x = _tensor(input)
    # the record's rule checks the dim (one message in both styles), under the user's name
    return domain.as_op("unsqueeze", ops.expand_dims, x, int(dim))


def squeeze(input: Any, dim: Any = None):
    """Remove length-1 dims (only `dim`, if given and of length 1, as in PyTorch)."""
    x = _tensor(input)
    if dim is None:
        return ops.squeeze(x)
    shape = x._data.shape
    dims = tuple(domain.check_dim("squeeze", int(d), len(shape)) for d in C.dims(dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"squeeze: a dim appears multiple times in the list of dims {dim}")
    keep = tuple(d for d in dims if shape and shape[d] == 1)
    return ops.squeeze(x, keep) if keep else x


def expand(input: Any, *sizes: Any):
    """Broadcast to a larger shape (-1 keeps a dim); no data is copied."""
    x = _tensor(input)
    sizes = C.shape_args(sizes)
    shape = x._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    for i, s in enumerate(sizes):
        if s == -1 and i < lead:
            raise RuntimeError(
                f"expand: the expanded size -1 isn't allowed in a leading, non-existing "
                f"dimension {i} (sizes {tuple(sizes)}, tensor {tuple(shape)})"
            )
        if s < -1 or (i >= lead and s != -1 and shape[i - lead] != 1 and s != shape[i - lead]):
            raise RuntimeError(
                f"expand: the expanded size {s} must match the existing size "
                f"{shape[i - lead] if i >= lead else 1} at non-singleton dimension {i}; "
                f"target sizes {tuple(sizes)}, tensor sizes {tuple(shape)}"
            )
    target = tuple(shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    return ops.broadcast_to(x, target)


def broadcast_to(input: Any, shape: Any):
    """Broadcast to `shape`."""
    return expand(input, *C.shape_args((shape,)))


def repeat(input: Any, *sizes: Any):
    """Tile the tensor `sizes` times along each dim."""
    x = _tensor(input)
    sizes = C.shape_args(sizes)
    shape = (1,) * (len(sizes) - x._data.ndim) + tuple(x._data.shape)
    if len(sizes) < x._data.ndim:
        raise RuntimeError(
            "repeat: number of repeat dims can not be smaller than number of tensor dims"
        )
    for r in sizes:
        if r < 0:
            raise RuntimeError(
                f"repeat: repeats {tuple(sizes)} hold the negative count {r}; counts must be >= 0"
            )
    inter = tuple(v for d in shape for v in (1, d))
    big = tuple(v for r, d in zip(sizes, shape, strict=False) for v in (r, d))
    tiled = ops.broadcast_to(ops.reshape(x, inter), big)
    return ops.reshape(tiled, tuple(r * d for r, d in zip(sizes, shape, strict=False)))


def _common(tensors: Any) -> list:
    ts = [_tensor(x) for x in tensors]
    if not ts:
        raise RuntimeError("expected a non-empty list of Tensors")
    dt = ts[0]._data.dtype
    for x in ts[1:]:
        dt = D.promote(dt, x._data.dtype)
    return [C.to_dtype(x, dt) for x in ts]


def cat(tensors: Any, dim: int = 0):
    """Join tensors along an existing dim (dtypes promoted)."""
    ts = _common(tensors)
    if len(ts) > 1:  # PyTorch skips legacy empty 1-D tensors
        kept = [x for x in ts if not (x._data.ndim == 1 and x._data.shape[0] == 0)]
        ts = kept or ts[:1]
    return domain.as_op("cat", ops.concat, ts, int(dim))  # the record checks the dim


concat = concatenate = cat


def stack(tensors: Any, dim: int = 0):
    """Join same-shaped tensors along a new dim (dtypes promoted)."""
    ts = _common(tensors)
    return domain.as_op("stack", ops.stack, ts, int(dim))  # the record checks the dim


def hstack(tensors: Any):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    ts = _common(tensors)
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors: Any):
    """Stack rows: 1-D tensors become rows, then concatenate along dim 0."""
    ts = [x if x._data.ndim > 1 else ops.reshape(x, (1, -1)) for x in _common(tensors)]
    return cat(ts, 0)  # as atleast_2d: a 0-d tensor becomes (1, 1), a 1-D one a row


def _slice_on(x, dim: int, sl: Any):
    d = _dim(dim, x._data.ndim)
    return ops.getitem(x, (slice(None),) * d + (sl,))


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Cut into pieces of a given size (the last may be shorter) or of the given sizes."""
    x = _tensor(tensor)
    dim = domain.check_dim("split", dim, x._data.ndim)
    n = x._data.shape[dim] if x._data.ndim else 1
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step < 0 or (step == 0 and n > 0):
            raise RuntimeError(
                f"split: split_size must be positive (0 only for an empty dimension), got "
                f"{step} for dimension {dim} of size {n}"
            )
        sizes = [min(step, n - s) for s in range(0, n, step)] if step else [0]
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if x._data.ndim:  # the record checks that the sizes cover the dim (guards.extent_bounds)
            cover = tuple(sum(sizes) if d == dim else None for d in range(x._data.ndim))
            x = G.extent_bounds(
                x, "split_with_sizes", (0,) * x._data.ndim, cover, exact=True, parts=tuple(sizes)
            )
        elif sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(_slice_on(x, dim, slice(start, start + s)))
        start += s
    return tuple(out)


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple:
    """Cut into `chunks` pieces of ceil(n / chunks) (the last may be shorter)."""
    x = _tensor(input)
    if int(chunks) <= 0:
        raise RuntimeError(f"chunk: chunks must be greater than 0, got {chunks}")
    if x._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    dim = domain.check_dim("chunk", dim, x._data.ndim)
    n = x._data.shape[dim]
    if n == 0:
        # as torch: an empty dim gives `chunks` empty pieces (a split size of 0 would give one)
        return split(x, [0] * domain.check_pieces("chunk", chunks), dim)
    return split(x, -(-n // int(chunks)), dim)


def unbind(input: Any, dim: int = 0) -> tuple:
    """The slices along `dim`, each without that dim."""
    x = _tensor(input)
    if x._data.ndim == 0:
        raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
    dim = domain.check_dim("unbind", int(dim), x._data.ndim)
    return tuple(_slice_on(x, dim, i) for i in range(x._data.shape[dim]))


def narrow(input: Any, dim: int, start: int, length: int):
    """The slice start:start+length along `dim`."""
    x = _tensor(input)
    if x._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor")
    d = domain.check_dim("narrow", dim, x._data.ndim)
    n = x._data.shape[d]
    start, length = int(start), int(length)
    if -n <= start < 0:
        start += n  # as torch: a negative start counts from the end
    # the record checks the extent (guards.extent_bounds)
    begin = tuple(start if k == d else 0 for k in range(x._data.ndim))
    size = tuple(length if k == d else None for k in range(x._data.ndim))
    return _slice_on(G.extent_bounds(x, "narrow", begin, size), d, slice(start, start + length))


def flip(input: Any, dims: Any):
    """Reverse the order along `dims`: a copy, as torch's (writing to it leaves `input` alone)."""
    x = _tensor(input)
    idx = [slice(None)] * x._data.ndim
    seen = set()
    for d in C.dims(dims):
        k = domain.check_dim("flip", int(d), x._data.ndim, "dims")
        if k in seen:  # a repeated dim would flip back: PyTorch refuses it
            raise RuntimeError(f"flip: dim {k} appears multiple times in the list of dims")
        seen.add(k)
        idx[k] = slice(None, None, -1)
    return ops.identity(ops.getitem(x, tuple(idx)))


def index_select(input: Any, dim: int, index: Any):
    """The entries at integer `index` (1-D) along `dim`."""
    x = _tensor(input)
    idx = _tensor(index)._data
    if idx.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got {idx.ndim}-D")
    d = domain.check_dim("index_select", dim, x._data.ndim)
    if x._data.ndim == 0:
        idx = index_bounds(idx, "index_select", "index", (1,), dim=d)
        return ops.reshape(x, tuple(idx.shape))
    # the gather record checks the indices (domain.gather_indices), here under the user's name
    return domain.as_op("index_select", ops.gather, x, idx, d)


def gather(input: Any, dim: int, index: Any):
    """out[i][j] = input[index[i][j]][j] for dim 0 (and likewise for other dims)."""
    x = _tensor(input)
    idx = _tensor(index)._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
    if idx.ndim != x._data.ndim:
        raise RuntimeError(
            f"gather: index {tuple(idx.shape)} must have as many dims as input "
            f"{tuple(x._data.shape)}"
        )
    d = domain.check_dim("gather", dim, x._data.ndim)
    if x._data.ndim == 0:  # a 0-d input and index: the one element, when the index is 0
        index_bounds(idx.reshape(1), "gather", "index", (1,), dim=0, error="runtime")
        return x.clone()
    xs = tuple(x._data.shape)
    for k, (m, n) in enumerate(zip(idx.shape, xs, strict=True)):
        if k != d and m > n:
            raise RuntimeError(
                f"gather: index {tuple(idx.shape)} is larger than input {xs} at dimension {k} "
                f"({m} > {n}); only dimension {d} may differ"
            )
    # the record's index_bounds guard checks the indices (PyTorch's RuntimeError for gather)
    idx = index_bounds(idx, "gather", "index", (xs[d],), dim=d, error="runtime")
    grids = list(np.ogrid[tuple(slice(0, n) for n in idx.shape)])
    grids[d] = idx
    return ops.getitem(x, tuple(grids))


def index_key(index: Any) -> Any:
    """A tensor index as a tuple numpy understands (tensor indices become arrays)."""
    if isinstance(index, tuple):
        return tuple(_one_index(i) for i in index)
    return (_one_index(index),)


def _one_index(i: Any) -> Any:
    if isinstance(i, _t.Tensor):
        arr = i._data
        if arr.ndim == 0 and arr.dtype.kind in "iu":
            return int(arr)
        return arr
    if isinstance(i, list):
        return np.asarray([x._data if isinstance(x, _t.Tensor) else x for x in i])
    return i


def getitem(x: Any, index: Any):
    """x[index] with gradients (through the core getitem)."""
    return ops.getitem(_tensor(x), index_key(index))
