"""Array ops: placeholders, shapes, reshaping, joining, indexing, filling (`tf.reshape`, ...)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ...core import domain, ops
from ...core.errors import fmt_shape
from ...core.ir import Value
from ...core.primitives import dynamic as X
from ...core.primitives import guards as G
from ...core.primitives.registry import AVal
from ...core.primitives.shaping import IDENTITY
from . import convert
from . import dtypes as tfd
from .graph import get_default_graph, graph_of
from .math_ops import _tensor, known_rank
from .shapes import TensorShape
from .tensor import Tensor

newaxis = None


# ---- placeholders --------------------------------------------------------------------------------


def placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor fed at run time; `shape` may hold None dims, or be None for any shape."""
    dt = tfd.as_dtype(dtype)
    static = TensorShape(shape)
    g = get_default_graph()
    params = {"shape": None if static.unknown_rank else tuple(static)}
    t = g._add("placeholder", None, params, (), AVal(static, dt.np_dtype), name or "Placeholder")
    t.node.attrs["type"] = "Placeholder"
    return t


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """A tensor that is `input` unless fed; `shape` (may hold None dims) is what it promises."""
    default = _tensor(input)
    static = TensorShape(shape)
    if not static.is_compatible_with(default.shape):
        raise ValueError(
            f"placeholder_with_default: the default value's shape {default.shape} does not fit "
            f"shape {static}"
        )
    g = default.graph
    aval = AVal(static, default.dtype.np_dtype)
    t = g._add("op", IDENTITY, {}, (default,), aval, name or "PlaceholderWithDefault")
    t.node.attrs["type"] = "PlaceholderWithDefault"
    return t


# ---- shapes --------------------------------------------------------------------------------------


def shape(input: Any, name: str | None = None, out_type: Any = tfd.int32) -> Tensor:  # noqa: A002
    """The run-time shape of `input` as a 1-D integer tensor."""
    x = _tensor(input)
    dt = tfd.as_dtype(out_type)
    return x.graph.build_op("Shape", name, lambda: X.shape_of(x, dt.np_dtype))


def size(input: Any, name: str | None = None, out_type: Any = tfd.int32) -> Tensor:  # noqa: A002
    """The run-time number of elements of `input`."""
    x = _tensor(input)
    dt = tfd.as_dtype(out_type)
    return x.graph.build_op("Size", name, lambda: X.size_of(x, dt.np_dtype))


