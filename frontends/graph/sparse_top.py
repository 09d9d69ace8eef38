"""tf.sparse_retain / tf.sparse.retain: the entries of a SparseTensor where a bool mask holds."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from . import dtypes as tfd
from .math_more import boolean_mask
from .math_ops import _tensor
from .tensor import Tensor


def sparse_retain(sp_input: Any, to_retain: Any) -> Any:
    """A SparseTensor with the entries k of sp_input for which to_retain[k] is true (same
    dense shape)."""
    from .sparse_ops import SparseTensor

    if not hasattr(sp_input, "values") or not hasattr(sp_input, "indices"):
        raise TypeError(f"sparse_retain: sp_input must be a SparseTensor, got {sp_input!r}")
    if not isinstance(to_retain, Tensor):
        keep = np.asarray(to_retain, bool).reshape(-1)
        if isinstance(sp_input, SparseTensor):  # static indices stay static
            nnz = sp_input._idx.shape[1]
            if keep.shape[0] != nnz:
                raise ValueError(
                    f"sparse_retain: to_retain has {keep.shape[0]} entries, sp_input has {nnz}"
                )
            rows = np.flatnonzero(keep)
            from .array_ops import gather

            values = gather(sp_input.values, rows.astype(np.int64))
            return SparseTensor(sp_input._idx.T[rows], values, sp_input._shape)
        to_retain = _tensor(keep)
    m = _tensor(to_retain)
    if not tfd.as_dtype(m.dtype).is_bool or len(m.shape) != 1:
        raise ValueError(f"sparse_retain: to_retain must be a 1-D bool tensor, got {m}")
    return SparseTensor(
        boolean_mask(sp_input.indices, m), boolean_mask(sp_input.values, m), sp_input.dense_shape
    )


def attach(tf: types.ModuleType) -> list:
    """Add tf.sparse_retain and tf.sparse.retain."""
    if not hasattr(tf.sparse, "retain"):
        tf.sparse.retain = sparse_retain
    if not hasattr(tf, "sparse_retain"):
        tf.sparse_retain = sparse_retain
        return ["sparse_retain"]
    return []
