"""atan2, hypot, copysign, fmod, asinh, acosh, atanh, erfc and signbit: elementwise, declared once.

Each is a scalar template (libm's function in the operand's width) with a gradient rule written
with core ops, so eager backward and `tf.gradients` share it. Compositions of core ops would lose
accuracy (erfc = 1 - erf in the tail, asinh through log of a sum) or the right quadrant (atan2).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels.elementwise_ops import ScalarOp
from . import rules
from .elementwise import (
    add,
    div,
    equal,
    exp,
    mul,
    neg,
    scalar,
    sqrt,
    square,
    sub,
    where,
)
from .registry import AVal, Primitive, bind, register
from .rounding import trunc
from .shaping import fill_like, stop_gradient, sum_like


def _unary_rule(name: str):
    def rule(x) -> AVal:
        rules.require_float(name, x)
        return AVal(tuple(x.shape), np.dtype(x.dtype))

    return rule


def _binary_rule(name: str):
    def rule(x, y) -> AVal:
        dt = rules.same_dtype(name, x, y)
        rules.require_float(name, x)
        return AVal(rules.broadcast_shapes(name, tuple(x.shape), tuple(y.shape)), dt)

    return rule


def _ref(fn):
    def ref(*xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(fn(*xs)).astype(xs[0].dtype)

    return ref


def _declare(name: str, arity: int, expr: str, vjp, ref, cost: int = 8) -> Primitive:
    return register(
        Primitive(
            name,
            impl=None,  # made from the template
            shape_rule=(_unary_rule if arity == 1 else _binary_rule)(name),
            vjp=vjp,
            reference=ref,
            template=ScalarOp(arity, {"f": expr}, cost=cost),
        )
    )


# ---- gradient rules (core ops only, so second order works) -------------------------------------


def _atan2_vjp(g, out, y, x, wants):
    # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2); 0 at the origin, as torch
    r2 = add(square(x), square(y))
    r2 = where(equal(r2, scalar(0, r2)), fill_like(r2, 1), r2)
    return (
        sum_like(div(mul(g, x), r2), y) if wants[0] else None,
        sum_like(div(mul(neg(g), y), r2), x) if wants[1] else None,
    )


def _hypot_vjp(g, out, x, y, wants):
    # at the origin the slope is 0, a subgradient of the norm (torch gives NaN there)
    r = where(equal(out, scalar(0, out)), fill_like(out, 1), out)
    return (
        sum_like(mul(g, div(x, r)), x) if wants[0] else None,
        sum_like(mul(g, div(y, r)), y) if wants[1] else None,
    )


def _copysign_vjp(g, out, x, y, wants):
    # the magnitude's gradient keeps or flips its sign (zero at x == 0, as torch); the sign
    # operand contributes only its sign bit: a zero gradient
    if not wants[0]:
        return (None, sum_like(mul(g, scalar(0, g)), y) if wants[1] else None)
    zero = scalar(0, x)
    ratio = where(equal(x, zero), fill_like(out, 0), div(out, x))
    gy = sum_like(mul(g, scalar(0, g)), y) if wants[1] else None
    return (sum_like(mul(g, ratio), x), gy)


def _fmod_vjp(g, out, x, y, wants):
    # fmod(x, y) = x - trunc(x / y) * y
    return (
        sum_like(g, x) if wants[0] else None,
        sum_like(mul(neg(g), stop_gradient(trunc(div(x, y)))), y) if wants[1] else None,
    )


def _asinh_vjp(g, out, x, wants):
    return (div(g, sqrt(add(square(x), scalar(1, x)))),)


def _acosh_vjp(g, out, x, wants):
    return (div(g, sqrt(sub(square(x), scalar(1, x)))),)


def _atanh_vjp(g, out, x, wants):
    return (div(g, sub(scalar(1, x), square(x))),)


def _erfc_vjp(g, out, x, wants):
    c = scalar(-2.0 / math.sqrt(math.pi), x)
    return (mul(g, mul(c, exp(neg(square(x))))),)


ATAN2 = _declare("atan2", 2, "math.atan2({0}, {1})", _atan2_vjp, _ref(np.arctan2))
HYPOT = _declare("hypot", 2, "math.hypot({0}, {1})", _hypot_vjp, _ref(np.hypot))
COPYSIGN = _declare(
    "copysign", 2, "math.copysign({0}, {1})", _copysign_vjp, _ref(np.copysign), cost=1
)
FMOD = _declare("fmod", 2, "np.fmod({0}, {1})", _fmod_vjp, _ref(np.fmod), cost=4)
ASINH = _declare("asinh", 1, "math.asinh({0})", _asinh_vjp, _ref(np.arcsinh))
# outside the domain the compiled math gives NaN (and +-inf at +-1 for atanh); plain Python's
# math raises instead, so the templates say it (the JIT-off path runs them as Python)
ACOSH = _declare(
    "acosh", 1, "(math.acosh({0}) if {0} >= 1.0 else math.nan)", _acosh_vjp, _ref(np.arccosh)
)
ATANH = _declare(
    "atanh",
    1,
    "(math.atanh({0}) if -1.0 < {0} < 1.0 else "
    "(math.copysign(math.inf, {0}) if abs({0}) == 1.0 else math.nan))",
    _atanh_vjp,
    _ref(np.arctanh),
)
ERFC = _declare("erfc", 1, "math.erfc({0})", _erfc_vjp, _ref(lambda x: _erfc_np(x)))


def _erfc_np(x: np.ndarray) -> np.ndarray:
    flat = [math.erfc(float(v)) for v in np.asarray(x).reshape(-1)]
    return np.asarray(flat, dtype=np.float64).reshape(np.shape(x))


def _signbit_rule(x) -> AVal:
    return AVal(tuple(x.shape), np.dtype(np.bool_))


SIGNBIT = register(
    Primitive(
        "signbit",
        impl=None,
        shape_rule=_signbit_rule,
        vjp=None,
        reference=lambda x: np.signbit(x),
        nondiff=(0,),
        template=ScalarOp(
            1,
            {"f": "math.copysign(1.0, {0}) < 0.0", "i": "{0} < {zero}", "b": "False"},
            result="bool",
        ),
    )
)


def atan2(y, x):
    """The angle of the point (x, y), in (-pi, pi] (the quadrant from both signs)."""
    return bind(ATAN2, y, x)


def hypot(x, y):
    """sqrt(x^2 + y^2) without overflow or underflow in the squares."""
    return bind(HYPOT, x, y)


def copysign(x, y):
    """|x| with the sign bit of y (signed zeros and NaNs included)."""
    return bind(COPYSIGN, x, y)


def fmod(x, y):
    """x - trunc(x / y) * y: the C remainder, with the sign of x."""
    return bind(FMOD, x, y)


def asinh(x):
    """Inverse hyperbolic sine."""
    return bind(ASINH, x)


def acosh(x):
    """Inverse hyperbolic cosine (NaN below 1)."""
    return bind(ACOSH, x)


def atanh(x):
    """Inverse hyperbolic tangent (NaN outside [-1, 1])."""
    return bind(ATANH, x)


def erfc(x):
    """1 - erf(x), accurate in the tail."""
    return bind(ERFC, x)


def signbit(x):
    """True where the sign bit is set (-0.0 and negative NaNs included)."""
    return bind(SIGNBIT, x)


__all__ = ["acosh", "asinh", "atan2", "atanh", "copysign", "erfc", "fmod", "hypot", "signbit"]
