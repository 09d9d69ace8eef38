"""More layout and indexing of the ``torch`` surface: ``roll``, ``rot90``, ``tile``, ``fliplr`` /
``flipud``, ``take`` / ``take_along_dim``, ``tensor_split`` / ``hsplit`` / ``vsplit`` / ``dsplit``,
``swapaxes``, ``Tensor.unfold`` (sliding windows), ``diff``, ``column_stack`` / ``dstack``,
``diagflat``, ``block_diag``, ``cartesian_prod``, ``combinations``, and the writes at indices
``index_copy`` / ``index_put`` / ``index_reduce`` / ``scatter_reduce`` / ``*_scatter``.

Values move through core ops (getitem, concat, where, scatter), so gradients come from their
rules; the index bookkeeping is plain integer arithmetic on the index data.
"""

from __future__ import annotations

import builtins
import itertools
from typing import Any

import numpy as np

from ...core import domain, ops
from ...core import tensor_math as TM
from . import _convert as C
from . import scatter_ops as _S
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return C.as_tensor_operand(x)


def _ints(v: Any) -> list[int]:
    if isinstance(v, Tensor):
        return [int(i) for i in v._data.reshape(-1)]
    if isinstance(v, (int, np.integer)):
        return [int(v)]
    return [int(i) for i in v]


def _dim(op: str, dim: int, nd: int) -> int:
    return domain.check_dim(op, dim, max(nd, 1))


# ---- moving entries ---------------------------------------------------------------------------


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:
    """Entries moved `shifts` places along `dims`, wrapping around (flattened without dims)."""
    x = _t(input)
    sh = _ints(shifts)
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"roll: with dims=None, shifts must be one number, got {sh}")
        return TM.roll(x.reshape(-1), sh, [0]).reshape(tuple(x.shape))
    ds = [domain.check_dim_of_array("roll", d, x.dim()) for d in _ints(dims)]
    if len(ds) != len(sh):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(sh)}, dims: {len(ds)}"
        )
    return TM.roll(x, sh, ds) if x.dim() else x.clone()


