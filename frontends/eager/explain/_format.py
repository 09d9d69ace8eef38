"""Captum's input and output conventions: tuples in, tuples out; tensors to arrays and back."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ._backend import as_array


def inputs_tuple(name: str, inputs: Any) -> tuple[tuple, bool]:
    """(the inputs as a tuple of arrays, whether they came as a tuple)."""
    is_tuple = isinstance(inputs, (tuple, list))
    items = tuple(inputs) if is_tuple else (inputs,)
    if not items:
        raise ValueError(f"{name}: inputs must hold at least one tensor")
    out = []
    for i, x in enumerate(items):
        if not isinstance(x, (Tensor, np.ndarray)):
            raise TypeError(f"{name}: input {i} must be a Tensor, got {type(x).__name__}")
        arr = as_array(x)
        if arr.dtype.kind != "f":
            raise TypeError(f"{name}: input {i} must be a float tensor, got dtype {arr.dtype}")
        out.append(arr)
    batches = {a.shape[0] if a.ndim else None for a in out}
    if None in batches or len(batches) != 1:
        raise ValueError(
            f"{name}: every input needs the same batch (first) dimension, got shapes "
            f"{[a.shape for a in out]}"
        )
    return tuple(out), is_tuple


def extra_tuple(extra: Any) -> tuple:
    """additional_forward_args as a tuple of arrays / plain values."""
    if extra is None:
        return ()
    items = tuple(extra) if isinstance(extra, (tuple, list)) else (extra,)
    return tuple(as_array(a) for a in items)


def baselines_arg(baselines: Any, n: int) -> Any:
    """Baselines as arrays (numbers as they are), one per input when given as a tuple."""
    if baselines is None:
        return None
    if isinstance(baselines, (tuple, list)):
        return tuple(as_array(b) for b in baselines)
    return as_array(baselines) if n == 1 else (as_array(baselines),) * n


def target_arg(target: Any) -> Any:
    """A target as int / tuple / int array."""
    if isinstance(target, Tensor):
        arr = target._data
        return int(arr) if arr.ndim == 0 else arr
    if isinstance(target, list):
        return np.asarray(target, dtype=np.int64)  # ints, or tuples (one per example)
    return target


def wrap(arrays: Any, is_tuple: bool) -> Any:
    """Arrays as tensors, a tuple when the inputs were a tuple."""
    ts = tuple(Tensor._make(np.ascontiguousarray(a)) for a in arrays)
    return ts if is_tuple else ts[0]


def tensor(a: Any) -> Tensor:
    """One array as a tensor."""
    return Tensor._make(np.ascontiguousarray(a))
