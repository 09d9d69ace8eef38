"""Inverse hyperbolic functions, atan2, erfc, safe products and quotients (xlogy, xdivy,
multiply_no_nan, ...), truncating division, lbeta, polynomials, running logsumexp and the
ordering tests, written once with core operations.

They take arrays or symbolic values alike, so both frontends run the same primitives in the same
order, and their gradients follow from the core rules of the steps. Where a value is guarded
by `where`, the operand of the branch not taken is first replaced by a harmless one, so the
branch's gradient is finite and the zero `where` sends it stays zero.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .primitives import elementwise_more as EM
from .primitives import probability as P
from .primitives import special as S
from .primitives import trig as T
from .primitives.guards import nonzero_divisor


def _float(op: str, x) -> np.dtype:
    dt = np.dtype(x.dtype)
    if dt.kind != "f":
        raise TypeError(
            f"{op}: expects a float tensor, got dtype {dt.name}; cast it to float32 or float64 "
            "first"
        )
    return dt


def _same_dtype(op: str, x, y) -> None:
    if np.dtype(x.dtype) != np.dtype(y.dtype):
        raise TypeError(
            f"{op}: x and y must share their dtype, got {np.dtype(x.dtype).name} and "
            f"{np.dtype(y.dtype).name}; cast one of them"
        )


def _c(value: float, like):
    return ops.scalar(value, like)


def asinh(x):
    """Inverse hyperbolic sine: the record's primitive, the one torch.asinh runs."""
    _float("asinh", x)
    return EM.asinh(x)


def acosh(x):
    """Inverse hyperbolic cosine (NaN below 1): the record's primitive, as torch.acosh."""
    _float("acosh", x)
    return EM.acosh(x)


def atanh(x):
    """Inverse hyperbolic tangent (NaN outside [-1, 1]): the record's primitive."""
    _float("atanh", x)
    return EM.atanh(x)


def atan2(y, x):
    """The angle of the point (x, y) in (-pi, pi]: the record's primitive, the one torch.atan2
    runs (its gradient is 0 at the origin, where TF's is NaN)."""
    _float("atan2", y)
    _same_dtype("atan2", y, x)
    return EM.atan2(y, x)


def erfc(x):
    """1 - erf(x), accurate in the tail: the record's primitive, as torch.erfc."""
    _float("erfc", x)
    return EM.erfc(x)


def erfcinv(x):
    """The inverse of erfc: erfinv(1 - x) (NaN outside [0, 2])."""
    _float("erfcinv", x)
    return S.erfinv(ops.sub(_c(1, x), x))


def is_finite(x):
    """True where x is neither infinite nor NaN (x - x is 0 exactly there)."""
    _float("is_finite", x)
    return ops.equal(ops.sub(x, x), _c(0, x))


def is_inf(x):
    """True where x is +inf or -inf."""
    _float("is_inf", x)
    return ops.equal(ops.abs(x), _c(np.inf, x))


def xlogy(x, y):
    """x * log(y), and 0 where x == 0 (whatever y is)."""
    _float("xlogy", x)
    _same_dtype("xlogy", x, y)
    zero = ops.equal(x, _c(0, x))
    y_safe = ops.where(zero, _c(1, y), y)
    return ops.where(zero, _c(0, x), ops.mul(x, ops.log(y_safe)))


def xlog1py(x, y):
    """x * log1p(y), and 0 where x == 0 (whatever y is)."""
    _float("xlog1py", x)
    _same_dtype("xlog1py", x, y)
    zero = ops.equal(x, _c(0, x))
    y_safe = ops.where(zero, _c(0, y), y)
    return ops.where(zero, _c(0, x), ops.mul(x, T.log1p(y_safe)))


def xdivy(x, y):
    """x / y, and x's own zero (its sign kept, as TF) where x == 0, whatever y is."""
    _float("xdivy", x)
    _same_dtype("xdivy", x, y)
    zero = ops.equal(x, _c(0, x))
    y_safe = ops.where(zero, _c(1, y), y)
    return ops.where(zero, ops.mul(x, _c(0, x)), ops.div(x, y_safe))


def multiply_no_nan(x, y):
    """x * y, and 0 where y == 0 (even where x is NaN or infinite)."""
    _float("multiply_no_nan", x)
    _same_dtype("multiply_no_nan", x, y)
    zero = ops.equal(y, _c(0, y))
    x_safe = ops.where(zero, _c(0, x), x)
    return ops.where(zero, _c(0, x), ops.mul(x_safe, y))


def reciprocal_no_nan(x):
    """1 / x, and 0 where x == 0."""
    _float("reciprocal_no_nan", x)
    zero = ops.equal(x, _c(0, x))
    return ops.where(zero, _c(0, x), ops.div(_c(1, x), ops.where(zero, _c(1, x), x)))


def _trunc_quotient(x, y):
    dt = np.dtype(x.dtype)
    if dt.kind == "f":
        return ops.trunc(ops.div(x, y))
    # integers: exact through float64 for magnitudes below 2**52
    q = ops.trunc(ops.div(ops.cast(x, np.float64), ops.cast(y, np.float64)))
    return ops.cast(q, dt)


def truncatediv(x, y):
    """x / y rounded toward zero (C's integer division; no gradient, as in TF)."""
    _same_dtype("truncatediv", x, y)
    return ops.stop_gradient(_trunc_quotient(x, nonzero_divisor(y, "truncatediv")))


def truncatemod(x, y):
    """The remainder with the sign of x, C's fmod (exact; x for an infinite y, NaN for an
    infinite x; no gradient, as in TF)."""
    _same_dtype("truncatemod", x, y)
    y = nonzero_divisor(y, "truncatemod")
    if np.dtype(x.dtype).kind == "f":
        return ops.stop_gradient(EM.fmod(x, y))
    return ops.stop_gradient(ops.sub(x, ops.mul(_trunc_quotient(x, y), y)))


