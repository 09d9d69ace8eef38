"""More elementwise math and products: ``torch.einsum``, ``acos`` / ``atan`` / ``sinh`` / ...,
``log1p`` / ``expm1`` / ``log10`` / ``log2``, ``isfinite`` / ``isinf`` / ``isclose``, ``addcmul`` /
``addmm`` / ``ger``, ``logit``, ``frac``, ``var_mean`` and their Tensor methods.

Each is a core op or a composition of core ops (einsum lowers in `core.einsum`), so gradients
come from the core's rules and the graph frontend can call the same functions.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ...core import ops
from ...core.einsum import einsum as _core_einsum
from ...core.primitives import trig as _trig
from . import _convert as C
from . import functions as _F
from . import inplace as _I
from .creation import zeros_like as _zeros_like
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return C.as_tensor_operand(x)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation ('ij,jk->ik', 'bhqd,bhkd->bhqk', '...ij->...ji'); operands may be a
    list, as torch accepts."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = [_t(x) for x in operands]
    if any(x._data.dtype.kind != "f" for x in xs):
        dts = [str(x.dtype) for x in xs]
        if len({x._data.dtype for x in xs}) > 1 or any(x._data.dtype.kind not in "iub" for x in xs):
            raise RuntimeError(f"einsum(): operands must share one dtype, got {dts}")
        # integer einsum: computed in float64 (exact below 2**53) and cast back
        dt = xs[0]._data.dtype
        wide = _core_einsum(equation, *[ops.cast(x, np.float64) for x in xs])
        return ops.cast(ops.round(wide), dt)
    if len({x._data.dtype for x in xs}) > 1:
        raise RuntimeError(
            f"einsum(): operands must share one dtype, got {[str(x.dtype) for x in xs]}"
        )
    return _core_einsum(equation, *xs)


def _unary(name: str, core_fn: Any) -> Any:
    def fn(input: Any, *, out: Any = None) -> Tensor:
        return core_fn(C.floating(input))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (integer inputs computed in the default float dtype)."
    return fn


log1p = _unary("log1p", _trig.log1p)
expm1 = _unary("expm1", _trig.expm1)
atan = arctan = _unary("atan", _trig.atan)
asin = arcsin = _unary("asin", _trig.asin)
acos = arccos = _unary("acos", _trig.acos)
sinh = _unary("sinh", _trig.sinh)
cosh = _unary("cosh", _trig.cosh)
tan = _unary("tan", _trig.tan)


def log10(input: Any) -> Tensor:
    """Base-10 logarithm."""
    x = C.floating(input)
    return ops.div(ops.log(x), ops.scalar(math.log(10.0), x))


def log2(input: Any) -> Tensor:
    """Base-2 logarithm."""
    x = C.floating(input)
    return ops.div(ops.log(x), ops.scalar(math.log(2.0), x))


def deg2rad(input: Any) -> Tensor:
    """Degrees to radians."""
    x = C.floating(input)
    return ops.mul(x, ops.scalar(math.pi / 180.0, x))


def rad2deg(input: Any) -> Tensor:
    """Radians to degrees."""
    x = C.floating(input)
    return ops.mul(x, ops.scalar(180.0 / math.pi, x))


def frac(input: Any) -> Tensor:
    """The fractional part, x - trunc(x) (gradient 1, as torch)."""
    x = _t(input)
    return ops.sub(x, ops.stop_gradient(ops.trunc(x)))


def logit(input: Any, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    p = C.floating(input)
    if eps is not None:
        # PyTorch's order of tests: below eps -> eps, else above 1 - eps -> 1 - eps (a NaN
        # eps compares false both ways and leaves p; eps > 0.5 gives eps, not 1 - eps)
        lo, hi = ops.fill_like(p, eps), ops.fill_like(p, 1.0 - eps)
        p = ops.where(ops.less(p, lo), lo, ops.where(ops.greater(p, hi), hi, p))
    return ops.sub(ops.log(p), _trig.log1p(ops.neg(p)))


def isfinite(input: Any) -> Tensor:
    """True where the value is neither infinite nor NaN."""
    x = _t(input)
    return Tensor._make(np.isfinite(x._data))


def isinf(input: Any) -> Tensor:
    """True where the value is +inf or -inf."""
    return Tensor._make(np.isinf(_t(input)._data))


def isposinf(input: Any) -> Tensor:
    """True where the value is +inf."""
    return Tensor._make(np.isposinf(_t(input)._data))


def isneginf(input: Any) -> Tensor:
    """True where the value is -inf."""
    return Tensor._make(np.isneginf(_t(input)._data))


def isreal(input: Any) -> Tensor:
    """True where the value has no imaginary part (every element of a real tensor)."""
    a = _t(input)._data
    return Tensor._make(
        np.asarray(np.imag(a) == 0) if a.dtype.kind == "c" else np.ones(a.shape, bool)
    )


def isclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise."""
    a, b = _t(input)._data, _t(other)._data
    if a.dtype != b.dtype:  # PyTorch compares tensors of one dtype only
        raise RuntimeError(f"isclose: {_t(input).dtype} did not match {_t(other).dtype}")
    return Tensor._make(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def nextafter(input: Any, other: Any) -> Tensor:
    """The next representable value after input towards other (no gradient)."""
    x, y = C.pair(input, other)  # promoted as PyTorch (bool with float32 is float32)
    a, b = _t(x)._data, _t(y)._data
    if a.dtype.kind != "f":
        raise RuntimeError(f'nextafter: "nextafter_cpu" not implemented for {a.dtype}')
    return Tensor._make(np.nextafter(a, b))


def _value_first(tensor1: Any, tensor2: Any, rest: tuple, value: Any) -> tuple:
    """PyTorch's deprecated `addcmul(input, value, tensor1, tensor2)` order (old optimizers
    write `exp_avg_sq.addcmul_(1 - beta2, grad, grad)`): as (tensor1, tensor2, value)."""
    if not rest:
        return tensor1, tensor2, value
    if len(rest) > 1 or not isinstance(tensor1, numbers.Number):
        raise TypeError(
            "addcmul/addcdiv take (input, tensor1, tensor2, *, value=1), or the deprecated "
            "(input, value, tensor1, tensor2)"
        )
    warnings.warn(
        "This overload of addcmul/addcdiv is deprecated: (Number value, Tensor tensor1, Tensor "
        "tensor2); use (Tensor tensor1, Tensor tensor2, *, Number value) instead",
        UserWarning,
        stacklevel=3,
    )
    return tensor2, rest[0], tensor1


def addcmul(input: Any, tensor1: Any, tensor2: Any, *rest: Any, value: Any = 1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    tensor1, tensor2, value = _value_first(tensor1, tensor2, rest, value)
    prod = _F.mul(tensor1, tensor2)
    return _F.add(input, prod if value == 1 else _F.mul(prod, value))


def addcdiv(input: Any, tensor1: Any, tensor2: Any, *rest: Any, value: Any = 1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    tensor1, tensor2, value = _value_first(tensor1, tensor2, rest, value)
    q = _F.div(tensor1, tensor2)
    return _F.add(input, q if value == 1 else _F.mul(q, value))


def _blend(input: Any, beta: Any, p: Tensor) -> Tensor:
    """beta * input + p; as PyTorch (and BLAS), beta == 0 ignores `input` (NaN and inf too)."""
    if beta == 0:  # (zeros of input's shape and dtype keep the broadcast and the dtype rule)
        return _F.add(p, _zeros_like(input) if isinstance(input, Tensor) else 0)
    return _F.add(input if beta == 1 else _F.mul(input, beta), p)


def _scaled(p: Tensor, alpha: Any, k: int) -> Tensor:
    """alpha * p, the product reduced first (PyTorch's gemv and small batched kernels); an
    empty contraction (k == 0) adds nothing, whatever alpha is."""
    if k == 0:
        return _zeros_like(p)
    return p if alpha == 1 else _F.mul(p, alpha)


def _gemm(a: Any, b: Any, alpha: Any, batched: bool) -> Tensor:
    """alpha * (a @ b), summed over the batch when `batched`, placed as PyTorch's gemm places
    NaN and inf: alpha == 0 skips the product (its NaN and inf too), and a non-finite alpha
    multiplies each term a[i, k] * b[k, j] before the sum (a zero term gives NaN, terms of both
    signs give inf - inf = NaN), where alpha * (a @ b) would give +-inf."""
    p = _F.bmm(a, b).sum(0) if batched else _F.mm(a, b)
    k = _data(a).shape[-1]
    if alpha == 0 or k == 0:
        return _zeros_like(p)
    if math.isfinite(alpha):
        return _scaled(p, alpha, k)
    return Tensor._make(_nonfinite_alpha_product(_data(a), _data(b), alpha))


def _data(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _nonfinite_alpha_product(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """sum over k (and the batch) of alpha * a[., i, k] * b[., k, j] for alpha = +-inf or NaN."""
    out_dtype = np.result_type(a.dtype, b.dtype)
    batch = math.prod(a.shape[:-2])
    a3, b3 = a.reshape((batch, *a.shape[-2:])), b.reshape((batch, *b.shape[-2:]))
    terms = a3.shape[0] * a3.shape[-1]
    pos = ((a3 > 0).astype(np.int64) @ (b3 > 0) + (a3 < 0).astype(np.int64) @ (b3 < 0)).sum(0)
    neg = ((a3 > 0).astype(np.int64) @ (b3 < 0) + (a3 < 0).astype(np.int64) @ (b3 > 0)).sum(0)
    if alpha != alpha:
        out = np.full(pos.shape, np.nan if terms else 0.0)
    else:
        sign = 1.0 if alpha > 0 else -1.0
        out = np.where(pos > 0, sign * np.inf, np.where(neg > 0, -sign * np.inf, 0.0))
        # a zero or NaN term (neither sign) or terms of both signs make the sum NaN
        out[(pos + neg < terms) | ((pos > 0) & (neg > 0))] = np.nan
    return out.astype(out_dtype)


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2)."""
    return _blend(input, beta, _gemm(mat1, mat2, alpha, batched=False))


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec); alpha == 0 skips the product, as PyTorch's gemv."""
    p = _F.mv(mat, vec)
    return _blend(input, beta, _zeros_like(p) if alpha == 0 else _scaled(p, alpha, _data(vec).size))


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * sum_b(batch1[b] @ batch2[b]) (one gemm per batch, as PyTorch)."""
    return _blend(input, beta, _gemm(batch1, batch2, alpha, batched=True))


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), batched."""
    p = _F.bmm(batch1, batch2)
    n, k = _data(batch1).shape[-2:]
    if n * k * p.shape[-1] < 400:  # PyTorch's own loop: alpha times each reduced product
        return _blend(input, beta, _scaled(p, alpha, k))
    # larger products go through one gemm per batch: the gemm's placement of NaN and inf
    if alpha == 0:
        return _blend(input, beta, _zeros_like(p))
    if math.isfinite(alpha):
        return _blend(input, beta, _scaled(p, alpha, k))
    pairs = zip(_data(batch1), _data(batch2), strict=True)
    per_batch = [_nonfinite_alpha_product(a, b, alpha) for a, b in pairs]
    return _blend(input, beta, Tensor._make(np.stack(per_batch).reshape(p.shape)))


def ger(input: Any, vec2: Any) -> Tensor:
    """The outer product of two vectors (torch.outer's old name)."""
    return _F.outer(input, vec2)


def var_mean(
    input: Any, dim: Any = None, *, correction: int = 1, keepdim: bool = False, unbiased: Any = None
) -> tuple[Tensor, Tensor]:
    """(variance, mean) over dim."""
    from . import reductions as _R

    if unbiased is not None:
        correction = int(bool(unbiased))
    x = _t(input)
    return _R.var(x, dim, correction=correction, keepdim=keepdim), _R.mean(x, dim, keepdim=keepdim)


def std_mean(
    input: Any, dim: Any = None, *, correction: int = 1, keepdim: bool = False, unbiased: Any = None
) -> tuple[Tensor, Tensor]:
    """(standard deviation, mean) over dim."""
    from . import reductions as _R

    if unbiased is not None:
        correction = int(bool(unbiased))
    x = _t(input)
    return _R.std(x, dim, correction=correction, keepdim=keepdim), _R.mean(x, dim, keepdim=keepdim)


def _install() -> None:
    T = Tensor  # noqa: N806
    for name in ("log1p", "expm1", "atan", "arctan", "asin", "arcsin", "acos", "arccos", "sinh",
                 "cosh", "tan", "log10", "log2", "deg2rad", "rad2deg", "frac"):  # fmt: skip
        fn = globals()[name]
        setattr(T, name, (lambda f: lambda self: f(self))(fn))
        setattr(T, name + "_", _inplace(name, fn))
    T.logit = lambda self, eps=None: logit(self, eps)
    T.isfinite = lambda self: isfinite(self)
    T.isinf = lambda self: isinf(self)
    T.isposinf = lambda self: isposinf(self)
    T.isneginf = lambda self: isneginf(self)
    T.isreal = lambda self: isreal(self)
    T.isclose = lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False: isclose(
        self, other, rtol, atol, equal_nan
    )
    T.nextafter = lambda self, other: nextafter(self, other)
    T.addcmul = lambda self, t1, t2, *rest, value=1: addcmul(self, t1, t2, *rest, value=value)
    T.addcdiv = lambda self, t1, t2, *rest, value=1: addcdiv(self, t1, t2, *rest, value=value)
    T.addcmul_ = _inplace("addcmul", addcmul)
    T.addcdiv_ = _inplace("addcdiv", addcdiv)
    T.addmm = lambda self, m1, m2, *, beta=1, alpha=1: addmm(self, m1, m2, beta=beta, alpha=alpha)
    T.addmv = lambda self, m, v, *, beta=1, alpha=1: addmv(self, m, v, beta=beta, alpha=alpha)
    T.baddbmm = lambda self, b1, b2, *, beta=1, alpha=1: baddbmm(
        self, b1, b2, beta=beta, alpha=alpha
    )
    T.addmm_ = _inplace("addmm", addmm)
    T.ger = lambda self, vec2: ger(self, vec2)
    T.outer = lambda self, vec2: _F.outer(self, vec2)
    T.multiply = lambda self, other: _F.mul(self, other)
    T.multiply_ = lambda self, other: self.mul_(other)
    T.logical_or = lambda self, other: _F.logical_or(self, other)
    T.logical_and = lambda self, other: _F.logical_and(self, other)
    T.logical_xor = lambda self, other: logical_xor(self, other)


def logical_xor(input: Any, other: Any) -> Tensor:
    """Elementwise exclusive or (a bool tensor)."""
    return Tensor._make(np.logical_xor(_t(input)._data, _t(other)._data))


def _inplace(name: str, fn: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return _I.apply(self, f"{name}_", lambda s, *a: fn(s, *a, **kwargs), *args)

    method.__name__ = f"{name}_"
    method.__doc__ = f"In-place {name}."
    return method


_install()

__all__ = [
    "acos", "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "arccos", "arcsin", "arctan",
    "asin", "atan", "baddbmm", "cosh", "deg2rad", "einsum", "expm1", "frac", "ger", "isclose",
    "isfinite", "isinf", "isneginf", "isposinf", "isreal", "log10", "log1p", "log2", "logical_xor",
    "logit", "nextafter", "rad2deg", "sinh", "std_mean", "tan", "var_mean",
]  # fmt: skip
