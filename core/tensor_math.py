"""Elementwise and along-an-axis math written once with core operations, for both frontends.

remainder / floor division (Python's and torch's sign rules), logaddexp, xlogy, lerp,
nan_to_num, sinc, heaviside, fmax / fmin, roll, diff, logcumsumexp, kron and cross. Each takes
arrays or symbolic values alike; gradients follow from the core rules of the steps, arranged so
they match the anchors' rules at ties and at the special points noted on each function.
"""

from __future__ import annotations

import math

import numpy as np

from . import math_compose as MC
from . import ops
from .domain import check_dim
from .primitives import elementwise_more as EM
from .primitives import trig


def _c(value: float, like):
    return ops.scalar(value, like)


def _isnan(x):
    return ops.not_equal(x, x)


def _float_through_f64(fn, x, y):
    # integer operands: computed in float64 (exact below 2**53) and cast back
    dt = np.dtype(x.dtype)
    if dt.kind == "f":
        return fn(x, y)
    wide = fn(ops.cast(x, np.float64), ops.cast(y, np.float64))
    return ops.cast(wide, dt)


def _remainder_float(x, y):
    r = EM.fmod(x, y)
    zero = _c(0, r)
    # a nonzero remainder whose sign differs from the divisor's moves by one divisor; the
    # gradient to y becomes -trunc(x / y) + 1 = -floor(x / y) there, as it should
    fix = ops.mul(ops.not_equal(r, zero), ops.not_equal(ops.less(y, zero), ops.less(r, zero)))
    return ops.where(fix, ops.add(r, y), r)


def remainder(x, y):
    """x - floor(x / y) * y with the sign of y (Python's %, torch.remainder, tf.math.floormod)."""
    return _float_through_f64(_remainder_float, x, y)


def _floor_divide_float(x, y):
    mod = EM.fmod(x, y)
    zero = _c(0, mod)
    q = ops.div(ops.sub(x, mod), y)
    fix = ops.mul(ops.not_equal(mod, zero), ops.not_equal(ops.less(y, zero), ops.less(mod, zero)))
    q = ops.where(fix, ops.sub(q, _c(1, q)), q)
    fq = ops.floor(q)
    fq = ops.where(ops.greater(ops.sub(q, fq), _c(0.5, q)), ops.add(fq, _c(1, fq)), fq)
    # a zero quotient keeps the sign of x / y
    signed_zero = EM.copysign(ops.fill_like(q, 0), ops.div(x, y))
    out = ops.where(ops.equal(q, zero), signed_zero, fq)
    # a zero divisor gives x / y (inf or NaN), as the anchors do
    out = ops.where(ops.equal(y, _c(0, y)), ops.div(x, y), out)
    return ops.stop_gradient(out)


def floor_divide(x, y):
    """floor(x / y), computed as the anchors do (exact quotient of x - fmod(x, y)); no gradient."""
    return _float_through_f64(_floor_divide_float, x, y)


def trunc_divide(x, y):
    """trunc(x / y) (torch's rounding_mode='trunc'; integer inputs exactly); no gradient."""
    dt = np.dtype(x.dtype)
    if dt.kind == "f":
        return ops.stop_gradient(ops.trunc(ops.div(x, y)))
    return ops.cast(ops.trunc(ops.div(ops.cast(x, np.float64), ops.cast(y, np.float64))), dt)


def _tie_max(a, b):
    # max(a, b) whose gradient splits half and half at a tie (the smooth max's slope there)
    half = ops.mul(ops.add(a, b), _c(0.5, a))
    return ops.where(ops.greater(a, b), a, ops.where(ops.less(a, b), b, half))


