"""Collation: samples (tensors, numpy arrays, numbers, dicts, tuples) into batch tensors."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ...tensor import Tensor


def default_collate(batch: list) -> Any:
    """Stack a list of samples: tensors/arrays/numbers into Tensors, tuples and dicts by field."""
    from ...shaping import stack

    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch, 0)
    if isinstance(first, np.ndarray):
        return Tensor._make(np.stack(batch))
    if isinstance(first, (bool, np.bool_)):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(first, numbers.Real):
        # Python floats collate to float64, as in PyTorch
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(f)) for f in zip(*batch, strict=False)))
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(f)) for f in zip(*batch, strict=False)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
        f"or lists; found {type(first).__name__}"
    )


def default_convert(data: Any) -> Any:
    """Numpy arrays (also inside dicts/tuples/lists) as Tensors; other values unchanged."""
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor._make(np.ascontiguousarray(data))
    if isinstance(data, dict):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, (tuple, list)):
        return type(data)(default_convert(v) for v in data)
    return data
