"""More of `tf` / `tf.math`: inverse hyperbolic functions, atan2, erfc, the NaN-safe products
and quotients, truncating division, lbeta, polyval, cumulative_logsumexp, euclidean norms,
ordering tests and invert_permutation, as TF1 defines them (the compositions live once in
core/tf_math_more.py)."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import ops
from ...core import tf_math_more as C
from . import dtypes as tfd
from .math_ops import _axes, _keep, _tensor, known_rank
from .tensor import Tensor


def _unary(op: str, type_name: str, fn):
    def unary(x: Any, name: str | None = None) -> Tensor:
        x = _tensor(x)
        return x.graph.build_op(type_name, name, lambda: fn(x))

    unary.__name__ = op
    unary.__doc__ = f"tf.math.{op}, elementwise ({(fn.__doc__ or '').splitlines()[0]})"
    return unary


def _pair(x: Any, y: Any) -> tuple:
    """Tensors for x and y; a Python or numpy value takes the other's dtype, as TF converts."""
    if not isinstance(x, Tensor) and isinstance(y, Tensor):
        y = _tensor(y)
        return _tensor(np.asarray(x, dtype=tfd.as_dtype(y.dtype).np_dtype)), y
    x = _tensor(x)
    if not isinstance(y, Tensor):
        y = _tensor(np.asarray(y, dtype=tfd.as_dtype(x.dtype).np_dtype))
    return x, y


def _binary(op: str, type_name: str, fn):
    def binary(x: Any, y: Any, name: str | None = None) -> Tensor:
        a, b = _pair(x, y)
        return a.graph.build_op(type_name, name, lambda: fn(a, b))

    binary.__name__ = op
    binary.__doc__ = f"tf.math.{op}, elementwise with broadcasting ({fn.__doc__.splitlines()[0]})"
    return binary


asinh = _unary("asinh", "Asinh", C.asinh)
acosh = _unary("acosh", "Acosh", C.acosh)
atanh = _unary("atanh", "Atanh", C.atanh)
erfc = _unary("erfc", "Erfc", C.erfc)
erfcinv = _unary("erfcinv", "Erfcinv", C.erfcinv)
reciprocal_no_nan = _unary("reciprocal_no_nan", "ReciprocalNoNan", C.reciprocal_no_nan)
atan2 = _binary("atan2", "Atan2", C.atan2)
xlogy = _binary("xlogy", "Xlogy", C.xlogy)
xlog1py = _binary("xlog1py", "Xlog1py", C.xlog1py)
xdivy = _binary("xdivy", "Xdivy", C.xdivy)
multiply_no_nan = _binary("multiply_no_nan", "MulNoNan", C.multiply_no_nan)
truncatediv = _binary("truncatediv", "TruncateDiv", C.truncatediv)
truncatemod = _binary("truncatemod", "TruncateMod", C.truncatemod)


def _no_gradient_test(op: str, type_name: str, fn):
    def test(x: Any, name: str | None = None) -> Tensor:
        x = _tensor(x)
        return x.graph.build_op(type_name, name, lambda: fn(x))

    test.__name__ = op
    test.__doc__ = f"tf.math.{op}: {(fn.__doc__ or '').splitlines()[0]}"
    return test


is_finite = _no_gradient_test("is_finite", "IsFinite", C.is_finite)
is_inf = _no_gradient_test("is_inf", "IsInf", C.is_inf)


def lbeta(x: Any, name: str | None = None) -> Tensor:
    """log of the multivariate Beta function over the last axis of x."""
    x = _tensor(x)
    known_rank("lbeta", x)
    return x.graph.build_op("Lbeta", name, lambda: C.lbeta(x))


def polyval(coeffs: Any, x: Any, name: str | None = None) -> Tensor:
    """coeffs[0] * x^(n-1) + ... + coeffs[n-1] (Horner's rule); coeffs is a list of tensors."""
    if isinstance(coeffs, Tensor) or not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"polyval: coeffs must be a list of tensors or numbers, got {coeffs!r}")
    x = _tensor(x)
    cs = [_pair(c, x)[0] for c in coeffs]
    return x.graph.build_op("Polyval", name, lambda: C.polyval(cs, x))


