"""Domain checks shared by both frontends: indices, extents, sizes, steps and value ranges.

Every check raises an error that names the operation the user called, the offending argument
and its bad value (one value, never a whole index array) and the valid range. The checks read
shapes, params and (for data-dependent domains such as index values) one vectorised pass over
the operand; none runs inside a kernel's inner loop.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ShapeError

# the largest element count an array may have (numpy's own limit, in elements of one byte)
MAX_ELEMENTS = np.iinfo(np.intp).max


class DomainError(Exception):
    """An argument outside an operation's domain; `op` names the operation it was raised under.

    A frontend that presents a primitive under another name (``embedding`` and
    ``index_select`` run the ``gather`` primitive) re-raises it with `renamed`.
    """

    def __init__(self, op: str, text: str) -> None:
        super().__init__(f"{op}: {text}")
        self.op = op
        self.text = text

    def renamed(self, op: str) -> DomainError:
        """The same error, under the user-facing operation `op`."""
        return type(self)(op, self.text)


class DomainIndexError(DomainError, IndexError):
    """An index (or dim, or extent) out of range."""


class DomainAxisError(DomainIndexError, ShapeError):
    """A dim / axis out of range: PyTorch's IndexError and TF's ValueError (a ShapeError, as the
    record's shape rules raised it before), with one message for both styles."""


class DomainValueError(DomainError, ValueError):
    """A value out of an operation's domain (a zero step, a probability above 1)."""


class DomainRuntimeError(DomainError, RuntimeError):
    """A value out of an operation's domain that PyTorch reports as a RuntimeError (one_hot's
    class values, binary cross entropy's probabilities)."""


class DomainExtentError(DomainIndexError, RuntimeError):
    """A slice running past the end of its axis (or torch.gather's index past it): a
    RuntimeError as PyTorch raises, and an IndexError as duograd raised it before."""


class DomainLengthError(DomainValueError, RuntimeError):
    """A negative slice length: a RuntimeError as PyTorch's narrow raises, and a ValueError."""


def known(v: Any) -> np.ndarray | None:
    """The value of an operand when it is known now: an array, or a graph constant; else None."""
    if isinstance(v, (np.ndarray, np.generic)):
        return v
    if isinstance(v, (list, tuple, int)):
        return np.asarray(v)
    node = getattr(v, "node", None)
    if node is not None and getattr(node, "kind", None) == "const":
        return node.params["value"]
    return None


def as_op(op: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs), its domain errors re-raised under the user-facing name `op`."""
    try:
        return fn(*args, **kwargs)
    except DomainError as e:
        raise e.renamed(op) from None


def first_bad(idx: np.ndarray, lo: int, hi: int) -> int | None:
    """The first entry of `idx` outside [lo, hi), or None when all are inside."""
    if idx.size == 0:
        return None
    flat = idx.reshape(-1)
    mn, mx = flat.min(), flat.max()
    if mn >= lo and mx < hi:
        return None
    bad = (flat < lo) | (flat >= hi)
    return int(flat[int(np.argmax(bad))])


def check_indices(
    op: str,
    arg: str,
    idx: Any,
    size: int,
    dim: int | None = None,
    negative: bool = False,
    exc: type[Exception] = DomainIndexError,
) -> np.ndarray:
    """Integer indices into an axis of length `size`, or an IndexError naming the first bad one.

    `negative=True` accepts Python's [-size, size) (as ``x[-1]``); otherwise [0, size), as
    torch.gather / index_select / embedding and tf.gather on CPU require.
    """
    a = np.asarray(idx)
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "b" or a.size:
            raise TypeError(f"{op}: {arg} must hold integers, got dtype {a.dtype}")
        a = a.astype(np.int64)
    lo = -size if negative else 0
    bad = first_bad(a, lo, size)
    if bad is not None:
        where = f" for dimension {dim}" if dim is not None else ""
        hint = "" if negative or bad >= 0 else "; negative indices are not allowed here"
        text = (
            f"{arg} holds {bad}, out of range{where} of size {size} "
            f"(valid range [{lo}, {size})){hint}"
        )
        raise exc(op, text) if issubclass(exc, DomainError) else exc(f"{op}: {text}")
    return a


def check_extent(op: str, start: int, length: int, size: int, dim: int) -> None:
    """A slice start:start+length along an axis of length `size` must fit inside it."""
    if length < 0:
        raise DomainLengthError(op, f"length {length} along dimension {dim} must be non-negative")
    if not 0 <= start <= size:
        raise DomainIndexError(
            op,
            f"start {start} is out of range for dimension {dim} of size {size} "
            f"(expected to be in range of [0, {size}])",
        )
    if start + length > size:
        raise DomainExtentError(
            op,
            f"start {start} + length {length} exceeds dimension {dim} of size {size}; "
            f"need 0 <= start and start + length <= {size}",
        )


def check_sizes(op: str, shape: Any, arg: str = "size") -> tuple:
    """A requested shape: non-negative integers whose product numpy can allocate."""
    dims = tuple(int(d) for d in shape)
    for d in dims:
        if d < 0:
            raise ValueError(
                f"{op}: {arg} {dims} has the negative dimension {d}; sizes must be >= 0"
            )
    n = math.prod(dims)
    if n > MAX_ELEMENTS:
        raise ValueError(
            f"{op}: {arg} {dims} has {n} elements, more than can be allocated "
            f"(at most {MAX_ELEMENTS})"
        )
    return dims


def check_memory(op: str, shape: tuple, dtype: Any) -> None:
    """Refuse a shape whose bytes exceed what an address space can hold (numpy would say only
    'array is too big')."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes > MAX_ELEMENTS:
        raise MemoryError(
            f"{op}: shape {tuple(shape)} of {np.dtype(dtype)} needs {nbytes} bytes, more than "
            "this machine can address; use a smaller size"
        )


# numpy's allocator messages when a bad size reached it, said in an operation's terms (the
# frontends' error naming and the graph run's node naming both use them)
RAW_NUMPY = {
    "negative dimensions are not allowed": "an output size is negative (a size, count or dim "
    "argument out of range)",
    "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible "
    "size.": "the output would be too large to allocate (a size or count argument too large)",
}


def nonempty_planes(op: str, shape: tuple, spatial: int) -> None:
    """PyTorch's pooling and resizing take an empty batch only: the channel and `spatial` dims
    of an (N, C, ...) or unbatched (C, ...) input must not be 0."""
    planes = tuple(shape[-(spatial + 1) :])
    if len(shape) > spatial and 0 in planes:
        raise RuntimeError(
            f"{op}: expected an input with an optional 0 batch size and non-empty channel and "
            f"spatial dims, but got {list(shape)}"
        )


# the most pieces a split may make: each is a tensor object, so far fewer fit in memory than
# elements (PyTorch itself refuses counts past its vector's max_size)
MAX_PIECES = 2**24


def check_pieces(op: str, count: int, error: type = RuntimeError) -> int:
    """A number of pieces (chunks, sections) that can be made, or an `error` naming it
    (PyTorch's RuntimeError; the graph frontend asks for TF's ValueError)."""
    if int(count) > MAX_PIECES:
        raise error(
            f"{op}: cannot make {count} pieces (more than {MAX_PIECES} tensors would not fit in "
            "memory); use fewer sections"
        )
    return int(count)


def check_step(op: str, start: float, limit: float, step: float, empty_ok: bool) -> None:
    """A range's step is nonzero and (unless `empty_ok`) points from start towards limit."""
    if step == 0:
        raise DomainValueError(
            op, f"step must be nonzero (got start={start}, limit={limit}, step=0)"
        )
    if not empty_ok and (limit - start) * step < 0:
        raise DomainValueError(
            op,
            "upper bound and larger bound inconsistent with step sign: "
            f"start={start}, end={limit}, step={step}; swap the bounds or flip the step's sign",
        )
    for name, v in (("start", start), ("end", limit), ("step", step)):
        if isinstance(v, float) and not math.isfinite(v):
            raise DomainValueError(op, f"{name} must be finite, got {v}")


def check_in_unit_interval(op: str, arg: str, x: np.ndarray) -> None:
    """All entries of `x` in [0, 1] (NaN included as bad), else a RuntimeError (as PyTorch) that
    is also a ValueError, naming one."""
    a = np.asarray(x)
    if a.size == 0:
        return
    if a.min() >= 0 and a.max() <= 1:  # NaN fails both; the search runs only on failure
        return
    ok = (a >= 0) & (a <= 1)
    bad = a.reshape(-1)[int(np.argmin(ok.reshape(-1)))]
    raise _UnitIntervalError(
        op,
        f"all elements of {arg} should be between 0 and 1, found {bad}; "
        "apply sigmoid first or use the *_with_logits loss",
    )


class _UnitIntervalError(DomainRuntimeError, ValueError):
    """A probability outside [0, 1]: PyTorch's RuntimeError, and a ValueError."""


def axis_error(op: str, dim: int, ndim: int, arg: str = "dim") -> DomainAxisError:
    """The one error for a dim / axis outside a rank-`ndim` tensor (frontends and shape rules)."""
    span = max(ndim, 1)
    return DomainAxisError(
        op,
        f"{arg} {dim} is out of range for a {ndim}-D tensor "
        f"(expected to be in range of [{-span}, {span - 1}])",
    )


def check_dim(op: str, dim: int, ndim: int, arg: str = "dim") -> int:
    """`dim` as a non-negative axis of a rank-`ndim` tensor, or an IndexError naming it."""
    span = max(ndim, 1)
    if not -span <= dim < span:
        raise axis_error(op, dim, ndim, arg)
    return dim % span


def check_dim_of_array(op: str, dim: int, ndim: int, arg: str = "dim") -> int:
    """As `check_dim`, for an operation that needs at least one dimension (a 0-d input has
    none to take its `dim` from: trapezoid, diff, cross)."""
    if ndim == 0:
        raise DomainAxisError(
            op, f"{arg} {dim} was given but the input is 0-d (it needs at least one dimension)"
        )
    return check_dim(op, dim, ndim, arg)


def check_positive(op: str, arg: str, value: int) -> int:
    """An integer count that must be at least 1 (chunks, split size, groups)."""
    if int(value) <= 0:
        raise ValueError(f"{op}: {arg} must be a positive integer, got {value}")
    return int(value)


def shape_error(op: str, text: str) -> ShapeError:
    """A ShapeError whose message starts with the user's op name."""
    return ShapeError(f"{op}: {text}")


def view_compatible(shape: tuple, strides: tuple, new: tuple) -> bool:
    """True when an array of `shape` / element `strides` can be viewed as `new` without a copy
    (each run of merged or split dimensions must be contiguous within itself)."""
    if math.prod(shape) == 0:
        return True
    if not shape:
        shape, strides = (1,), (1,)
    view_d = len(new) - 1
    base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                base = strides[d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


def check_view(op: str, data: np.ndarray, new: tuple) -> None:
    """`view` keeps the data: refuse a shape the strides cannot express, naming reshape."""
    if data.flags.c_contiguous or data.size == 0:
        return
    new = tuple(new)
    if -1 in new:
        known = math.prod(d for d in new if d != -1)
        if known <= 0 or data.size % known:
            return  # the reshape rule reports the size mismatch
        new = tuple(data.size // known if d == -1 else d for d in new)
    if math.prod(new) != data.size:
        return  # the reshape rule reports the size mismatch
    item = data.itemsize
    strides = tuple(s // item for s in data.strides)
    if not view_compatible(tuple(data.shape), strides, tuple(new)):
        raise RuntimeError(
            f"{op}: size is not compatible with the input tensor's size and stride (shape "
            f"{tuple(data.shape)}, strides {strides}): at least one dimension spans across two "
            "contiguous subspaces; use .reshape(...) instead"
        )


# ---- checks a primitive declares in its record (`Primitive.checks`) -----------------------------
# Each takes the primitive's operands and params as `bind` gets them: arrays when run, graph
# values while a graph is built (then it checks what is known: static dims and constants).


def gather_indices(x: Any, indices: Any, axis: int) -> None:
    """gather: every index inside [0, size) of the gathered axis (no wrap-around of negatives)."""
    shape = x.shape
    if not -len(shape) <= axis < len(shape):
        return  # a bad axis: the shape rule reports it
    n = shape[axis]
    idx = indices if type(indices) is np.ndarray else known(indices)
    if n is None or idx is None:
        return  # unknown until the graph runs
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu" or not idx.size:
        return  # a bad dtype: the shape rule reports it
    if idx.min() < 0 or idx.max() >= n:  # the message's search runs only on failure
        check_indices("gather", "indices", idx, n, axis)


def range_step(start: Any, limit: Any, delta: Any, dtype: Any) -> None:
    """range: a nonzero step pointing from start towards limit (TF's Range: never empty)."""
    vals = [known(v) for v in (start, limit, delta)]
    if any(v is None for v in vals):
        return
    check_step("range", *(np.asarray(v).item() for v in vals), empty_ok=False)


def index_bounds(
    idx: Any,
    op: str,
    arg: str,
    sizes: tuple,
    last: bool,
    low: int | None,
    dim: int | None = None,
    error: str = "index",
) -> None:
    """Indices of a composed op (gather_nd, segment sums, torch.gather, scatter) inside
    [low, size).

    With `last`, entry k of the last axis indexes dimension k (of size sizes[k]); otherwise
    every entry indexes one dimension of size sizes[0]. `low=None` lets negatives through (the
    op drops them, as TF's segment sums do); `low=-size` accepts Python's negatives. `dim` names
    the indexed dimension in the message; `error` picks the type: "index" (IndexError) or
    "runtime" (IndexError and RuntimeError: PyTorch's type for gather and scatter).
    """
    a = known(idx)
    if a is None:
        return
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "b" or a.size:
            raise DomainValueError(op, f"{arg} must hold integers, got dtype {a.dtype}")
        return
    if dim is not None and not last:
        if a.size and (a.min() < (low or 0) or a.max() >= sizes[0]):  # search only on failure
            exc = DomainExtentError if error == "runtime" else DomainIndexError
            check_indices(op, arg, a, sizes[0], dim, negative=low is not None and low < 0, exc=exc)
        return
    cols = [a[..., k] for k in range(len(sizes))] if last else [a]
    for k, (col, n) in enumerate(zip(cols, sizes, strict=False)):
        lo = low if low is not None else np.iinfo(np.int64).min
        bad = first_bad(col, lo, n)
        if bad is not None:
            which = f"[..., {k}] (for dimension {k})" if last else ""
            rng = f"[{low}, {n})" if low is not None else f"below {n}"
            hint = "; negative indices are not allowed here" if low is not None and bad < 0 else ""
            raise DomainIndexError(
                op, f"{arg}{which} holds {bad}, out of range of size {n} (valid {rng}){hint}"
            )


def reshape_sizes(x: Any, shape: Any) -> None:
    """reshape to a shape given as a tensor: sizes >= 0, and at most one -1 (the rest)."""
    a = known(shape)
    if a is None or np.asarray(a).dtype.kind not in "iu":
        return
    dims = tuple(int(d) for d in np.asarray(a).reshape(-1))
    bad = [d for d in dims if d < -1]
    if bad or dims.count(-1) > 1:
        raise DomainValueError(
            "reshape",
            f"invalid shape {dims}: sizes must be >= 0, with at most one -1 (the rest)",
        )


def slice_extents(x: Any, op: str, begin: tuple, size: tuple, exact: bool, parts: tuple) -> None:
    """A block begin[d]:begin[d]+size[d] of every axis d (size None: to the end) inside `x`.

    With `exact` (a split), every axis whose size is given must be covered exactly: the pieces
    (`parts`, named in the message) add up to the axis length. Axes of unknown length (a graph
    value before its run) pass until the run.
    """
    for p in parts:
        if p < 0:
            raise DomainLengthError(
                op, f"split sizes {list(parts)} hold the negative size {p}; sizes must be >= 0"
            )
    shape = tuple(x.shape)
    for d, (b, s) in enumerate(zip(begin, size, strict=False)):
        n = shape[d] if d < len(shape) else None
        if n is None:
            if s is not None and s < 0:
                raise DomainLengthError(op, f"length {s} along dimension {d} must be non-negative")
            if b < 0:
                raise DomainIndexError(op, f"begin[{d}] = {b}; begins must be >= 0")
            continue
        if s is None:
            check_extent(op, b, n - b if 0 <= b <= n else 0, n, d)
            continue
        if exact and b + s != n:
            raise DomainExtentError(
                op,
                f"split sizes {list(parts)} add up to {b + s}, but dimension {d} has size {n}; "
                f"they must sum exactly to {n}",
            )
        check_extent(op, b, s, n, d)


def unit_interval(p: Any, op: str, arg: str) -> None:
    """Probabilities in [0, 1] (binary cross entropy's input), when their values are known."""
    a = p if type(p) is np.ndarray else known(p)
    if a is not None and np.asarray(a).dtype.kind == "f":
        check_in_unit_interval(op, arg, a)


def nonzero_divisor(y: Any, op: str) -> None:
    """An integer divisor holds no zero (both anchors refuse integer division by zero; a float
    divisor gives inf or NaN instead and is not checked)."""
    a = y if type(y) is np.ndarray else known(y)
    if a is None:
        return
    a = np.asarray(a)
    if a.dtype.kind in "iu" and a.size and not a.all():
        raise DomainRuntimeError(op, "integer division by zero (a zero in the divisor)")


def class_values(labels: Any, op: str, num_classes: int) -> None:
    """one_hot's class values in [0, num_classes), as PyTorch requires (a RuntimeError)."""
    a = labels if type(labels) is np.ndarray else known(labels)
    if a is None:
        return
    a = np.asarray(a)
    if a.dtype.kind not in "iu" or not a.size:
        return  # a bad dtype: the shape rule reports it; nothing to check when empty
    lo, hi = a.min(), a.max()
    if lo < 0:
        raise DomainRuntimeError(op, f"class values must be non-negative, found {int(lo)}")
    if hi >= num_classes:
        raise DomainRuntimeError(
            op,
            f"class values must be smaller than num_classes ({num_classes}), found {int(hi)}",
        )
