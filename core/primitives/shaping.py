"""Shape primitives: reshape, transpose, broadcast, un-broadcast, indexing, concat, cast.

Their kernels are numpy views or copies, but each is a primitive like any other: a shape rule
that reports errors at build time and a VJP written with core operations.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .. import dtypes
from ..errors import ShapeError, fmt_shape
from ..kernels import reduce as R
from . import rules
from .registry import MAY_ALIAS, VIEW, AVal, Primitive, bind, register, same_dims


def _known(shape: tuple) -> bool:
    return None not in shape  # dims are ints or None


_ndarray = np.ndarray


def _cached_pair_rule(rule):
    """`rule(x, like)`, with its verdict on exact ndarrays kept per (shapes, dtypes) (the rule
    reads nothing else; see rules.remember)."""
    verdicts: dict = {}

    def cached(x, like) -> AVal:
        if type(x) is _ndarray and type(like) is _ndarray:
            key = (x.shape, like.shape, x.dtype, like.dtype)
            v = verdicts.get(key)
            if v is None:
                v = rules.remember(verdicts, key, rule(x, like))
            return v
        return rule(x, like)

    return cached


def _cached_rule(rule, key_of):
    """`rule`, with its verdict on exact ndarrays kept per ``key_of(x, **params)`` (the shape,
    dtype and params; see rules.remember)."""
    verdicts: dict = {}

    def cached(x, *args, **params) -> AVal:
        if type(x) is not _ndarray or args:
            return rule(x, *args, **params)
        try:
            v = verdicts.get(key := key_of(x, **params))
        except TypeError:  # unhashable or unexpected params: the rule says what is wrong
            return rule(x, **params)
        if v is None:
            v = rules.remember(verdicts, key, rule(x, **params))
        return v

    return cached


def _broadcast_view(x, shape: tuple) -> np.ndarray:
    """``np.broadcast_to(x, shape)``: the same read-only view, built directly (about 4x faster)
    for a C-contiguous ndarray; anything else is left to numpy."""
    if type(x) is _ndarray and x.flags.c_contiguous and x.size:
        lead = len(shape) - x.ndim
        if lead >= 0 and 0 not in shape:
            xs, xst = x.shape, x.strides
            strides = [0] * len(shape)
            for i in range(lead, len(shape)):
                d = xs[i - lead]
                if d == shape[i]:
                    strides[i] = xst[i - lead]
                elif d != 1:
                    return np.broadcast_to(x, shape)  # incompatible: numpy's error
            v = _ndarray(shape, x.dtype, x, 0, tuple(strides))
            v.flags.writeable = False
            return v
    return np.broadcast_to(x, shape)


# ---- un-broadcast and broadcast ---------------------------------------------------------------


def _sum_like_rule(g, like) -> AVal:
    gs, ls = tuple(g.shape), tuple(like.shape)
    if len(ls) > len(gs):
        raise ShapeError(f"sum_like: cannot reduce {fmt_shape(gs)} to the larger {fmt_shape(ls)}")
    rules.broadcast_shapes("sum_like", gs, ls)
    return AVal(ls, np.dtype(g.dtype))


def sum_like(g, like):
    """Sum `g` over its broadcast axes so it takes the shape of `like` (the un-broadcast)."""
    gs, ls = tuple(g.shape), tuple(like.shape)
    if gs == ls and None not in gs:  # _known, inlined: most VJPs end here
        return g
    return bind(SUM_LIKE, g, like)


def _sum_like_vjp(gg, out, g, like, wants):
    return (broadcast_like(gg, g), None)


SUM_LIKE = register(
    Primitive(
        "sum_like",
        impl=lambda g, like: R.sum_to_shape(g, like.shape),
        shape_rule=_cached_pair_rule(_sum_like_rule),
        vjp=_sum_like_vjp,
        reference=lambda g, like: _ref_sum_to(g, like.shape),
        nondiff=(1,),
        alias=MAY_ALIAS,
        shape_only=(1,),
        shape_from=1,
    )
)


def _ref_sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, d in enumerate(shape) if d == 1 and g.shape[i + lead] != 1
    )
    return np.sum(g, axis=axes, keepdims=True).reshape(shape) if axes else g


def _broadcast_like_rule(x, like) -> AVal:
    shape = rules.broadcast_shapes("broadcast_like", tuple(x.shape), tuple(like.shape))
    if len(shape) != len(like.shape):
        raise ShapeError(
            f"broadcast_like: {fmt_shape(x.shape)} has more axes than {fmt_shape(like.shape)}"
        )
    return AVal(tuple(like.shape), np.dtype(x.dtype))


def broadcast_like(x, like):
    """Broadcast `x` to the shape of `like` (a read-only view for arrays)."""
    xs, ls = tuple(x.shape), tuple(like.shape)
    if xs == ls and None not in xs:  # _known, inlined
        return x
    return bind(BROADCAST_LIKE, x, like)


BROADCAST_LIKE = register(
    Primitive(
        "broadcast_like",
        impl=lambda x, like: _broadcast_view(x, like.shape),
        shape_rule=_cached_pair_rule(_broadcast_like_rule),
        vjp=lambda g, out, x, like, wants: (sum_like(g, x), None),
        reference=lambda x, like: np.broadcast_to(x, like.shape),
        nondiff=(1,),
        alias=VIEW,
        broadcast=True,
        shape_only=(1,),
        shape_from=1,
    )
)


def _broadcast_to_rule(x, shape) -> AVal:
    out = rules.broadcast_shapes("broadcast_to", tuple(x.shape), tuple(shape))
    if tuple(out) != tuple(shape):
        raise ShapeError(
            f"broadcast_to: cannot broadcast {fmt_shape(x.shape)} to {fmt_shape(shape)}"
        )
    return AVal(tuple(shape), np.dtype(x.dtype))


def broadcast_to(x, shape: tuple):
    """Broadcast `x` to a static shape."""
    return bind(BROADCAST_TO, x, shape=tuple(int(d) for d in shape))


BROADCAST_TO = register(
    Primitive(
        "broadcast_to",
        impl=lambda x, shape: _broadcast_view(x, shape),
        shape_rule=_cached_rule(_broadcast_to_rule, lambda x, shape: (x.shape, x.dtype, shape)),
        vjp=lambda g, out, x, wants, shape: (sum_like(g, x),),
        reference=lambda x, shape: np.broadcast_to(x, shape),
        alias=VIEW,
        broadcast=True,
        rank_from_params=True,
    )
)


# ---- reshape family ---------------------------------------------------------------------------


def _reshape_rule(x, shape) -> AVal:
    shape = tuple(shape)
    if sum(1 for d in shape if d == -1) > 1:
        raise ShapeError(f"reshape: only one dimension can be -1, got {shape}")
    if any(d < -1 for d in shape):
        raise ShapeError(f"reshape: invalid shape {shape}: sizes must be >= 0 (or one -1)")
    xs = tuple(x.shape)
    if _known(xs):
        n = math.prod(xs)
        known = math.prod(d for d in shape if d != -1)
        if -1 in shape:
            if known == 0 or n % known:
                raise ShapeError(
                    f"reshape: cannot reshape {fmt_shape(xs)} ({n} elements) into {shape}"
                )
            shape = tuple(n // known if d == -1 else d for d in shape)
        elif known != n:
            raise ShapeError(
                f"reshape: cannot reshape {fmt_shape(xs)} ({n} elements) into "
                f"{fmt_shape(shape)} ({known} elements)"
            )
        return AVal(shape, np.dtype(x.dtype))
    return AVal(tuple(None if d == -1 else d for d in shape), np.dtype(x.dtype))


def reshape(x, shape: tuple):
    """Reshape to `shape` (one entry may be -1)."""
    shape = tuple(int(d) for d in shape)
    if tuple(x.shape) == shape:
        return x
    return bind(RESHAPE, x, shape=shape)


RESHAPE = register(
    Primitive(
        "reshape",
        impl=lambda x, shape: np.reshape(x, shape),
        shape_rule=_cached_rule(_reshape_rule, lambda x, shape: (x.shape, x.dtype, shape)),
        vjp=lambda g, out, x, wants, shape: (reshape_like(g, x),),
        reference=lambda x, shape: np.reshape(x, shape),
        alias=VIEW,
        rank_from_params=True,
    )
)


def _reshape_like_rule(x, like) -> AVal:
    xs, ls = tuple(x.shape), tuple(like.shape)
    if _known(xs) and _known(ls) and math.prod(xs) != math.prod(ls):
        raise ShapeError(f"reshape_like: cannot reshape {fmt_shape(xs)} into {fmt_shape(ls)}")
    return AVal(ls, np.dtype(x.dtype))


def reshape_like(x, like):
    """Reshape `x` to the (run-time) shape of `like`."""
    if tuple(x.shape) == tuple(like.shape) and _known(tuple(x.shape)):
        return x
    return bind(RESHAPE_LIKE, x, like)


RESHAPE_LIKE = register(
    Primitive(
        "reshape_like",
        impl=lambda x, like: np.reshape(x, like.shape),
        shape_rule=_cached_pair_rule(_reshape_like_rule),
        vjp=lambda g, out, x, like, wants: (reshape_like(g, x), None),
        reference=lambda x, like: np.reshape(x, like.shape),
        nondiff=(1,),
        alias=VIEW,
        shape_only=(1,),
        shape_from=1,
    )
)


def _transpose_rule(x, perm) -> AVal:
    nd = len(x.shape)
    if sorted(perm) != list(range(nd)):
        raise ShapeError(f"transpose: perm {tuple(perm)} is not a permutation of {nd} axes")
    return AVal(tuple(x.shape[p] for p in perm), np.dtype(x.dtype))


def transpose(x, perm: tuple | None = None):
    """Permute axes (default: reverse them)."""
    nd = len(x.shape)
    if perm is not None and any(not -nd <= int(p) < nd for p in perm):
        # wrapping an out-of-range axis would silently permute the wrong axes
        raise ShapeError(
            f"transpose: perm {tuple(int(p) for p in perm)} names an axis out of range for a "
            f"tensor of rank {nd} (valid axes: -{nd}..{nd - 1})"
        )
    perm = tuple(reversed(range(nd))) if perm is None else tuple(int(p) % max(nd, 1) for p in perm)
    return bind(TRANSPOSE, x, perm=perm)


def _transpose_dims(ins: list, params: dict, shape: tuple, broadcast) -> tuple:
    return tuple(ins[0][i] for i in params["perm"])


TRANSPOSE = register(
    Primitive(
        "transpose",
        impl=lambda x, perm: np.transpose(x, perm),
        shape_rule=_cached_rule(_transpose_rule, lambda x, perm: (x.shape, x.dtype, perm)),
        vjp=lambda g, out, x, wants, perm: (transpose(g, tuple(np.argsort(perm))),),
        reference=lambda x, perm: np.transpose(x, perm),
        alias=VIEW,
        dims=_transpose_dims,
    )
)


def _expand_dims_rule(x, axis) -> AVal:
    nd = len(x.shape) + 1
    a = rules.normalize_axis("expand_dims", axis, nd)
    shape = list(x.shape)
    shape.insert(a, 1)
    return AVal(tuple(shape), np.dtype(x.dtype))


def expand_dims(x, axis: int):
    """Insert a new axis of length 1 at `axis`."""
    return bind(EXPAND_DIMS, x, axis=int(axis))


EXPAND_DIMS = register(
    Primitive(
        "expand_dims",
        impl=lambda x, axis: np.expand_dims(x, axis),
        shape_rule=_cached_rule(
            _expand_dims_rule, lambda x, axis: (x.shape, x.dtype, type(axis), axis)
        ),
        vjp=lambda g, out, x, wants, axis: (reshape_like(g, x),),
        reference=lambda x, axis: np.expand_dims(x, axis),
        alias=VIEW,
    )
)


def _squeeze_rule(x, axes) -> AVal:
    shape = tuple(x.shape)
    for a in axes:
        if shape[a] not in (1, None):
            raise ShapeError(
                f"squeeze: cannot squeeze axis {a} of shape {fmt_shape(shape)}: its length is "
                f"{shape[a]}, not 1"
            )
    return AVal(tuple(d for i, d in enumerate(shape) if i not in axes), np.dtype(x.dtype))


def squeeze(x, axes=None):
    """Remove length-1 axes (all of them when `axes` is None)."""
    shape = tuple(x.shape)
    if axes is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = rules.normalize_axes("squeeze", axes, len(shape))
    if not axes:
        return x
    return bind(SQUEEZE, x, axes=axes)


SQUEEZE = register(
    Primitive(
        "squeeze",
        impl=lambda x, axes: np.squeeze(x, axes),
        shape_rule=_cached_rule(_squeeze_rule, lambda x, axes: (x.shape, x.dtype, axes)),
        vjp=lambda g, out, x, wants, axes: (reshape_like(g, x),),
        reference=lambda x, axes: np.squeeze(x, axes),
        alias=VIEW,
    )
)


# ---- indexing -----------------------------------------------------------------------------------


def _index_shape(shape: tuple, index: tuple) -> tuple:
    """Shape of x[index] for a static shape that may hold unknown dims."""

    def probe(fill: int) -> tuple:
        concrete = tuple(fill if d is None else d for d in shape)
        dummy = np.lib.stride_tricks.as_strided(
            np.zeros(1, np.int8), concrete, (0,) * len(concrete)
        )
        return dummy[index].shape

    try:
        a = probe(1_000_003)
        if _known(shape):
            return a
        b = probe(1_000_033)
    except IndexError as e:
        # describe array entries by shape: an index array is never printed in full
        shown = ", ".join(
            f"<{i.dtype} array of shape {fmt_shape(i.shape)}>"
            if isinstance(i, np.ndarray)
            else repr(i)
            for i in index
        )
        # numpy's text ("... is out of bounds for axis ...") said in the project's terms
        why = re.sub(
            r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)",
            r"index \1 is out of range for dim \2 of size \3",
            str(e),
        )
        raise ShapeError(
            f"getitem: index ({shown}) does not fit shape {fmt_shape(shape)}: {why}"
        ) from None
    return tuple(x if x == y else None for x, y in zip(a, b, strict=True))


def _getitem_rule(x, index) -> AVal:
    return AVal(_index_shape(tuple(x.shape), index), np.dtype(x.dtype))


def _has_array(index: tuple) -> bool:
    return any(isinstance(i, np.ndarray) for i in index)


def getitem(x, index):
    """x[index] for ints, slices, None, Ellipsis and integer or bool arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    return bind(GETITEM, x, index=index)


