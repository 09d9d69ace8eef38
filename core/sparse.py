"""Sparse COO helpers over core ops, shared by both frontends: products, densify, row sums,
coalescing, row softmax. Indices are host arrays (int64); values and dense operands may be any
frontend's values, so gradients reach them through spmm/sddmm."""

from __future__ import annotations

import numpy as np

from . import ops
from .primitives.sparse import spmm


def check_indices(indices: np.ndarray, shape: tuple, op: str) -> np.ndarray:
    """(ndim, nnz) int64 indices, checked against `shape`."""
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got {idx.dtype}")
    if not idx.size:
        return np.zeros((len(shape), 0), np.int64)
    idx = idx.astype(np.int64).reshape(len(shape), -1)
    for d, n in enumerate(shape):
        if idx.shape[1] and (idx[d].min() < 0 or idx[d].max() >= n):
            raise IndexError(
                f"{op}: index {int(idx[d].max())} is out of bounds for dimension {d} with size {n} "
                f"(shape {tuple(shape)})"
            )
    return idx


def frozen_pattern(indices: np.ndarray) -> tuple:
    """The (rows, cols) of 2-D COO indices as read-only int64 arrays: kept on a sparse tensor,
    they let the spmm kernel sort the pattern into CSR once and reuse it on every product."""
    rows = np.array(indices[0], np.int64)
    cols = np.array(indices[1], np.int64)
    rows.setflags(write=False)
    cols.setflags(write=False)
    return rows, cols


def matmul(rows: np.ndarray, cols: np.ndarray, values, dense, n_rows: int):
    """The sparse (rows, cols, values) matrix times `dense`."""
    return spmm(rows, cols, values, dense, n_rows)


def to_dense(indices: np.ndarray, values, shape: tuple):
    """The dense array (duplicates summed): one spmm over flat positions."""
    flat = np.ravel_multi_index(tuple(indices), shape).astype(np.int64)
    n = int(np.prod(shape))
    if len(tuple(values.shape)) != 1:
        raise ValueError("to_dense: values must be 1-D (one value per index)")
    ones = np.ones((1, 1), np.dtype(values.dtype))
    out = spmm(flat, np.zeros_like(flat), values, ones, n)
    return ops.reshape(out, tuple(shape))


def segment_sum(seg: np.ndarray, values, n: int):
    """out[s] = sum of values with seg == s (1-D values)."""
    ones = np.ones((1, 1), np.dtype(values.dtype))
    return ops.reshape(spmm(seg, np.zeros_like(seg), values, ones, n), (n,))


def coalesce(indices: np.ndarray, values, shape: tuple) -> tuple:
    """Indices sorted (row-major) without duplicates, and their summed values."""
    if indices.shape[1] == 0:
        return indices, values
    flat = np.ravel_multi_index(tuple(indices), shape)
    uniq, seg = np.unique(flat, return_inverse=True)
    new_idx = np.stack(np.unravel_index(uniq, shape)).astype(np.int64)
    return new_idx, segment_sum(seg.astype(np.int64), values, len(uniq))


def row_softmax(seg: np.ndarray, values, n: int):
    """softmax of values within each segment (the entries of one row of a sparse matrix)."""
    # the per-segment maximum is a constant shift (it cancels in the softmax)
    host = _host(values)
    mx = np.full(n, -np.inf, host.dtype)
    np.maximum.at(mx, seg, host)
    shifted = ops.sub(values, mx[seg])
    e = ops.exp(shifted)
    denom = segment_sum(seg, e, n)
    return ops.div(e, ops.gather(denom, seg, 0))


def _host(values) -> np.ndarray:
    data = getattr(values, "_data", None)
    if data is not None:
        return np.asarray(data)
    if isinstance(values, np.ndarray):
        return values
    raise TypeError(
        "sparse softmax: the values must be concrete (eager) arrays; in the graph style use "
        "dense ops"
    )
