"""The scalar op table behind every elementwise kernel: op name -> numba scalar expression."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .vecmath import EXPM1_F32, LOG_F32
from .vecmath_f32 import EXP_F32, SIGMOID_F32, TANH_F32

# Template language (expanded by codegen.emit_step):
#   {0} {1} {2}   the op's scalar operands (already of the operand dtype)
#   {T}           the result dtype's constructor, e.g. ``np.float32``
#   {zero} {one}  typed constants of the operand dtype (a bare ``0.5`` or ``1`` would promote a
#                 float32 expression to float64 in numba and round differently)
#   {t}           a prefix unique to this step, for temporaries
# A template may hold several lines: all but the last are statements, the last is the value.
# Integer results are wrapped in ``{T}(...)`` by the generator because numba widens int32
# arithmetic to int64; the cast wraps around exactly like numpy's int32 arithmetic does.

F, I, B = "f", "i", "b"  # dtype kinds: float, signed integer, bool


@dataclass(frozen=True)
class ScalarOp:
    """One scalar op: arity, per-kind templates and the rule for its result dtype."""

    arity: int
    templates: dict[str, str]  # dtype kind -> template; a dtype name (e.g. "float32") overrides
    result: str = "same"  # "same" (operand dtype) or "bool"
    cond_first: bool = False  # first operand is a bool condition (``where``)
    # rough cost per element in adds (a division ~2, a transcendental function ~8): it decides
    # how many elements a kernel needs before running it on several threads pays
    cost: int = 1


def _same(arity: int, **templates: str) -> ScalarOp:
    return ScalarOp(arity, dict(templates))


def _cmp(expr: str) -> ScalarOp:
    return ScalarOp(2, {F: expr, I: expr, B: expr}, result="bool")


# maximum/minimum return the NaN operand when either is NaN (numpy/torch), else b on ties
# (numpy's ``a > b ? a : b`` choice, which only matters for signed zeros).
_MAX = "{0} if ({0} > {1} or {0} != {0}) else {1}"
_MIN = "{0} if ({0} < {1} or {0} != {0}) else {1}"

OPS: dict[str, ScalarOp] = {
    # binary arithmetic (operands share one dtype; the caller promotes)
    "add": _same(2, f="{0} + {1}", i="{0} + {1}", b="{0} | {1}"),
    "sub": _same(2, f="{0} - {1}", i="{0} - {1}"),
    "mul": _same(2, f="{0} * {1}", i="{0} * {1}", b="{0} & {1}"),
    "div": _same(2, f="{0} / {1}"),
    "pow": _same(2, f="{0} ** {1}"),
    "maximum": _same(2, f=_MAX, i="{0} if {0} > {1} else {1}", b="{0} | {1}"),
    "minimum": _same(2, f=_MIN, i="{0} if {0} < {1} else {1}", b="{0} & {1}"),
    # comparisons -> bool
    "eq": _cmp("{0} == {1}"),
    "ne": _cmp("{0} != {1}"),
    "lt": _cmp("{0} < {1}"),
    "le": _cmp("{0} <= {1}"),
    "gt": _cmp("{0} > {1}"),
    "ge": _cmp("{0} >= {1}"),
    # unary
    "neg": _same(1, f="-{0}", i="-{0}"),
    "abs": _same(1, f="abs({0})", i="abs({0})", b="{0}"),
    "square": _same(1, f="{0} * {0}", i="{0} * {0}"),
    "reciprocal": _same(1, f="{one} / {0}"),
    # float32 expm1/log (vecmath, evaluated in float64) and exp/tanh/sigmoid (vecmath_f32, in
    # float32, the recurrent kernels' form): vectorisable templates; float64: libm
    "exp": _same(1, f="math.exp({0})", float32=EXP_F32),
    "log": _same(1, f="math.log({0})", float32=LOG_F32),
    "sqrt": _same(1, f="math.sqrt({0})"),
    "tanh": _same(1, f="math.tanh({0})", float32=TANH_F32),
    "sin": _same(1, f="math.sin({0})"),
    "cos": _same(1, f="math.cos({0})"),
    "log1p": _same(1, f="math.log1p({0})"),
    "expm1": _same(1, f="math.expm1({0})", float32=EXPM1_F32),
    "erf": _same(1, f="math.erf({0})"),
    # np.floor keeps the float dtype; math.floor would return an int64
    "floor": _same(1, f="np.floor({0})"),
    # relu: ``x <= 0`` is False for NaN, so NaN passes through; -0.0 maps to +0.0
    "relu": _same(1, f="{zero} if {0} <= {zero} else {0}", i="{0} if {0} > {zero} else {zero}"),
    # sign: NaN -> NaN, +-0 -> +0 (as numpy)
    "sign": _same(
        1,
        f="{one} if {0} > {zero} else "
        "(-{one} if {0} < {zero} else ({zero} if {0} == {zero} else {0}))",
        i="{one} if {0} > {zero} else (-{one} if {0} < {zero} else {zero})",
    ),
    # stable sigmoid with a single exp: exp(-|x|) is exp(-x) for x >= 0 and exp(x) otherwise
    "sigmoid": _same(
        1,
        f="{t}e = math.exp(-abs({0}))\n"
        "({one} / ({one} + {t}e)) if {0} >= {zero} else ({t}e / ({one} + {t}e))",
        float32=SIGMOID_F32,
    ),
    # fused gradients: operand 0 is x (relu) or the forward output y, operand 1 the cotangent g
    "relu_grad": _same(2, f="{1} if {0} > {zero} else {zero}"),
    "sigmoid_grad": _same(2, f="({1} * {0}) * ({one} - {0})"),
    "tanh_grad": _same(2, f="{1} * ({one} - {0} * {0})"),
    # ternary select
    "where": ScalarOp(
        3,
        {F: "{1} if {0} else {2}", I: "{1} if {0} else {2}", B: "{1} if {0} else {2}"},
        cond_first=True,
    ),
}

# inverse trigonometric and hyperbolic functions (core/primitives/trig.py), libm in both widths
for _name in ("atan", "asin", "acos", "sinh", "cosh", "tan"):
    OPS[_name] = _same(1, f=f"math.{_name}({{0}})")

for _name in (
    "exp",
    "log",
    "tanh",
    "sin",
    "cos",
    "log1p",
    "expm1",
    "erf",
    "sigmoid",
    "pow",
    "atan",
    "asin",
    "acos",
    "sinh",
    "cosh",
    "tan",
):
    OPS[_name] = replace(OPS[_name], cost=8)
for _name in ("div", "sqrt", "reciprocal"):
    OPS[_name] = replace(OPS[_name], cost=2)

# Casts, usable inside fused programs (e.g. a comparison mask turned back into floats).
# Float -> int truncates toward zero; NaN/out-of-range values give unspecified integers.
for _dt in ("float32", "float64", "int32", "int64", "uint8", "int8", "int16", "float16"):
    OPS["cast_" + _dt] = ScalarOp(
        1, {F: f"np.{_dt}({{0}})", I: f"np.{_dt}({{0}})", B: f"np.{_dt}({{0}})"}, result=_dt
    )
OPS["cast_bool"] = ScalarOp(1, {F: "{0} != {zero}", I: "{0} != {zero}", B: "{0}"}, result="bool")

GRAD_OPS = ("relu_grad", "sigmoid_grad", "tanh_grad")
BINARY_OPS = tuple(k for k, v in OPS.items() if v.arity == 2 and k not in GRAD_OPS)
UNARY_OPS = tuple(k for k, v in OPS.items() if v.arity == 1 and not k.startswith("cast_"))
