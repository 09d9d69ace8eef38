"""Training batch norm as primitives: statistics, normalise, and the backward's two kernels.

``st = batch_norm_stats(x)`` is a (3, C) array of per-channel rows (mean, biased variance,
1 / sqrt(variance + eps)); ``y = batch_norm_apply(x, st, scale, offset)`` is
(x - mean) * invstd * scale + offset. The training forward is these two kernels; its backward is
``batch_norm_reduce_grad`` (one pass over dy and x giving the per-channel sums) and, for dx, one
elementwise pass each from the two VJPs (the reverse sweep adds them). What the backward keeps is
x (the previous layer's output, held anyway), the (3, C) statistics and the scale: never the
normalised activations. The sums' order is fixed (kernels/batchnorm), so NCHW and NHWC, and
both frontends, give the same bits.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import batchnorm as BK
from . import rules
from .registry import AVal, Primitive, bind, register


def _channels(op: str, x, axis: int):
    """The channel count of x along `axis` (None when unknown), with rank and axis checked."""
    xs = tuple(x.shape)
    if len(xs) < 2:
        raise ShapeError(
            f"{op}: the input must have a batch and a channel axis (rank >= 2), got shape "
            f"{fmt_shape(xs)}"
        )
    if not isinstance(axis, (int, np.integer)) or not 0 <= axis < len(xs):
        raise ValueError(
            f"{op}: axis={axis!r} is not a channel axis of an input of rank {len(xs)}; pass a "
            f"non-negative axis below {len(xs)}"
        )
    return xs[axis]


def _check_stats(op: str, st, c) -> None:
    ss = tuple(st.shape)
    if len(ss) != 2 or ss[0] not in (3, None) or (None not in (c, ss[1]) and ss[1] != c):
        raise ShapeError(
            f"{op}: the statistics must have shape (3, {c}) (mean, variance, invstd per "
            f"channel), got {fmt_shape(ss)}"
        )


def _check_vector(op: str, what: str, v, c) -> None:
    vs = tuple(v.shape)
    if len(vs) > 1 or (len(vs) == 1 and None not in (vs[0], c) and vs[0] not in (1, c)):
        raise ShapeError(
            f"{op}: {what} must be a scalar, (1,) or a vector of the {c} channels, got shape "
            f"{fmt_shape(vs)}"
        )


def _same(op: str, what: str, got, want) -> None:
    g, w = tuple(got.shape), tuple(want.shape)
    if len(g) != len(w) or any(
        a is not None and b is not None and a != b for a, b in zip(g, w, strict=True)
    ):
        raise ShapeError(f"{op}: {what} has shape {fmt_shape(g)}, expected {fmt_shape(w)}")


def _stats_rule(x, axis: int, eps: float) -> AVal:
    op = "batch_norm_stats"
    dt = rules.require_float(op, x)
    return AVal((3, _channels(op, x, axis)), dt)


def _apply_rule(x, st, scale, offset, axis: int) -> AVal:
    op = "batch_norm_apply"
    dt = rules.same_dtype(op, x, st, scale, offset)
    rules.require_float(op, x)
    c = _channels(op, x, axis)
    _check_stats(op, st, c)
    _check_vector(op, "the scale", scale, c)
    _check_vector(op, "the offset", offset, c)
    return AVal(tuple(x.shape), dt)


def _reduce_grad_rule(g, x, st, axis: int) -> AVal:
    op = "batch_norm_reduce_grad"
    dt = rules.same_dtype(op, g, x, st)
    rules.require_float(op, x)
    c = _channels(op, x, axis)
    _same(op, "the output gradient", g, x)
    _check_stats(op, st, c)
    return AVal((3, c), dt)


def _stats_grad_rule(gst, x, st, axis: int) -> AVal:
    op = "batch_norm_stats_grad"
    dt = rules.same_dtype(op, gst, x, st)
    rules.require_float(op, x)
    c = _channels(op, x, axis)
    _check_stats(op, st, c)
    _check_stats(op, gst, c)
    return AVal(tuple(x.shape), dt)


# ---- the public operations ----------------------------------------------------------------


def batch_norm_stats(x, axis: int, eps: float):
    """(3, C) rows mean, biased variance and 1 / sqrt(variance + eps) of x per channel."""
    return bind(BATCH_NORM_STATS, x, axis=int(axis), eps=float(eps))


def batch_norm_apply(x, st, scale, offset, axis: int):
    """(x - mean) * invstd * scale + offset, mean and invstd rows 0 and 2 of `st`."""
    return bind(BATCH_NORM_APPLY, x, st, scale, offset, axis=int(axis))


def batch_norm_reduce_grad(g, x, st, axis: int):
    """(3, C) rows: sum dy, sum dy * xhat (dscale), sum dy * (x - mean), per channel."""
    return bind(BATCH_NORM_REDUCE_GRAD, g, x, st, axis=int(axis))


def batch_norm_stats_grad(gst, x, st, axis: int):
    """The cotangent of x from cotangents of the rows (mean, variance, invstd) of `st`."""
    return bind(BATCH_NORM_STATS_GRAD, gst, x, st, axis=int(axis))


# ---- VJP rules ------------------------------------------------------------------------------


def _per_channel(v, ndim: int, axis: int):
    from .shaping import reshape

    return reshape(v, tuple(-1 if i == axis else 1 for i in range(ndim)))


def _like_operand(v, operand, c):
    """A (C,) cotangent summed to the shape of a broadcast operand (0-d or (1,))."""
    from .reduction import sum as rsum
    from .shaping import reshape

    shape = tuple(operand.shape)
    if shape == () or (shape == (1,) and c != 1):
        return reshape(rsum(v, None), shape)
    return v


def _stats_vjp(gst, out, x, wants, axis, eps):
    return (batch_norm_stats_grad(gst, x, out, axis) if wants[0] else None,)


def _apply_vjp(g, out, x, st, scale, offset, wants, axis):
    from .elementwise import mul, neg
    from .shaping import getitem, stack

    inv = getitem(st, 2)
    a = mul(scale, inv)  # (C,): the slope of y in x at fixed statistics
    dx = mul(g, _per_channel(a, len(x.shape), axis)) if wants[0] else None
    if not (wants[1] or wants[2] or wants[3]):
        return dx, None, None, None
    r = batch_norm_reduce_grad(g, x, st, axis)
    sum_g, sum_gxhat, sum_gc = getitem(r, 0), getitem(r, 1), getitem(r, 2)
    dst = None
    if wants[1]:
        # y depends on the mean with slope -a and on invstd with slope (x - mean) * scale
        zero = mul(sum_g, np.asarray(0, x.dtype))
        dst = stack([neg(mul(a, sum_g)), zero, mul(scale, sum_gc)], 0)
    dscale = _like_operand(sum_gxhat, scale, x.shape[axis]) if wants[2] else None
    doffset = _like_operand(sum_g, offset, x.shape[axis]) if wants[3] else None
    return dx, dst, dscale, doffset


def _rows(a):
    from .shaping import getitem

    return getitem(a, 0), getitem(a, 1), getitem(a, 2)


def _stack_stats(d_mean, d_invstd):
    """A (3, C) cotangent of statistics: the variance row is zero (nothing reads it)."""
    from .elementwise import mul
    from .shaping import stack

    return stack([d_mean, mul(d_mean, np.asarray(0, d_mean.dtype)), d_invstd], 0)


def _reduce_grad_vjp(gr, out, g, x, st, wants, axis):
    # out = (sum g, invstd * sum g (x - m), sum g (x - m)); each row is linear in g
    from .elementwise import add, mul, neg, sub

    nd = len(x.shape)
    g0, g1, g2 = _rows(gr)
    mean, _, inv = _rows(st)
    slope = add(mul(g1, inv), g2)  # d out . gr / d (g * (x - m)), per channel
    dg = dx = dst = None
    if wants[0]:
        centred = sub(x, _per_channel(mean, nd, axis))
        dg = add(_per_channel(g0, nd, axis), mul(centred, _per_channel(slope, nd, axis)))
    if wants[1]:
        dx = mul(g, _per_channel(slope, nd, axis))
    if wants[2]:
        sum_g, _, sum_gc = _rows(out)
        dst = _stack_stats(neg(mul(slope, sum_g)), mul(g1, sum_gc))
    return dg, dx, dst


def _stats_grad_vjp(gg, out, gst, x, st, wants, axis):
    # out = c0 + c1 (x - m) per channel, c0 = gst0 / n, c1 = 2 (gst1 - gst2 invstd^3 / 2) / n
    from .elementwise import div, mul, neg, sub
    from .reduction import count_like

    nd = len(x.shape)
    n = count_like(x, tuple(i for i in range(nd) if i != axis))
    mean, _, inv = _rows(st)
    _, gvar, ginv = _rows(gst)
    inv2 = mul(inv, inv)
    c1 = div(mul(sub(gvar, mul(mul(ginv, inv2), mul(inv, np.asarray(0.5, x.dtype)))),
                 np.asarray(2, x.dtype)), n)  # fmt: skip
    dgst = dx = dst = None
    if wants[0] or wants[2]:
        sums = batch_norm_reduce_grad(gg, x, st, axis)
        sum_g, _, sum_gc = _rows(sums)
        if wants[0]:
            two = div(mul(sum_gc, np.asarray(2, x.dtype)), n)
            half = np.asarray(0.5, x.dtype)
            dgst = stack_rows(div(sum_g, n), two, neg(mul(mul(two, inv2), mul(inv, half))))
        if wants[2]:
            # d c1 / d invstd = -3 gst2 invstd^2 / n
            d_inv = neg(div(mul(mul(ginv, inv2), mul(sum_gc, np.asarray(3, x.dtype))), n))
            dst = _stack_stats(neg(mul(c1, sum_g)), d_inv)
    if wants[1]:
        dx = mul(gg, _per_channel(c1, nd, axis))
    return dgst, dx, dst


def stack_rows(*rows):
    """Per-channel rows stacked into a (k, C) array."""
    from .shaping import stack

    return stack(list(rows), 0)


# ---- numpy references (float64) ------------------------------------------------------------


def _moved(a, axis):
    """a as float64 with the channel axis last, flattened to (rows, C)."""
    a = np.moveaxis(np.asarray(a, np.float64), axis, -1)
    return a.reshape(-1, a.shape[-1])


def _ref_stats(x, axis, eps):
    f = _moved(x, axis)
    mean, var = f.mean(0), f.var(0)
    return np.stack([mean, var, 1.0 / np.sqrt(var + eps)]).astype(x.dtype)


def _ref_apply(x, st, scale, offset, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    s = np.asarray(st, np.float64)
    m, inv = s[0].reshape(shape), s[2].reshape(shape)
    sc = np.asarray(scale, np.float64)
    of = np.asarray(offset, np.float64)
    sc = sc.reshape(shape) if sc.ndim else sc
    of = of.reshape(shape) if of.ndim else of
    return ((np.asarray(x, np.float64) - m) * inv * sc + of).astype(x.dtype)


def _ref_reduce_grad(g, x, st, axis):
    s = np.asarray(st, np.float64)
    gf, xf = _moved(g, axis), _moved(x, axis)
    sum_g = gf.sum(0)
    sum_gc = (gf * (xf - s[0])).sum(0)
    return np.stack([sum_g, sum_gc * s[2], sum_gc]).astype(x.dtype)


def _ref_stats_grad(gst, x, st, axis):
    s, gs = np.asarray(st, np.float64), np.asarray(gst, np.float64)
    shape = [1] * x.ndim
    shape[axis] = -1
    count = max(x.size // x.shape[axis], 1)
    gvar = gs[1] - 0.5 * gs[2] * s[2] ** 3
    xc = np.asarray(x, np.float64) - s[0].reshape(shape)
    return (gs[0].reshape(shape) / count + 2.0 * gvar.reshape(shape) * xc / count).astype(x.dtype)


BATCH_NORM_STATS = register(
    Primitive(
        "batch_norm_stats",
        impl=lambda x, axis, eps: BK.stats(x, axis, eps),
        shape_rule=_stats_rule,
        vjp=_stats_vjp,
        reference=_ref_stats,
    )
)

BATCH_NORM_APPLY = register(
    Primitive(
        "batch_norm_apply",
        impl=lambda x, st, scale, offset, axis: BK.apply(x, st, scale, offset, axis),
        shape_rule=_apply_rule,
        vjp=_apply_vjp,
        reference=_ref_apply,
    )
)

BATCH_NORM_REDUCE_GRAD = register(
    Primitive(
        "batch_norm_reduce_grad",
        impl=lambda g, x, st, axis: BK.reduce_grad(g, x, st, axis),
        shape_rule=_reduce_grad_rule,
        vjp=_reduce_grad_vjp,
        reference=_ref_reduce_grad,
    )
)

BATCH_NORM_STATS_GRAD = register(
    Primitive(
        "batch_norm_stats_grad",
        impl=lambda gst, x, st, axis: BK.stats_grad(gst, x, st, axis),
        shape_rule=_stats_grad_rule,
        vjp=_stats_grad_vjp,
        reference=_ref_stats_grad,
    )
)