def _getitem_impl(x, index):
    out = x[index]
    return out if isinstance(out, np.ndarray) else np.asarray(out)


GETITEM = register(
    Primitive(
        "getitem",
        impl=_getitem_impl,
        shape_rule=_getitem_rule,
        vjp=lambda g, out, x, wants, index: (getitem_grad(g, x, index),),
        reference=lambda x, index: np.asarray(x[index]),
        alias=VIEW,
        cotangent_at=lambda params: params["index"],
    )
)


def getitem_grad(g, like, index):
    """Zeros shaped like `like` with `g` added at `index` (the VJP of getitem)."""
    return bind(GETITEM_GRAD, g, like, index=index)


def _getitem_grad_impl(g, like, index):
    z = np.zeros(like.shape, dtype=g.dtype)
    if _has_array(index):
        np.add.at(z, index, g)  # sequential over repeated indices: deterministic
    else:
        z[index] = g
    return z


def _getitem_grad_reference(g, like, index):
    """An independent formulation: number every element of `like`, index the numbering, and
    sum g into the numbered slots (np.bincount), so repeated indices add up."""
    slots = np.arange(int(np.prod(like.shape)), dtype=np.int64).reshape(like.shape)[index]
    g = np.broadcast_to(np.asarray(g), slots.shape)
    total = np.bincount(slots.ravel(), weights=g.ravel(), minlength=int(np.prod(like.shape)))
    return total.reshape(like.shape).astype(g.dtype)