def lbeta(x):
    """log of the multivariate Beta function over the last axis:
    sum(lgamma(x)) - lgamma(sum(x))."""
    _float("lbeta", x)
    if len(x.shape) == 0:
        raise ValueError("lbeta: x must have rank >= 1 (the last axis holds the arguments)")
    return ops.sub(ops.sum(P.lgamma(x), (-1,), False), P.lgamma(ops.sum(x, (-1,), False)))


def polyval(coeffs: list, x):
    """coeffs[0] * x^(n-1) + ... + coeffs[n-1], by Horner's rule (0 for no coefficients)."""
    if not coeffs:
        return ops.mul(x, _c(0, x))
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = ops.add(ops.mul(acc, x), c)
    return ops.add(acc, ops.mul(x, _c(0, x))) if len(coeffs) == 1 else acc


def logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow (-inf + -inf stays -inf)."""
    m = ops.maximum(a, b)
    finite = ops.equal(ops.sub(m, m), _c(0, m))
    m_safe = ops.stop_gradient(ops.where(finite, m, _c(0, m)))
    total = ops.add(ops.exp(ops.sub(a, m_safe)), ops.exp(ops.sub(b, m_safe)))
    return ops.add(m_safe, ops.log(total))


def cumulative_logsumexp(x, axis: int = 0, exclusive: bool = False, reverse: bool = False):
    """Running log(sum(exp)) along `axis` (exclusive starts from -inf), one step at a time."""
    from .math_compose import _axis, _length, _slice_at

    _float("cumulative_logsumexp", x)
    ax = _axis("cumulative_logsumexp", x, axis)
    n = _length("cumulative_logsumexp", x, ax)
    if n == 0:
        return x
    order = list(range(n))[::-1] if reverse else list(range(n))
    outs: dict[int, object] = {}
    acc = None
    for i in order:
        item = _slice_at(x, ax, i)
        if exclusive:
            start = ops.fill_like(item, -np.inf)
            outs[i] = start if acc is None else acc
        acc = _tf_first(item) if acc is None else _tf_logaddexp(acc, item)
        if not exclusive:
            outs[i] = acc
    return ops.stack([outs[i] for i in range(n)], ax)


def _tf_first(item):
    """TF's scan starts from -inf, and its step keeps -inf against a NaN item."""
    return ops.where(ops.not_equal(item, item), _c(-np.inf, item), item)


def _tf_logaddexp(acc, item):
    """One step of TF's scan: its max/min keep the accumulator against a NaN item (so NaN counts
    as a copy of it: acc + log 2, -inf stays -inf), and inf against inf gives inf - inf = NaN."""
    item = ops.where(ops.not_equal(item, item), acc, item)
    out = logaddexp(acc, item)
    inf = _c(np.inf, acc)
    # (a NaN accumulator stays NaN either way)
    both_inf = ops.where(ops.equal(acc, inf), ops.equal(item, inf), ops.not_equal(acc, acc))
    return ops.where(both_inf, _c(np.nan, acc), out)


def euclidean_norm(x, axes, keepdims: bool = False):
    """sqrt(sum(x^2)) over `axes` (a tuple; () means all)."""
    ax = tuple(axes) if axes else tuple(range(len(x.shape)))
    return ops.sqrt(ops.sum(ops.square(x), ax, keepdims))


def _flat_steps(op: str, x):
    flat = ops.reshape(x, (-1,))
    size = int(np.prod(x.shape)) if all(d is not None for d in x.shape) else None
    if size is None:
        raise ValueError(f"{op}: the shape of {x} must be known when the graph is built")
    return flat, size


def is_non_decreasing(x):
    """True when every element of x (read in row-major order) is >= the one before."""
    flat, size = _flat_steps("is_non_decreasing", x)
    if size < 2:
        return ops.equal(ops.sum(ops.mul(flat, _c(0, flat)), (), False), _c(0, flat))
    ok = ops.greater_equal(ops.getitem(flat, (slice(1, None),)), ops.getitem(flat, (slice(0, -1),)))
    return ops.equal(ops.min(ops.cast(ok, np.int32), (0,), False), np.int32(1))


def is_strictly_increasing(x):
    """True when every element of x (read in row-major order) is > the one before."""
    flat, size = _flat_steps("is_strictly_increasing", x)
    if size < 2:
        return ops.equal(ops.sum(ops.mul(flat, _c(0, flat)), (), False), _c(0, flat))
    ok = ops.greater(ops.getitem(flat, (slice(1, None),)), ops.getitem(flat, (slice(0, -1),)))
    return ops.equal(ops.min(ops.cast(ok, np.int32), (0,), False), np.int32(1))


def invert_permutation(x):
    """y with y[x[i]] = i, for a 1-D permutation x of 0..n-1 (n known when built)."""
    if len(x.shape) != 1 or x.shape[0] is None:
        raise ValueError(f"invert_permutation: x must be 1-D of known length, got {x}")
    dt = np.dtype(x.dtype)
    if dt.kind not in "iu":
        raise TypeError(f"invert_permutation: x must be int32 or int64, got {dt.name}")
    n = int(x.shape[0])
    hit = ops.equal(ops.reshape(x, (n, 1)), np.arange(n, dtype=dt).reshape(1, n))  # [i, j]
    rows = np.arange(n, dtype=dt).reshape(n, 1)
    return ops.cast(ops.sum(ops.where(hit, rows, np.zeros((), dt)), (0,), False), dt)
