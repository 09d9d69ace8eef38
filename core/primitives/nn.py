"""Neural-network primitives: softmax family, gather/scatter, class-label picking."""

from __future__ import annotations

import numpy as np

from ..domain import gather_indices
from ..errors import DTypeError, ShapeError, fmt_shape
from ..kernels import indexing as IX
from ..kernels import softmax as SM
from . import rules
from . import second_order as SO
from .elementwise import exp, mul, sub
from .reduction import _expand
from .registry import AVal, Primitive, bind, register, same_dims
from .shaping import broadcast_like


def _axis_rule(name: str):
    def rule(x, axis) -> AVal:
        rules.require_float(name, x)
        rules.normalize_axis(name, axis, len(x.shape))
        return AVal(tuple(x.shape), np.dtype(x.dtype))

    return rule


def _ref_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _ref_log_softmax(x, axis):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


SOFTMAX = register(
    Primitive(
        "softmax",
        impl=lambda x, axis: SM.softmax(x, axis),
        shape_rule=_axis_rule("softmax"),
        vjp=lambda g, out, x, wants, axis: (softmax_grad(out, g, axis),),
        reference=_ref_softmax,
        dims=same_dims,
    )
)
LOG_SOFTMAX = register(
    Primitive(
        "log_softmax",
        impl=lambda x, axis: SM.log_softmax(x, axis),
        shape_rule=_axis_rule("log_softmax"),
        vjp=lambda g, out, x, wants, axis: (log_softmax_grad(out, g, axis),),
        reference=_ref_log_softmax,
        dims=same_dims,
    )
)


def _grad_axis_rule(name: str):
    def rule(y, g, axis) -> AVal:
        rules.same_dtype(name, y, g)
        rules.same_shape_as(name, g, y)
        return AVal(tuple(y.shape), np.dtype(y.dtype))

    return rule


SOFTMAX_GRAD = register(
    Primitive(
        "softmax_grad",
        impl=lambda y, g, axis: SM.softmax_grad(y, g, axis),
        shape_rule=_grad_axis_rule("softmax_grad"),
        reference=lambda y, g, axis: y * (g - np.sum(g * y, axis=axis, keepdims=True)),
        vjp=SO.softmax_grad_vjp,
    )
)
LOG_SOFTMAX_GRAD = register(
    Primitive(
        "log_softmax_grad",
        impl=lambda y, g, axis: SM.log_softmax_grad(y, g, axis),
        shape_rule=_grad_axis_rule("log_softmax_grad"),
        reference=lambda y, g, axis: g - np.exp(y) * np.sum(g, axis=axis, keepdims=True),
        vjp=SO.log_softmax_grad_vjp,
    )
)


def softmax(x, axis: int = -1):
    """exp(x) / sum(exp(x)) along `axis`, computed stably."""
    return bind(SOFTMAX, x, axis=rules.normalize_axis("softmax", axis, len(x.shape)))


def log_softmax(x, axis: int = -1):
    """log(softmax(x)) along `axis`, computed stably."""
    return bind(LOG_SOFTMAX, x, axis=rules.normalize_axis("log_softmax", axis, len(x.shape)))


def softmax_grad(y, g, axis: int):
    """The VJP of softmax given its output y (fused)."""
    return bind(SOFTMAX_GRAD, y, g, axis=axis)


def log_softmax_grad(y, g, axis: int):
    """The VJP of log_softmax given its output y (fused)."""
    return bind(LOG_SOFTMAX_GRAD, y, g, axis=axis)


def _lse_rule(x, axes, keepdims) -> AVal:
    rules.require_float("logsumexp", x)
    return AVal(rules.reduced_shape(tuple(x.shape), axes, keepdims), np.dtype(x.dtype))


def _lse_vjp(g, out, x, wants, axes, keepdims):
    gk = broadcast_like(_expand(g, x, axes, keepdims), x)
    return (mul(gk, exp(sub(x, broadcast_like(_expand(out, x, axes, keepdims), x)))),)


def _ref_lse(x, axes, keepdims):
    m = np.max(x, axis=axes, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axes)


LOGSUMEXP = register(
    Primitive(
        "logsumexp",
        impl=lambda x, axes, keepdims: SM.logsumexp(x, axes, keepdims),
        shape_rule=_lse_rule,
        vjp=_lse_vjp,
        reference=_ref_lse,
    )
)


def logsumexp(x, axes=-1, keepdims: bool = False):
    """log(sum(exp(x))) over `axes`, computed stably."""
    ax = rules.normalize_axes("logsumexp", axes, len(x.shape))
    return bind(LOGSUMEXP, x, axes=ax, keepdims=bool(keepdims))