GETITEM_GRAD = register(
    Primitive(
        "getitem_grad",
        impl=_getitem_grad_impl,
        shape_rule=lambda g, like, index: AVal(tuple(like.shape), np.dtype(g.dtype)),
        vjp=lambda gg, out, g, like, wants, index: (getitem(gg, index), None),
        reference=_getitem_grad_reference,
        nondiff=(1,),
        shape_from=1,
        shape_only=(1,),
    )
)


# ---- concat / stack ---------------------------------------------------------------------------


def _concat_rule(*xs, axis) -> AVal:
    if not xs:
        raise ShapeError("concat: needs at least one tensor")
    dt = rules.same_dtype("concat", *xs)
    nd = len(xs[0].shape)
    a = rules.normalize_axis("concat", axis, nd) if nd else 0
    if nd == 0:
        raise ShapeError("concat: cannot concatenate 0-d tensors; stack them instead")
    out = list(xs[0].shape)
    for x in xs[1:]:
        if len(x.shape) != nd:
            raise ShapeError(
                f"concat: all tensors need rank {nd}, got {[fmt_shape(t.shape) for t in xs]}"
            )
        for i, (d0, d1) in enumerate(zip(out, x.shape, strict=True)):
            if i == a:
                out[i] = None if d0 is None or d1 is None else d0 + d1
            elif d0 is not None and d1 is not None and d0 != d1:
                raise ShapeError(
                    f"concat: shapes {[fmt_shape(t.shape) for t in xs]} differ on axis {i}, "
                    f"not only on the concat axis {a}"
                )
            elif d0 is None:
                out[i] = d1
    return AVal(tuple(out), dt)


