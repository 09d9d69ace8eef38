"""TF1 sparse tensors: `tf.SparseTensor`, `tf.SparseTensorValue`, `tf.sparse_tensor_dense_matmul`,
`tf.sparse_reduce_sum`, `tf.sparse_add`, `tf.sparse.reorder`, `tf.sparse.to_dense`,
`tf.sparse.from_dense`, `tf.nn.embedding_lookup_sparse`.

Indices and dense_shape are static (numpy) here; values may be graph tensors (variables,
placeholders), and products run the core's spmm primitive, so gradients reach the values and
the dense operand, exactly as in the eager style.
"""

from __future__ import annotations

import collections
import types
from typing import Any

import numpy as np

from ...core import ops
from ...core import sparse as CS
from . import math_ops
from .convert import convert_to_tensor
from .tensor import Tensor

SparseTensorValue = collections.namedtuple(
    "SparseTensorValue", ["indices", "values", "dense_shape"]
)


def _static(x: Any, what: str, op: str) -> np.ndarray:
    if isinstance(x, Tensor):
        raise TypeError(
            f"{op}: {what} must be static (numpy or a list), not the graph tensor {x.name}; "
            "sparse indices and shapes are fixed when the graph is built here"
        )
    return np.asarray(x, dtype=np.int64)


class SparseTensor:
    """A sparse tensor: (nnz, ndim) int64 indices, nnz values, a dense shape."""

    def __new__(cls, indices: Any = None, values: Any = None, dense_shape: Any = None):
        # graph-tensor indices or shape are known only at run time: the dynamic kind
        if isinstance(indices, Tensor) or isinstance(dense_shape, Tensor):
            from .sparse_feed import DynamicSparseTensor

            return DynamicSparseTensor(indices, values, dense_shape)
        return super().__new__(cls)

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        shape = tuple(int(d) for d in _static(dense_shape, "dense_shape", "tf.SparseTensor"))
        idx = _static(indices, "indices", "tf.SparseTensor").reshape(-1, len(shape))
        self._idx = CS.check_indices(idx.T, shape, "tf.SparseTensor")  # (ndim, nnz)
        # static values are kept too: ids of embedding_lookup_sparse are read on the host
        self._host_values = None if isinstance(values, Tensor) else np.asarray(values)
        vals = values if isinstance(values, Tensor) else convert_to_tensor(_floatish(values))
        if vals.shape.ndims != 1 or (
            vals.shape[0] is not None and vals.shape[0] != self._idx.shape[1]
        ):
            raise ValueError(
                f"tf.SparseTensor: values must be 1-D with one entry per index row "
                f"({self._idx.shape[1]}), got shape {vals.shape}"
            )
        self.values = vals
        self._shape = shape
        self._rc: tuple | None = None  # frozen (rows, cols): the product's CSR is cached on them

    def _pattern(self) -> tuple:
        if self._rc is None:
            self._rc = CS.frozen_pattern(self._idx)
        return self._rc

    @staticmethod
    def from_value(value: SparseTensorValue) -> SparseTensor:
        """A SparseTensor from a SparseTensorValue."""
        return SparseTensor(value.indices, value.values, value.dense_shape)

    @property
    def indices(self) -> Tensor:
        """The (nnz, ndim) int64 indices as a constant tensor."""
        return convert_to_tensor(self._idx.T.copy())

    @property
    def dense_shape(self) -> Tensor:
        """The dense shape as an int64 constant tensor."""
        return convert_to_tensor(np.asarray(self._shape, np.int64))

    @property
    def shape(self) -> Any:
        """The static dense shape."""
        from .shapes import TensorShape

        return TensorShape(self._shape)

    @property
    def dtype(self) -> Any:
        """The values' dtype."""
        return self.values.dtype

    def __repr__(self) -> str:
        return (
            f"SparseTensor(nnz={self._idx.shape[1]}, dense_shape={self._shape}, dtype={self.dtype})"
        )


def _floatish(v: Any) -> np.ndarray:
    arr = np.asarray(v)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    elif arr.dtype == np.int64 and not isinstance(v, np.ndarray):
        arr = arr.astype(np.int32)
    return arr


def _sp(x: Any, op: str) -> SparseTensor:
    if isinstance(x, SparseTensorValue):
        return SparseTensor.from_value(x)
    if hasattr(x, "_feed_name"):  # a SparseTensor of run-time parts (sparse_feed.py)
        raise TypeError(
            f"{op}: the sparse operand's indices must be static (numpy or a list) here; this "
            "SparseTensor's parts are graph tensors known only at run time"
        )
    if not isinstance(x, SparseTensor):
        raise TypeError(f"{op}: expected a tf.SparseTensor, got {type(x).__name__}")
    return x


def sparse_tensor_dense_matmul(
    sp_a: Any, b: Any, adjoint_a: bool = False, adjoint_b: bool = False, name: Any = None
) -> Tensor:
    """sp_a @ b (either side transposed with adjoint_*); gradients to the values and to b."""
    op = "sparse_tensor_dense_matmul"
    sp = _sp(sp_a, op)
    if len(sp._shape) != 2:
        raise ValueError(f"{op}: the sparse operand must be 2-D, got dense_shape {sp._shape}")
    b = convert_to_tensor(b)
    if adjoint_b:
        b = ops.transpose(b, (1, 0))
    rows, cols = sp._pattern()
    m, k = sp._shape
    if adjoint_a:
        rows, cols, m, k = cols, rows, k, m
    if b.shape.ndims != 2 or (b.shape[0] is not None and b.shape[0] != k):
        raise ValueError(
            f"{op}: cannot multiply a sparse ({m}, {k}) matrix by a dense {b.shape} one"
        )
    return CS.matmul(rows, cols, sp.values, b, m)


