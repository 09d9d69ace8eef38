"""Math ops (`tf.add`, `tf.matmul`, `tf.reduce_sum`, comparisons, casts...): each is one call of
a core operation on tensors, which adds the node to the graph."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from ...core import functional as F
from ...core import ops
from ...core.ir import Value
from ...core.primitives import dynamic as X
from . import convert
from . import dtypes as tfd
from .graph import graph_of
from .shapes import is_unknown_rank
from .tensor import Tensor


def _binary(fn: Callable, x: Any, y: Any, name: str | None, type_name: str) -> Tensor:
    g, x, y = convert.binary(x, y, type_name)

    def build():
        a, b = convert.pair(g, x, y, type_name)
        return fn(a, b)

    return g.build_op(type_name, name, build)


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Value) else convert.convert_to_tensor(x)


def _unary(fn: Callable, x: Any, name: str | None, type_name: str) -> Tensor:
    x = _tensor(x)
    return x.graph.build_op(type_name, name, lambda: fn(x))


def known_rank(op: str, *xs: Value) -> None:
    """Ops whose meaning depends on the rank need it at build time."""
    for x in xs:
        if is_unknown_rank(x.shape):
            raise ValueError(
                f"{op}: the rank of {x} is unknown; give its placeholder a shape (None dims are "
                "fine), e.g. tf.placeholder(tf.float32, [None, 3])"
            )


# ---- arithmetic -----------------------------------------------------------------------------


def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x + y with broadcasting."""
    return _binary(ops.add, x, y, name, "Add")


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x - y with broadcasting."""
    return _binary(ops.sub, x, y, name, "Sub")


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x * y with broadcasting."""
    return _binary(ops.mul, x, y, name, "Mul")


