"""Reduction primitives: sum, mean, max, min over any axes, and argmax/argmin."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DTypeError
from ..kernels import reduce as R
from . import rules
from .elementwise import div, equal, mul
from .registry import AVal, Primitive, bind, reduction_alias, register
from .shaping import broadcast_like, cast, expand_dims, reshape


def _reduce_rule(name: str):
    def check(x, axes, keepdims) -> AVal:
        dt = np.dtype(x.dtype)
        if name in ("mean",) and dt.kind not in "f":
            raise DTypeError(f"{name}: expected a float32 or float64 operand, got {dt}")
        shape = rules.reduced_shape(tuple(x.shape), axes, keepdims)
        if name == "sum" and dt.kind in "bi":
            dt = np.dtype(np.int64)
        return AVal(shape, dt)

    verdicts: dict = {}  # see rules.remember

    def rule(x, axes, keepdims) -> AVal:
        if type(x) is not np.ndarray:
            return check(x, axes, keepdims)
        key = (x.shape, x.dtype, axes, keepdims)
        try:
            v = verdicts.get(key)
        except TypeError:  # unhashable axes: no caching
            return check(x, axes, keepdims)
        if v is None:
            v = rules.remember(verdicts, key, check(x, axes, keepdims))
        return v

    return rule


def _kept_shape(x, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(x.shape))


def _expand(g, x, axes, keepdims):
    """g with the reduced axes back as length 1, ready for ``broadcast_like(., x)`` (its only
    use); g is returned as is when broadcasting already lines it up with x (axes None: every
    axis, whatever x's rank turns out to be)."""
    if keepdims or axes is None or axes == tuple(range(len(axes))):
        # the reduced axes lead (a full reduction among them): g's axes are x's trailing ones
        return g
    shape = _kept_shape(x, axes)
    if any(d is None for d in shape):
        for a in axes:
            g = expand_dims(g, a)
        return g
    return reshape(g, shape)


def _sum_vjp(g, out, x, wants, axes, keepdims):
    return (broadcast_like(_expand(g, x, axes, keepdims), x),)


def _mean_vjp(g, out, x, wants, axes, keepdims):
    n = count_all(x) if axes is None else count_like(x, axes)
    return (div(broadcast_like(_expand(g, x, axes, keepdims), x), n),)


def _extreme_vjp(g, out, x, wants, axes, keepdims):
    # the gradient is shared equally among the positions that reach the extreme (as TF does)
    mask = cast(equal(x, broadcast_like(_expand(out, x, axes, keepdims), x)), x.dtype)
    share = reduce_all(mask, "sum") if axes is None else sum(mask, axes, keepdims=True)
    return (div(mul(broadcast_like(_expand(g, x, axes, keepdims), x), mask), share),)


def _reduce_dims(ins: list, params: dict, shape: tuple, broadcast) -> tuple:
    axes, x = params["axes"], ins[0]
    if params["keepdims"]:
        return tuple(1 if i in axes else d for i, d in enumerate(x))
    return tuple(d for i, d in enumerate(x) if i not in axes)


def _reduce_prim(name: str, vjp, ref) -> Primitive:
    prim = register(
        Primitive(
            name,
            impl=lambda x, axes, keepdims, _op=name: R.reduce(_op, x, axes, keepdims),
            shape_rule=_reduce_rule(name),
            vjp=vjp,
            reference=ref,
            alias=reduction_alias,
            dims=_reduce_dims,
        )
    )
    prim.fast_params = _fast(name, prim.shape_rule)
    return prim


def _fast(name: str, rule):
    """``fast(x, axes, keepdims)``: the rule and the kernel on an exact ndarray, with the rule's
    verdict and the kernel's plan looked up together (see Primitive.fast_params)."""
    plans: dict = {}

    def fast(x, axes, keepdims):
        # the type is part of the key: axes=1.0 equals 1 but is not a valid axis spec
        key = (x.shape, x.strides, x.dtype, type(axes), axes, keepdims)
        try:
            plan = plans.get(key)
        except TypeError:  # unhashable axes: the general path
            plan = key = None
        if plan is not None:
            return plan(x)
        rule(x, axes, keepdims)
        if key is not None:
            plan = R.plan(name, x, axes, keepdims)
            if plan is not None:
                rules.remember(plans, key, plan)
                return plan(x)
        return R.reduce(name, x, axes, keepdims)

    return fast


SUM = _reduce_prim("sum", _sum_vjp, lambda x, axes, keepdims: np.sum(x, axes, keepdims=keepdims))
MEAN = _reduce_prim(
    "mean", _mean_vjp, lambda x, axes, keepdims: np.mean(x, axes, keepdims=keepdims)
)
MAX = _reduce_prim(
    "max", _extreme_vjp, lambda x, axes, keepdims: np.max(x, axes, keepdims=keepdims)
)
MIN = _reduce_prim(
    "min", _extreme_vjp, lambda x, axes, keepdims: np.min(x, axes, keepdims=keepdims)
)


def _reducer(prim: Primitive):
    def op(x, axes=None, keepdims: bool = False):
        ax = rules.normalize_axes(prim.name, axes, rules.rank(x))
        return bind(prim, x, axes=ax, keepdims=bool(keepdims))

    op.__name__ = prim.name
    op.__doc__ = f"{prim.name} over `axes` (None = all), keeping them as length 1 if `keepdims`."
    return op


sum = _reducer(SUM)  # noqa: A001 - the op's own name
mean = _reducer(MEAN)
max = _reducer(MAX)  # noqa: A001
min = _reducer(MIN)  # noqa: A001


def _arg_rule(name: str):
    def rule(x, axis, keepdims) -> AVal:
        shape = tuple(x.shape)
        if axis is None:
            return AVal((1,) * len(shape) if keepdims else (), np.dtype(np.int64))
        return AVal(rules.reduced_shape(shape, (axis,), keepdims), np.dtype(np.int64))

    return rule


def _arg_ref(fn):
    def ref(x, axis, keepdims):
        return np.asarray(fn(x, axis=axis, keepdims=keepdims), dtype=np.int64)

    return ref


ARGMAX = register(
    Primitive(
        "argmax",
        impl=lambda x, axis, keepdims: R.argreduce("argmax", x, axis, keepdims),
        shape_rule=_arg_rule("argmax"),
        reference=_arg_ref(np.argmax),
        nondiff=(0,),
    )
)
ARGMIN = register(
    Primitive(
        "argmin",
        impl=lambda x, axis, keepdims: R.argreduce("argmin", x, axis, keepdims),
        shape_rule=_arg_rule("argmin"),
        reference=_arg_ref(np.argmin),
        nondiff=(0,),
    )
)


def argmax(x, axis: int | None = None, keepdims: bool = False):
    """Index of the first maximum along `axis` (None = flattened), int64."""
    ax = None if axis is None else rules.normalize_axis("argmax", axis, len(x.shape))
    return bind(ARGMAX, x, axis=ax, keepdims=bool(keepdims))


def argmin(x, axis: int | None = None, keepdims: bool = False):
    """Index of the first minimum along `axis` (None = flattened), int64."""
    ax = None if axis is None else rules.normalize_axis("argmin", axis, len(x.shape))
    return bind(ARGMIN, x, axis=ax, keepdims=bool(keepdims))


def count_like(x, axes):
    """The number of elements of `x` over `axes`, as a 0-d array of x's dtype (run-time shape)."""
    return bind(COUNT_LIKE, x, axes=tuple(axes))


COUNT_LIKE = register(
    Primitive(
        "count_like",
        impl=lambda x, axes: np.asarray(math.prod(x.shape[a] for a in axes), dtype=x.dtype),
        shape_rule=lambda x, axes: AVal((), np.dtype(x.dtype)),
        reference=lambda x, axes: np.asarray(math.prod(x.shape[a] for a in axes), dtype=x.dtype),
        nondiff=(0,),
        shape_only=(0,),
        rank_from_params=True,
    )
)


# ---- reductions over every axis, whatever the operand's rank turns out to be -----------------


def _all_axes(x) -> tuple:
    return tuple(range(np.ndim(x)))


def count_all(x):
    """The number of elements of x as a 0-d array of x's dtype (as count_like over all axes)."""
    return bind(COUNT_ALL, x)


COUNT_ALL = register(
    Primitive(
        "count_all",
        impl=lambda x: np.asarray(math.prod(np.shape(x)), dtype=x.dtype),
        shape_rule=lambda x: AVal((), np.dtype(x.dtype)),
        reference=lambda x: np.array(x.size, dtype=x.dtype),
        nondiff=(0,),
        shape_only=(0,),
        rank_from_params=True,
    )
)


def _reduce_all_rule(x, op) -> AVal:
    dt = np.dtype(x.dtype)
    if op == "mean" and dt.kind != "f":
        raise DTypeError(f"mean: expected a float32 or float64 operand, got {dt}")
    if op == "sum" and dt.kind in "bi":
        dt = np.dtype(np.int64)
    return AVal((), dt)


_FULL_VJP = {"sum": _sum_vjp, "mean": _mean_vjp, "max": _extreme_vjp, "min": _extreme_vjp}


def _reduce_all_vjp(g, out, x, wants, op):
    # the rules of sum/mean/max/min themselves, with every axis reduced
    return _FULL_VJP[op](g, out, x, wants, axes=None, keepdims=False)


REDUCE_ALL = register(
    Primitive(
        "reduce_all_axes",
        impl=lambda x, op: R.reduce(op, x, _all_axes(x), False),
        shape_rule=_reduce_all_rule,
        vjp=_reduce_all_vjp,
        reference=lambda x, op: np.asarray(getattr(np, op)(x)),
        rank_from_params=True,
    )
)


def reduce_all(x, op: str):
    """sum/mean/max/min of x over all its axes, whatever its rank turns out to be."""
    return bind(REDUCE_ALL, x, op=op)
