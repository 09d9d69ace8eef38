"""Turning Python values into tensors the TF way: `constant`, `convert_to_tensor`, operand pairing.

TF's inference: Python ints become int32 (int64 if they do not fit), Python floats float32,
numpy arrays keep their dtype. A Python scalar next to a tensor takes the tensor's dtype (a
float into an integer tensor is a TypeError); two tensors of different dtypes are a TypeError,
as in TF: the graph frontend never promotes silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.ir import Value
from . import dtypes as tfd
from .graph import Graph, get_default_graph, graph_of
from .shapes import TensorShape
from .tensor import Tensor, describe_dtype


def infer_dtype(value: Any) -> tfd.DType:
    """The dtype TF gives a tensor made from `value` when none is asked for."""
    if isinstance(value, (np.ndarray, np.generic)):
        return tfd.as_dtype(_supported(np.asarray(value).dtype, value))
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "b":
        return tfd.bool
    if kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return tfd.int64
        return tfd.int32
    if kind == "f":
        return tfd.float32
    raise TypeError(
        f"cannot make a tensor from {_show(value)}: only numbers, bools and (nested lists or "
        "numpy arrays of) them are supported"
    )


def _supported(dt: np.dtype, value: Any) -> np.dtype:
    if dt.kind == "f" and dt.itemsize < 4:
        return np.dtype(np.float32)
    if dt == np.uint8:  # images: TF keeps a uint8 array's dtype
        return dt
    if dt.kind in "iu" and dt.itemsize < 4:
        return np.dtype(np.int32)
    if dt.kind == "u":
        return np.dtype(np.int64)
    if dt.kind not in "fib":
        raise TypeError(f"cannot make a tensor from {_show(value)} (numpy dtype {dt})")
    return dt


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def to_array(value: Any, dtype: tfd.DType, what: str = "value") -> np.ndarray:
    """`value` as an array of `dtype`; a float into an integer or bool dtype is a TypeError."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Expected {dtype.name} for {what}, got {_show(value)} instead.")
    target = dtype.np_dtype
    if arr.dtype.kind == "f" and target.kind in "iub":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.trunc(arr)) or target.kind == "b":
            raise TypeError(
                f"Expected {dtype.name} for {what}, got {_show(value)} of type "
                f"'{type(value).__name__}' instead."
            )
    if arr.dtype.kind in "iu" and target.kind == "b":
        raise TypeError(f"Expected bool for {what}, got {_show(value)} instead.")
    if arr.dtype.kind in "iu" and target.kind in "iu" and arr.size:
        info = np.iinfo(target)
        if arr.max() > info.max or arr.min() < info.min:
            raise TypeError(
                f"Value {_show(value)} does not fit in {dtype.name}; use a larger dtype (int64)"
            )
    return np.asarray(arr, dtype=target)


def constant(
    value: Any,
    dtype: Any = None,
    shape: Any = None,
    name: str = "Const",
    verify_shape: bool = False,
) -> Tensor:
    """A tensor holding a fixed value, as `tf.constant` (a scalar fills a given `shape`)."""
    if isinstance(value, Value):
        raise TypeError(
            f"tf.constant needs a Python or numpy value, got the tensor {value}; use tf.identity"
        )
    dt = tfd.as_dtype(dtype) if dtype is not None else infer_dtype(value)
    arr = to_array(value, dt, "tf.constant")
    if shape is not None:
        shape = tuple(TensorShape(shape))
        if arr.shape != shape:
            if arr.size == 1:
                arr = np.full(shape, arr.reshape(()), dtype=arr.dtype)
            elif verify_shape or arr.size != int(np.prod(shape)):
                raise TypeError(
                    f"Expected Tensor's shape: {shape}, got {arr.shape}."
                    if verify_shape
                    else f"Eager/graph constant: {arr.size} values cannot fill shape {shape}"
                )
            else:
                arr = arr.reshape(shape)
    g = get_default_graph()
    arr = np.array(arr, copy=True)  # the graph owns its constants: later edits by the caller
    return g.build_op("Const", name, lambda: g.constant(arr))


def _holds_tensor(value: Any) -> bool:
    return any(
        isinstance(v, Value) or (isinstance(v, (list, tuple)) and _holds_tensor(v)) for v in value
    )


# (base type, function) pairs from tf.register_tensor_conversion_function, by priority
CONVERSIONS: list = []


def convert_to_tensor(
    value: Any, dtype: Any = None, name: str | None = None, preferred_dtype: Any = None
) -> Tensor:
    """`value` as a Tensor: tensors pass through (dtype checked), other values become constants."""
    if isinstance(value, Value):
        if dtype is not None and tfd.as_dtype(dtype) != value.dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {tfd.as_dtype(dtype).name} for Tensor with "
                f"dtype {value.dtype.name}: {value}"
            )
        return value
    if CONVERSIONS:  # tf.register_tensor_conversion_function (names_more3.py)
        for base, fn, _ in CONVERSIONS:
            if isinstance(value, base):
                out = fn(value, dtype=dtype, name=name, as_ref=False)
                if out is not NotImplemented:
                    return convert_to_tensor(out, dtype=dtype, name=name)
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        # TF packs a (nested) list holding tensors into one tensor, as tf.stack would
        from .array_ops import stack

        return stack([convert_to_tensor(v, dtype) for v in value], name=name or "packed")
    if dtype is None and preferred_dtype is not None:
        try:
            to_array(value, tfd.as_dtype(preferred_dtype))
            dtype = preferred_dtype
        except TypeError:
            pass
    return constant(value, dtype=dtype, name=name or "Const")


def operand(value: Any, like: Value, graph: Graph, what: str) -> Any:
    """A non-tensor operand of an op as an array of `like`'s dtype (tensors pass through)."""
    if isinstance(value, Value):
        return value
    arr = to_array(value, tfd.as_dtype(like.dtype), what)
    return graph.constant(arr)


def binary(x: Any, y: Any, op_type: str) -> tuple[Graph, Any, Any]:
    """The graph and the two operands of a binary op, with TF's dtype rules applied."""
    g = graph_of(x, y)
    if isinstance(x, Value) and isinstance(y, Value):
        if x.dtype != y.dtype:
            raise TypeError(
                f"Input 'y' of '{op_type}' Op has type {describe_dtype(y.dtype)} that does not "
                f"match type {describe_dtype(x.dtype)} of argument 'x'. (x: {x}, y: {y}); cast "
                "one of them with tf.cast"
            )
        return g, x, y
    if isinstance(x, Value):
        return g, x, y
    if isinstance(y, Value):
        return g, x, y
    x = convert_to_tensor(x)
    return g, x, y


def pair(g: Graph, x: Any, y: Any, op_type: str) -> tuple[Value, Any]:
    """Inside an op's build: turn the non-tensor of (x, y) into a constant of the other's dtype."""
    if not isinstance(x, Value):
        x = operand(x, y, g, f"argument 'x' of '{op_type}' Op")
    if not isinstance(y, Value):
        y = operand(y, x, g, f"argument 'y' of '{op_type}' Op")
    return x, y


def as_tensor_list(values: Any, what: str) -> list:
    """A list of operands (tensors, or values converted with TF's inference)."""
    if isinstance(values, Value) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{what} expects a list of tensors, got {type(values).__name__}")
    return list(values)