def _split_grads_at_run_time(g, xs, axis, wants):
    """The concat gradient when an input's length on the axis is known only when run (a batch
    of None rows): each piece is gathered at run-time positions start .. start + n."""
    from .dynamic import shape_of
    from .elementwise import add
    from .nn import gather
    from .runtime_shapes import arange

    outs, start = [], np.asarray(0, np.int32)
    for x, want in zip(xs, wants, strict=True):
        n = x.shape[axis]
        n = np.asarray(n, np.int32) if n is not None else getitem(shape_of(x), axis)
        stop = add(start, n)
        outs.append(gather(g, arange(start, stop, np.asarray(1, np.int32), np.int32), axis))
        outs[-1] = outs[-1] if want else None
        start = stop
    return tuple(outs)


def _split_grads(g, xs, axis, wants):
    lengths = [x.shape[axis] for x in xs]
    unknown = [i for i, n in enumerate(lengths) if n is None]
    if len(unknown) > 1:
        # several pieces of run-time length (real and fake rows of a GAN's batch)
        return _split_grads_at_run_time(g, xs, axis, wants)
    # one input of unknown length (a loop variable that grows): the inputs before it are
    # sliced from the start, those after it from the end, so no run-time length is needed
    cut = unknown[0] if unknown else len(xs)
    bounds = []
    start = 0
    for n in lengths[:cut]:
        bounds.append((start, start + n))
        start += n
    tail = []
    end = 0
    for n in reversed(lengths[cut + 1 :]):
        tail.append((-(end + n), -end if end else None))
        end += n
    if unknown:
        bounds.append((start, -end if end else None))
    bounds.extend(reversed(tail))
    outs = []
    for i, (lo, hi) in enumerate(bounds):
        if wants[i]:
            idx = (slice(None),) * axis + (slice(lo, hi),)
            outs.append(getitem(g, idx))
        else:
            outs.append(None)
    return tuple(outs)


