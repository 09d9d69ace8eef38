"""Sparse tensors whose parts are graph tensors: `tf.sparse_placeholder`, sparse feeds, and the
run-time `tf.sparse.to_dense` / `tf.sparse_to_dense` over them.

A `tf.SparseTensor` built from graph tensors (or a sparse placeholder, or a decoder's output)
is a `DynamicSparseTensor`: three tensors (indices, values, dense_shape). A sparse placeholder
is fed a `tf.SparseTensorValue` or an ``(indices, values, shape)`` tuple; the feed is checked
(rank, range, row-major order) before the run starts, with an error naming the placeholder.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.primitives import labels as L
from . import dtypes as tfd
from .array_ops import placeholder
from .convert import convert_to_tensor
from .tensor import Tensor


class DynamicSparseTensor:
    """A sparse tensor of three graph tensors: (nnz, ndim) indices, (nnz,) values, dense_shape."""

    def __init__(self, indices: Any, values: Any, dense_shape: Any, feed_name: str = "") -> None:
        self.indices = convert_to_tensor(indices, dtype=tfd.int64)
        self.values = convert_to_tensor(values)
        self.dense_shape = convert_to_tensor(dense_shape, dtype=tfd.int64)
        self._feed_name = feed_name  # set for a sparse placeholder (feeds expand to the parts)

    @property
    def dtype(self) -> Any:
        """The values' dtype."""
        return self.values.dtype

    @property
    def graph(self) -> Any:
        """The graph of the parts."""
        return self.values.graph

    def __repr__(self) -> str:
        return (
            f"SparseTensor(indices={self.indices.name}, values={self.values.name}, "
            f"dense_shape={self.dense_shape.name})"
        )


def sparse_placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Any:
    """A sparse tensor fed at run time with a SparseTensorValue or (indices, values, shape)."""
    base = name or "SparsePlaceholder"
    rank = None if shape is None else len(shape)
    idx = placeholder(tfd.int64, [None, rank], name=f"{base}/indices")
    vals = placeholder(dtype, [None], name=f"{base}/values")
    dshape = placeholder(tfd.int64, [rank], name=f"{base}/shape")
    sp = DynamicSparseTensor(idx, vals, dshape, feed_name=base)
    sp._static_shape = None if shape is None else tuple(shape)
    return sp


def expand_feeds(feed_dict: dict) -> dict:
    """The feed dict with each sparse placeholder replaced by feeds of its three parts."""
    out = {}
    for k, v in feed_dict.items():
        if not (isinstance(k, DynamicSparseTensor) and k._feed_name):
            out[k] = v
            continue
        try:
            indices, values, shape = v
        except (TypeError, ValueError):
            raise TypeError(
                f"sparse placeholder {k._feed_name}: feed a tf.SparseTensorValue or an "
                f"(indices, values, dense_shape) tuple, got {type(v).__name__}"
            ) from None
        idx, vals, dshape = L.check_sparse(indices, values, shape, f"feed of {k._feed_name}")
        want = getattr(k, "_static_shape", None)
        if want is not None and (
            len(want) != dshape.shape[0]
            or any(w is not None and w != d for w, d in zip(want, dshape.tolist(), strict=False))
        ):
            raise ValueError(
                f"feed of {k._feed_name}: dense shape {dshape.tolist()} does not fit the "
                f"placeholder's shape {list(want)}"
            )
        out[k.indices] = idx
        out[k.values] = np.asarray(vals, k.values.dtype.np_dtype)
        out[k.dense_shape] = dshape
    return out


def needs_expanding(feed_dict: dict) -> bool:
    """True when some key is a sparse placeholder."""
    return any(isinstance(k, DynamicSparseTensor) for k in feed_dict)


def dynamic_to_dense(sp: DynamicSparseTensor, default_value: Any = 0, name: Any = None) -> Tensor:
    """The dense tensor of a sparse tensor with run-time parts."""
    g = sp.graph
    default = 0 if default_value is None else default_value
    return g.build_op(
        "SparseToDense",
        name,
        lambda: L.sparse_to_dense(sp.indices, sp.values, sp.dense_shape, default),
    )


def sparse_to_dense(
    sparse_indices: Any,
    output_shape: Any,
    sparse_values: Any,
    default_value: Any = 0,
    validate_indices: bool = True,
    name: Any = None,
) -> Tensor:
    """TF1's tf.sparse_to_dense: `sparse_values` (scalar or per index) at `sparse_indices`."""
    idx = convert_to_tensor(sparse_indices, dtype=tfd.int64)
    shape = convert_to_tensor(output_shape, dtype=tfd.int64)
    vals = convert_to_tensor(sparse_values)
    g = vals.graph

    return g.build_op(
        "SparseToDense", name, lambda: L.sparse_to_dense(idx, vals, shape, default_value)
    )
