"""Element specs of tf.data: each leaf's dtype and static shape, and host value conversion."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ..dtypes import DType
from ..shapes import TensorShape
from ..tensor import Tensor

# the dtypes module itself (the package's `dtypes` attribute is the tf.dtypes namespace)
tfd = sys.modules[DType.__module__]


class TensorSpec:
    """The dtype and static shape (dims may be None) of one element leaf (`tf.TensorSpec`)."""

    __slots__ = ("dtype", "shape")

    def __init__(self, shape: Any, dtype: Any = tfd.float32) -> None:
        self.shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
        self.dtype = dtype if dtype is tfd.string else tfd.as_dtype(dtype)

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype.name})"

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, TensorSpec)
            and self.dtype == other.dtype
            and _same_shape(self.shape, other.shape)
        )

    def __hash__(self) -> int:
        return hash((self.dtype.name, tuple(self.shape)))

    @property
    def is_string(self) -> bool:
        """True for string (bytes) leaves, which live on the host only."""
        return self.dtype is tfd.string


def _same_shape(a: TensorShape, b: TensorShape) -> bool:
    if a.unknown_rank or b.unknown_rank:
        return a.unknown_rank == b.unknown_rank
    return tuple(a) == tuple(b)


def host_value(x: Any, dtype: Any = None) -> np.ndarray:
    """`x` (array, number, list, bytes/str) as a host array; Python floats/ints become TF's
    default float32/int32, strings an object array of bytes."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if isinstance(x, (str, bytes)) or (isinstance(x, (list, tuple)) and _first_leaf_is_text(x)):
            return _bytes_array(x)
        arr = np.asarray(x)
        if arr.dtype == np.float64 and not isinstance(x, np.generic):
            arr = arr.astype(np.float32)
        elif arr.dtype == np.int64 and not isinstance(x, np.generic):
            arr = arr.astype(np.int32)
    if arr.dtype.kind in "SUO":
        return _bytes_array(arr.tolist())
    if dtype is not None and dtype is not tfd.string:
        arr = arr.astype(tfd.as_dtype(dtype).np_dtype, copy=False)
    return arr


def _first_leaf_is_text(x: Any) -> bool:
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, (str, bytes))


def _bytes_array(x: Any) -> np.ndarray:
    def enc(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [enc(i) for i in v]
        return v.encode() if isinstance(v, str) else bytes(v)

    data = enc(x.tolist() if isinstance(x, np.ndarray) else x)
    out = np.empty(np.shape(np.asarray(data, dtype=object)), dtype=object)
    if out.ndim == 0:
        out[()] = data
    else:
        out[...] = np.asarray(data, dtype=object)
    return out


def spec_of_value(arr: np.ndarray, drop_first: bool = False) -> TensorSpec:
    """The spec of a host array (of its slices with `drop_first`)."""
    shape = arr.shape[1:] if drop_first else arr.shape
    if arr.dtype == object:
        return TensorSpec(shape, tfd.string)
    return TensorSpec(shape, tfd.as_dtype(arr.dtype))


def spec_of_tensor(t: Tensor, drop_first: bool = False) -> TensorSpec:
    """The spec of a graph tensor (of its slices with `drop_first`)."""
    shape = t.shape
    if shape.unknown_rank:
        return TensorSpec(TensorShape(None), t.dtype)
    dims = tuple(shape)[1:] if drop_first else tuple(shape)
    return TensorSpec(dims, t.dtype)


def dtype_name(spec: TensorSpec) -> str:
    """The dtype's name for messages."""
    return spec.dtype.name