def _float_for_division(x: Any) -> Any:
    # TF's truediv: int32/int64 operands are divided as float64 (smaller ints as float32)
    if isinstance(x, Value) and tfd.as_dtype(x.dtype).is_integer:
        return ops.cast(x, np.float64)
    return x


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y; integer operands are converted to float64 first (as TF's truediv)."""
    g, x, y = convert.binary(x, y, "RealDiv")

    def build():
        a, b = convert.pair(g, x, y, "RealDiv")
        if tfd.as_dtype(a.dtype).is_bool:
            raise TypeError(f"truediv: cannot divide bool tensors ({a}, {b})")
        return ops.div(_float_for_division(a), _float_for_division(b))

    return g.build_op("RealDiv", name, build, default="truediv")


def divide(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y (truediv)."""
    return truediv(x, y, name=name)


div = divide
realdiv = divide


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """x ** y with broadcasting (floats)."""
    return _binary(ops.pow, x, y, name, "Pow")


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elementwise max."""
    return _binary(ops.maximum, x, y, name, "Maximum")


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elementwise min."""
    return _binary(ops.minimum, x, y, name, "Minimum")


def squared_difference(x: Any, y: Any, name: str | None = None) -> Tensor:
    """(x - y) ** 2, computed as square(x - y)."""
    return _binary(lambda a, b: ops.square(ops.sub(a, b)), x, y, name, "SquaredDifference")


def negative(x: Any, name: str | None = None) -> Tensor:
    """-x."""
    return _unary(ops.neg, x, name, "Neg")


neg = negative


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """|x|."""
    return _unary(ops.abs, x, name, "Abs")


def sign(x: Any, name: str | None = None) -> Tensor:
    """-1, 0 or 1 by the sign of x."""
    return _unary(ops.sign, x, name, "Sign")


def square(x: Any, name: str | None = None) -> Tensor:
    """x * x."""
    return _unary(ops.square, x, name, "Square")


def sqrt(x: Any, name: str | None = None) -> Tensor:
    """Square root."""
    return _unary(ops.sqrt, x, name, "Sqrt")


def rsqrt(x: Any, name: str | None = None) -> Tensor:
    """1 / sqrt(x)."""
    return _unary(lambda a: ops.div(ops.scalar(1, a), ops.sqrt(a)), x, name, "Rsqrt")


def reciprocal(x: Any, name: str | None = None) -> Tensor:
    """1 / x."""
    return _unary(lambda a: ops.div(ops.scalar(1, a), a), x, name, "Reciprocal")


def exp(x: Any, name: str | None = None) -> Tensor:
    """e ** x."""
    return _unary(ops.exp, x, name, "Exp")


def log(x: Any, name: str | None = None) -> Tensor:
    """Natural logarithm."""
    return _unary(ops.log, x, name, "Log")


def sigmoid(x: Any, name: str | None = None) -> Tensor:
    """Logistic function."""
    return _unary(ops.sigmoid, x, name, "Sigmoid")


def tanh(x: Any, name: str | None = None) -> Tensor:
    """Hyperbolic tangent."""
    return _unary(ops.tanh, x, name, "Tanh")


def erf(x: Any, name: str | None = None) -> Tensor:
    """The error function, elementwise (the core's erf, as torch.erf)."""
    from ...core.primitives.special import erf as core_erf

    return _unary(core_erf, x, name, "Erf")


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Tensor:
    """`input` broadcast to `shape` (a list or tuple of ints)."""
    from ...core.primitives.shaping import broadcast_to as core_broadcast_to

    if isinstance(shape, Value) or not all(isinstance(d, (int, np.integer)) for d in shape):
        raise TypeError(
            f"broadcast_to: shape must be a list of ints, got {shape!r}; for a shape known only "
            "at run time, add tf.zeros(shape) to the input instead"
        )
    return _unary(lambda v: core_broadcast_to(v, tuple(shape)), input, name, "BroadcastTo")


def add_n(inputs: Any, name: str | None = None) -> Tensor:
    """The sum of a list of same-shaped tensors, added left to right."""
    xs = convert.as_tensor_list(inputs, "add_n")
    if not xs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    xs = [_tensor(x) for x in xs]
    g = graph_of(xs)
    for x in xs[1:]:
        if x.dtype != xs[0].dtype or tuple(x.shape) != tuple(xs[0].shape):
            if x.dtype != xs[0].dtype or not x.shape.is_compatible_with(xs[0].shape):
                raise ValueError(
                    f"add_n: all inputs need one shape and dtype, got {[str(t) for t in xs]}"
                )

    def build():
        out = xs[0]
        for x in xs[1:]:
            out = ops.add(out, x)
        return out if len(xs) > 1 else ops.identity(out)

    return g.build_op("AddN", name, build)


def scalar_mul(scalar: Any, x: Any, name: str | None = None) -> Tensor:
    """scalar * x."""
    return multiply(scalar, x, name=name)


def clip_by_value(
    t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None
) -> Tensor:
    """max(min(t, hi), lo), TF's order (lo wins when lo > hi): the core's clamp (gradient
    passes where lo <= t <= hi)."""
    t = _tensor(t)
    g = graph_of(t, clip_value_min, clip_value_max)

    def build():
        lo = convert.operand(clip_value_min, t, g, "clip_value_min")
        hi = convert.operand(clip_value_max, t, g, "clip_value_max")
        for b in (lo, hi):
            if b.dtype != t.dtype:
                raise TypeError(f"clip_by_value: bound {b} does not match the dtype of {t}")
        return F.clamp(t, lo, hi, hi_first=True)

    return g.build_op("ClipByValue", name, build, default="clip_by_value")


# ---- matmul -----------------------------------------------------------------------------------


def _as_matrix(v: Any) -> Any:
    from ...core.primitives.runtime_shapes import known_like

    return known_like(v, (None, None), "matmul")


def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    name: str | None = None,
    output_type: Any = None,
) -> Tensor:
    """op(a) @ op(b) for 2-D (or batched) tensors; adjoint is transpose for real numbers."""
    g, a, b = convert.binary(a, b, "MatMul")

    def build():
        x, y = convert.pair(g, a, b, "MatMul")
        # an operand of unknown rank (an unshaped placeholder) is taken as a matrix, checked
        # when run, as TF's MatMul requires
        x, y = (_as_matrix(v) for v in (x, y))
        known_rank("matmul", x, y)
        return ops.matmul(x, y, transpose_a or adjoint_a, transpose_b or adjoint_b)

    return g.build_op("MatMul", name, build)


# ---- comparisons and logic ----------------------------------------------------------------------


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x == y (bool)."""
    return _binary(ops.equal, x, y, name, "Equal")


def not_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x != y (bool)."""
    return _binary(ops.not_equal, x, y, name, "NotEqual")


def less(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x < y (bool)."""
    return _binary(ops.less, x, y, name, "Less")


def less_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x <= y (bool)."""
    return _binary(ops.less_equal, x, y, name, "LessEqual")


def greater(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x > y (bool)."""
    return _binary(ops.greater, x, y, name, "Greater")


def greater_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x >= y (bool)."""
    return _binary(ops.greater_equal, x, y, name, "GreaterEqual")


def _logical(fn: Callable, type_name: str):
    def op(a, b):
        if not tfd.as_dtype(a.dtype).is_bool:
            raise TypeError(f"{type_name}: operands must be bool tensors, got {a}")
        return fn(a, b)

    return op


def logical_and(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x and y, elementwise on bools (the core's bool mul)."""
    return _binary(_logical(ops.mul, "LogicalAnd"), x, y, name, "LogicalAnd")


def logical_or(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x or y, elementwise on bools (the core's bool add)."""
    return _binary(_logical(ops.add, "LogicalOr"), x, y, name, "LogicalOr")


def logical_not(x: Any, name: str | None = None) -> Tensor:
    """not x, elementwise on bools."""
    return _unary(
        lambda a: _logical(ops.equal, "LogicalNot")(a, np.asarray(False)), x, name, "LogicalNot"
    )


def logical_xor(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x != y on bools."""
    return _binary(_logical(ops.not_equal, "LogicalXor"), x, y, name, "LogicalXor")


# ---- casts --------------------------------------------------------------------------------------


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """Convert to another dtype (floats to ints truncate toward zero)."""
    x = _tensor(x)
    dt = tfd.as_dtype(dtype)
    if x.dtype == dt and name is None:
        return x
    return x.graph.build_op(
        "Cast", name, lambda: ops.identity(x) if x.dtype == dt else ops.cast(x, dt)
    )


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """cast(x, float32)."""
    return cast(x, tfd.float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    """cast(x, float64)."""
    return cast(x, tfd.float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    """cast(x, int32)."""
    return cast(x, tfd.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    """cast(x, int64)."""
    return cast(x, tfd.int64, name=name)


# ---- reductions ---------------------------------------------------------------------------------


def _axes(axis: Any, reduction_indices: Any) -> Any:
    if axis is None:
        axis = reduction_indices
    if isinstance(axis, Value):
        raise TypeError(
            f"reduction axes must be Python ints (or lists of them), got the tensor {axis}"
        )
    if isinstance(axis, np.ndarray):
        axis = axis.tolist()
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return None if axis is None else int(axis)


def _keep(keepdims: Any, keep_dims: Any) -> bool:
    return builtins.bool(keepdims if keepdims is not None else (keep_dims or False))


def _reduce(kind: str, type_name: str, x, axis, keepdims, name) -> Tensor:
    x = _tensor(x)
    dt = tfd.as_dtype(x.dtype)

    def build():
        if is_unknown_rank(x.shape):
            if axis is not None or keepdims:
                known_rank(f"reduce_{kind} over chosen axes", x)
            if kind == "mean" and not dt.is_floating:
                return ops.cast(X.reduce_all(ops.cast(x, np.float64), "mean"), dt)
            out = X.reduce_all(x, kind)
        elif kind == "mean" and not dt.is_floating:
            # TF's integer mean: computed exactly, then truncated toward zero
            return ops.cast(ops.mean(ops.cast(x, np.float64), axis, keepdims), dt)
        else:
            fn = {"sum": ops.sum, "mean": ops.mean, "max": ops.max, "min": ops.min}[kind]
            out = fn(x, axis, keepdims)
        if kind == "sum" and dt != out.dtype:
            out = ops.cast(out, dt)  # TF keeps int32 sums in int32
        return out

    if kind == "sum" and dt.is_bool:
        raise TypeError(f"reduce_sum: cannot sum the bool tensor {x}; cast it to a number first")
    return x.graph.build_op(type_name, name, build)


def reduce_sum(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """Sum over `axis` (None = all)."""
    return _reduce(
        "sum", "Sum", input_tensor, _axes(axis, reduction_indices), _keep(keepdims, keep_dims), name
    )


def reduce_mean(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """Mean over `axis` (None = all)."""
    return _reduce(
        "mean",
        "Mean",
        input_tensor,
        _axes(axis, reduction_indices),
        _keep(keepdims, keep_dims),
        name,
    )


def reduce_max(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """Max over `axis` (None = all)."""
    return _reduce(
        "max", "Max", input_tensor, _axes(axis, reduction_indices), _keep(keepdims, keep_dims), name
    )


def reduce_min(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """Min over `axis` (None = all)."""
    return _reduce(
        "min", "Min", input_tensor, _axes(axis, reduction_indices), _keep(keepdims, keep_dims), name
    )


def _bool_reduce(kind: str, type_name: str, x, axis, keepdims, name) -> Tensor:
    x = _tensor(x)
    if not tfd.as_dtype(x.dtype).is_bool:
        raise TypeError(f"{type_name}: expected a bool tensor, got {x}")
    known_rank(type_name, x)

    def build():
        as_int = ops.cast(x, np.int32)
        red = ops.max(as_int, axis, keepdims) if kind == "any" else ops.min(as_int, axis, keepdims)
        return ops.cast(red, np.bool_)

    return x.graph.build_op(type_name, name, build)


def reduce_any(
    input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None
) -> Tensor:
    """Logical or over `axis`."""
    return _bool_reduce(
        "any", "Any", input_tensor, _axes(axis, reduction_indices), _keep(keepdims, keep_dims), name
    )


def reduce_all(
    input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None
) -> Tensor:
    """Logical and over `axis`."""
    return _bool_reduce(
        "all", "All", input_tensor, _axes(axis, reduction_indices), _keep(keepdims, keep_dims), name
    )


def _arg(kind: str, type_name: str, x, axis, name, dimension, output_type) -> Tensor:
    x = _tensor(x)
    if axis is None:
        axis = dimension if dimension is not None else 0  # TF1 defaults to axis 0
    known_rank(type_name, x)
    out_dt = tfd.as_dtype(output_type)
    if not out_dt.is_integer:
        raise TypeError(f"{type_name}: output_type must be int32 or int64, got {out_dt.name}")

    def build():
        fn = ops.argmax if kind == "max" else ops.argmin
        out = fn(x, int(axis))
        return ops.cast(out, out_dt) if out_dt != tfd.int64 else out

    return x.graph.build_op(type_name, name, build)


def argmax(input, axis=None, name=None, dimension=None, output_type=tfd.int64) -> Tensor:  # noqa: A002
    """Index of the largest entry along `axis` (default 0), int64."""
    return _arg("max", "ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=tfd.int64) -> Tensor:  # noqa: A002
    """Index of the smallest entry along `axis` (default 0), int64."""
    return _arg("min", "ArgMin", input, axis, name, dimension, output_type)