def cumulative_logsumexp(
    x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """Running log(sum(exp(x))) along `axis` (its length must be known at build time)."""
    x = _tensor(x)
    known_rank("cumulative_logsumexp", x)
    if isinstance(axis, Tensor):
        raise TypeError(f"cumulative_logsumexp: axis must be a Python int, got the tensor {axis}")
    return x.graph.build_op(
        "CumulativeLogsumexp",
        name,
        lambda: C.cumulative_logsumexp(x, int(axis), bool(exclusive), bool(reverse)),
    )


def reduce_euclidean_norm(
    input_tensor: Any, axis: Any = None, keepdims: Any = None, name: str | None = None,
    reduction_indices: Any = None, keep_dims: Any = None,
) -> Tensor:  # fmt: skip
    """sqrt(sum(x^2)) over `axis` (None = all)."""
    x = _tensor(input_tensor)
    known_rank("reduce_euclidean_norm", x)
    ax = _axes(axis, reduction_indices)
    axes = () if ax is None else ((ax,) if isinstance(ax, int) else ax)
    keep = _keep(keepdims, keep_dims)
    return x.graph.build_op("EuclideanNorm", name, lambda: C.euclidean_norm(x, axes, keep))


def scalar_mul(scalar: Any, x: Any, name: str | None = None) -> Tensor:
    """scalar * x, for a scalar (Python number or 0-D tensor)."""
    s = scalar
    if isinstance(s, Tensor) and s.shape is not None and len(s.shape) not in (0,):
        raise ValueError(f"scalar_mul: scalar must be 0-D, got {s}")
    if not isinstance(s, Tensor) and np.ndim(s) != 0:
        raise ValueError(f"scalar_mul: scalar must be 0-D, got {scalar!r}")
    s, v = _pair(s, x)
    return v.graph.build_op("Mul", name, lambda: ops.mul(s, v))


def accumulate_n(
    inputs: Any, shape: Any = None, tensor_dtype: Any = None, name: str | None = None
) -> Tensor:
    """The sum of a list of tensors of one shape and dtype (as add_n)."""
    from .math_ops import add_n

    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError(f"accumulate_n: inputs must be a non-empty list of tensors, got {inputs}")
    if shape is not None:  # as TF: the given shape must be compatible with every input's
        from .shapes import TensorShape

        want = TensorShape([shape] if isinstance(shape, (int, np.integer)) else shape)
        for t in inputs:
            got = _tensor(t).shape
            if not want.is_compatible_with(got):
                raise ValueError(f"accumulate_n: shapes {want} and {got} are not compatible")
    return add_n(list(inputs), name=name)


def _ordering(op: str, type_name: str, fn):
    def test(x: Any, name: str | None = None) -> Tensor:
        x = _tensor(x)
        known_rank(op, x)
        dims = list(x.shape)
        if all(d is not None for d in dims) and int(np.prod(dims)) < 2:
            from .convert import constant

            return constant(True, name=name or type_name)  # fewer than two elements: vacuous
        return x.graph.build_op(type_name, name, lambda: fn(x))

    test.__name__ = op
    test.__doc__ = f"tf.math.{op}: {(fn.__doc__ or '').splitlines()[0]}"
    return test


is_non_decreasing = _ordering("is_non_decreasing", "IsNonDecreasing", C.is_non_decreasing)
is_strictly_increasing = _ordering(
    "is_strictly_increasing", "IsStrictlyIncreasing", C.is_strictly_increasing
)


def invert_permutation(x: Any, name: str | None = None) -> Tensor:
    """y with y[x[i]] = i (x a 1-D int permutation of known length)."""
    x = _tensor(x)
    known_rank("invert_permutation", x)
    return x.graph.build_op("InvertPermutation", name, lambda: C.invert_permutation(x))


def _math_alias(nn_name: str):
    from . import nn

    return getattr(nn, nn_name)


TOP = [
    "asinh", "acosh", "atanh", "atan2", "erfc", "is_finite", "is_inf", "lbeta",
    "accumulate_n", "truncatediv", "truncatemod", "is_non_decreasing", "is_strictly_increasing",
    "invert_permutation",
]  # fmt: skip
MATH = TOP + [
    "erfcinv", "reciprocal_no_nan", "xlogy", "xlog1py", "xdivy", "multiply_no_nan", "polyval",
    "cumulative_logsumexp", "reduce_euclidean_norm", "scalar_mul",
]  # fmt: skip


def attach(tf: types.ModuleType) -> list:
    """Add the names to tf and tf.math where missing; return the new top-level names."""
    here = globals()
    added = []
    for n in TOP:
        if not hasattr(tf, n):
            setattr(tf, n, here[n])
            added.append(n)
    for n in MATH:
        if not hasattr(tf.math, n):
            setattr(tf.math, n, here[n])
    for n in ("softmax", "log_softmax"):
        if not hasattr(tf.math, n):
            setattr(tf.math, n, _math_alias(n))
    if not hasattr(tf, "log_sigmoid"):
        tf.log_sigmoid = tf.math.log_sigmoid
        added.append("log_sigmoid")
    return added
