"""More elementwise ``torch`` functions and their Tensor methods: ``atan2``, ``hypot``,
``copysign``, ``fmod`` / ``remainder`` / ``floor_divide``, ``logaddexp``, ``xlogy``, ``lerp``,
``nan_to_num``, ``asinh`` / ``acosh`` / ``atanh``, ``erfc``, ``exp2``, ``sinc``, ``signbit``,
``fmax`` / ``fmin``, ``heaviside``, the bitwise family and the comparison aliases.

The math lives in core (`core.tensor_math`, `core.primitives.elementwise_more`) so the graph
frontend can call the same functions; this module converts operands with torch's dtype rules.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ...core import ops
from ...core import tensor_math as TM
from ...core.primitives import elementwise_more as EM
from . import _convert as C
from . import functions as _F
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return C.as_tensor_operand(x)


def _dtype(v: Any) -> np.dtype:
    return v._data.dtype if isinstance(v, Tensor) else np.asarray(v).dtype


def _float_pair(name: str, a: Any, b: Any) -> tuple:
    x, y = C.pair(a, b)
    if _dtype(x).kind == "c":
        raise RuntimeError(f"{name}: complex tensors are not supported, got {_dtype(x)}")
    if _dtype(x).kind != "f":
        dt = C.default_float()
        x = ops.cast(x, dt) if isinstance(x, Tensor) else np.asarray(x, dt)
        y = ops.cast(y, dt) if isinstance(y, Tensor) else np.asarray(y, dt)
    return x, y


def _numeric_pair(name: str, a: Any, b: Any) -> tuple:
    x, y = C.pair(a, b)
    if _dtype(x) == np.bool_:
        raise RuntimeError(f"{name}: not implemented for 'Bool' tensors; convert with .int()")
    return x, y


def _as_tensor(v: Any) -> Tensor:
    return v if isinstance(v, Tensor) else Tensor._make(np.asarray(v))


# ---- two-operand math ---------------------------------------------------------------------------


def atan2(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """The angle of (other, input): atan(input / other) in the right quadrant."""
    return _as_tensor(EM.atan2(*_float_pair("atan2", input, other)))


def hypot(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """sqrt(input**2 + other**2) without overflow (float inputs, as torch)."""
    x, y = C.pair(input, other)
    if _dtype(x).kind != "f":
        raise RuntimeError(f"hypot: expected floating point tensors, got {_dtype(x)}")
    return _as_tensor(EM.hypot(x, y))


def copysign(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """|input| with the sign of other (integers give floats, as torch)."""
    return _as_tensor(EM.copysign(*_float_pair("copysign", input, other)))


def fmod(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """The C remainder input - trunc(input / other) * other (sign of input)."""
    x, y = _numeric_pair("fmod", input, other)
    if _dtype(x).kind == "f":
        return _as_tensor(EM.fmod(x, y))
    _nonzero_divisor("fmod", y)
    wide = EM.fmod(ops.cast(_as_tensor(x), np.float64), ops.cast(_as_tensor(y), np.float64))
    return ops.cast(wide, _dtype(x))


def _nonzero_divisor(name: str, y: Any) -> None:
    if np.any(np.asarray(y._data if isinstance(y, Tensor) else y) == 0):
        # PyTorch's RuntimeError (Python's ZeroDivisionError is no tensor library's error type)
        raise RuntimeError(
            f"{name}: ZeroDivisionError: integer division by zero (a zero in `other`)"
        )


def remainder(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Python's modulus: input - floor(input / other) * other (sign of other)."""
    x, y = _numeric_pair("remainder", input, other)
    if _dtype(x).kind != "f":
        _nonzero_divisor("remainder", y)
    return _as_tensor(TM.remainder(_as_tensor(x), y))


def floor_divide(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """floor(input / other) (integers stay integers); not differentiable."""
    x, y = _numeric_pair("floor_divide", input, other)
    if _dtype(x).kind != "f":
        _nonzero_divisor("floor_divide", y)
    return _as_tensor(TM.floor_divide(_as_tensor(x), y))


def rounded_div(input: Any, other: Any, rounding_mode: str) -> Tensor:
    """torch.div with rounding_mode 'floor' or 'trunc' (integers stay integers)."""
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}"
        )
    if rounding_mode == "floor":
        return floor_divide(input, other)
    x, y = _numeric_pair("div", input, other)
    if _dtype(x).kind != "f":
        _nonzero_divisor("div", y)
    return _as_tensor(TM.trunc_divide(_as_tensor(x), y))