# ---- gather / scatter-add (embedding lookups, tf.gather) ---------------------------------------


def _int_indices(op: str, idx) -> None:
    if np.dtype(idx.dtype).kind not in "iu":
        raise DTypeError(f"{op}: indices must be integers, got {np.dtype(idx.dtype)}")


def _gather_rule(x, idx, axis) -> AVal:
    _int_indices("gather", idx)
    shape = tuple(x.shape)
    a = rules.normalize_axis("gather", axis, len(shape))
    return AVal(shape[:a] + tuple(idx.shape) + shape[a + 1 :], np.dtype(x.dtype))


def gather(x, indices, axis: int = 0):
    """Take slices of `x` at integer `indices` along `axis` (np.take)."""
    return bind(GATHER, x, indices, axis=rules.normalize_axis("gather", axis, len(x.shape)))


def scatter_add_like(g, like, indices, axis: int):
    """Zeros shaped like `like` with slices of `g` added at `indices` (the VJP of gather)."""
    return bind(SCATTER_ADD_LIKE, g, like, indices, axis=axis)


GATHER = register(
    Primitive(
        "gather",
        impl=lambda x, idx, axis: IX.gather(x, idx, axis),
        shape_rule=_gather_rule,
        vjp=lambda g, out, x, idx, wants, axis: (scatter_add_like(g, x, idx, axis), None),
        reference=lambda x, idx, axis: np.take(x, idx, axis=axis),
        checks=(gather_indices,),
        nondiff=(1,),
    )
)


def _scatter_ref(g, like, idx, axis):
    z = np.zeros(like.shape, g.dtype)
    zm = np.moveaxis(z, axis, 0)
    gm = np.moveaxis(g, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
    np.add.at(zm, idx, gm)
    return z


SCATTER_ADD_LIKE = register(
    Primitive(
        "scatter_add_like",
        impl=lambda g, like, idx, axis: IX.scatter_add(like.shape, idx, g, axis, g.dtype),
        shape_rule=lambda g, like, idx, axis: AVal(tuple(like.shape), np.dtype(g.dtype)),
        vjp=lambda gg, out, g, like, idx, wants, axis: (gather(gg, idx, axis), None, None),
        reference=_scatter_ref,
        nondiff=(1, 2),
        shape_from=1,
        shape_only=(1,),
    )
)


# ---- picking one entry per row by class label (cross-entropy with class indices) -------------


def _pick_rule(x, labels) -> AVal:
    _int_indices("pick", labels)
    xs, ls = tuple(x.shape), tuple(labels.shape)
    if len(xs) != len(ls) + 1:
        raise ShapeError(
            f"pick: class scores {fmt_shape(xs)} need labels of shape {fmt_shape(xs[:-1])}, "
            f"got {fmt_shape(ls)}"
        )
    for a, b in zip(xs[:-1], ls, strict=True):
        if a is not None and b is not None and a != b:
            raise ShapeError(
                f"pick: class scores {fmt_shape(xs)} need labels of shape {fmt_shape(xs[:-1])}, "
                f"got {fmt_shape(ls)}"
            )
    return AVal(ls, np.dtype(x.dtype))


def pick(x, labels):
    """x[..., labels]: one entry of the last axis per row, chosen by integer labels."""
    return bind(PICK, x, labels)


def pick_grad(g, like, labels):
    """Zeros shaped like `like` with `g` placed at the picked entries (the VJP of pick)."""
    return bind(PICK_GRAD, g, like, labels)


PICK = register(
    Primitive(
        "pick",
        impl=lambda x, labels: IX.pick(x, labels),
        shape_rule=_pick_rule,
        vjp=lambda g, out, x, labels, wants: (pick_grad(g, x, labels), None),
        reference=lambda x, labels: np.take_along_axis(x, labels[..., None], -1)[..., 0],
        nondiff=(1,),
    )
)
PICK_GRAD = register(
    Primitive(
        "pick_grad",
        impl=lambda g, like, labels: IX.pick_grad(g, labels, like.shape[-1]),
        shape_rule=lambda g, like, labels: AVal(tuple(like.shape), np.dtype(g.dtype)),
        vjp=lambda gg, out, g, like, labels, wants: (pick(gg, labels), None, None),
        reference=lambda g, like, labels: _pick_grad_ref(g, like, labels),
        nondiff=(1, 2),
        shape_from=1,
        shape_only=(1,),
    )
)


def _pick_grad_ref(g, like, labels):
    z = np.zeros(like.shape, g.dtype)
    np.put_along_axis(z, labels[..., None], g[..., None], -1)
    return z
