"""The `math` module kernels use: the real one when compiled, an IEEE-754 stand-in without JIT.

Compiled by numba, ``math.log(-1.0)`` is NaN and ``math.exp(1000.0)`` is inf, as in C. Run as
plain Python (``NUMBA_DISABLE_JIT=1``, how the test suite measures kernel coverage), the real
``math`` raises ValueError / OverflowError instead, and returns a Python float where numba keeps
float32. So kernels import ``math`` from here: under the JIT it is the standard module (numba
sees exactly what it saw before), without the JIT it is `IEEEMath`, whose functions use numpy's
ufuncs on scalars: NaN and inf results, and the operand's precision kept.
"""

from __future__ import annotations

import math as _math
from fractions import Fraction
from typing import Any

import numpy as np
from numba.core import config


def _ufunc(fn: np.ufunc):
    def call(x: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(x)

    call.__name__ = fn.__name__
    return call


def _erf(x: Any) -> Any:
    # numpy has no erf; math.erf never raises on a float (erf(nan) is nan)
    value = _math.erf(float(x))
    return type(x)(value) if isinstance(x, np.floating) else value


class IEEEMath:
    """The subset of `math` the kernels call, with C semantics instead of Python exceptions."""

    inf = _math.inf
    nan = _math.nan
    pi = _math.pi
    e = _math.e
    exp = staticmethod(_ufunc(np.exp))
    log = staticmethod(_ufunc(np.log))
    sqrt = staticmethod(_ufunc(np.sqrt))
    tanh = staticmethod(_ufunc(np.tanh))
    sin = staticmethod(_ufunc(np.sin))
    cos = staticmethod(_ufunc(np.cos))
    log1p = staticmethod(_ufunc(np.log1p))
    expm1 = staticmethod(_ufunc(np.expm1))
    fabs = staticmethod(_ufunc(np.fabs))
    atan = staticmethod(_ufunc(np.arctan))
    asin = staticmethod(_ufunc(np.arcsin))
    acos = staticmethod(_ufunc(np.arccos))
    sinh = staticmethod(_ufunc(np.sinh))
    cosh = staticmethod(_ufunc(np.cosh))
    tan = staticmethod(_ufunc(np.tan))
    erf = staticmethod(_erf)
    isnan = staticmethod(_math.isnan)
    isinf = staticmethod(_math.isinf)
    isfinite = staticmethod(_math.isfinite)
    copysign = staticmethod(_math.copysign)

    def __getattr__(self, name: str) -> Any:
        # anything not overridden behaves as the standard module
        return getattr(_math, name)


math = IEEEMath() if config.DISABLE_JIT else _math

# what generated kernel modules write instead of ``import math`` (see codegen), with the bit
# helpers the float32 templates of `vecmath` and `vecmath_f32` call
IMPORT_LINE = (
    ("from duograd.core.kernels.pymath import math" if config.DISABLE_JIT else "import math")
    + "\nfrom duograd.core.kernels.vecmath import f64_from_bits, i64_from_f64"
    + "\nfrom duograd.core.kernels.vecmath_f32 import f32_pow2"
)


def exact_fma(x: Any, y: Any, z: Any) -> Any:
    """x * y + z rounded once to the operands' float type: the plain-Python form of the FMA step."""
    kind = type(x) if isinstance(x, np.floating) else np.float64
    with np.errstate(all="ignore"):
        plain = kind(x) * kind(y) + kind(z)
    if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(z)):
        return plain  # NaN and inf propagate as in IEEE arithmetic
    exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
    if exact == 0:
        return plain  # an exact zero takes its sign by the IEEE rules, as the plain sum does
    try:
        guess = kind(float(exact))
    except OverflowError:
        return kind(_math.inf if exact > 0 else -_math.inf)
    if not np.isfinite(guess):
        return guess
    # float(exact) rounds to float64 first; for float32 that can round twice, so the nearest of
    # the guess and its two neighbours is taken (ties to the even bit pattern)
    candidates = (np.nextafter(guess, kind(-np.inf)), guess, np.nextafter(guess, kind(np.inf)))
    finite = [c for c in candidates if np.isfinite(c)]
    return min(finite, key=lambda c: (abs(Fraction(float(c)) - exact), int(c.view(_INT[kind])) & 1))


_INT = {np.float32: np.int32, np.float64: np.int64}