def rank(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The run-time rank of `input` (int32)."""
    x = _tensor(input)
    return x.graph.build_op("Rank", name, lambda: X.rank_of(x))


def _shape_arg(shape: Any, op: str) -> tuple | Tensor:
    """A static shape as a tuple of ints, or a run-time shape as a 1-D int tensor."""
    if isinstance(shape, Value):
        if not tfd.as_dtype(shape.dtype).is_integer:
            raise TypeError(f"{op}: a shape tensor must be int32 or int64, got {shape}")
        return shape
    if isinstance(shape, (int, np.integer)):
        shape = [shape]
    items = list(TensorShape(shape)) if isinstance(shape, TensorShape) else list(shape)
    if any(isinstance(d, Value) for d in items):
        parts = [
            ops.reshape(ops.cast(d, np.int32), (1,))
            if isinstance(d, Value)
            else np.asarray([d], np.int32)
            for d in items
        ]
        tensors = [p for p in parts if isinstance(p, Value)]
        g = tensors[0].graph
        return ops.concat([g.as_value(p) for p in parts], 0)
    if any(d is None for d in items):
        raise ValueError(f"{op}: shape {items} has unknown (None) dims; give every dim")
    return tuple(int(d) for d in items)


def _partial(shape: Any, x: Any = None) -> tuple | None:
    """The static shape TF infers from a shape list holding tensors: its Python ints known,
    the tensors (and a -1 that cannot be resolved) unknown; None when `shape` is a tensor."""
    if isinstance(shape, Value) or isinstance(shape, (int, np.integer)):
        return None
    items = list(shape)
    dims = [None if isinstance(d, Value) or d is None or int(d) < 0 else int(d) for d in items]
    if x is not None and sum(1 for d in items if not isinstance(d, Value) and d == -1) == 1:
        known = [d for d in dims if d is not None]
        total = x.shape.num_elements() if hasattr(x.shape, "num_elements") else None
        if total is not None and len(known) == len(dims) - 1 and all(known):
            dims[[i for i, d in enumerate(items) if not isinstance(d, Value) and d == -1][0]] = (
                total // int(np.prod(known))
            )
    return tuple(dims)


def _pin(out: Any, static: tuple | None) -> Any:
    """`out` given the dims known when built (checked when run)."""
    if static is None or all(d is None for d in static):
        return out
    from ...core.primitives.runtime_shapes import with_shape

    return with_shape(out, static, "shape")


# ---- reshaping -----------------------------------------------------------------------------------


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """Reshape to `shape` (one -1 allowed); `shape` may be a list holding tensors."""
    x = _tensor(tensor)

    def build():
        s = _shape_arg(shape, "reshape")
        if isinstance(s, Value):
            return _pin(X.reshape_dynamic(x, s), _partial(shape, x))
        return ops.reshape(x, s)

    return x.graph.build_op("Reshape", name, build)


def transpose(a: Any, perm: Any = None, name: str = "transpose", conjugate: bool = False) -> Tensor:
    """Permute the axes (default: reverse them)."""
    x = _tensor(a)
    known_rank("transpose", x)
    p = None if perm is None else tuple(int(i) for i in perm)
    return x.graph.build_op("Transpose", name, lambda: ops.transpose(x, p))


def expand_dims(input: Any, axis: Any = None, name: str | None = None, dim: Any = None) -> Tensor:  # noqa: A002
    """Insert a length-1 axis at `axis`."""
    x = _tensor(input)
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("expand_dims: give the axis")
    known_rank("expand_dims", x)
    return x.graph.build_op("ExpandDims", name, lambda: ops.expand_dims(x, int(axis)))


def squeeze(
    input: Any, axis: Any = None, name: str | None = None, squeeze_dims: Any = None
) -> Tensor:  # noqa: A002
    """Remove length-1 axes (all of them, or those in `axis`)."""
    x = _tensor(input)
    axis = squeeze_dims if axis is None else axis
    known_rank("squeeze", x)
    if isinstance(axis, (int, np.integer)):
        axis = [int(axis)]

    def build():
        if axis is None and any(d is None for d in x.shape):
            raise ValueError(f"squeeze: {x} has unknown dims; name the axes to squeeze")
        return ops.squeeze(x, None if axis is None else tuple(axis))

    return x.graph.build_op("Squeeze", name, build)


def _tensor_list(values: Any, op: str) -> tuple:
    items = convert.as_tensor_list(values, op)
    if not items:
        raise ValueError(f"{op}: needs at least one tensor")
    g = graph_of(items)
    like = next((v for v in items if isinstance(v, Value)), None)
    if like is None:
        like = convert.convert_to_tensor(items[0])
    out = [v if isinstance(v, Value) else convert.operand(v, like, g, op) for v in items]
    for v in out:
        if v.dtype != out[0].dtype:
            raise TypeError(f"{op}: all values need one dtype, got {[str(t) for t in out]}")
    known_rank(op, *out)
    return g, out


def concat(values: Any, axis: int, name: str = "concat") -> Tensor:
    """Join tensors along an existing axis."""
    g, xs = _tensor_list(values, "concat")
    return g.build_op("ConcatV2", name, lambda: ops.concat(xs, int(axis)))


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """Join same-shaped tensors along a new axis."""
    g, xs = _tensor_list(values, "stack")
    return g.build_op("Pack", name, lambda: ops.stack(xs, int(axis)))


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack") -> list:
    """Split a tensor into a list of tensors along `axis` (the axis disappears)."""
    x = _tensor(value)
    known_rank("unstack", x)
    ax = domain.check_dim_of_array("unstack", int(axis), len(x.shape), "axis")
    n = x.shape[ax] if num is None else num
    if n is None:
        raise ValueError(f"unstack: cannot infer num from the shape {x.shape}; pass num")
    if x.shape[ax] is not None and int(n) != x.shape[ax]:
        raise ValueError(f"unstack: num={n} but axis {ax} of {x} has length {x.shape[ax]}")
    domain.check_pieces("unstack", int(n), ValueError)
    with x.graph.name_scope(name):
        return [ops.getitem(x, (builtins.slice(None),) * ax + (i,)) for i in builtins.range(n)]


def split(
    value: Any, num_or_size_splits: Any, axis: int = 0, num: Any = None, name: str = "split"
) -> list:
    """Split along `axis` into equal parts (an int) or parts of the given sizes (a list)."""
    x = _tensor(value)
    known_rank("split", x)
    ax = domain.check_dim("split", int(axis), len(x.shape), "axis")
    length = x.shape[ax]
    if isinstance(num_or_size_splits, (int, np.integer)):
        k = domain.check_positive("split", "num_or_size_splits", int(num_or_size_splits))
        domain.check_pieces("split", k, ValueError)
        if length is None:
            return _split_run_time(x, ax, k, name)
        if length % k:
            raise ValueError(f"split: axis {ax} of {x} (length {length}) cannot split into {k}")
        sizes = [length // k] * k
    else:
        sizes = [int(s) for s in np.asarray(num_or_size_splits).reshape(-1)]
        if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
            raise ValueError(
                f"split: size_splits {sizes} may hold one -1 (the rest) and otherwise sizes >= 0"
            )
        if -1 in sizes:
            if length is None:
                raise ValueError(
                    f"split: size_splits {sizes} holds -1 (the rest) but axis {ax} of {x} has no "
                    "static length; give every size, or a static shape"
                )
            rest = length - (sum(sizes) + 1)
            if rest < 0:
                raise ValueError(
                    f"split: sizes {sizes} add up to more than {length}, the length of axis {ax}"
                )
            sizes[sizes.index(-1)] = rest
        # the sizes must cover the axis exactly: checked by the record (guards.extent_bounds),
        # now on a static length, and on every run on the fed value's length
        begin = (0,) * len(x.shape)
        cover = tuple(sum(sizes) if d == ax else None for d in builtins.range(len(x.shape)))
        x = G.extent_bounds(x, "split", begin, cover, exact=True, parts=tuple(sizes))
    outs, start = [], 0
    with x.graph.name_scope(name):
        for s in sizes:
            outs.append(
                ops.getitem(x, (builtins.slice(None),) * ax + (builtins.slice(start, start + s),))
            )
            start += s
    return outs


def _split_run_time(x: Any, ax: int, k: int, name: str) -> list:
    """`k` equal parts along axis `ax`, whose length is known only when run (TF1 allows it:
    `tf.split(tf.reshape(x, [-1, depth]), steps, 0)` before `static_rnn`): x reshaped to
    (..., k, length / k, ...) at run time, then taken apart along the new axis."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    with x.graph.name_scope(name):
        dims = shape(x)
        per = tf.floordiv(dims[ax], k)
        # a length that k does not divide fails here, naming split, as TF's check does
        whole = tf.debugging.assert_equal(
            per * k, dims[ax], message=f"split: the length of axis {ax} must divide into {k} parts"
        )
        with tf.control_dependencies([whole]):
            per = tf.identity(per)
        parts = tf.concat([dims[:ax], tf.stack([tf.constant(k), per]), dims[ax + 1 :]], 0)
        y = tf.reshape(x, parts)
        outs = [ops.getitem(y, (builtins.slice(None),) * ax + (i,)) for i in builtins.range(k)]
        if sum(d is None for d in x.shape) == 1:  # the other dims static: keep them on the parts
            static = [-1 if d is None else d for d in x.shape]
            outs = [tf.reshape(o, static) for o in outs]
        return outs


def _tile_run_time(x: Any, multiples: Any, name: str | None) -> Tensor:
    """tile when a dim of x or the multiples are known only when run (`tf.tile(x, [1, n])` on a
    batch of unknown size, `tf.tile(x, tf.stack([batch, 1]))`): each axis gathered at
    (0..n-1) repeated m times."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    rank = len(x.shape)
    if isinstance(multiples, Value):
        if tuple(multiples.shape) not in ((rank,), (None,)):
            raise ValueError(f"tile: multiples {multiples} must hold one count per axis of {x}")
        reps = [multiples[i] for i in builtins.range(rank)]
    else:
        reps = list(multiples)
        if len(reps) != rank:
            raise ValueError(f"tile: multiples {reps} must give one count per axis of {x}")
        for i, m in enumerate(reps):
            if not isinstance(m, Value) and int(m) < 0:
                raise ValueError(f"tile: multiples[{i}] = {m}; every multiple must be >= 0")
    with x.graph.name_scope(name or "Tile"):
        dims = shape(x)
        y = x
        for i, m in enumerate(reps):
            if not isinstance(m, Value) and int(m) == 1:
                continue
            n = x.shape[i] if x.shape[i] is not None else dims[i]
            m = m if isinstance(m, Value) else int(m)
            idx = tf.range(0) if m == 0 else tf.range(m * n) % n  # 0 copies: statically empty
            y = tf.gather(y, idx, axis=i)
        return tf.identity(y)


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Repeat the tensor `multiples[i]` times along each axis i (a broadcast and a reshape)."""
    x = _tensor(input)
    known_rank("tile", x)
    if isinstance(multiples, Value) or any(d is None for d in x.shape):
        return _tile_run_time(x, multiples, name)
    reps = [int(m) for m in multiples]
    if len(reps) != len(x.shape):
        raise ValueError(f"tile: multiples {reps} must give one count per axis of {x}")
    for i, m in enumerate(reps):
        if m < 0:
            raise ValueError(f"tile: multiples[{i}] = {m}; every multiple must be >= 0")

    def build():
        inter = []
        for d in x.shape:
            inter += [1, d]
        big = []
        for m, d in zip(reps, x.shape, strict=False):
            big += [m, d]
        y = ops.broadcast_to(ops.reshape(x, tuple(inter)), tuple(big))
        return ops.reshape(y, tuple(m * d for m, d in zip(reps, x.shape, strict=False)))

    return x.graph.build_op("Tile", name, build)


# ---- indexing ------------------------------------------------------------------------------------


def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    name: str | None = None,
    axis: int = 0,
    batch_dims: int = 0,
) -> Tensor:
    """Slices of `params` at integer `indices` along `axis`."""
    x = _tensor(params)
    known_rank("gather", x)
    g = graph_of(x, indices)

    def build():
        idx = indices
        if not isinstance(idx, Value):
            arr = convert.to_array(idx, convert.infer_dtype(idx), "gather indices")
            domain.check_dim("gather", int(axis), len(x.shape), "axis")
            idx = g.constant(arr)
        if batch_dims:  # one gather per batch entry (core/tf_array_more.py)
            from ...core.tf_array_more import batch_gather

            bd = int(batch_dims) % max(len(idx.shape), 1)
            ax = bd if axis is None or int(axis) == 0 else int(axis) % len(x.shape)  # TF: axis
            if ax != bd:  # defaults to batch_dims (and may not be below it)
                raise NotImplementedError(f"gather: axis {axis} other than batch_dims={bd}")
            return batch_gather(x, idx, bd)
        # the gather record's check (domain.gather_indices) refuses constant indices out of
        # range now, and fed ones on every run
        return ops.gather(x, idx, int(axis))

    return g.build_op("GatherV2", name, build)