def concat(xs, axis: int = 0):
    """Join tensors along an existing axis."""
    xs = tuple(xs)
    nd = len(xs[0].shape) if xs else 0
    # an axis out of range is an error, never wrapped onto another axis
    a = rules.normalize_axis("concat", int(axis), nd) if nd else 0
    return bind(CONCAT, *xs, axis=a)


CONCAT = register(
    Primitive(
        "concat",
        impl=lambda *xs, axis: np.concatenate(xs, axis=axis),
        shape_rule=_concat_rule,
        vjp=lambda g, out, *xs, wants, axis: _split_grads(g, xs, axis, wants),
        reference=lambda *xs, axis: np.concatenate(xs, axis=axis),
        variadic=True,
    )
)


def _stack_rule(*xs, axis) -> AVal:
    if not xs:
        raise ShapeError("stack: needs at least one tensor")
    dt = rules.same_dtype("stack", *xs)
    s0 = tuple(xs[0].shape)
    for x in xs[1:]:
        try:
            rules.same_shape_as("stack", x, xs[0])
        except ShapeError:
            raise ShapeError(
                f"stack: all tensors need one shape, got {[fmt_shape(t.shape) for t in xs]}"
            ) from None
    out = list(s0)
    out.insert(axis, len(xs))
    return AVal(tuple(out), dt)


