"""More TF1 array names: band and diagonal matrices, cross, roll, reverse_v2 /
reverse_sequence, identity_n / shape_n / parallel_stack, ensure_shape, where_v2, batch_gather,
segment reductions, tensor_scatter_nd_* and the variable scatters (scatter_update, scatter_add,
..., scatter_nd_update, batch_scatter_update). The compositions live once in
core/tf_array_more.py."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import domain, ops
from ...core import tf_array_more as C
from ...core.primitives.bounds import index_bounds
from . import array_ops as A
from . import dtypes as tfd
from .convert import convert_to_tensor
from .math_ops import _tensor, known_rank
from .tensor import Tensor
from .variables import Variable, update_op


def _npdt(x: Tensor) -> np.dtype:
    return tfd.as_dtype(x.dtype).np_dtype


def _int_or_tensor(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v
    return int(np.asarray(v))


def matrix_band_part(input: Any, num_lower: Any, num_upper: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Zero the entries outside the band of num_lower diagonals below and num_upper above the
    main one (negative: keep that whole triangle), for the last two axes; tf.linalg.band_part."""
    x = _tensor(input)
    known_rank("matrix_band_part", x)
    if len(x.shape) < 2:
        raise ValueError(f"matrix_band_part: input must have rank >= 2, got {x}")
    lo, up = _int_or_tensor(num_lower), _int_or_tensor(num_upper)
    for k, what, n in ((lo, "num_lower", x.shape[-2]), (up, "num_upper", x.shape[-1])):
        # TF refuses a band wider than the matrix (negative keeps the whole triangle)
        if isinstance(k, int) and n is not None and k > n:
            side = "rows" if what == "num_lower" else "columns"
            raise ValueError(
                f"matrix_band_part: {what} ({k}) must be negative or less or equal to the number "
                f"of {side} ({n})"
            )

    def build():
        if x.shape[-2] is not None and x.shape[-1] is not None:
            return C.matrix_band_part(x, lo, up)
        shape = A.shape(x, out_type=tfd.int64)  # run-time rows and columns: a causal mask
        rows = A.range(shape[-2], dtype=tfd.int64)
        cols = A.range(shape[-1], dtype=tfd.int64)
        return C.matrix_band_part(x, lo, up, rows, cols)

    return x.graph.build_op("MatrixBandPart", name, build)


def _matrix_op(op: str, type_name: str, fn, min_rank: int):
    def matrix(input: Any, name: str | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
        x = _tensor(input)
        known_rank(op, x)
        if len(x.shape) < min_rank:
            raise ValueError(f"{op}: input must have rank >= {min_rank}, got {x}")
        extra = {k: v for k, v in kwargs.items() if k not in ("k", "padding_value", "align")}
        if extra:
            raise TypeError(f"{op}: unexpected arguments {sorted(extra)}")
        if kwargs.get("k", 0) != 0:
            raise NotImplementedError(f"{op}: only the main diagonal (k=0) is supported")
        return x.graph.build_op(type_name, name, lambda: fn(x))

    matrix.__name__ = op
    matrix.__doc__ = f"tf.{op}: {(fn.__doc__ or '').splitlines()[0]}"
    return matrix


matrix_diag = _matrix_op("matrix_diag", "MatrixDiag", C.matrix_diag, 1)
matrix_diag_part = _matrix_op("matrix_diag_part", "MatrixDiagPart", C.matrix_diag_part, 2)


def matrix_set_diag(
    input: Any,
    diagonal: Any,
    name: str = "set_diag",
    k: int = 0,
    align: Any = None,  # noqa: A002
) -> Tensor:
    """input with its main diagonal replaced by `diagonal`."""
    x, d = _tensor(input), _tensor(diagonal)
    known_rank("matrix_set_diag", x, d)
    if k != 0:
        raise NotImplementedError("matrix_set_diag: only the main diagonal (k=0) is supported")
    return x.graph.build_op("MatrixSetDiag", name, lambda: C.matrix_set_diag(x, d))


def matrix_transpose(a: Any, name: str = "matrix_transpose", conjugate: bool = False) -> Tensor:
    """a with its last two axes swapped."""
    x = _tensor(a)
    known_rank("matrix_transpose", x)
    return x.graph.build_op("Transpose", name, lambda: C.matrix_transpose(x))


def cross(a: Any, b: Any, name: str | None = None) -> Tensor:
    """The cross product of 3-vectors along the last axis."""
    x, y = _tensor(a), _tensor(b)
    known_rank("cross", x, y)
    if x.dtype != y.dtype:
        raise TypeError(f"cross: a {x} and b {y} must share their dtype")
    return x.graph.build_op("Cross", name, lambda: C.cross(x, y))


def _ints(v: Any, op: str, what: str) -> list:
    if isinstance(v, Tensor):
        static = get_static_value(v)
        if static is None:
            raise NotImplementedError(f"{op}: {what} must be known when the graph is built")
        v = static
    return [int(s) for s in np.atleast_1d(np.asarray(v))]


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """input shifted cyclically by `shift` along `axis` (ints or lists of them)."""
    x = _tensor(input)
    known_rank("roll", x)
    shifts, axes = _ints(shift, "roll", "shift"), _ints(axis, "roll", "axis")
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shifts} and axis {axes} must have the same length")
    return x.graph.build_op("Roll", name, lambda: C.roll(x, shifts, axes))