def _index_item(item: Any) -> Any:
    if isinstance(item, Value):
        raise TypeError(
            f"indexing with the tensor {item} inside a tuple is not supported; use tf.gather"
        )
    if isinstance(item, builtins.slice):
        for part in (item.start, item.stop, item.step):
            if isinstance(part, Value):
                raise TypeError("slice bounds must be Python ints, not tensors; use tf.gather")
        return item
    if isinstance(item, list):
        return np.asarray(item)
    return item


def _is_dynamic(item: Any) -> bool:
    if isinstance(item, Value):
        return True
    if isinstance(item, builtins.slice):
        return any(isinstance(p, Value) for p in (item.start, item.stop, item.step))
    return False


def _bound(tf: Any, b: Any, default: Any, n: Any) -> Any:
    """A slice bound as Python takes it: None is `default`, negatives count from the end `n`,
    and anything past either end is clamped."""
    if b is None:
        return default
    b = tf.cast(b, tfd.int32)
    return tf.clip_by_value(tf.where(b < 0, b + n, b), 0, n)


def _slice_run_time(x: Tensor, items: tuple) -> Tensor:
    """x[items] where some bounds or scalar indices are tensors (`x[:n]`, `x[:, t]`, TF's
    strided_slice with run-time begin/end): the static items first (tensor ones kept whole),
    then each tensor item as a gather along its axis, last axis first."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    rank = len(x.shape)
    consumed = builtins.sum(1 for i in items if i is not None and i is not Ellipsis)
    static, dynamic, axis = [], [], 0
    for item in items:
        if item is Ellipsis:
            static.append(item)
            axis += rank - consumed
        elif item is None:
            static.append(None)
            axis += 1
        elif _is_dynamic(item):
            static.append(builtins.slice(None))
            dynamic.append((axis, item))
            axis += 1
        else:
            static.append(_index_item(item))
            axis += 0 if isinstance(item, (int, np.integer)) else 1
    y = slice_tensor(x, tuple(static))
    dims = shape(y)
    for ax, item in reversed(dynamic):
        n = y.shape[ax] if y.shape[ax] is not None else dims[ax]
        if isinstance(item, Value):  # a scalar index: the axis goes, as x[int] does
            t = tf.cast(item, tfd.int32)
            y = tf.gather(y, tf.where(t < 0, t + n, t), axis=ax)
            continue
        if isinstance(item.step, Value) or (item.step is not None and int(item.step) <= 0):
            raise ValueError(
                f"getitem: a slice with tensor bounds needs a positive Python step, got {item}"
            )

        start, stop = _bound(tf, item.start, 0, n), _bound(tf, item.stop, n, n)
        y = tf.gather(y, tf.range(start, tf.maximum(start, stop), item.step or 1), axis=ax)
    return y


def slice_tensor(x: Tensor, index: Any) -> Tensor:
    """x[index] for ints, slices, None (new axis), Ellipsis and integer arrays (t[...]); slice
    bounds and scalar indices may be tensors (known when run)."""
    if isinstance(index, Value):
        return gather(x, index, name="strided_slice")
    items = index if isinstance(index, tuple) else (index,)
    if any(_is_dynamic(i) for i in items):
        known_rank("getitem", x)
        return _slice_run_time(x, items)
    items = tuple(_index_item(i) for i in items)
    known_rank("getitem", x)
    return x.graph.build_op(
        "StridedSlice", None, lambda: ops.getitem(x, items), default="strided_slice"
    )


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """The block starting at `begin` with `size` (-1: to the end) in each axis."""
    x = _tensor(input_)
    known_rank("slice", x)
    begin = [int(b) for b in np.asarray(begin).reshape(-1)]
    size = [int(s) for s in np.asarray(size).reshape(-1)]
    shape = tuple(x.shape)
    if len(begin) != len(shape) or len(size) != len(shape):
        raise ValueError(
            f"slice: begin ({len(begin)} entries) and size ({len(size)} entries) must each have "
            f"one entry per dimension of the input {fmt_shape(shape)}"
        )
    index = tuple(
        builtins.slice(b, None if s == -1 else b + s) for b, s in zip(begin, size, strict=True)
    )
    extents = [None if s == -1 else s for s in size]  # TF's -1: the rest of the axis
    # the extents are checked by the record (guards.extent_bounds): now on the static dims,
    # and on every run on the fed value's dims
    return x.graph.build_op(
        "Slice", name, lambda: ops.getitem(G.extent_bounds(x, "slice", begin, extents), index)
    )


def _where_coordinates(cond: Any, name: str | None) -> Tensor:
    """tf.where(condition): the int64 coordinates [n, rank] of its true entries, in row-major
    order: an index grid per axis, masked by the condition."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    known_rank("where", cond)
    if not tfd.as_dtype(cond.dtype).is_bool:
        cond = tf.not_equal(cond, tf.zeros_like(cond))
    rank = len(cond.shape)
    if rank == 0:  # TF's Where kernel refuses a scalar condition
        raise ValueError(f"where: the condition must have rank 1 or more, got {cond}")
    with cond.graph.name_scope(name or "Where"):
        dims = shape(cond, out_type=tfd.int64)
        zero = tf.zeros(dims, dtype=tfd.int64)
        grid = []
        for i in builtins.range(rank):
            along = [1] * rank
            along[i] = -1
            grid.append(tf.reshape(tf.range(dims[i], dtype=tfd.int64), along) + zero)
        coords = tf.stack(grid, axis=-1) if rank else tf.zeros([1, 0], dtype=tfd.int64)
        return tf.boolean_mask(coords, cond) if rank else tf.boolean_mask(coords, [cond])


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """x where condition else y (elementwise, with broadcasting)."""
    if x is None and y is None:
        return _where_coordinates(_tensor(condition), name)
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither (for the coordinates of true)")
    cond = _tensor(condition)
    if not tfd.as_dtype(cond.dtype).is_bool:
        raise TypeError(f"where: the condition must be a bool tensor, got {cond}")
    g = graph_of(cond, x, y)

    def build():
        a = x if isinstance(x, Value) or isinstance(y, Value) else convert.convert_to_tensor(x)
        a, b = convert.pair(g, a, y, "Select")
        if a.dtype != b.dtype:
            raise TypeError(f"where: x and y need one dtype, got {a} and {b}")
        return ops.where(cond, a, b)

    return g.build_op("SelectV2", name, build, default="Select")


