"""TF-style dtype objects (`tf.float32`, ...): comparable with each other, numpy dtypes and names.

A DType converts to its numpy dtype wherever numpy or the core expects one (`np.dtype(d)`,
`np.asarray(x, dtype=d)`), so tensors can carry DType objects while core shape rules see plain
numpy dtypes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import dtypes as core_dtypes


class DType:
    """A tensor element type, as `tf.DType`."""

    __slots__ = ("name", "np_dtype")

    def __init__(self, name: str, np_dtype: np.dtype) -> None:
        self.name = name
        self.np_dtype = np.dtype(np_dtype)

    # numpy reads `.dtype` when converting an arbitrary object to a dtype
    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype (lets numpy accept this object wherever it wants a dtype)."""
        return self.np_dtype

    @property
    def as_numpy_dtype(self) -> type:
        """The numpy scalar type, e.g. numpy.float32."""
        return self.np_dtype.type

    @property
    def base_dtype(self) -> DType:
        """Itself (duograd has no reference dtypes)."""
        return self

    @property
    def real_dtype(self) -> DType:
        """The dtype of the real part (float32 for complex64), else itself."""
        return _BY_NP[core_dtypes.real_of(self.np_dtype)]

    @property
    def is_complex(self) -> bool:
        """True for complex64 and complex128."""
        return self.np_dtype.kind == "c"

    @property
    def is_floating(self) -> bool:
        """True for float32 and float64."""
        return self.np_dtype.kind == "f"

    @property
    def is_integer(self) -> bool:
        """True for int32, int64 and uint8."""
        return self.np_dtype.kind in "iu"

    @property
    def is_bool(self) -> bool:
        """True for bool."""
        return self.np_dtype.kind == "b"

    @property
    def is_numpy_compatible(self) -> bool:
        """Always True."""
        return True

    @property
    def size(self) -> int:
        """Bytes per element."""
        return self.np_dtype.itemsize

    @property
    def min(self) -> Any:
        """The smallest value of the type."""
        if self.is_bool:
            return False
        info = np.finfo(self.np_dtype) if self.is_floating else np.iinfo(self.np_dtype)
        return info.min

    @property
    def max(self) -> Any:
        """The largest value of the type."""
        if self.is_bool:
            return True
        info = np.finfo(self.np_dtype) if self.is_floating else np.iinfo(self.np_dtype)
        return info.max

    def is_compatible_with(self, other: Any) -> bool:
        """True when `other` names the same type."""
        return self == other

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.np_dtype == other.np_dtype
        if other is None:
            return False
        try:
            return self.np_dtype == as_dtype(other).np_dtype
        except TypeError:
            return False

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.np_dtype)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return (as_dtype, (self.name,))


float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
bool = DType("bool", np.bool_)  # noqa: A001 - TF's own name
double = float64


class UnsupportedDType:
    """A TF dtype duograd does not support (strings, float16, ...): using it raises TypeError."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"tf.{self.name} (not supported by duograd)"


string = UnsupportedDType("string")
float16 = half = UnsupportedDType("float16")
uint8 = DType("uint8", np.uint8)  # storage, casts, comparisons and image codecs
int8 = UnsupportedDType("int8")
int16 = UnsupportedDType("int16")
complex64 = DType("complex64", np.complex64)
complex128 = DType("complex128", np.complex128)

_BY_NP = {
    d.np_dtype: d for d in (float32, float64, int32, int64, bool, complex64, complex128, uint8)
}
_NAMES = {
    "float": float32,
    "float32": float32,
    "double": float64,
    "float64": float64,
    "int32": int32,
    "int": int32,
    "int64": int64,
    "long": int64,
    "bool": bool,
    "complex64": complex64,
    "complex128": complex128,
    "uint8": uint8,
}


def as_dtype(d: Any) -> DType:
    """Turn a DType, numpy dtype/type or a name ("float", "float32", "int64") into a DType."""
    if isinstance(d, DType):
        return d
    if d is None or isinstance(d, UnsupportedDType):
        what = "None" if d is None else d.name
        raise TypeError(
            f"dtype {what} is not supported; duograd tensors are float32, float64, int32, int64 "
            "or bool"
        )
    if isinstance(d, str):
        try:
            return _NAMES[d]
        except KeyError:
            raise TypeError(f"unknown dtype name {d!r}; use one of {sorted(_NAMES)}") from None
    if d is float:
        return float32
    if d is int:
        return int32
    try:
        npd = core_dtypes.as_dtype(d)
    except TypeError as e:
        raise TypeError(f"cannot interpret {d!r} as a dtype: {e}") from None
    try:
        return _BY_NP[npd]
    except KeyError:
        # the core stores some dtypes (uint8, float16, ...) the graph style does not compute in
        raise TypeError(
            f"dtype {npd} is not supported in the graph style; use float32, float64, int32, "
            "int64, bool, complex64 or complex128 (cast the data first)"
        ) from None
