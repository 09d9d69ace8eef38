"""Operand conversion: Python scalars to 0-d arrays, and PyTorch's dtype promotion via casts.

Core operations require one dtype for all operands and never see Python scalars; this module is
where the eager frontend bridges that gap (a scalar takes the tensor's dtype; mixed tensors meet
in the promoted dtype through an inserted ``ops.cast``, which autograd records like any op).
"""

from __future__ import annotations

import numbers

import numpy as np

from ...core import dtypes as D
from ...core import ops
from .dtype import get_default_dtype

_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}
_PY_SCALARS = (float, int, bool)

# set by tensor.py once the class exists (tensor.py imports this module first)
Tensor: type = None  # type: ignore[assignment]


def tensor_type() -> type:
    """The Tensor class."""
    return Tensor


def is_scalar(x: object) -> bool:
    """Python or numpy scalars (not 0-d tensors or arrays)."""
    if type(x) in _PY_SCALARS:
        return True
    return isinstance(x, (numbers.Number, np.bool_)) and not isinstance(x, np.ndarray)


def default_float() -> np.dtype:
    """The numpy dtype of the current default float dtype."""
    return get_default_dtype().np_dtype


def wrap_array(x: object):
    """Turn a non-tensor operand (numpy array, list) into a Tensor that needs no grad."""
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if arr.dtype not in D.SUPPORTED:
        arr = arr.astype(_supported_like(arr.dtype))
    return Tensor._make(arr)


def _supported_like(dt: np.dtype) -> np.dtype:
    if dt.kind == "f":
        return D.float64 if dt.itemsize > 4 else D.float32
    if dt.kind in "iu":
        return D.int64
    if dt.kind == "b":
        return D.bool_
    if dt.kind == "c":
        return D.complex128 if dt.itemsize > 8 else D.complex64
    raise TypeError(f"cannot make a tensor from data of numpy dtype {dt}")


def scalar_dtype(value: object, tdt: np.dtype) -> np.dtype:
    """The dtype a Python scalar meets a tensor of dtype `tdt` in (PyTorch's rule)."""
    if isinstance(value, (bool, np.bool_)):
        return tdt
    if isinstance(value, (int, np.integer)):
        return D.int64 if tdt == D.bool_ else tdt
    if isinstance(value, (float, np.floating)):
        return tdt if tdt.kind == "f" else default_float()
    raise TypeError(f"unsupported operand {value!r} of type {type(value).__name__}")


def result_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """PyTorch promotion of two tensors: a 0-d tensor only decides when its category is higher."""
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    za, zb = a.ndim == 0, b.ndim == 0
    if za != zb:
        dim, zero = (b, a) if za else (a, b)
        if _CATEGORY[zero.dtype.kind] <= _CATEGORY[dim.dtype.kind]:
            return dim.dtype
        return zero.dtype
    return D.promote(da, db)


def promoted(dt: np.dtype, operands: tuple) -> np.dtype:
    """The dtype a tensor of dtype `dt` meets `operands` (tensors, arrays or Python numbers;
    None skipped) in, by PyTorch's promotion rules."""
    for v in operands:
        if v is None:
            continue
        if isinstance(v, Tensor):
            dt = result_dtype(np.empty((1,), dt), v._data)
        elif isinstance(v, np.ndarray):
            dt = result_dtype(np.empty((1,), dt), v)
        elif is_scalar(v):
            dt = scalar_dtype(v, dt)
    return dt


_TORCH_NAME = {"b": "Bool", "i": "Long", "u": "Byte", "f": "Float", "c": "ComplexFloat"}


def check_castable(op: str, dt: np.dtype, result: np.dtype) -> None:
    """An in-place op writes a result of dtype `result` into a tensor of dtype `dt`: refused,
    as PyTorch refuses it, when the result's category is higher (float into an integer tensor,
    an integer into a bool one)."""
    if _CATEGORY.get(result.kind, 0) > _CATEGORY.get(dt.kind, 0):
        raise RuntimeError(
            f"{op}: result type {_TORCH_NAME.get(result.kind, result)} can't be cast to the "
            f"desired output type {_TORCH_NAME.get(dt.kind, dt)} ({dt})"
        )


def to_dtype(t, dt: np.dtype):
    """Cast a tensor (recorded) when its dtype differs."""
    return t if t._data.dtype == dt else ops.cast(t, dt)


def pair(a, b):
    """Two operands as (tensor or 0-d array, tensor or 0-d array) sharing one dtype."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da = a._data.dtype
            if da is b._data.dtype:  # the common case: nothing to convert
                return a, b
        elif type(b) is float and a._data.dtype.kind == "f":
            return a, np.asarray(b, dtype=a._data.dtype)
    elif is_scalar(a):
        if is_scalar(b):
            a = as_tensor_operand(a)
        else:
            b2, a2 = pair(b, a)
            return a2, b2
    else:
        a = wrap_array(a)
    if isinstance(b, Tensor):
        dt = result_dtype(a._data, b._data)
        return to_dtype(a, dt), to_dtype(b, dt)
    if is_scalar(b):
        dt = scalar_dtype(b, a._data.dtype)
        return to_dtype(a, dt), np.asarray(b, dtype=dt)
    return pair(a, wrap_array(b))


def floating(t):
    """A float tensor: ints and bools are cast to the default float dtype (PyTorch's rule)."""
    if not isinstance(t, Tensor):
        t = wrap_array(t) if not is_scalar(t) else Tensor._make(np.asarray(t, default_float()))
    return t if t._data.dtype.kind == "f" else ops.cast(t, default_float())


def floating_only(op: str, t):
    """`floating(t)` for operations PyTorch defines on float (and complex) tensors only: an
    integer or bool tensor is refused, as PyTorch refuses it, instead of being cast."""
    if isinstance(t, Tensor) and t._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {t.dtype}"
        )
    return floating(t)


def as_tensor_operand(x, like=None):
    """A tensor for x; scalars take `like`'s dtype (or the default dtype rules without it)."""
    if isinstance(x, Tensor):
        return x
    if is_scalar(x):
        if like is not None:
            return Tensor._make(np.asarray(x, dtype=scalar_dtype(x, like._data.dtype)))
        return Tensor._make(np.asarray(x, dtype=D.infer_dtype(x)))
    return wrap_array(x)


def dims(dim) -> tuple[int, ...] | None:
    """A dim argument (int, tuple, list, None) as a tuple of ints or None."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (int(dim),)
    return tuple(int(d) for d in dim)


def shape_args(args: tuple) -> tuple[int, ...]:
    """Sizes given as f(2, 3), f((2, 3)), f([2, 3]) or f(torch.Size([2, 3]))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"sizes must be integers, got {a!r} of type {type(a).__name__}")
        out.append(int(a))
    return tuple(out)
