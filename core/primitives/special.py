"""Special functions: erf (exact GELU, BERT-style gelu), declared once for both frontends."""

from __future__ import annotations

import math

import numpy as np

from .elementwise import _unary, exp, mul, neg, scalar, square

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