def _logaddexp(a, b, exp_fn, log1p_scale: float):
    m = _tie_max(a, b)
    t = ops.neg(ops.abs(ops.sub(a, b)))
    tail = trig.log1p(exp_fn(t))
    if log1p_scale != 1.0:
        tail = ops.div(tail, _c(log1p_scale, tail))
    out = ops.add(m, tail)
    # equal infinities: log(e^inf + e^inf) = inf, not inf - inf
    same_inf = ops.mul(ops.equal(a, b), ops.equal(ops.abs(a), _c(math.inf, a)))
    return ops.where(same_inf, a, out)


def logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow; the gradient is split half and half at a == b."""
    return _logaddexp(a, b, ops.exp, 1.0)


def exp2(x):
    """2 ** x."""
    return ops.exp(ops.mul(x, _c(math.log(2.0), x)))


def logaddexp2(a, b):
    """log2(2**a + 2**b) without overflow."""
    return _logaddexp(a, b, exp2, math.log(2.0))


def xlogy(x, y):
    """x * log(y), 0 where x == 0 (unless y is NaN); the slope in x there is still log(y)."""
    one = ops.fill_like(y, 1)
    zero_x = ops.mul(ops.equal(x, _c(0, x)), ops.equal(y, y))
    main = ops.mul(x, ops.log(ops.where(zero_x, one, y)))
    # x == 0: +0 with the slope log(y) where that is finite (a y that is zero, negative or
    # infinite reads as 1: 0 * log(y) would be NaN there, PyTorch's value is 0)
    finite_pos = ops.where(ops.greater(y, _c(0, y)), ops.less(y, _c(math.inf, y)), ops.less(y, y))
    at_zero = ops.mul(x, ops.log(ops.where(finite_pos, y, one)))
    return ops.where(zero_x, ops.add(at_zero, _c(0, x)), main)


def lerp(start, end, weight):
    """start + weight * (end - start), in the anchors' two-sided form (exact at both ends)."""
    diff = ops.sub(end, start)
    low = ops.add(start, ops.mul(weight, diff))
    high = ops.sub(end, ops.mul(diff, ops.sub(_c(1, weight), weight)))
    return ops.where(ops.less(ops.abs(weight), _c(0.5, weight)), low, high)


def nan_to_num(x, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None):
    """NaN, +inf and -inf replaced (infinities by the dtype's largest finite values by default)."""
    info = np.finfo(np.dtype(x.dtype))
    hi = float(info.max) if posinf is None else float(posinf)
    lo = float(info.min) if neginf is None else float(neginf)
    out = ops.where(_isnan(x), ops.fill_like(x, nan), x)
    out = ops.where(ops.equal(x, _c(math.inf, x)), ops.fill_like(x, hi), out)
    return ops.where(ops.equal(x, _c(-math.inf, x)), ops.fill_like(x, lo), out)


def sinc(x):
    """sin(pi x) / (pi x), 1 at 0 (with slope 0 there)."""
    zero = ops.equal(x, _c(0, x))
    px = ops.mul(ops.where(zero, ops.fill_like(x, 1), x), _c(math.pi, x))
    return ops.where(zero, ops.fill_like(x, 1), ops.div(ops.sin(px), px))


def heaviside(x, values):
    """0 below zero, 1 above, `values` at zero (not differentiable, as in the anchors)."""
    one, zero = ops.fill_like(x, 1), ops.fill_like(x, 0)
    step = ops.where(ops.greater(x, _c(0, x)), one, zero)
    vals = ops.broadcast_to(values, tuple(np.broadcast_shapes(tuple(x.shape), tuple(values.shape))))
    return ops.stop_gradient(ops.where(ops.equal(x, _c(0, x)), vals, step))


def fmax(a, b):
    """Elementwise maximum that ignores a NaN operand (NaN only where both are)."""
    m = ops.maximum(a, b)
    return ops.where(_isnan(a), ops.broadcast_like(b, m), ops.where(_isnan(b), a, m))


def fmin(a, b):
    """Elementwise minimum that ignores a NaN operand."""
    m = ops.minimum(a, b)
    return ops.where(_isnan(a), ops.broadcast_like(b, m), ops.where(_isnan(b), a, m))


