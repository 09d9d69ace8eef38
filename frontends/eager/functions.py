"""Math on tensors (``torch.exp``, ``torch.sum``, ...): each one a call to a core op.

Operands are converted by `_convert` (scalars -> 0-d arrays of the tensor's dtype, PyTorch
promotion through recorded casts); the arithmetic itself is always a core op or a
`core.functional` composition, so the graph frontend's equivalents run the same primitives.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from ...core import dtypes as D
from ...core import functional as CF
from ...core import ops
from ...core.primitives import elementwise as PE
from ...core.primitives import linalg as PL
from ...core.primitives.rules import refuse_bool
from . import _convert as C
from . import dispatch as _D
from . import tensor as _t

# read on every operation: no module __getattr__ guard here (see namespaces._guard_module)
__dg_hot__ = True


def _tensor(x: Any):
    return C.as_tensor_operand(x)


# ---- arithmetic ---------------------------------------------------------------------------------


def _scalar_first(op: str, other: Any, alpha: Any) -> tuple:
    """PyTorch's deprecated `add(input, alpha_number, other_tensor)` order (old examples write
    `p.data.add_(-lr, p.grad.data)`): swap into (other, alpha), warning as torch does."""
    if isinstance(other, numbers.Number) and not isinstance(alpha, numbers.Number):
        warnings.warn(
            f"This overload of {op} is deprecated: {op}(Number alpha, Tensor other); use "
            f"{op}(Tensor other, *, Number alpha) instead",
            UserWarning,
            stacklevel=3,
        )
        return alpha, other
    return other, alpha


def _integral_alpha(op: str, input: Any, other: Any, alpha: Any) -> None:
    """PyTorch refuses a floating alpha when both operands are integral (or bool)."""
    if not isinstance(alpha, (float, np.floating)):
        return
    kinds = [np.asarray(v._data if hasattr(v, "_data") else v).dtype.kind for v in (input, other)]
    if all(k in "iub" for k in kinds):
        raise RuntimeError(
            f"{op}: for integral input tensors, argument alpha must not be a floating point "
            f"number (got alpha={alpha}); pass an int alpha or convert the tensors to float"
        )


def add(input: Any, other: Any, alpha: Any = 1):
    """input + alpha * other."""
    other, alpha = _scalar_first("add", other, alpha)
    _integral_alpha("add", input, other, alpha)
    if alpha != 1:
        other = mul(other, alpha)
    a, b = C.pair(input, other)
    return ops.add(a, b)


def sub(input: Any, other: Any, alpha: Any = 1):
    """input - alpha * other."""
    other, alpha = _scalar_first("sub", other, alpha)
    _integral_alpha("sub", input, other, alpha)
    # promotion below would cast a bool operand away before sub's own rule sees it; the rule's
    # own refusal, so `a - b` and torch.sub(a, b) raise the same error
    refuse_bool("sub", *(v._data for v in (input, other) if isinstance(v, _t.Tensor)))
    if alpha != 1:
        other = mul(other, alpha)
    a, b = C.pair(input, other)
    return ops.sub(a, b)


subtract = sub


def mul(input: Any, other: Any):
    """input * other with broadcasting."""
    a, b = C.pair(input, other)
    return ops.mul(a, b)


multiply = mul


def div(input: Any, other: Any, rounding_mode: str | None = None):
    """True division (integer operands are divided as floats, as in PyTorch)."""
    if rounding_mode is not None:
        from .elementwise_more3 import rounded_div

        return rounded_div(input, other, rounding_mode)
    a, b = C.pair(input, other)
    dt = a.dtype if not isinstance(a, _t.Tensor) else a._data.dtype
    if dt.kind != "f":
        a, b = ops.cast(a, C.default_float()), ops.cast(b, C.default_float())
    return ops.div(a, b)


true_divide = divide = div


def pow(input: Any, exponent: Any):  # noqa: A001 - torch.pow
    """input ** exponent (integer tensors are raised in float64 and cast back)."""
    a, b = C.pair(input, exponent)
    dt = a._data.dtype if isinstance(a, _t.Tensor) else a.dtype
    if dt.kind == "f":
        return ops.pow(a, b)
    wide = ops.pow(ops.cast(a, D.float64), ops.cast(b, D.float64))
    return ops.cast(wide, dt)


def neg(input: Any):
    """-input."""
    return ops.neg(_tensor(input))


negative = neg


def square(input: Any):
    """input * input."""
    return ops.square(_tensor(input))


def abs(input: Any):  # noqa: A001 - torch.abs
    """|input|."""
    return ops.abs(_tensor(input))


def sign(input: Any):
    """-1, 0 or 1 by sign (no gradient flows through it)."""
    return ops.sign(_tensor(input))


def exp(input: Any):
    """e ** input."""
    return ops.exp(C.floating(input))


def log(input: Any):
    """Natural logarithm."""
    return ops.log(C.floating(input))


def sqrt(input: Any):
    """Square root."""
    return ops.sqrt(C.floating(input))


def rsqrt(input: Any):
    """1 / sqrt(input)."""
    x = ops.sqrt(C.floating(input))
    return ops.div(ops.scalar(1, x), x)


def reciprocal(input: Any):
    """1 / input."""
    x = C.floating(input)
    return ops.div(ops.scalar(1, x), x)


def sin(input: Any):
    """Sine."""
    return ops.sin(C.floating(input))


def cos(input: Any):
    """Cosine."""
    return ops.cos(C.floating(input))


def tanh(input: Any):
    """Hyperbolic tangent."""
    return ops.tanh(C.floating(input))


def sigmoid(input: Any):
    """Logistic function."""
    return ops.sigmoid(C.floating(input))


def relu(input: Any):
    """max(input, 0)."""
    return ops.relu(_tensor(input))


# Tensors (float ones where the form above casts) take the primitive at once; see dispatch.
neg = negative = _D.unary_function(PE.NEG, neg, float_only=False)
square = _D.unary_function(PE.SQUARE, square, float_only=False)
abs = _D.unary_function(PE.ABS, abs, float_only=False)  # noqa: A001
sign = _D.unary_function(PE.SIGN, sign, float_only=False)
relu = _D.unary_function(PE.RELU, relu, float_only=False)
exp = _D.unary_function(PE.EXP, exp)
log = _D.unary_function(PE.LOG, log)
sqrt = _D.unary_function(PE.SQRT, sqrt)
sin = _D.unary_function(PE.SIN, sin)
cos = _D.unary_function(PE.COS, cos)
tanh = _D.unary_function(PE.TANH, tanh)
sigmoid = _D.unary_function(PE.SIGMOID, sigmoid)


def maximum(input: Any, other: Any):
    """Elementwise maximum."""
    a, b = C.pair(input, other)
    return ops.maximum(a, b)


def minimum(input: Any, other: Any):
    """Elementwise minimum."""
    a, b = C.pair(input, other)
    return ops.minimum(a, b)


def clamp(input: Any, min: Any = None, max: Any = None):  # noqa: A002 - PyTorch's names
    """Limit values to [min, max] (either bound may be None)."""
    x = _tensor(input)
    # the result takes PyTorch's promotion of the input and the bounds (an integer tensor
    # clamped to float bounds is a float tensor; a bool one clamped to ints, an int64 one)
    dt = C.promoted(x._data.dtype, (min, max))
    if dt != x._data.dtype:
        x = ops.cast(x, dt)
    lo = None if min is None else _bound(min, x)
    hi = None if max is None else _bound(max, x)
    if lo is None and hi is None:
        raise ValueError("clamp: at least one of 'min' and 'max' must not be None")
    return CF.clamp(x, lo, hi)


clip = clamp


def _bound(v: Any, x):
    if isinstance(v, _t.Tensor):
        return C.to_dtype(v, x._data.dtype)
    return np.asarray(v, dtype=x._data.dtype)


def where(condition: Any, input: Any = None, other: Any = None):
    """input where condition else other; with one argument, the indices of nonzero entries."""
    cond = _tensor(condition)
    if input is None and other is None:
        return nonzero(cond, as_tuple=True)
    if cond._data.dtype != D.bool_:
        raise TypeError(f"where: the condition must be a bool tensor, got {cond.dtype}")
    if C.is_scalar(input) and C.is_scalar(other):
        input = _tensor(input)
    a, b = C.pair(input, other)
    return ops.where(cond, a, b)


def nonzero(input: Any, as_tuple: bool = False):
    """Indices of the nonzero entries (an index computation, no gradient)."""
    arr = _tensor(input)._data
    idx = np.nonzero(arr)
    if as_tuple:
        return tuple(_t.Tensor._make(i.astype(np.int64)) for i in idx)
    return _t.Tensor._make(np.stack(idx, axis=-1).astype(np.int64))


# ---- comparisons and logic ----------------------------------------------------------------------


def _compare(op):
    def f(input: Any, other: Any):
        a, b = C.pair(input, other)
        return op(a, b)

    f.__name__ = op.__name__
    f.__doc__ = f"Elementwise {op.__name__} (a bool tensor)."
    return f


eq = _compare(ops.equal)
ne = not_equal = _compare(ops.not_equal)
lt = less = _compare(ops.less)
le = less_equal = _compare(ops.less_equal)
gt = greater = _compare(ops.greater)
ge = greater_equal = _compare(ops.greater_equal)


def _bools(x: Any):
    t = _tensor(x)
    return t if t._data.dtype == D.bool_ else ops.not_equal(t, np.zeros((), t._data.dtype))


def logical_not(input: Any):
    """Elementwise not (a bool tensor)."""
    return ops.equal(_bools(input), np.asarray(False))


def logical_and(input: Any, other: Any):
    """Elementwise and (a bool tensor)."""
    return ops.mul(_bools(input), _bools(other))


def logical_or(input: Any, other: Any):
    """Elementwise or (a bool tensor)."""
    return ops.add(_bools(input), _bools(other))


def isnan(input: Any):
    """True where the value is NaN."""
    x = _tensor(input)
    return ops.not_equal(x, x)


# ---- linear algebra -----------------------------------------------------------------------------


def matmul(input: Any, other: Any):
    """Matrix product with numpy's rules for 1-D and batched operands."""
    if (
        isinstance(input, _t.Tensor)
        and isinstance(other, _t.Tensor)
        and input._data.dtype != other._data.dtype
    ):  # PyTorch's products promote nothing (the fast path handles equal dtypes)
        raise RuntimeError(
            f"matmul: expected m1 and m2 to have the same dtype, but got: {input.dtype} != "
            f"{other.dtype}"
        )
    a, b = C.pair(input, other)
    return ops.matmul(a, b)