def rot90(input: Any, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of `dims` (from the first toward the second)."""
    x = _t(input)
    d = list(dims)
    if len(d) != 2 or x.dim() < 2:
        raise RuntimeError(
            f"rot90: expected total rotation dims == 2 and total dims >= 2, got dims={d} on a "
            f"{x.dim()}-D tensor"
        )
    d0, d1 = (_dim("rot90", a, x.dim()) for a in d)
    if d0 == d1:
        raise RuntimeError(f"rot90: rotation dims must differ, got {d}")
    k = int(k) % 4
    if k == 1:
        return x.flip(d1).transpose(d0, d1)
    if k == 2:
        return x.flip([d0, d1])
    if k == 3:
        return x.flip(d0).transpose(d0, d1)
    return x.clone()


def tile(input: Any, dims: Any) -> Tensor:
    """Repeat along each dim (dims padded with leading 1s to the tensor's rank, or vice versa)."""
    x = _t(input)
    reps = _ints(dims)
    if len(reps) < x.dim():
        reps = [1] * (x.dim() - len(reps)) + reps
    return x.repeat(*reps)


def fliplr(input: Any) -> Tensor:
    """Reverse the columns (dim 1) of a tensor with at least 2 dims."""
    x = _t(input)
    if x.dim() < 2:
        raise RuntimeError("fliplr: input must be >= 2-d")
    return x.flip(1)


def flipud(input: Any) -> Tensor:
    """Reverse the rows (dim 0) of a tensor with at least 1 dim."""
    x = _t(input)
    if x.dim() < 1:
        raise RuntimeError("flipud: input must be >= 1-d")
    return x.flip(0)


def swapaxes(input: Any, axis0: int, axis1: int) -> Tensor:
    """torch.transpose under numpy's name."""
    return _t(input).transpose(axis0, axis1)


swapdims = swapaxes


# ---- picking entries --------------------------------------------------------------------------


def _index(op: str, index: Any) -> np.ndarray:
    idx = _t(index)._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): expected a long tensor of indices, got {idx.dtype}")
    return idx.astype(np.int64)


def take(input: Any, index: Any) -> Tensor:
    """Entries of the flattened input at `index` (negative indices count from the end)."""
    x = _t(input)
    i = _index("take", index)
    n = max(x.numel(), 0)
    i = np.where(i < 0, i + n, i)
    domain.check_indices("take", "index", i.reshape(-1), n, 0)
    return ops.reshape(ops.getitem(ops.reshape(x, (-1,)), (i.reshape(-1),)), i.shape)


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Tensor:
    """Entries of input at `indices` along `dim` (the two broadcast against each other)."""
    x = _t(input)
    if dim is None:
        i = _index("take_along_dim", indices)
        if i.size and i.min() < 0:  # unlike take, PyTorch refuses negative indices here
            raise RuntimeError(
                f"take_along_dim: index {int(i.min())} is out of bounds for dimension 0 with "
                f"size {x.numel()}"
            )
        return take(x, indices).reshape(-1)  # PyTorch: both flattened, a 1-D result
    i = _index("take_along_dim", indices)
    d = _dim("take_along_dim", dim, x.dim())
    if i.ndim != x.dim():
        raise RuntimeError(
            f"take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {x.dim()} dimensions for input, and {i.ndim} dimensions for indices"
        )
    shape_x = list(x.shape)
    shape_i = list(i.shape)
    shape_x[d] = shape_i[d] = 1
    common = list(np.broadcast_shapes(tuple(shape_x), tuple(shape_i)))
    want_x = common.copy()
    want_x[d] = x.shape[d]
    want_i = common.copy()
    want_i[d] = i.shape[d]
    xb = x if list(x.shape) == want_x else x.expand(*want_x)
    ib = np.broadcast_to(i, tuple(want_i))
    return xb.gather(d, Tensor._make(np.ascontiguousarray(ib)))


def _split_at(x: Tensor, cuts: list[int], d: int) -> tuple:
    n = x.shape[d]
    bounds = [0] + [builtins.min(builtins.max(c, 0), n) for c in cuts] + [n]
    out = []
    for a, b in itertools.pairwise(bounds):
        b = builtins.max(a, b)
        out.append(ops.getitem(x, (slice(None),) * d + (slice(a, b),)))
    return tuple(out)


def tensor_split(input: Any, indices_or_sections: Any, dim: int = 0) -> tuple:
    """Split into n nearly equal parts (an int) or at the given indices (a list)."""
    x = _t(input)
    d = _dim("tensor_split", dim, x.dim())
    ios = indices_or_sections
    if isinstance(ios, Tensor) and ios._data.dtype.kind not in "iu":
        raise RuntimeError(
            "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
            f"{ios.dtype}"
        )
    if isinstance(ios, Tensor) and ios._data.ndim > 1:
        raise RuntimeError(
            "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
            f"one-dimensional tensor, but got a tensor with {ios._data.ndim} dims"
        )
    if isinstance(ios, Tensor) and ios._data.ndim == 0:
        ios = int(ios.item())
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, got {k}")
        domain.check_pieces("tensor_split", k)
        n = x.shape[d]
        size, extra = divmod(n, k)
        cuts, at = [], 0
        for j in range(k - 1):
            at += size + (1 if j < extra else 0)
            cuts.append(at)
        return _split_at(x, cuts, d)
    cuts = [c + x.shape[d] if c < 0 else c for c in _ints(ios)]
    return _split_at(x, cuts, d)


def _directional(name: str, min_dims: int, dim_of: Any) -> Any:
    def fn(input: Any, indices_or_sections: Any) -> tuple:
        x = _t(input)
        if x.dim() < min_dims:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
                f"tensor with {x.dim()} dimensions!"
            )
        d = dim_of(x)
        if isinstance(indices_or_sections, (int, np.integer)):
            k = int(indices_or_sections)
            if k == 0 or x.shape[d] % k:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {d}, but the size of the "
                    f"dimension {x.shape[d]} is not divisible by the split_size {k}!"
                )
        return tensor_split(x, indices_or_sections, d)

    fn.__name__ = name
    fn.__doc__ = f"tensor_split along the {name[0]} direction (sections must divide evenly)."
    return fn


