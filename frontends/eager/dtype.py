"""The dtype objects of the eager frontend (``torch.float32`` and friends) over numpy dtypes."""

from __future__ import annotations

import builtins as _b

import numpy as np

from ...core import dtypes as core_dtypes


class dtype:  # noqa: N801 - named as PyTorch names it
    """A tensor element type; wraps the numpy dtype the core computes in."""

    __slots__ = ("name", "np_dtype", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype: np.dtype) -> None:
        self.name = name
        self.np_dtype = np.dtype(np_dtype)
        self.is_floating_point = self.np_dtype.kind == "f"
        self.itemsize = self.np_dtype.itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    # numpy (and the core, which calls np.dtype(x.dtype)) reads an object's `.dtype` attribute
    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype."""
        return self.np_dtype

    @property
    def is_complex(self) -> _b.bool:
        """True for complex64 and complex128."""
        return self.np_dtype.kind == "c"

    @property
    def kind(self) -> str:
        """numpy's kind letter ('f', 'i', 'b')."""
        return self.np_dtype.kind

    @property
    def is_signed(self) -> _b.bool:
        """True for signed numbers."""
        return self.np_dtype.kind in "fi"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype):
            return self.np_dtype == other.np_dtype
        if isinstance(other, np.dtype):
            return self.np_dtype == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.np_dtype)

    def __reduce__(self):
        return (to_dtype, (self.name,))


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001 - torch.bool
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001

complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
cfloat = complex64
cdouble = complex128

# storage dtypes (images, masks, half precision): see core/dtypes.py
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
float16 = dtype("float16", np.float16)
half = float16
short = int16

_BY_NP = {
    d.np_dtype: d
    for d in (float32, float64, int32, int64, bool, complex64, complex128, uint8, int8, int16,
              float16)
}  # fmt: skip
_default = [float32]


def to_dtype(d: object) -> dtype:
    """Turn any dtype-like (our dtype, numpy dtype, Python type, name) into a frontend dtype."""
    if isinstance(d, dtype):
        return d
    if d is _b.float:
        return _default[0]
    if d is _b.int:
        return int64
    if d is _b.bool:
        return bool
    legacy = _legacy_tensor_type(d)
    if legacy is not None:
        return legacy
    return _BY_NP[core_dtypes.as_dtype(d)]


_LEGACY = {"Float": "float32", "Double": "float64", "Int": "int32", "Long": "int64", "Bool": "bool",
           "Byte": "uint8", "Char": "int8", "Short": "int16", "Half": "float16"}  # fmt: skip


def _legacy_tensor_type(d: object) -> dtype | None:
    """The dtype a legacy tensor type names: torch.LongTensor, torch.FloatTensor (the Tensor
    class) or their names 'torch.LongTensor' (as ``x.type(torch.LongTensor)`` passes them)."""
    if isinstance(d, type):
        typed = getattr(d, "_dtype", None)
        if typed is not None:
            return _BY_NP[np.dtype(typed)]
        if d.__name__ == "Tensor" and hasattr(d, "__dg_bind__"):
            return float32
        return None
    if isinstance(d, str) and d.startswith("torch.") and d.endswith("Tensor"):
        name = _LEGACY.get(d[len("torch.") : -len("Tensor")])
        return None if name is None else _BY_NP[np.dtype(name)]
    return None


def from_np(npd: np.dtype) -> dtype:
    """The frontend dtype of a numpy dtype the core supports."""
    return _BY_NP[npd]


def get_default_dtype() -> dtype:
    """The dtype new float tensors get (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: object) -> None:
    """Change the dtype new float tensors get (float32 or float64)."""
    dt = to_dtype(d)
    if not dt.is_floating_point:
        raise TypeError(f"set_default_dtype: only float32 or float64 can be the default, got {dt}")
    _default[0] = dt
