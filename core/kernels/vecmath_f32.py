"""float32 exp, sigmoid and tanh in float32 arithmetic: the one form every kernel evaluates.

The float32 `exp`, `sigmoid` and `tanh` ops (the elementwise kernels both frontends dispatch
to, the graph passes' fused groups, the LSTM cell primitives and every recurrent time loop)
expand these templates, so a cell composed op by op and the fused recurrent kernels give the
same bits; softmax's exp is this `exp` too (`vecmath.exp`). They stay in float32 from end to
end, so a SIMD register holds twice the lanes of a float64 evaluation: one Cody-Waite
reduction, a degree-7 Taylor polynomial for expm1 on [-ln2/2, ln2/2] and the power of two
assembled from its exponent bits. The error is a few ulp of the correctly rounded value (exp:
at most 1 ulp over every float32 input; tests/core/test_vecmath_f32.py measures them). float64 keeps
the C library (`elementwise_ops`).

The templates follow `elementwise_ops`' language: ``{0}`` is the operand, ``{t}`` a prefix for
temporaries, the last line the value; constants are written as ``np.float32(...)`` so that no
step is promoted to float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from llvmlite import ir
from numba.core import config, types
from numba.extending import intrinsic


def _f(v: float) -> str:
    return f"np.float32({float(np.float32(v))!r})"


_LOG2E = _f(1.4426950408889634)
# ln 2 = LN2_HI + LN2_LO with LN2_HI exact in 9 bits, so n * LN2_HI is exact for |n| < 2^15
_LN2_HI = _f(0.693359375)
_LN2_LO = _f(-2.1219444005469057e-4)
_HALF, _ONE, _TWO = _f(0.5), _f(1.0), _f(2.0)


def _reduce(y: str, t: str) -> list[str]:
    """Lines leaving ``{t}n``, ``{t}q`` with exp(y) = 2^n * (1 + q); y float32. q = expm1(r) to
    the r^7 term (truncation below 2e-8 relative for |r| <= 0.347), in Horner's order."""
    coeffs = [_f(1.0 / math.factorial(k)) for k in range(2, 8)]
    poly = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        poly = f"({c} + {t}r * {poly})"
    return [
        f"{t}n = np.floor({y} * {_LOG2E} + {_HALF})",
        f"{t}r = ({y} - {t}n * {_LN2_HI}) - {t}n * {_LN2_LO}",
        f"{t}q = {t}r + ({t}r * {t}r) * {poly}",
    ]


def _expm1_core(y: str, t: str) -> list[str]:
    """Lines leaving ``{t}q``, ``{t}s`` with exp(y) = s * (1 + q); y float32, clamped so that
    s = 2^n is a normal float32."""
    return [*_reduce(y, t), f"{t}s = f32_pow2({t}n)"]


def _lines(*lines: str) -> str:
    return "\n".join(lines)


# sigmoid with one exp of -|x| (it never overflows): 1 / (1 + e) for x >= 0, e / (1 + e) below.
# Below x = -87 the result is subnormal or zero, where 2^n is no normal float32: e is built as
# (s + s * q) * 2^(n - na) with s = 2^na, na = max(n, -100), both factors normal. Whenever e is
# normal the second factor is exact (1.0 for n >= -100); a subnormal e is rounded once more.
# -|x| is clamped to -104, below which sigmoid rounds to 0. NaN takes the clamp and is put back.
SIGMOID_F32 = _lines(
    "{t}y = -abs({0})",
    "{t}y = {t}y if {t}y > np.float32(-104.0) else np.float32(-104.0)",
    *_reduce("{t}y", "{t}"),
    "{t}na = {t}n if {t}n > np.float32(-100.0) else np.float32(-100.0)",
    "{t}s = f32_pow2({t}na)",
    "{t}e = ({t}s + {t}s * {t}q) * f32_pow2({t}n - {t}na)",
    f"{{t}}d = {_ONE} + {{t}}e",
    f"(({_ONE} / {{t}}d) if {{0}} >= np.float32(0.0) else ({{t}}e / {{t}}d)) "
    "if {0} == {0} else {0}",
)