hsplit = _directional("hsplit", 1, lambda x: 1 if x.dim() > 1 else 0)
vsplit = _directional("vsplit", 2, lambda x: 0)
dsplit = _directional("dsplit", 3, lambda x: 2)


def split_with_sizes(input: Any, split_sizes: Any, dim: int = 0) -> tuple:
    """Split into pieces of the given sizes (they must add up to the dim's length)."""
    x = _t(input)
    sizes = _ints(split_sizes)
    d = _dim("split_with_sizes", dim, x.dim())
    if sum(sizes) != x.shape[d]:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {x.shape[d]} (input tensor's "
            f"size at dimension {d}), but got split_sizes={sizes}"
        )
    return tuple(x.split(sizes, d))


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of `size` entries, `step` apart, along `dimension`, as a new last dim."""
    d = _dim("unfold", dimension, self.dim())
    n = self.shape[d] if self.dim() else 1
    if size > n:
        raise RuntimeError(
            f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if self.dim() == 0:
        return self.reshape(1)
    windows = (n - size) // step + 1
    idx = (np.arange(windows)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    picked = ops.getitem(self, (slice(None),) * d + (idx,))
    shape = tuple(self.shape[:d]) + (windows, size) + tuple(self.shape[d + 1 :])
    return picked.reshape(shape).movedim(d + 1, -1)


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference along dim, after joining prepend / append to it."""
    x = _t(input)
    if x.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if int(n) < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    d = _dim("diff", dim, x.dim())
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        from .shaping import cat

        parts = [_t(p) if _t(p).dim() else _t(p).expand(*x.shape[:d], 1, *x.shape[d + 1 :])
                 for p in parts]  # fmt: skip
        x = cat(parts, d)
    return TM.diff(x, n, d)


# ---- stacking ---------------------------------------------------------------------------------


def column_stack(tensors: Any) -> Tensor:
    """Stack 1-D tensors as columns (others are concatenated along dim 1)."""
    from .shaping import hstack

    cols = [_t(t) for t in tensors]
    cols = [t.reshape(-1, 1) if t.dim() <= 1 else t for t in cols]
    return hstack(cols)


def dstack(tensors: Any) -> Tensor:
    """Concatenate along the third dim (inputs promoted to at least 3-D)."""
    from .shaping import cat

    out = []
    for t in tensors:
        t = _t(t)
        if t.dim() == 0:
            t = t.reshape(1, 1, 1)
        elif t.dim() == 1:
            t = t.reshape(1, -1, 1)
        elif t.dim() == 2:
            t = t.unsqueeze(-1)
        out.append(t)
    return cat(out, 2)


def diagflat(input: Any, offset: int = 0) -> Tensor:
    """The flattened input as the diagonal `offset` of a square matrix."""
    from .tensor_misc import diag

    return diag(_t(input).reshape(-1), offset)


