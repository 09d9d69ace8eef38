"""Special functions: erf (exact GELU, BERT-style gelu) and its inverse (normal quantiles),
declared once for both frontends."""

from __future__ import annotations

import math

import numpy as np

from ..kernels import special as KS
from . import rules
from .elementwise import _unary, exp, mul, neg, scalar, square
from .registry import AVal, Primitive, register

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_vjp(g, out, x, wants):
    # d erf(x)/dx = 2/sqrt(pi) * exp(-x^2), written with core ops so both sweeps share it
    return (mul(g, mul(scalar(_TWO_OVER_SQRT_PI, x), exp(neg(square(x))))),)


def _erf_ref(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()


ERF = _unary("erf", _erf_vjp, _erf_ref)


def erf(x):
    """The error function, elementwise."""
    from .registry import bind

    return bind(ERF, x)


_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0


def _erfinv_rule(x) -> AVal:
    rules.require_float("erfinv", x)
    return AVal(tuple(x.shape), np.dtype(x.dtype))


def _erfinv_vjp(g, out, x, wants):
    # d erfinv(y)/dy = sqrt(pi)/2 * exp(erfinv(y)^2): the forward output is reused
    return (mul(g, mul(scalar(_SQRT_PI_OVER_2, out), exp(square(out)))),)


def _erfinv_ref(x: np.ndarray) -> np.ndarray:
    from scipy import special  # test references only

    return special.erfinv(x).astype(x.dtype)


ERFINV = register(
    Primitive(
        "erfinv",
        impl=KS.erfinv,
        shape_rule=_erfinv_rule,
        vjp=_erfinv_vjp,
        reference=_erfinv_ref,
    )
)


def erfinv(x):
    """The inverse error function, elementwise (NaN outside [-1, 1], +-inf at +-1)."""
    from .registry import bind

    return bind(ERFINV, x)
