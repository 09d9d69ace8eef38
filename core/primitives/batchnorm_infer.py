"""Inference batch norm with given statistics as one primitive (eager programs' eval mode).

``batch_norm_infer(x, mean, var, scale, offset)`` is x * a + b per channel with
a = (1 / sqrt(var + eps)) * scale and b = offset - mean * a, rounded exactly as the composed
ops of core.functional._normalize, so it gives the same bits as that chain; an eager program
then runs one kernel per BatchNorm layer instead of about ten small ops. Graph programs keep
the composed form, whose mul and add their passes fuse with neighbours (and fold into a conv).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import batchnorm_infer as BI
from . import rules
from .batchnorm import _channels, _per_channel
from .registry import AVal, Primitive, bind, register

_OP = "batch_norm_infer"
_NAMES = ("mean", "var", "scale", "offset")


# Verdicts for fully known shapes (an eval-mode model calls each layer with the same shapes
# every time, and the checks cost as much as a batch-1 layer's kernel). Failures are never
# stored, so a bad call raises every time.
_RULES: dict = {}


def _rule(x, mean, var, scale, offset, axis: int, eps: float) -> AVal:
    key = (x.shape, mean.shape, var.shape, scale.shape, offset.shape,
           x.dtype, mean.dtype, var.dtype, scale.dtype, offset.dtype, axis)  # fmt: skip
    try:
        hit = _RULES.get(key)
    except TypeError:  # unhashable shapes: no caching
        hit = key = None
    if hit is not None:
        return hit
    verdict = _check(x, mean, var, scale, offset, axis)
    if key is not None and None not in verdict.shape:
        rules.remember(_RULES, key, verdict)
    return verdict


def _check(x, mean, var, scale, offset, axis: int) -> AVal:
    dt = rules.same_dtype(_OP, x, mean, var, scale, offset)
    rules.require_float(_OP, x)
    c = _channels(_OP, x, axis)
    for name, v in zip(_NAMES, (mean, var, scale, offset), strict=True):
        vs = tuple(v.shape)
        if len(vs) != 1 or (None not in (vs[0], c) and vs[0] != c):
            raise ShapeError(
                f"{_OP}: {name} must be a vector of the {c} channels of input "
                f"{fmt_shape(tuple(x.shape))} (axis {axis}), got shape {fmt_shape(vs)}"
            )
    return AVal(tuple(x.shape), dt)


def batch_norm_infer(x, mean, var, scale, offset, axis: int, eps: float):
    """x * a + b per channel along `axis`: a = scale / sqrt(var + eps), b = offset - mean * a."""
    return bind(BATCH_NORM_INFER, x, mean, var, scale, offset, axis=int(axis), eps=float(eps))


def _vjp(g, out, x, mean, var, scale, offset, wants, axis, eps):
    # y = x * a + offset - mean * a with a = inv * scale, inv = 1 / sqrt(var + eps)
    from .elementwise import add, div, mul, neg, sqrt, sub
    from .reduction import sum as rsum

    nd = len(x.shape)
    dt = x.dtype
    inv = div(np.asarray(1, dt), sqrt(add(var, np.asarray(eps, dt))))
    a = mul(inv, scale)
    dx = mul(g, _per_channel(a, nd, axis)) if wants[0] else None
    if not any(wants[1:]):
        return dx, None, None, None, None
    others = tuple(i for i in range(nd) if i != axis)
    sum_g = rsum(g, others)
    d_a = sub(rsum(mul(g, x), others), mul(mean, sum_g))  # the cotangent of a
    dmean = neg(mul(a, sum_g)) if wants[1] else None
    dvar = None
    if wants[2]:  # d inv / d var = -inv^3 / 2
        cube = mul(mul(inv, inv), inv)
        dvar = mul(mul(d_a, scale), mul(cube, np.asarray(-0.5, dt)))
    dscale = mul(d_a, inv) if wants[3] else None
    return dx, dmean, dvar, dscale, (sum_g if wants[4] else None)


def _ref(x, mean, var, scale, offset, axis, eps):
    shape = [1] * x.ndim
    shape[axis] = -1
    f = [np.asarray(v, np.float64).reshape(shape) for v in (mean, var, scale, offset)]
    y = (np.asarray(x, np.float64) - f[0]) / np.sqrt(f[1] + eps) * f[2] + f[3]
    return y.astype(x.dtype)


BATCH_NORM_INFER = register(
    Primitive(
        _OP,
        impl=lambda x, mean, var, scale, offset, axis, eps: BI.infer(
            x, mean, var, scale, offset, axis, eps
        ),
        shape_rule=_rule,
        vjp=_vjp,
        reference=_ref,
    )
)