def block_diag(*tensors: Any) -> Tensor:
    """The tensors (0-, 1- or 2-D) as the blocks of a block-diagonal matrix."""
    from .shaping import cat

    blocks = []
    for t in tensors:
        t = _t(t)
        if t.dim() > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input has "
                f"{t.dim()} dimensions"
            )
        blocks.append(t.reshape(1, -1) if t.dim() < 2 else t)
    if not blocks:
        return Tensor._make(np.zeros((1, 0), C.default_float()))
    dt = blocks[0]._data.dtype
    for b in blocks[1:]:
        dt = np.promote_types(dt, b._data.dtype)
    blocks = [C.to_dtype(b, dt) for b in blocks]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        pieces = [Tensor._make(np.zeros((r, left), dt)), b,
                  Tensor._make(np.zeros((r, width - left - c), dt))]  # fmt: skip
        rows.append(cat(pieces, 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every combination of one entry from each 1-D tensor, as rows (1-D for one tensor)."""
    from .matrix_ops import meshgrid
    from .shaping import stack

    ts = [_t(t) for t in tensors]
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Tensor:
    """Every length-r combination of the entries of a 1-D tensor, as rows."""
    x = _t(input)
    if x.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.asarray(list(pick(range(x.shape[0]), r)), np.int64).reshape(-1, r)
    if idx.size == 0:
        return Tensor._make(np.zeros((0,) if r == 0 else (0, r), x._data.dtype))
    return ops.getitem(x, (idx,))


# ---- writes at indices ------------------------------------------------------------------------


def index_copy(input: Any, dim: int, index: Any, source: Any) -> Tensor:
    """A copy of input with source's slices written at the 1-D `index` along `dim`."""
    x, src = _t(input), _t(source)
    if x.dtype != src.dtype:  # PyTorch promotes nothing here
        raise RuntimeError(
            f"index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{x.dtype} and (source) {src.dtype}"
        )
    raw = _index("index_copy", index)
    if raw.ndim > 1:  # as PyTorch (a 2-D index was flattened silently)
        raise IndexError(f"index_copy_(): index should have dimension 1 or 0 (got {raw.ndim})")
    i = raw.reshape(-1)
    d = _dim("index_copy", dim, x.dim())
    if x.dim() == 0:
        return src.reshape(()).clone()
    domain.check_indices("index_copy", "index", i, x.shape[d], d)
    shape = list(x.shape)
    shape[d] = len(i)
    if src.dim() > 0 and src.dim() != x.dim():
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({src.dim()}), destination dimensionality "
            f"({x.dim()})"
        )
    slices = 1 if src.dim() == 0 else src.shape[d]
    if slices != len(i):
        raise IndexError(
            f"index_copy_(): Number of indices ({len(i)}) should be equal to source.size(dim) "
            f"({slices})"
        )
    dest_slice = tuple(n for k, n in enumerate(x.shape) if k != d)
    src_slice = tuple(n for k, n in enumerate(src.shape) if k != d) if src.dim() else ()
    if dest_slice != src_slice:
        raise RuntimeError(
            f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {dest_slice} at dimension {d} and source slice shape: {src_slice} at "
            "dimension 0."
        )
    if src.dim() == 0:
        src = src.reshape(shape)
    grid = np.broadcast_to(i.reshape([-1 if k == d else 1 for k in range(x.dim())]), shape)
    return _S.scatter(
        x, d, Tensor._make(np.ascontiguousarray(grid)), C.to_dtype(src, x._data.dtype)
    )


def _index_put_bounds(key: tuple, shape: tuple) -> None:
    """Integer index arrays inside [-n, n) of the dim each indexes (PyTorch's IndexError)."""
    d = 0
    for k in key:
        if isinstance(k, np.ndarray) and k.dtype == np.bool_:
            d += k.ndim
            continue
        if d >= len(shape):
            return  # too many indices: the indexing itself reports it
        if isinstance(k, np.ndarray) and k.dtype.kind in "iu" and k.size:
            n = shape[d]
            bad = k[(k < -n) | (k >= n)]
            if bad.size:
                raise IndexError(
                    f"index_put: index {int(bad.flat[0])} is out of range for dimension {d} "
                    f"with size {n}"
                )
        d += 1


def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """A copy of input with values written (or added) at input[indices]."""
    from .inplace import setitem
    from .shaping import index_key

    x = _t(input)
    if not isinstance(indices, (tuple, list)):  # a tensor here would be read element by element
        raise TypeError(
            f"index_put(): argument 'indices' must be a tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    key = index_key(tuple(indices))
    _index_put_bounds(key, tuple(x.shape))
    v = C.as_tensor_operand(values, like=x)
    if accumulate:
        where = np.arange(x.numel()).reshape(tuple(x.shape))[key]
        part = C.to_dtype(v, x._data.dtype).expand(*where.shape).reshape(-1)
        return _reduce_into(x, part, where.reshape(-1), "sum", True)
    out = x.clone()
    setitem(out, tuple(indices), v)
    return out


_REDUCERS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(
    input: Any, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce src's entries into input at `index` along `dim` with sum/prod/mean/amax/amin."""
    x, idx, s = _t(input), _t(index), _t(src)
    if reduce not in _REDUCERS:
        raise RuntimeError(
            f"scatter_reduce(): reduce argument must be either sum, prod, mean, amax or amin, got "
            f"{reduce}"
        )
    d, grids = _S._grids("scatter_reduce", x, dim, idx)
    s = _S._source("scatter_reduce", s, x, tuple(idx._data.shape))
    if not grids:
        return x.clone()
    target = np.ravel_multi_index(grids, tuple(x.shape)).reshape(-1)
    return _reduce_into(x, s.reshape(-1), target, reduce, include_self)


def _reduce_into(x: Tensor, vals: Tensor, target: np.ndarray, reduce: str, include_self: bool):
    """x with vals reduced into its flat positions `target`, one entry at a time in index order
    after self (the anchor's order, so sums round the same); untouched positions keep x."""
    shape = tuple(x.shape)
    n = x.numel()
    flat_x = x.reshape(-1)
    counts = np.bincount(target, minlength=n)
    hit = Tensor._make(counts > 0)
    order = np.argsort(target, kind="stable")
    groups = np.split(order, np.cumsum(counts)[:-1])
    width = builtins.max(len(g) for g in groups) + (1 if include_self else 0)
    dt = x._data.dtype
    if dt.kind == "f":
        unit = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    else:
        info = np.iinfo(dt) if dt.kind in "iu" else None
        unit = {"sum": 0, "mean": 0, "prod": 1}.get(reduce)
        if unit is None:
            unit = info.min if reduce == "amax" else info.max
    m = vals.shape[0]
    pool = ops.concat([vals, flat_x, Tensor._make(np.full((1,), unit, dt))], 0)
    table = np.full((n, width), m + n, np.int64)
    for p, g in enumerate(groups):
        row = ([m + p] if include_self else []) + list(g)
        table[p, : len(row)] = row
    picked = ops.getitem(pool, (table,))
    step = {"sum": ops.add, "mean": ops.add, "prod": ops.mul, "amax": ops.maximum,
            "amin": ops.minimum}[reduce]  # fmt: skip
    red = ops.getitem(picked, (slice(None), 0))
    for j in range(1, width):
        red = step(red, ops.getitem(picked, (slice(None), j)))
    if reduce == "mean":
        c = Tensor._make(np.maximum(counts + (1 if include_self else 0), 1).astype(dt))
        red = red / c if dt.kind == "f" else _floor_div(red, c)
    return ops.where(hit, red, flat_x).reshape(shape)


def _floor_div(a: Tensor, b: Tensor) -> Tensor:
    return TM.floor_divide(a, C.to_dtype(b, a._data.dtype))


def index_reduce(
    input: Any, dim: int, index: Any, source: Any, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce source's slices into input's slices at the 1-D `index` along `dim`."""
    x, src = _t(input), _t(source)
    i = _index("index_reduce", index).reshape(-1)
    d = _dim("index_reduce", dim, x.dim())
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    domain.check_indices("index_reduce", "index", i, x.shape[d], d)
    shape = list(src.shape)
    grid = np.broadcast_to(i.reshape([-1 if k == d else 1 for k in range(x.dim())]), shape)
    return scatter_reduce(
        x,
        d,
        Tensor._make(np.ascontiguousarray(grid)),
        C.to_dtype(src, x._data.dtype),
        reduce,
        include_self=include_self,
    )


def _embed(x: Tensor, key: tuple, src: Any, op: str) -> Tensor:
    s = C.to_dtype(_t(src), x._data.dtype)
    want = np.zeros(tuple(x.shape), bool)[key].shape
    if tuple(s.shape) != want:
        raise RuntimeError(
            f"{op}: expected src to have a size equal to the slice of self, {list(want)}, got "
            f"{list(s.shape)}"
        )
    mask = np.zeros(tuple(x.shape), bool)
    mask[key] = True
    placed = ops.getitem_grad(s, x, key)
    return ops.where(Tensor._make(mask), placed, x)


def select_scatter(input: Any, src: Any, dim: int, index: int) -> Tensor:
    """input with src embedded at input.select(dim, index)."""
    x = _t(input)
    d = _dim("select_scatter", dim, x.dim())
    n = x.shape[d] if x.dim() else 1
    if not -n <= int(index) < n:
        raise IndexError(
            f"select_scatter: index {index} out of range for tensor of size {list(x.shape)} at "
            f"dimension {d}"
        )
    return _embed(x, (slice(None),) * d + (int(index),), src, "select_scatter")


def slice_scatter(
    input: Any, src: Any, dim: int = 0, start: int | None = None, end: int | None = None,
    step: int = 1,
) -> Tensor:  # fmt: skip
    """input with src embedded at input[..., start:end:step, ...] (along dim)."""
    x = _t(input)
    d = _dim("slice_scatter", dim, x.dim())
    return _embed(x, (slice(None),) * d + (slice(start, end, step),), src, "slice_scatter")


def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """input with src embedded along its diagonal (offset, dim1, dim2)."""
    x = _t(input)
    d1, d2 = _dim("diagonal_scatter", dim1, x.dim()), _dim("diagonal_scatter", dim2, x.dim())
    n1, n2 = x.shape[d1], x.shape[d2]
    r = np.arange(
        builtins.max(0, builtins.min(n1 - builtins.max(-offset, 0), n2 - builtins.max(offset, 0)))
    )
    rows, cols = r + builtins.max(-offset, 0), r + builtins.max(offset, 0)
    # the diagonal is the last dim of src (torch.diagonal's layout)
    perm = [k for k in range(x.dim()) if k not in (d1, d2)] + [d1, d2]
    moved = x.permute(*perm)
    key = (Ellipsis, rows, cols)
    out = _embed(moved, key, src, "diagonal_scatter")
    inv = list(np.argsort(perm))
    return out.permute(*inv)


_METHODS = (
    "roll", "rot90", "tile", "fliplr", "flipud", "swapaxes", "swapdims", "take",
    "take_along_dim", "tensor_split", "hsplit", "vsplit", "dsplit", "split_with_sizes", "diff",
    "diagflat", "index_copy", "index_put", "index_reduce", "scatter_reduce", "select_scatter",
    "slice_scatter", "diagonal_scatter",
)  # fmt: skip


def _install() -> None:
    g = globals()
    for name in _METHODS:
        setattr(Tensor, name, (lambda f: lambda self, *a, **k: f(self, *a, **k))(g[name]))
    Tensor.unfold = unfold
    Tensor.broadcast_to = lambda self, size: self.expand(*size)


_install()

__all__ = [
    "block_diag", "cartesian_prod", "column_stack", "combinations", "diagflat",
    "diagonal_scatter", "diff", "dsplit", "dstack", "fliplr", "flipud", "hsplit", "index_copy",
    "index_put", "index_reduce", "roll", "rot90", "scatter_reduce", "select_scatter",
    "slice_scatter", "split_with_sizes", "swapdims", "take", "take_along_dim",
    "tensor_split", "tile", "vsplit",
]  # fmt: skip
