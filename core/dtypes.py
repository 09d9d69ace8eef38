"""The dtypes duograd knows, their names, and the documented promotion rule.

Promotion (used by the eager frontend; the graph frontend refuses mixed dtypes as TF does):
- the default float dtype is float32;
- bool < int32 < int64 < float32 < float64 when two arrays meet;
- a Python scalar never upcasts an array: ``float32_array * 2.0`` stays float32, and an
  integer array times a Python float becomes the default float dtype (as in PyTorch).
"""

from __future__ import annotations

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)
# storage dtypes (images, masks, half precision): tensors hold them and cast to and from them;
# arithmetic on them follows the same promotion (float16 is not differentiable here)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
float16 = np.dtype(np.float16)

DEFAULT_FLOAT = float32
FLOATS = (float32, float64)
SUPPORTED = (float32, float64, int32, int64, bool_, complex64, complex128, uint8, int8, int16,
             float16)  # fmt: skip
COMPLEX = (complex64, complex128)

_RANK = {bool_: 0, int32: 1, int64: 2, float32: 3, float64: 4, complex64: 5, complex128: 6}
# the storage dtypes slot in below the dtypes they widen to (fractional ranks keep the others')
_RANK.update({uint8: 0.3, int8: 0.5, int16: 0.7, float16: 2.5})

_ALIASES = {
    "float": float32,
    "float32": float32,
    "float64": float64,
    "double": float64,
    "int": int32,
    "int32": int32,
    "int64": int64,
    "long": int64,
    "bool": bool_,
    "complex64": complex64,
    "cfloat": complex64,
    "complex128": complex128,
    "cdouble": complex128,
    "uint8": uint8,
    "int8": int8,
    "int16": int16,
    "short": int16,
    "float16": float16,
    "half": float16,
}


def as_dtype(d: object) -> np.dtype:
    """Turn a dtype-like (numpy dtype, type, or name such as "float") into a supported dtype."""
    if isinstance(d, str):
        try:
            return _ALIASES[d]
        except KeyError:
            raise TypeError(f"unknown dtype name {d!r}; use one of {sorted(_ALIASES)}") from None
    inner = getattr(d, "np_dtype", None)  # frontend dtype objects carry their numpy dtype
    dt = np.dtype(inner if inner is not None else d)
    if dt not in _RANK:
        raise TypeError(f"dtype {dt} is not supported; use one of {[str(s) for s in SUPPORTED]}")
    return dt


def is_float(dt: np.dtype) -> bool:
    """True for the floating dtypes, the only differentiable ones."""
    return dt == float32 or dt == float64


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """The dtype two arrays meet in (bool < int32 < int64 < float32 < float64 < complex64 <
    complex128; float64 meeting complex64 gives complex128)."""
    hi, lo = (a, b) if _RANK[a] >= _RANK[b] else (b, a)
    if hi == complex64 and lo == float64:
        return complex128
    if hi == int8 and lo == uint8:  # neither holds the other's range (as torch)
        return int16
    return hi


def is_complex(dt: np.dtype) -> bool:
    """True for complex64 and complex128."""
    return np.dtype(dt).kind == "c"


def real_of(dt: np.dtype) -> np.dtype:
    """The real dtype of a complex one (float32 for complex64); other dtypes unchanged."""
    return {complex64: float32, complex128: float64}.get(np.dtype(dt), np.dtype(dt))


def complex_of(dt: np.dtype) -> np.dtype:
    """The complex dtype with this real part (complex64 for float32)."""
    return complex128 if np.dtype(dt) in (float64, complex128) else complex64


def scalar_dtype(value: object, other: np.dtype) -> np.dtype:
    """The dtype a Python scalar takes next to an array of dtype `other` (never upcasts it)."""
    if isinstance(value, (bool, np.bool_)):
        return other
    if isinstance(value, (int, np.integer)):
        return other
    if isinstance(value, (float, np.floating)):
        return other if is_float(other) else DEFAULT_FLOAT
    raise TypeError(f"unsupported scalar {value!r} of type {type(value).__name__}")


def infer_dtype(value: object) -> np.dtype:
    """The dtype a new tensor made from Python data gets: floats -> float32, ints -> int64."""
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return (
            DEFAULT_FLOAT if arr.dtype != float64 or not isinstance(value, np.ndarray) else float64
        )
    if arr.dtype.kind in "iu":
        return int64 if not isinstance(value, np.ndarray) else as_dtype(arr.dtype)
    if arr.dtype.kind == "b":
        return bool_
    if arr.dtype.kind == "c":  # Python complex numbers -> complex64, as floats -> float32
        return (
            complex128 if isinstance(value, np.ndarray) and arr.dtype == complex128 else (complex64)
        )
    raise TypeError(f"cannot make a tensor from {type(value).__name__} with dtype {arr.dtype}")
