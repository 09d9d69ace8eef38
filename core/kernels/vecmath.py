"""float32 expm1 and log that the loop vectoriser can turn into SIMD code; `exp` for kernels.

numba lowers ``math.exp`` and ``math.tanh`` to scalar libm calls, which no loop vectoriser can
widen: on float32 arrays they cost 2-5x numpy's SIMD versions. These templates compute the
float32 expm1 and log in float64 with plain arithmetic only (a range reduction, a polynomial and an
exponent built from bits), which LLVM vectorises without fastmath. The sequence of IEEE
operations is fixed, so every kernel that expands a template (a single op, a fused graph group,
either frontend) gives the same bits; and the float64 intermediate leaves an error of about
1e-12 before the final rounding, so results are the correctly rounded float32 value for all but
rare near-ties (and within one ulp always).

The templates follow `elementwise_ops`' language: ``{0}`` is the operand, ``{t}`` a prefix for
temporaries, the last line the value. float64 kernels keep the libm functions. float32 exp,
sigmoid and tanh are evaluated in float32 arithmetic (`vecmath_f32`, twice the SIMD lanes), the
form the recurrent kernels run; `exp` below gives hand-written kernels that same float32 exp.
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import config, types
from numba.extending import intrinsic, overload

from . import pymath
from .vecmath_f32 import EXP_F32, f32_pow2

# Cody-Waite split of ln 2: LN2_HI has 32 significant bits, so n * LN2_HI is exact for the
# |n| <= 151 that float32 inputs need; LN2_LO carries the rest.
_LOG2E = "1.4426950408889634"
_LN2_HI = "0.6931471803691238"
_LN2_LO = "1.9082149292705877e-10"


def _c(k: int) -> str:
    return repr(1.0 / math.factorial(k))


def _expm1_core(y: str, t: str) -> list[str]:
    """Lines that leave ``{t}q`` and ``{t}s`` with exp(y) = s * (1 + q), y float64 and clamped.

    n = round(y / ln 2), r = y - n ln 2 in [-0.347, 0.347], q = expm1(r) by its Taylor series to
    r^10 (truncation below 3e-13 relative), evaluated in Estrin's order for a short dependency
    chain; s = 2^n is assembled from its exponent bits.
    """
    return [
        f"{t}n = np.floor({y} * {_LOG2E} + 0.5)",
        f"{t}r = ({y} - {t}n * {_LN2_HI}) - {t}n * {_LN2_LO}",
        f"{t}r2 = {t}r * {t}r",
        f"{t}r4 = {t}r2 * {t}r2",
        f"{t}pa = (1.0 + {_c(2)} * {t}r) + {t}r2 * ({_c(3)} + {_c(4)} * {t}r)",
        f"{t}pb = ({_c(5)} + {_c(6)} * {t}r) + {t}r2 * ({_c(7)} + {_c(8)} * {t}r)",
        f"{t}pc = {_c(9)} + {_c(10)} * {t}r",
        f"{t}q = {t}r * ({t}pa + {t}r4 * ({t}pb + {t}r4 * {t}pc))",
        f"{t}s = f64_from_bits((np.int64({t}n) + 1023) << 52)",
    ]


def _lines(*lines: str) -> str:
    return "\n".join(lines)


# expm1 = s * q + (s - 1): both terms have the sign of y, so nothing cancels. NaN and both
# zeros are returned as they came (expm1(-0.0) is -0.0; the sum would give +0.0).
EXPM1_F32 = _lines(
    "{t}d = np.float64({0})",
    "{t}y = {t}d if {t}d < 89.0 else 89.0",
    "{t}y = {t}y if {t}y > -104.0 else -104.0",
    *_expm1_core("{t}y", "{t}"),
    "np.float32({t}s * {t}q + ({t}s - 1.0)) if ({t}d == {t}d and {t}d != 0.0) else {0}",
)

# log: x = 2^e * m with m in [sqrt(1/2), sqrt(2)) taken from the bits (a float32 input is a
# normal float64, subnormals included), then log m = 2 atanh(s) with s = (m - 1) / (m + 1),
# |s| <= 0.1716, as s times a polynomial in s^2 to the s^16 term (truncation below 1e-13).
# Zero gives -inf, negatives and NaN give NaN, +inf stays.
_ATANH = " + {t}z * (".join(repr(2.0 / k) for k in range(3, 17, 2))
LOG_F32 = _lines(
    "{t}d = np.float64({0})",
    "{t}b = i64_from_f64({t}d)",
    "{t}m = f64_from_bits((({t}b & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000))",
    "{t}e = np.float64((({t}b >> 52) & 0x7FF) - 1023)",
    "{t}big = {t}m > 1.4142135623730951",
    "{t}m = {t}m * 0.5 if {t}big else {t}m",
    "{t}e = {t}e + 1.0 if {t}big else {t}e",
    "{t}f = {t}m - 1.0",
    "{t}s = {t}f / ({t}m + 1.0)",
    "{t}z = {t}s * {t}s",
    "{t}p = 2.0 + {t}z * (" + _ATANH + ")" * 7,
    "{t}r = {t}e * 0.6931471805599453 + {t}s * {t}p",
    "np.float32({t}r) if ({t}d > 0.0 and {t}d < math.inf) else "
    "np.float32(-math.inf if {t}d == 0.0 else ({t}d if {t}d > 0.0 else math.nan))",
)


def _bits_to_f64_py(bits: int) -> float:
    """Reinterpret a 64-bit integer as float64 (the plain-Python form, without the JIT)."""
    return np.array(bits, dtype=np.int64).view(np.float64)[()]


def _f64_to_bits_py(x: float) -> int:
    """The 64 bits of a float64 as an integer (the plain-Python form, without the JIT)."""
    return np.array(x, dtype=np.float64).view(np.int64)[()]


def _bitcast(source: type, target: types.Type):
    """An intrinsic reinterpreting a 64-bit `source` scalar as `target`: one LLVM bitcast."""

    def typer(typingctx, x):  # noqa: ARG001 (numba's intrinsic signature)
        if isinstance(x, source) and x.bitwidth == 64:

            def codegen(context, builder, signature, args):
                return builder.bitcast(args[0], context.get_value_type(target))

            return target(x), codegen
        return None

    return intrinsic(typer)


if config.DISABLE_JIT:
    f64_from_bits = _bits_to_f64_py
    i64_from_f64 = _f64_to_bits_py
else:
    f64_from_bits = _bitcast(types.Integer, types.float64)
    i64_from_f64 = _bitcast(types.Float, types.int64)


def _scalar_function(name: str, template: str):
    """The float32 template as a plain function of one argument, for hand-written kernels."""
    lines = template.format("x", t="t_").split("\n")
    src = f"def {name}(x):\n" + "".join(f"    {ln}\n" for ln in lines[:-1])
    src += f"    return {lines[-1]}\n"
    namespace = {"np": np, "math": math, "f64_from_bits": f64_from_bits}
    namespace["i64_from_f64"] = i64_from_f64
    namespace["f32_pow2"] = f32_pow2
    exec(compile(src, f"<duograd.vecmath.{name}>", "exec"), namespace)
    return namespace[name]


_exp_f32 = _scalar_function("exp_f32", EXP_F32)


def exp(x):
    """exp of a float scalar inside a kernel: float32 by the vectorisable template (the bits of
    the elementwise `exp` op), float64 by libm. Plain Python (without the JIT) does the same."""
    if isinstance(x, np.float32):
        return _exp_f32(x)
    return pymath.math.exp(x)


if not config.DISABLE_JIT:

    @overload(exp, inline="always")
    def _exp_overload(x):
        # a kernel compiled with this inlines the template: numba's disk cache keys on the
        # kernel's own file, so a change here needs that file touched (or the cache cleared)
        if isinstance(x, types.Float):
            if x.bitwidth == 32:
                return _exp_f32
            return lambda x: math.exp(x)
        return None


# what generated kernel modules add to their imports
IMPORT_LINE = "from duograd.core.kernels.vecmath import f64_from_bits, i64_from_f64"