# tanh|x| = m / (m + 2) with m = expm1(2|x|) = s * q + (s - 1), whose two terms share a sign:
# nothing cancels at small |x|. float32 tanh is 1.0 from |x| = 9.01 on, so |x| is clamped to 9.5;
# the sign is copied back (tanh(-0.0) is -0.0) and NaN restored.
TANH_F32 = _lines(
    "{t}a = abs({0})",
    f"{{t}}y = {_TWO} * ({{t}}a if {{t}}a < np.float32(9.5) else np.float32(9.5))",
    *_expm1_core("{t}y", "{t}"),
    f"{{t}}m = {{t}}s * {{t}}q + ({{t}}s - {_ONE})",
    f"{{t}}v = {{t}}m / ({{t}}m + {_TWO})",
    "np.float32(math.copysign({t}v, {0})) if {0} == {0} else {0}",
)

# exp: float32 results overflow above 88.73 and vanish below -103.98, so the input is clamped
# to [-104, 89] (no result changes; NaN takes the clamp and is put back). 2^n, n in [-150, 129],
# is applied as two normal factors, 2^na with na = n clamped to [-100, 100], then 2^(n - na):
# s + s * q is exact up to its one rounding, the second factor exact whenever the result is a
# normal float32 (a subnormal result is rounded once more, an overflow gives inf).
EXP_F32 = _lines(
    "{t}y = {0} if {0} < np.float32(89.0) else np.float32(89.0)",
    "{t}y = {t}y if {t}y > np.float32(-104.0) else np.float32(-104.0)",
    *_reduce("{t}y", "{t}"),
    "{t}na = {t}n if {t}n > np.float32(-100.0) else np.float32(-100.0)",
    "{t}na = {t}na if {t}na < np.float32(100.0) else np.float32(100.0)",
    "{t}s = f32_pow2({t}na)",
    "(({t}s + {t}s * {t}q) * f32_pow2({t}n - {t}na)) if {0} == {0} else {0}",
)

TEMPLATES = {"sigmoid": SIGMOID_F32, "tanh": TANH_F32, "exp": EXP_F32}

# what generated kernel modules add to their imports (`pymath.IMPORT_LINE` carries it)
IMPORT_LINE = "from duograd.core.kernels.vecmath_f32 import f32_pow2"


def _pow2_py(n) -> np.float32:
    """2^n for an integral float32 n in [-126, 127] (the plain-Python form, without the JIT)."""
    return np.float32(math.ldexp(1.0, int(n)))


@intrinsic
def _pow2_intrinsic(typingctx, n):  # noqa: ARG001 (numba's intrinsic signature)
    """2^n for an integral float32 n in [-126, 127]: its exponent bits, one integer shift."""
    if not (isinstance(n, types.Float) and n.bitwidth == 32):
        return None

    def codegen_(context, builder, signature, args):
        i32 = ir.IntType(32)
        k = builder.fptosi(args[0], i32)
        bits = builder.shl(builder.add(k, ir.Constant(i32, 127)), ir.Constant(i32, 23))
        return builder.bitcast(bits, ir.FloatType())

    return types.float32(n), codegen_


f32_pow2 = _pow2_py if config.DISABLE_JIT else _pow2_intrinsic


def scalar_function(op: str, plain: bool = False) -> Callable[[np.float32], np.float32]:
    """The float32 template of `op` ("exp", "sigmoid" or "tanh") as a function of one scalar,
    for the caller to compile with njit, or with `plain` to run as Python (without the JIT)."""
    lines = TEMPLATES[op].format("x", t="t_").split("\n")
    src = f"def {op}_f32(x):\n" + "".join(f"    {ln}\n" for ln in lines[:-1])
    src += f"    return {lines[-1]}\n"
    namespace = {"np": np, "math": math, "f32_pow2": _pow2_py if plain else f32_pow2}
    exec(compile(src, f"<duograd.vecmath_f32.{op}>", "exec"), namespace)
    return namespace[f"{op}_f32"]