matmul = _D.matmul_function(PL.MATMUL, matmul)


def mm(input: Any, mat2: Any):
    """Product of two matrices (2-D only)."""
    a, b = _tensor(input), _tensor(mat2)
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(
            f"mm: both operands must be matrices (2-D), got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return matmul(a, b)


def bmm(input: Any, mat2: Any):
    """Batched product of (b, n, m) and (b, m, p) tensors."""
    a, b = _tensor(input), _tensor(mat2)
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(
            f"bmm: both operands must be 3-D batches, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return matmul(a, b)


def dot(input: Any, other: Any):
    """Inner product of two 1-D tensors."""
    a, b = _tensor(input), _tensor(other)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"dot: inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
            f"[{b.shape[0]}] to have the same number of elements"
        )
    return matmul(a, b)


def mv(input: Any, vec: Any):
    """Matrix-vector product."""
    a, v = _tensor(input), _tensor(vec)
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(
            f"mv: expects a 2-D matrix and a 1-D vector, got shapes {tuple(a.shape)} and "
            f"{tuple(v.shape)}"
        )
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"mv: size mismatch, matrix {tuple(a.shape)} needs a vector of {a.shape[1]} "
            f"elements, got {tuple(v.shape)}"
        )
    return matmul(a, v)


def outer(input: Any, vec2: Any):
    """Outer product of two 1-D tensors."""
    a, b = C.pair(input, vec2)
    for arg, t in (("self", a), ("vec2", b)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {arg}, but got {t._data.ndim}-D")
    return ops.mul(ops.expand_dims(a, 1), ops.expand_dims(b, 0))


# ---- softmax family -----------------------------------------------------------------------------


def _softmax_dim(name: str, ndim: int, dim: int | None) -> int:
    if dim is not None:
        return int(dim)
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Any, dim: int | None = None, dtype: Any = None):
    """exp(x) / sum(exp(x)) along `dim`."""
    x = C.floating(input) if dtype is None else _tensor(input).type(dtype)
    return ops.softmax(x, _softmax_dim("softmax", x.ndim, dim))


def log_softmax(input: Any, dim: int | None = None, dtype: Any = None):
    """log(softmax(x)) along `dim`, computed stably."""
    x = C.floating(input) if dtype is None else _tensor(input).type(dtype)
    return ops.log_softmax(x, _softmax_dim("log_softmax", x.ndim, dim))


def numel(input: Any) -> int:
    """Number of elements."""
    return _tensor(input).numel()


def is_tensor(obj: Any) -> bool:
    """True for duograd eager tensors."""
    return isinstance(obj, _t.Tensor)


def is_floating_point(input: Any) -> bool:
    """True for float tensors."""
    return _tensor(input).is_floating_point()


def clone(input: Any):
    """A copy that gradients flow through."""
    return _tensor(input).clone()


def detach(input: Any):
    """A tensor sharing memory that autograd does not track."""
    return _tensor(input).detach()