# ---- filling -------------------------------------------------------------------------------------


def _filled(shape: Any, value: Any, dtype: tfd.DType, name: str | None, type_name: str):
    g = get_default_graph() if not isinstance(shape, Value) else shape.graph

    def build():
        s = _shape_arg(shape, type_name)
        if isinstance(s, tuple):
            s = domain.check_sizes(type_name, s, "shape")
            domain.check_memory(type_name, s, dtype.np_dtype)
        v = convert.to_array(value, dtype, type_name)
        if isinstance(s, Value):
            return _pin(X.fill_dynamic(s, v), _partial(shape))
        return g.constant(np.full(s, v, dtype=dtype.np_dtype))

    return g.build_op(type_name, name, build, default=type_name.lower())


def zeros(shape: Any, dtype: Any = tfd.float32, name: str | None = None) -> Tensor:
    """A tensor of zeros."""
    return _filled(shape, 0, tfd.as_dtype(dtype), name, "zeros")


def ones(shape: Any, dtype: Any = tfd.float32, name: str | None = None) -> Tensor:
    """A tensor of ones."""
    return _filled(shape, 1, tfd.as_dtype(dtype), name, "ones")


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A tensor of `dims` filled with `value` (its dtype inferred as tf.constant does)."""
    if isinstance(value, Value):
        raise TypeError("fill: value must be a Python or numpy scalar")
    return _filled(dims, value, convert.infer_dtype(value), name, "Fill")


def zeros_like(
    tensor: Any, dtype: Any = None, name: str | None = None, optimize: bool = True
) -> Tensor:
    """Zeros with the (run-time) shape of `tensor`."""
    x = _tensor(tensor)
    dt = None if dtype is None else tfd.as_dtype(dtype).np_dtype
    return x.graph.build_op(
        "ZerosLike", name, lambda: ops.fill_like(x, 0, dt), default="zeros_like"
    )


def ones_like(
    tensor: Any, dtype: Any = None, name: str | None = None, optimize: bool = True
) -> Tensor:
    """Ones with the (run-time) shape of `tensor`."""
    x = _tensor(tensor)
    dt = None if dtype is None else tfd.as_dtype(dtype).np_dtype
    return x.graph.build_op("OnesLike", name, lambda: ops.fill_like(x, 1, dt), default="ones_like")


def range(
    start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str = "range"
) -> Tensor:  # noqa: A001
    """[start, start + delta, ...) up to `limit` (numbers, or scalar tensors known when run)."""
    if limit is None:
        start, limit = 0, start
    if any(isinstance(v, Value) for v in (start, limit, delta)):
        from .control_flow_more import runtime_range

        return runtime_range(start, limit, delta, dtype, name)
    dt = tfd.as_dtype(dtype) if dtype is not None else convert.infer_dtype([start, limit, delta])
    domain.check_step("range", start, limit, delta, empty_ok=False)
    return convert.constant(np.arange(start, limit, delta).astype(dt.np_dtype), dt, name=name)


# ---- identity and friends ------------------------------------------------------------------------


def identity(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """A copy of `input` (gradients pass through)."""
    x = _tensor(input)
    return x.graph.build_op("Identity", name, lambda: ops.identity(x))


def stop_gradient(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`input`, with no gradient flowing back through it."""
    x = _tensor(input)
    return x.graph.build_op("StopGradient", name, lambda: ops.stop_gradient(x))