def _axis_slice(x, axis: int, start, stop):
    return ops.getitem(x, (slice(None),) * axis + (slice(start, stop),))


def roll(x, shifts, axes):
    """Entries moved `shifts[i]` places along `axes[i]`, wrapping around."""
    out = x
    for s, ax in zip(shifts, axes, strict=True):
        nd = len(out.shape)
        ax = int(ax) % nd
        n = int(out.shape[ax])
        if n == 0:
            continue
        k = int(s) % n
        if k == 0:
            continue
        out = ops.concat([_axis_slice(out, ax, n - k, None), _axis_slice(out, ax, 0, n - k)], ax)
    return out


def diff(x, n: int = 1, axis: int = -1):
    """The n-th forward difference along `axis`."""
    ax = check_dim("diff", int(axis), len(x.shape))
    out = x
    # past the axis' length every further difference is empty too: a huge n stops there
    steps = int(n) if x.shape[ax] is None else min(int(n), int(x.shape[ax]) + 1)
    for _ in range(steps):
        m = int(out.shape[ax])
        hi, lo = _axis_slice(out, ax, 1, None), _axis_slice(out, ax, 0, max(m - 1, 0))
        if np.dtype(out.dtype) == np.bool_:
            out = ops.not_equal(hi, lo)
        else:
            out = ops.sub(hi, lo)
    return out


def logcumsumexp(x, axis: int):
    """log(cumsum(exp(x))) along `axis`, shifted by the axis maximum so it cannot overflow."""
    m = ops.max(x, axes=(check_dim("logcumsumexp", int(axis), len(x.shape)),), keepdims=True)
    # an infinite or NaN maximum shifts by 0 instead: a NaN then reaches only the positions
    # from its own on (as PyTorch), not the ones before it through the shift
    zero = ops.fill_like(m, 0)
    m = ops.where(ops.equal(ops.abs(m), _c(math.inf, m)), zero, m)
    m = ops.stop_gradient(ops.where(ops.not_equal(m, m), zero, m))
    running = MC.cumsum(ops.exp(ops.sub(x, m)), int(axis))
    return ops.add(ops.log(running), m)


def kron(a, b):
    """The Kronecker product (the operands' ranks are padded to the larger with leading 1s)."""
    nd = max(len(a.shape), len(b.shape))
    sa = (1,) * (nd - len(a.shape)) + tuple(int(d) for d in a.shape)
    sb = (1,) * (nd - len(b.shape)) + tuple(int(d) for d in b.shape)
    ia, ib = [], []
    for da, db in zip(sa, sb, strict=True):
        ia += [da, 1]
        ib += [1, db]
    prod = ops.mul(ops.reshape(a, tuple(ia)), ops.reshape(b, tuple(ib)))
    return ops.reshape(prod, tuple(da * db for da, db in zip(sa, sb, strict=True)))


def cross(a, b, axis: int):
    """The 3-vector cross product along `axis` (operands broadcast against each other)."""
    ax = check_dim("cross", int(axis), len(a.shape))

    def comp(v, i):
        return ops.getitem(v, (slice(None),) * ax + (slice(i, i + 1),))

    a0, a1, a2 = (comp(a, i) for i in range(3))
    b0, b1, b2 = (comp(b, i) for i in range(3))
    c0 = ops.sub(ops.mul(a1, b2), ops.mul(a2, b1))
    c1 = ops.sub(ops.mul(a2, b0), ops.mul(a0, b2))
    c2 = ops.sub(ops.mul(a0, b1), ops.mul(a1, b0))
    return ops.concat([c0, c1, c2], ax)


__all__ = [
    "cross", "diff", "exp2", "floor_divide", "fmax", "fmin", "heaviside", "kron", "lerp",
    "logaddexp", "logaddexp2", "logcumsumexp", "nan_to_num", "remainder", "roll", "sinc",
    "trunc_divide", "xlogy",
]  # fmt: skip