def true_divide(dividend: Any, divisor: Any, *, out: Any = None) -> Tensor:
    """dividend / divisor as floats (torch.div without a rounding mode)."""
    return _F.div(dividend, divisor)


def divide(input: Any, other: Any, *, rounding_mode: str | None = None, out: Any = None) -> Tensor:
    """torch.div under its longer name (rounding_mode None, 'trunc' or 'floor')."""
    return _F.div(input, other, rounding_mode)


def subtract(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Tensor:
    """input - alpha * other."""
    return _F.sub(input, other, alpha=alpha)


def negative(input: Any, *, out: Any = None) -> Tensor:
    """-input."""
    return _F.neg(input)


def positive(input: Any) -> Tensor:
    """input itself (bool tensors are refused, as torch)."""
    x = _t(input)
    if x._data.dtype == np.bool_:
        raise RuntimeError("positive: the `+` operator, on a bool tensor, is not supported")
    return x


def logaddexp(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """log(exp(input) + exp(other)) without overflow."""
    return _as_tensor(TM.logaddexp(*_float_pair("logaddexp", input, other)))


def logaddexp2(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """log2(2**input + 2**other) without overflow."""
    return _as_tensor(TM.logaddexp2(*_float_pair("logaddexp2", input, other)))


def xlogy(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """input * log(other), 0 where input == 0 (unless other is NaN)."""
    x, y = _float_pair("xlogy", input, other)
    shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    return _as_tensor(TM.xlogy(ops.broadcast_to(x, shape), ops.broadcast_to(y, shape)))


def float_power(input: Any, exponent: Any, *, out: Any = None) -> Tensor:
    """input ** exponent computed in float64 (the result is float64, as torch)."""
    x = input if C.is_scalar(input) else ops.cast(_t(input), np.float64)
    e = exponent if C.is_scalar(exponent) else ops.cast(_t(exponent), np.float64)
    x, e = C.pair(x if not C.is_scalar(x) else float(x), e if not C.is_scalar(e) else float(e))
    return _as_tensor(ops.pow(x, e))


def ldexp(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """input * 2 ** other."""
    return _F.mul(input, _F.pow(2.0, C.floating(other)))


def lerp(input: Any, end: Any, weight: Any, *, out: Any = None) -> Tensor:
    """input + weight * (end - input) (weight a number or a tensor)."""
    if isinstance(input, Tensor):  # PyTorch promotes nothing here: end and weight match input
        for arg, v in (("end", end), ("weight", weight)):
            if isinstance(v, Tensor) and v.dtype != input.dtype:
                raise RuntimeError(
                    f"lerp: expected dtype {input.dtype} for `{arg}` but got dtype {v.dtype}"
                )
    s, e = C.pair(input, end)
    if _dtype(s).kind != "f":
        raise RuntimeError(f"lerp: expected floating point tensors, got {_dtype(s)}")
    w = np.asarray(weight, _dtype(s)) if C.is_scalar(weight) else C.to_dtype(_t(weight), _dtype(s))
    if isinstance(w, Tensor) and w._data.dtype != _dtype(s):
        raise RuntimeError("lerp: weight must have the same dtype as input and end")
    return _as_tensor(TM.lerp(s, e, w))


def nan_to_num(
    input: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None,
    *, out: Any = None,
) -> Tensor:  # fmt: skip
    """NaN -> nan, +inf -> posinf, -inf -> neginf (the dtype's extremes by default)."""
    x = _t(input)
    if x._data.dtype.kind != "f":
        return x.clone()
    return TM.nan_to_num(x, nan, posinf, neginf)


def _unary_float(name: str, core_fn: Any) -> Any:
    def fn(input: Any, *, out: Any = None) -> Tensor:
        return core_fn(C.floating(input))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (integer inputs computed in the default float dtype)."
    return fn


asinh = arcsinh = _unary_float("asinh", EM.asinh)
acosh = arccosh = _unary_float("acosh", EM.acosh)
atanh = arctanh = _unary_float("atanh", EM.atanh)
erfc = _unary_float("erfc", EM.erfc)
exp2 = _unary_float("exp2", TM.exp2)
sinc = _unary_float("sinc", TM.sinc)


class _Frexp(NamedTuple):
    mantissa: Any
    exponent: Any


def frexp(input: Any, *, out: Any = None) -> _Frexp:
    """(mantissa in [0.5, 1), int32 exponent) with input = mantissa * 2**exponent."""
    x = _t(input)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got {x.dtype}")
    _, e = np.frexp(x._data)
    scale = np.ldexp(np.ones((), x._data.dtype), -e).astype(x._data.dtype)
    finite = np.isfinite(x._data)
    mant = ops.mul(x, Tensor._make(np.where(finite, scale, 1).astype(x._data.dtype)))
    return _Frexp(mant, Tensor._make(np.where(finite, e, 0).astype(np.int32)))


def clamp_min(input: Any, min: Any) -> Tensor:  # noqa: A002
    """max(input, min) elementwise."""
    return _t(input).clamp(min=min)


def clamp_max(input: Any, max: Any) -> Tensor:  # noqa: A002
    """min(input, max) elementwise."""
    return _t(input).clamp(max=max)


def signbit(input: Any, *, out: Any = None) -> Tensor:
    """True where the sign bit is set (-0.0 included)."""
    return EM.signbit(_t(input))


def sgn(input: Any, *, out: Any = None) -> Tensor:
    """The sign of a real tensor (torch.sign)."""
    x = _t(input)
    if x._data.dtype.kind == "c":
        raise NotImplementedError("sgn: complex tensors are not supported; use x / x.abs()")
    return x.sign()


def heaviside(input: Any, values: Any, *, out: Any = None) -> Tensor:
    """0 where input < 0, 1 where input > 0, `values` where input == 0."""
    x, v = _t(input), _t(values)
    if x._data.dtype != v._data.dtype:
        raise RuntimeError(
            f"heaviside is not yet implemented for tensors with different dtypes: {x.dtype} and "
            f"{v.dtype}"
        )
    return _as_tensor(TM.heaviside(x, v))


def fmax(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Elementwise maximum ignoring NaNs."""
    x, y = C.pair(input, other)
    return _as_tensor(TM.fmax(_as_tensor(x), y) if _dtype(x).kind == "f" else ops.maximum(x, y))


def fmin(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Elementwise minimum ignoring NaNs."""
    x, y = C.pair(input, other)
    return _as_tensor(TM.fmin(_as_tensor(x), y) if _dtype(x).kind == "f" else ops.minimum(x, y))


# ---- integer-only ops (no gradient: integers do not carry one) -----------------------------------


def _bitwise(name: str, np_fn: Any, shift: bool = False) -> Any:
    def fn(input: Any, other: Any, *, out: Any = None) -> Tensor:
        x, y = C.pair(input, other)
        xa = x._data if isinstance(x, Tensor) else np.asarray(x)
        ya = y._data if isinstance(y, Tensor) else np.asarray(y)
        if xa.dtype.kind not in "biu" or (shift and xa.dtype == np.bool_):
            raise RuntimeError(
                f"{name}: expected integer{'' if shift else ' or bool'} tensors, got {xa.dtype}"
            )
        return Tensor._make(np.asarray(np_fn(xa, ya)).astype(xa.dtype))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} of integer (or bool) tensors."
    return fn


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)
bitwise_left_shift = _bitwise("bitwise_left_shift", np.left_shift, shift=True)
bitwise_right_shift = _bitwise("bitwise_right_shift", np.right_shift, shift=True)


def bitwise_not(input: Any, *, out: Any = None) -> Tensor:
    """Elementwise NOT of an integer or bool tensor."""
    x = _t(input)
    if x._data.dtype.kind not in "biu":
        raise RuntimeError(f"bitwise_not: expected an integer or bool tensor, got {x.dtype}")
    return Tensor._make(np.invert(x._data))


def gcd(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Greatest common divisor of integer tensors."""
    return _bitwise("gcd", np.gcd, shift=True)(input, other)


def lcm(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Least common multiple of integer tensors."""
    return _bitwise("lcm", np.lcm, shift=True)(input, other)


# ---- comparison aliases -------------------------------------------------------------------------


def _compare(method: str) -> Any:
    def fn(input: Any, other: Any, *, out: Any = None) -> Tensor:
        return getattr(_t(input), method)(other)

    fn.__doc__ = f"torch.{method} under its longer name."
    return fn


greater, greater_equal, less = _compare("gt"), _compare("ge"), _compare("lt")
less_equal, not_equal = _compare("le"), _compare("ne")

_BINARY = (
    "atan2", "hypot", "copysign", "fmod", "remainder", "floor_divide", "true_divide",
    "logaddexp", "logaddexp2", "xlogy", "float_power", "ldexp", "fmax", "fmin", "heaviside",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
    "gcd", "lcm",
)  # fmt: skip
_UNARY = (
    "asinh", "acosh", "atanh", "erfc", "exp2", "sinc", "signbit", "sgn", "negative", "positive",
    "bitwise_not",
)  # fmt: skip


def _install() -> None:
    T = Tensor  # noqa: N806
    g = globals()
    for name in _BINARY:
        setattr(T, name, (lambda f: lambda self, other: f(self, other))(g[name]))
    for name in _UNARY:
        setattr(T, name, (lambda f: lambda self: f(self))(g[name]))
    T.frexp = lambda self: frexp(self)
    T.arctan2, T.arcsinh, T.arccosh, T.arctanh = T.atan2, T.asinh, T.acosh, T.atanh
    T.divide = lambda self, other, *, rounding_mode=None: divide(
        self, other, rounding_mode=rounding_mode
    )
    T.subtract = lambda self, other, *, alpha=1: subtract(self, other, alpha=alpha)
    T.lerp = lambda self, end, weight: lerp(self, end, weight)
    T.nan_to_num = lambda self, nan=0.0, posinf=None, neginf=None: nan_to_num(
        self, nan, posinf, neginf
    )
    T.greater, T.greater_equal = T.gt, T.ge
    T.less, T.less_equal, T.not_equal = T.lt, T.le, T.ne
    T.__mod__ = lambda self, other: remainder(self, other)
    T.__rmod__ = lambda self, other: remainder(other, self)
    # integer tensors get the bitwise operators; bool tensors keep the logical ones
    T.__and__ = _int_operator(T.__and__, bitwise_and)
    T.__or__ = _int_operator(T.__or__, bitwise_or)
    T.__xor__ = _int_operator(None, bitwise_xor)
    T.__rand__, T.__ror__, T.__rxor__ = T.__and__, T.__or__, T.__xor__
    T.__invert__ = _int_unary(T.__invert__, bitwise_not)
    T.__lshift__ = lambda self, other: bitwise_left_shift(self, other)
    T.__rshift__ = lambda self, other: bitwise_right_shift(self, other)


def _int_operator(logical: Any, bitwise: Any) -> Any:
    def op(self: Tensor, other: Any) -> Any:
        if self._data.dtype == np.bool_ and logical is not None:
            return logical(self, other)
        return bitwise(self, other)

    return op


def _int_unary(logical: Any, bitwise: Any) -> Any:
    def op(self: Tensor) -> Any:
        return logical(self) if self._data.dtype == np.bool_ else bitwise(self)

    return op


_install()

arctan2 = atan2


def absolute(input: Any, *, out: Any = None) -> Tensor:
    """torch.abs under numpy's longer name."""
    return _t(input).abs()


__all__ = [
    "absolute", "acosh", "arccosh", "arcsinh", "arctan2", "arctanh", "asinh", "atan2", "atanh",
    "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
    "bitwise_xor", "clamp_max", "clamp_min", "copysign", "erfc", "exp2", "float_power",
    "floor_divide", "fmax", "fmin", "fmod", "frexp", "gcd", "greater", "greater_equal", "heaviside",
    "hypot", "lcm", "ldexp", "lerp", "less", "less_equal", "logaddexp", "logaddexp2", "nan_to_num",
    "not_equal", "positive", "remainder", "sgn", "signbit", "sinc", "xlogy",
]  # fmt: skip