def one_hot(
    indices: Any,
    depth: int,
    on_value: Any = None,
    off_value: Any = None,
    axis: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> Tensor:
    """Rows of `depth` entries: on_value at each index, off_value elsewhere (bad indices: none)."""
    idx = _tensor(indices)
    if not tfd.as_dtype(idx.dtype).is_integer:
        raise TypeError(f"one_hot: indices must be integers, got {idx}")
    known_rank("one_hot", idx)
    if int(depth) < 0:
        raise ValueError(f"one_hot: depth must be non-negative, got {depth}")
    dt = tfd.as_dtype(dtype) if dtype is not None else tfd.float32
    if dtype is None and isinstance(on_value, (float, int)) and on_value is not None:
        dt = convert.infer_dtype(on_value)

    def build():
        classes = np.arange(int(depth), dtype=idx.dtype.np_dtype)
        mask = ops.equal(ops.expand_dims(idx, -1), classes)
        if on_value is None and off_value is None:
            out = ops.cast(mask, dt)
        else:
            on = convert.to_array(1 if on_value is None else on_value, dt, "on_value")
            off = convert.to_array(0 if off_value is None else off_value, dt, "off_value")
            out = ops.where(mask, on, off)
        if axis is not None and axis != -1 and axis != len(idx.shape):
            nd = len(idx.shape) + 1
            a = domain.check_dim("one_hot", int(axis), nd, "axis")
            perm = list(builtins.range(nd - 1))
            perm.insert(a, nd - 1)
            out = ops.transpose(out, tuple(perm))
        return out

    return idx.graph.build_op("OneHot", name, build, default="one_hot")