def stack(xs, axis: int = 0):
    """Join same-shaped tensors along a new axis."""
    xs = tuple(xs)
    nd = len(xs[0].shape) + 1 if xs else 1
    return bind(STACK, *xs, axis=rules.normalize_axis("stack", int(axis), nd))


STACK = register(
    Primitive(
        "stack",
        impl=lambda *xs, axis: np.stack(xs, axis=axis),
        shape_rule=_stack_rule,
        vjp=lambda g, out, *xs, wants, axis: tuple(
            getitem(g, (slice(None),) * axis + (i,)) if wants[i] else None for i in range(len(xs))
        ),
        reference=lambda *xs, axis: np.stack(xs, axis=axis),
        variadic=True,
    )
)


# ---- dtype and identity ------------------------------------------------------------------------


def cast(x, dtype):
    """Convert to another dtype (float -> int truncates toward zero, as both anchors do)."""
    dt = dtypes.as_dtype(dtype)
    if np.dtype(x.dtype) == dt:
        return x
    return bind(CAST, x, dtype=dt)


def _cast_scalar(in_dtypes: list, out_dtype: np.dtype) -> tuple[str | None, str]:
    if in_dtypes[0].kind == "f" and out_dtype.kind in "iu":
        return None, "a float-to-integer cast (NaN and overflow are unspecified)"
    return "cast_" + out_dtype.name, ""


def _cast_vjp(g, out, x, wants, dtype):
    # only float -> float casts pass a gradient (as TF); a cast to int or bool has none
    src, dst = np.dtype(x.dtype), np.dtype(dtype)
    if src.kind == "f" and dst.kind == "c":  # real -> complex: the real part of the cotangent
        from .complex import view_as_real

        return (cast(getitem(view_as_real(g), (..., 0)), src),)
    ok = src.kind in "fc" and dst.kind in "fc"  # complex <- real passes g + 0i
    return (cast(g, x.dtype) if ok else None,)


CAST = register(
    Primitive(
        "cast",
        impl=lambda x, dtype: np.asarray(x).astype(dtype),
        shape_rule=lambda x, dtype: AVal(tuple(x.shape), np.dtype(dtype)),
        vjp=_cast_vjp,
        reference=lambda x, dtype: np.asarray(x).astype(dtype),
        elementwise="cast",
        scalar=_cast_scalar,
        dims=same_dims,
    )
)


def identity(x):
    """A copy of x that gradients pass through."""
    return bind(IDENTITY, x)


IDENTITY = register(
    Primitive(
        "identity",
        # C order: the copy is what `Tensor.contiguous()` hands to `view`
        impl=lambda x: np.array(x, copy=True, order="C"),
        shape_rule=lambda x: AVal(tuple(x.shape), np.dtype(x.dtype)),
        vjp=lambda g, out, x, wants: (g,),
        reference=lambda x: np.array(x, copy=True, order="C"),
        dims=same_dims,
    )
)


def stop_gradient(x):
    """x, with no gradient flowing back through it."""
    return bind(STOP_GRADIENT, x)


STOP_GRADIENT = register(
    Primitive(
        "stop_gradient",
        impl=lambda x: x,
        shape_rule=lambda x: AVal(tuple(x.shape), np.dtype(x.dtype)),
        vjp=None,
        reference=lambda x: x,
        nondiff=(0,),
        alias=VIEW,
        dims=same_dims,
    )
)


def _fill_like_rule(like, value, dtype) -> AVal:
    return AVal(tuple(like.shape), np.dtype(dtype if dtype is not None else like.dtype))


def fill_like(like, value: float, dtype=None):
    """An array of `value` with the (run-time) shape of `like`."""
    dt = None if dtype is None else dtypes.as_dtype(dtype)
    return bind(FILL_LIKE, like, value=value, dtype=dt)


FILL_LIKE = register(
    Primitive(
        "fill_like",
        impl=lambda like, value, dtype: np.full(
            like.shape, value, dtype=dtype if dtype is not None else like.dtype
        ),
        shape_rule=_fill_like_rule,
        vjp=None,
        reference=lambda like, value, dtype: np.full(
            like.shape, value, dtype=dtype if dtype is not None else like.dtype
        ),
        nondiff=(0,),
        shape_only=(0,),
        shape_from=0,
    )
)