def to_dense(sp_input: Any, default_value: Any = None, validate_indices: bool = True, name=None):
    """The dense tensor (entries not stored are default_value, 0 by default)."""
    sp = _sp(sp_input, "sparse.to_dense")
    dense = CS.to_dense(sp._idx, sp.values, sp._shape)
    if default_value:
        mask = np.ones(sp._shape, np.dtype(sp.values.dtype.np_dtype))
        mask[tuple(sp._idx)] = 0
        dense = dense + mask * default_value
    return dense


def from_dense(tensor: Any, name: Any = None) -> SparseTensor:
    """The nonzero entries of a static (numpy) array as a SparseTensor."""
    if isinstance(tensor, Tensor):
        raise TypeError(
            "sparse.from_dense: the input must be a static array here (its nonzero pattern "
            "fixes the indices); got the graph tensor " + tensor.name
        )
    arr = _floatish(tensor)
    idx = np.stack(np.nonzero(arr), 1).astype(np.int64)
    return SparseTensor(idx, arr[tuple(idx.T)], arr.shape)


def sparse_reduce_sum(
    sp_input: Any, axis: Any = None, keepdims: bool = False, reduction_axes: Any = None, **kw: Any
) -> Tensor:
    """The sum of the entries (over `axis`, through the dense form)."""
    sp = _sp(sp_input, "sparse_reduce_sum")
    axis = reduction_axes if axis is None else axis
    if axis is None and not keepdims:
        return math_ops.reduce_sum(sp.values)
    return math_ops.reduce_sum(to_dense(sp), axis=axis, keepdims=keepdims)


def sparse_add(a: Any, b: Any, threshold: Any = 0, thresh: Any = None, name: Any = None) -> Any:
    """a + b: dense when either is dense; for two sparse tensors, their entries combined
    (sorted, duplicates summed)."""
    if not isinstance(a, (SparseTensor, SparseTensorValue)):
        a, b = b, a
    sa = _sp(a, "sparse_add")
    if not isinstance(b, (SparseTensor, SparseTensorValue)):
        return to_dense(sa) + convert_to_tensor(b)
    sb = _sp(b, "sparse_add")
    if sa._shape != sb._shape:
        raise ValueError(f"sparse_add: dense shapes differ: {sa._shape} vs {sb._shape}")
    idx = np.concatenate([sa._idx, sb._idx], 1)
    vals = ops.concat([sa.values, sb.values], 0)
    new_idx, new_vals = CS.coalesce(idx, vals, sa._shape)
    return SparseTensor(new_idx.T, new_vals, sa._shape)


def reorder(sp_input: Any, name: Any = None) -> SparseTensor:
    """The same entries with indices in row-major order."""
    sp = _sp(sp_input, "sparse.reorder")
    if sp._idx.shape[1] == 0:
        return sp
    order = np.lexsort(sp._idx[::-1])
    return SparseTensor(sp._idx[:, order].T, ops.gather(sp.values, order, 0), sp._shape)


def embedding_lookup_sparse(
    params: Any,
    sp_ids: Any,
    sp_weights: Any,
    partition_strategy: str = "mod",
    name: Any = None,
    combiner: str = "mean",
    max_norm: Any = None,
) -> Tensor:
    """Per row of sp_ids: the combination ("sum", "mean", "sqrtn") of params rows at its ids,
    weighted by sp_weights (or 1)."""
    op = "embedding_lookup_sparse"
    if combiner not in ("sum", "mean", "sqrtn"):
        raise ValueError(f"{op}: combiner must be 'sum', 'mean' or 'sqrtn', got {combiner!r}")
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError(f"{op}: sharded params are not supported; pass one tensor")
        params = params[0]
    params = convert_to_tensor(params)
    ids = _sp(sp_ids, op)
    if ids._host_values is None:
        raise TypeError(f"{op}: the ids must be static values (numpy or lists) here")
    id_vals = ids._host_values.astype(np.int64)
    nnz = len(id_vals)
    rows = ids._idx[0]
    n_rows = ids._shape[0]
    gathered = ops.gather(params, id_vals, 0)
    dt = np.dtype(params.dtype.np_dtype)
    w = convert_to_tensor(np.ones(nnz, dt)) if sp_weights is None else _sp(sp_weights, op).values
    j = np.arange(nnz, dtype=np.int64)
    total = CS.matmul(rows, j, w, gathered, n_rows)
    if combiner == "sum":
        return total
    w2 = w if combiner == "mean" else ops.square(w)
    denom = CS.matmul(rows, j, w2, np.ones((nnz, 1), dt), n_rows)
    if combiner == "sqrtn":
        denom = ops.sqrt(denom)
    # rows without ids stay zero (0 / max(denom, tiny))
    return ops.div(total, ops.maximum(denom, ops.scalar(np.finfo(dt).tiny, denom)))


namespace = types.ModuleType("tf.sparse", "tf.sparse: sparse tensors and their ops.")
namespace.SparseTensor = SparseTensor
namespace.reorder = reorder
namespace.to_dense = to_dense
namespace.from_dense = from_dense
namespace.reduce_sum = sparse_reduce_sum
namespace.add = sparse_add
namespace.sparse_dense_matmul = sparse_tensor_dense_matmul
namespace.matmul = sparse_tensor_dense_matmul