def reverse_v2(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """tensor reversed along the axes in `axis` (tf.reverse)."""
    return A_reverse()(tensor, axis, name=name)


def A_reverse():  # noqa: N802 - looked up late: tf.reverse lives in another module
    import sys

    return sys.modules[__package__].reverse


def _reverse_sequence_run_time(x: Any, lens: Any, sa: int, ba: int, name: str | None) -> Tensor:
    """reverse_sequence when the sequence length is known only when run: each row's steps
    gathered at (len - 1 - t) for t < len, else t, from x flattened to [batch * time, ...]."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    rank = len(x.shape)
    sa = domain.check_dim("reverse_sequence", sa, rank, "seq_axis")
    ba = domain.check_dim("reverse_sequence", ba, rank, "batch_axis")
    if sa == ba:
        raise ValueError(f"reverse_sequence: seq_axis and batch_axis are both {sa}")
    perm = [ba, sa] + [d for d in range(rank) if d not in (ba, sa)]
    with x.graph.name_scope(name or "ReverseSequence"):
        xt = tf.transpose(x, perm)  # [B, T, ...]
        dims = tf.shape(xt)
        batch, steps = dims[0], dims[1]
        n = tf.cast(lens, tf.int32)
        check = tf.debugging.assert_less_equal(
            n, steps, message="reverse_sequence: a seq_lengths entry exceeds the sequence length"
        )
        with tf.control_dependencies([check]):
            n = tf.expand_dims(tf.identity(n), 1)  # [B, 1]
        t = tf.expand_dims(tf.range(steps), 0)  # [1, T]
        src = tf.where(t < n, n - 1 - t, t + 0 * n)  # [B, T]
        flat = src + tf.expand_dims(tf.range(batch) * steps, 1)
        # shape lists keep the static dims of x (a tensor shape would lose them)
        rest = [d if d is not None else dims[2 + i] for i, d in enumerate(xt.shape[2:])]
        rows = tf.reshape(xt, [-1, *rest])
        out = tf.reshape(tf.gather(rows, tf.reshape(flat, [-1])), [batch, steps, *rest])
        inverse = [int(i) for i in np.argsort(perm)]
        return tf.transpose(out, inverse)


def reverse_sequence(
    input: Any, seq_lengths: Any, seq_axis: Any = None, batch_axis: Any = None,  # noqa: A002
    name: str | None = None, seq_dim: Any = None, batch_dim: Any = None,
) -> Tensor:  # fmt: skip
    """For each batch entry b, its first seq_lengths[b] steps along seq_axis reversed."""
    x, lens = _tensor(input), _tensor(seq_lengths)
    known_rank("reverse_sequence", x, lens)
    sa = seq_axis if seq_axis is not None else seq_dim
    ba = batch_axis if batch_axis is not None else (batch_dim if batch_dim is not None else 0)
    if sa is None:
        raise ValueError("reverse_sequence: seq_axis is required")
    if not tfd.as_dtype(lens.dtype).is_integer:
        raise TypeError(f"reverse_sequence: seq_lengths must be int32 or int64, got {lens}")
    # both axes must exist (a 0-d input has none; a fed scalar reached a bare tuple index)
    domain.check_dim_of_array("reverse_sequence", int(sa), len(x.shape), "seq_axis")
    domain.check_dim_of_array("reverse_sequence", int(ba), len(x.shape), "batch_axis")

    if x.shape[int(sa)] is None:
        return _reverse_sequence_run_time(x, lens, int(sa), int(ba), name)

    def build():
        t = x.shape[int(sa)]
        checked = index_bounds(lens, "reverse_sequence", "seq_lengths", (t + 1,), low=0)
        return C.reverse_sequence(x, checked, int(sa), int(ba))

    return x.graph.build_op("ReverseSequence", name, build)


def parallel_stack(values: Any, name: str = "parallel_stack") -> Tensor:
    """The tensors stacked along a new first axis (as tf.stack with axis 0)."""
    return A.stack(values, 0, name=name)


def identity_n(input: Any, name: str | None = None) -> list:  # noqa: A002
    """A list of identities of the tensors in `input`."""
    return [A.identity(t) for t in input]


def shape_n(input: Any, out_type: Any = tfd.int32, name: str | None = None) -> list:  # noqa: A002
    """The run-time shapes of the tensors in `input`."""
    return [A.shape(t, out_type=out_type) for t in input]


def ensure_shape(x: Any, shape: Any, name: str | None = None) -> Tensor:
    """x, with its static shape refined by `shape` (None dims free); a mismatch is an error
    when the graph is built, or when it runs for dims known only then."""
    from ...core.primitives.runtime_shapes import with_shape
    from .shapes import TensorShape

    t = _tensor(x)
    want = TensorShape(shape)
    have = TensorShape(t.shape if t.shape is not None else None)
    if not have.is_compatible_with(want):
        raise ValueError(f"ensure_shape: {t} has shape {have}, which is not compatible with {want}")
    merged = tuple(have.merge_with(want).as_list())
    if tuple(t.shape) == merged:
        return A.identity(t, name=name)

    def build():
        # the checked copy (nondifferentiable) decides the static shape and is checked each run;
        # the select's two branches are x itself, so the value and the gradient are x's
        checked = with_shape(t, merged, "ensure_shape")
        return ops.where(ops.equal(checked, checked), t, t)

    return t.graph.build_op("EnsureShape", name, build)


def where_v2(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """Elements of x where condition holds, else of y, all three broadcast together; with only
    a condition, the coordinates of its true entries."""
    if x is None and y is None:
        return A.where(condition, name=name)
    if x is None or y is None:  # as TF; a None made into an array would be NaN
        raise ValueError("where_v2: give both x and y, or neither (for the coordinates of true)")
    c = _tensor(condition)
    a = _tensor(x)
    b = y if isinstance(y, Tensor) else convert_to_tensor(np.asarray(y, dtype=_npdt(a)))
    if not isinstance(x, Tensor) and isinstance(y, Tensor):
        a = convert_to_tensor(np.asarray(x, dtype=_npdt(b)))
    if a.dtype != b.dtype:
        raise TypeError(f"where_v2: x {a} and y {b} must share their dtype")
    return c.graph.build_op("SelectV2", name, lambda: ops.where(c, a, b))


def batch_gather(params: Any, indices: Any, name: str | None = None) -> Tensor:
    """params[b, indices[b, ...]] for each leading batch index b (tf.gather with batch_dims set
    to the rank of indices minus one)."""
    idx = _tensor(indices)
    p = _tensor(params)
    known_rank("batch_gather", idx, p)
    bd = len(idx.shape) - 1
    if len(p.shape) <= bd or bd < 0:
        raise ValueError(
            f"batch_gather: params {p} needs more dims than the {bd} batch dims of indices {idx}"
        )
    return A.gather(p, idx, batch_dims=bd, axis=bd, name=name)


def get_static_value(tensor: Any, partial: bool = False) -> Any:
    """The value of `tensor` when it is known without running the graph (a constant, or the
    shape of a tensor of fully known shape), else None."""
    if not isinstance(tensor, Tensor):
        return np.asarray(tensor)
    node = tensor.node
    if node.kind == "const":
        return np.array(node.params["value"])
    if node.attrs.get("type") == "Shape" and node.inputs:
        src = node.inputs[0]
        dims = list(src.shape) if src.shape is not None else None
        if dims is not None and all(d is not None for d in dims):
            return np.asarray(dims, _npdt(tensor))
    return None


# ---- segment reductions ----------------------------------------------------------------------
def _segment_args(op: str, data: Any, segment_ids: Any):
    x, ids = _tensor(data), _tensor(segment_ids)
    known_rank(op, x, ids)
    if len(ids.shape) != 1:
        raise ValueError(f"{op}: segment_ids must be 1-D here, got {ids}")
    if len(x.shape) == 0:  # TF: data must be at least rank 1 (a row per segment id)
        raise ValueError(f"{op}: data must be at least rank 1, got {x}")
    if not tfd.as_dtype(ids.dtype).is_integer:
        raise TypeError(f"{op}: segment_ids must be int32 or int64, got {ids}")
    return x, ids


def _num_segments(op: str, num_segments: Any) -> int:
    if isinstance(num_segments, Tensor):
        value = get_static_value(num_segments)
        if value is None:
            raise NotImplementedError(
                f"{op}: num_segments must be known when the graph is built (a Python int or "
                "a constant)"
            )
        num_segments = value
    return int(np.asarray(num_segments))


def _sum(op: str, x, ids, k: int) -> Tensor:
    from .nn_more2 import unsorted_segment_sum

    del op
    return unsorted_segment_sum(x, ids, k)


def _counts(x: Tensor, ids: Tensor, k: int) -> Tensor:
    checked = index_bounds(ids, "segment", "segment_ids", (k,), low=None)  # negatives: dropped
    return C.segment_counts(checked, k, _npdt(x))


def unsorted_segment_mean(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """out[k] = the mean of the rows data[i] with segment_ids[i] == k (0 for none)."""
    x, ids = _segment_args("unsorted_segment_mean", data, segment_ids)
    k = _num_segments("unsorted_segment_mean", num_segments)
    with x.graph.name_scope(name or "UnsortedSegmentMean"):
        total = _sum("unsorted_segment_mean", x, ids, k)
        n = x.graph.build_op("Count", None, lambda: _counts(x, ids, k))
        den = ops.reshape(ops.maximum(n, ops.scalar(1, n)), (-1,) + (1,) * (len(x.shape) - 1))
        return ops.div(total, den)


def unsorted_segment_sqrt_n(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """out[k] = the sum of the rows with segment_ids[i] == k over sqrt(their number)."""
    x, ids = _segment_args("unsorted_segment_sqrt_n", data, segment_ids)
    k = _num_segments("unsorted_segment_sqrt_n", num_segments)
    with x.graph.name_scope(name or "UnsortedSegmentSqrtN"):
        total = _sum("unsorted_segment_sqrt_n", x, ids, k)
        n = x.graph.build_op("Count", None, lambda: _counts(x, ids, k))
        den = ops.sqrt(ops.maximum(n, ops.scalar(1, n)))
        return ops.div(total, ops.reshape(den, (-1,) + (1,) * (len(x.shape) - 1)))


def unsorted_segment_prod(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """out[k] = the product of the rows data[i] with segment_ids[i] == k (1 for none)."""
    x, ids = _segment_args("unsorted_segment_prod", data, segment_ids)
    k = _num_segments("unsorted_segment_prod", num_segments)

    def build():
        # ids >= num_segments are refused, as TF (each call, each run); negative ids drop their row
        checked = index_bounds(ids, "unsorted_segment_prod", "segment_ids", (k,), low=None)
        return C.segment_prod(x, checked, k)

    return x.graph.build_op("UnsortedSegmentProd", name, build)


def _sorted_segments(op: str, segment_ids: Tensor) -> int:
    value = get_static_value(segment_ids)
    if value is None:
        raise NotImplementedError(
            f"tf.{op}: segment_ids must be known when the graph is built (a constant) here; for "
            f"fed ids use tf.unsorted_{op} with num_segments"
        )
    value = np.asarray(value)
    if value.size and (np.any(np.diff(value) < 0) or value[0] < 0):
        raise ValueError(f"tf.{op}: segment_ids must be sorted and non-negative, got {value}")
    return int(value[-1]) + 1 if value.size else 0


def _segment(op: str, unsorted):
    def segment(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
        x, ids = _segment_args(op, data, segment_ids)
        k = _sorted_segments(op, ids)
        return unsorted(x, ids, k, name=name)

    segment.__name__ = op
    segment.__doc__ = f"tf.{op}: the {op.split('_')[1]} of the rows of each (sorted) segment."
    return segment


def _extreme(which: str):
    def fn(x, ids, k, name=None):
        from . import array_more2 as AM

        with x.graph.name_scope(name or f"Segment{which.capitalize()}"):
            out = getattr(AM, f"unsorted_segment_{which}")(x, ids, k)
            # a sorted segment op gives 0 for an empty segment (the unsorted one, the extreme)
            n = x.graph.build_op("Count", None, lambda: _counts(x, ids, k))
            full = ops.reshape(ops.greater(n, ops.scalar(0, n)), (-1,) + (1,) * (len(x.shape) - 1))
            return ops.where(full, out, ops.scalar(0, out))

    return fn


def _plain_sum(x, ids, k, name=None):
    from .nn_more2 import unsorted_segment_sum

    return unsorted_segment_sum(x, ids, k, name=name)


segment_sum = _segment("segment_sum", _plain_sum)
segment_mean = _segment("segment_mean", unsorted_segment_mean)
segment_prod = _segment("segment_prod", unsorted_segment_prod)
segment_max = _segment("segment_max", _extreme("max"))
segment_min = _segment("segment_min", _extreme("min"))


# ---- writes of rows: tensor_scatter_nd_* (values) and the variable scatters (updates) ----------
def _nd_rows(op: str, tensor: Tensor, indices: Tensor, updates: Tensor):
    """(flat row numbers, updates as rows, the row shape, the full shape) for an nd scatter."""
    known_rank(op, tensor, indices, updates)
    dims = list(tensor.shape)
    if any(d is None for d in dims):
        raise ValueError(f"{op}: the shape of {tensor} must be known when the graph is built")
    k = indices.shape[-1] if len(indices.shape) else None
    if k is None or not 1 <= k <= len(dims):
        raise ValueError(
            f"{op}: the last dimension of indices {indices} must be known and between 1 and "
            f"the rank of {tensor}"
        )
    rest = dims[k:]
    # updates hold one row per index: indices.shape[:-1] + tensor.shape[k:], as TF requires (a
    # scalar or a broadcastable row was spread over the rows silently)
    want = list(indices.shape[:-1]) + rest
    got = list(updates.shape)
    if len(got) != len(want) or any(
        a is not None and b is not None and a != b for a, b in zip(got, want, strict=True)
    ):
        raise ValueError(
            f"{op}: updates {updates} must have shape {want} (indices.shape[:-1] + "
            f"tensor.shape[{k}:])"
        )
    dt = _npdt(indices)
    strides = np.cumprod([1] + dims[k - 1 : 0 : -1])[::-1].astype(dt)
    checked = index_bounds(indices, op, "indices", tuple(dims[:k]), last=True, low=0)
    flat = ops.reshape(ops.sum(ops.mul(checked, strides), (-1,), False), (-1,))
    rows = ops.reshape(updates, (-1, *rest))
    return flat, rows, [int(np.prod(dims[:k]))] + rest, dims


def _tensor_scatter(op: str, type_name: str, mode: str):
    def scatter(tensor: Any, indices: Any, updates: Any, name: str | None = None) -> Tensor:
        t, idx, u = _tensor(tensor), _tensor(indices), _tensor(updates)
        if t.dtype != u.dtype:
            raise TypeError(f"{op}: updates {u} must have the dtype of tensor {t}")

        def build():
            flat, rows, view, dims = _nd_rows(op, t, idx, u)
            out = C.scatter_rows(ops.reshape(t, tuple(view)), flat, rows, mode)
            return ops.reshape(out, tuple(dims))

        return t.graph.build_op(type_name, name, build)

    scatter.__name__ = op
    scatter.__doc__ = f"tf.{op}: tensor with updates {mode}d at indices (a new tensor)."
    return scatter


tensor_scatter_nd_update = _tensor_scatter(
    "tensor_scatter_nd_update", "TensorScatterUpdate", "update"
)
tensor_scatter_nd_add = _tensor_scatter("tensor_scatter_nd_add", "TensorScatterAdd", "add")
tensor_scatter_nd_sub = _tensor_scatter("tensor_scatter_nd_sub", "TensorScatterSub", "sub")
tensor_scatter_nd_max = _tensor_scatter("tensor_scatter_nd_max", "TensorScatterMax", "max")
tensor_scatter_nd_min = _tensor_scatter("tensor_scatter_nd_min", "TensorScatterMin", "min")


def _check_ref(op: str, ref: Any) -> Variable:
    if not isinstance(ref, Variable):
        raise TypeError(f"tf.{op}: ref must be a tf.Variable, got {ref!r}")
    return ref


_SCATTER_TYPES = {
    m: "Scatter" + m.capitalize() for m in ("update", "add", "sub", "mul", "div", "max", "min")
}


def _var_scatter(op: str, mode: str):
    def scatter(
        ref: Any, indices: Any, updates: Any, use_locking: Any = None, name: str | None = None
    ) -> Tensor:
        var = _check_ref(op, ref)
        idx = _tensor(indices)
        u = updates if isinstance(updates, Tensor) else convert_to_tensor(
            np.asarray(updates, dtype=tfd.as_dtype(var.dtype).np_dtype))  # fmt: skip
        known_rank(op, idx, u)
        dims = list(var.shape)
        if any(d is None for d in dims) or not dims:
            raise ValueError(f"tf.{op}: the shape of {var} must be known and of rank >= 1")
        with var.graph.name_scope(name or op):
            checked = index_bounds(idx, op, "indices", (dims[0],), low=0)
            flat = ops.reshape(checked, (-1,))
            rows = ops.reshape(u, (-1, *dims[1:]))

        def write(cur, flat, rows):
            return C.scatter_rows(cur, flat, rows, mode)

        # the variable is read and written in one effect: concurrent scatters lose no update
        return update_op(var, write, (flat, rows), _SCATTER_TYPES[mode], name or op)

    scatter.__name__ = op
    scatter.__doc__ = f"tf.{op}: the rows of ref at indices {mode}d with updates (an update op)."
    return scatter


def _var_scatter_nd(op: str, mode: str):
    def scatter(
        ref: Any, indices: Any, updates: Any, use_locking: Any = None, name: str | None = None
    ) -> Tensor:
        var = _check_ref(op, ref)
        idx = _tensor(indices)
        u = updates if isinstance(updates, Tensor) else convert_to_tensor(
            np.asarray(updates, dtype=tfd.as_dtype(var.dtype).np_dtype))  # fmt: skip
        with var.graph.name_scope(name or op):
            flat, rows, view, dims = _nd_rows(op, var, idx, u)

        def write(cur, flat, rows):
            return ops.reshape(C.scatter_rows(ops.reshape(cur, tuple(view)), flat, rows, mode),
                               tuple(dims))  # fmt: skip

        return update_op(var, write, (flat, rows), "ScatterNd" + _SCATTER_TYPES[mode][7:],
                         name or op)  # fmt: skip

    scatter.__name__ = op
    scatter.__doc__ = f"tf.{op}: the entries of ref at nd indices {mode}d (an update op)."
    return scatter


scatter_update = _var_scatter("scatter_update", "update")
scatter_add = _var_scatter("scatter_add", "add")
scatter_sub = _var_scatter("scatter_sub", "sub")
scatter_mul = _var_scatter("scatter_mul", "mul")
scatter_div = _var_scatter("scatter_div", "div")
scatter_max = _var_scatter("scatter_max", "max")
scatter_min = _var_scatter("scatter_min", "min")
scatter_nd_update = _var_scatter_nd("scatter_nd_update", "update")
scatter_nd_add = _var_scatter_nd("scatter_nd_add", "add")
scatter_nd_sub = _var_scatter_nd("scatter_nd_sub", "sub")


def batch_scatter_update(
    ref: Any, indices: Any, updates: Any, use_locking: bool = True, name: str | None = None
) -> Tensor:
    """ref[b, indices[b, i]] = updates[b, i] for each batch entry b (indices [B, N])."""
    var = _check_ref("batch_scatter_update", ref)
    idx = _tensor(indices)
    known_rank("batch_scatter_update", idx)
    if len(idx.shape) != 2 or idx.shape[1] is None or var.shape[0] is None:
        raise NotImplementedError(
            "batch_scatter_update: indices must be [batch, n] with n and the batch known"
        )
    b, n = int(var.shape[0]), int(idx.shape[1])
    batch = np.repeat(np.arange(b), n).reshape(b, n).astype(_npdt(idx))
    nd = A.stack([convert_to_tensor(batch), idx], axis=-1)
    return scatter_nd_update(var, nd, updates, name=name)


_TOP = [
    "matrix_band_part", "matrix_diag", "matrix_diag_part", "matrix_set_diag", "matrix_transpose",
    "cross", "roll", "reverse_v2", "reverse_sequence", "parallel_stack", "identity_n", "shape_n",
    "ensure_shape", "where_v2", "batch_gather", "get_static_value", "segment_sum", "segment_mean",
    "segment_prod", "segment_max", "segment_min", "unsorted_segment_mean",
    "unsorted_segment_sqrt_n", "unsorted_segment_prod", "tensor_scatter_nd_update",
    "tensor_scatter_nd_add", "tensor_scatter_nd_sub", "tensor_scatter_nd_max",
    "tensor_scatter_nd_min", "scatter_update", "scatter_add", "scatter_sub", "scatter_mul",
    "scatter_div", "scatter_max", "scatter_min", "scatter_nd_update", "scatter_nd_add",
    "scatter_nd_sub", "batch_scatter_update",
]  # fmt: skip
_MATH = [
    "segment_sum", "segment_mean", "segment_prod", "segment_max", "segment_min",
    "unsorted_segment_mean", "unsorted_segment_sqrt_n", "unsorted_segment_prod",
]  # fmt: skip
_LINALG = {
    "band_part": "matrix_band_part", "diag": "matrix_diag", "diag_part": "matrix_diag_part",
    "set_diag": "matrix_set_diag", "matrix_transpose": "matrix_transpose",
    "transpose": "matrix_transpose", "cross": "cross",
}  # fmt: skip


def attach(tf: types.ModuleType) -> list:
    """Add the names to tf, tf.math, tf.linalg and tf.manip where missing; return the new
    top-level names."""
    here = globals()
    added = []
    for n in _TOP:
        if not hasattr(tf, n):
            setattr(tf, n, here[n])
            added.append(n)
    aliases = {
        "tensor_scatter_update": "tensor_scatter_nd_update",
        "tensor_scatter_add": "tensor_scatter_nd_add",
        "tensor_scatter_sub": "tensor_scatter_nd_sub",
    }
    for n, target in aliases.items():
        if not hasattr(tf, n):
            setattr(tf, n, here[target])
            added.append(n)
    if "newaxis" not in vars(tf):
        tf.newaxis = None
        added.append("newaxis")
    for n in _MATH:
        if not hasattr(tf.math, n):
            setattr(tf.math, n, here[n])
    for n, target in _LINALG.items():
        if not hasattr(tf.linalg, n):
            setattr(tf.linalg, n, here[target])
    if not hasattr(tf, "manip"):
        from .missing import install

        manip = types.ModuleType(f"{tf.__name__}.manip", "tf.manip: roll.")
        manip.roll = roll
        install(manip, "tf.manip")
        tf.manip = manip
        added.append("manip")
    return added
