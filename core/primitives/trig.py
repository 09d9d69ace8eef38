"""log1p, expm1, atan, asin, acos, sinh, cosh, tan: elementwise, declared once for both frontends.

Each is a scalar template (core/kernels/elementwise_ops.py, libm's function in the operand's
width) with a gradient rule written with core ops, so eager backward and `tf.gradients` share it.
"""

from __future__ import annotations

import numpy as np

from .elementwise import _unary, add, div, mul, neg, scalar, sqrt, square, sub
from .registry import bind


def _one(x):
    return scalar(1, x)


def _log1p_vjp(g, out, x, wants):
    return (div(g, add(_one(x), x)),)


def _expm1_vjp(g, out, x, wants):
    return (mul(g, add(out, _one(out))),)


def _atan_vjp(g, out, x, wants):
    return (div(g, add(_one(x), square(x))),)


def _asin_vjp(g, out, x, wants):
    return (div(g, sqrt(sub(_one(x), square(x)))),)


def _acos_vjp(g, out, x, wants):
    # the sign goes on g, not on the quotient: outside [-1, 1] the quotient is sqrt's NaN, and a
    # negation after it would flip that NaN's sign bit where a fused kernel may not
    return (div(neg(g), sqrt(sub(_one(x), square(x)))),)


def _sinh_vjp(g, out, x, wants):
    return (mul(g, cosh(x)),)


def _cosh_vjp(g, out, x, wants):
    return (mul(g, sinh(x)),)


def _tan_vjp(g, out, x, wants):
    return (mul(g, add(_one(out), square(out))),)


def _ref(fn):
    def ref(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return fn(x).astype(x.dtype)

    return ref


LOG1P = _unary("log1p", _log1p_vjp, _ref(np.log1p))
EXPM1 = _unary("expm1", _expm1_vjp, _ref(np.expm1))
ATAN = _unary("atan", _atan_vjp, _ref(np.arctan))
ASIN = _unary("asin", _asin_vjp, _ref(np.arcsin))
ACOS = _unary("acos", _acos_vjp, _ref(np.arccos))
SINH = _unary("sinh", _sinh_vjp, _ref(np.sinh))
COSH = _unary("cosh", _cosh_vjp, _ref(np.cosh))
TAN = _unary("tan", _tan_vjp, _ref(np.tan))


def log1p(x):
    """log(1 + x), accurate for small x."""
    return bind(LOG1P, x)


def expm1(x):
    """exp(x) - 1, accurate for small x."""
    return bind(EXPM1, x)


def atan(x):
    """Inverse tangent."""
    return bind(ATAN, x)


def asin(x):
    """Inverse sine (NaN outside [-1, 1])."""
    return bind(ASIN, x)


def acos(x):
    """Inverse cosine (NaN outside [-1, 1])."""
    return bind(ACOS, x)


def sinh(x):
    """Hyperbolic sine."""
    return bind(SINH, x)


def cosh(x):
    """Hyperbolic cosine."""
    return bind(COSH, x)


def tan(x):
    """Tangent."""
    return bind(TAN, x)


__all__ = ["acos", "asin", "atan", "cosh", "expm1", "log1p", "sinh", "tan"]
