"""Sparse-dense kernels: COO operands turned into CSR rows by a counting sort (O(nnz)), then
one output row per parallel task, so no two threads write the same row."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, error_model="numpy")
def _csr(rows, n_rows):
    """indptr and the order of entries by row (stable counting sort)."""
    nnz = rows.shape[0]
    indptr = np.zeros(n_rows + 1, np.int64)
    for j in range(nnz):
        indptr[rows[j] + 1] += 1
    for i in range(n_rows):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    order = np.empty(nnz, np.int64)
    for j in range(nnz):
        r = rows[j]
        order[fill[r]] = j
        fill[r] += 1
    return indptr, order


@njit(cache=True, error_model="numpy", parallel=True)
def _spmm_rows(indptr, order, cols, values, dense, out):
    n = dense.shape[1]
    for i in prange(out.shape[0]):
        for k in range(n):
            out[i, k] = 0
        for p in range(indptr[i], indptr[i + 1]):
            j = order[p]
            v = values[j]
            c = cols[j]
            for k in range(n):
                out[i, k] += v * dense[c, k]


def spmm(rows, cols, values, dense, n_rows: int) -> np.ndarray:
    """out[r] += v * dense[c] for each entry (r, c, v): (n_rows, dense.shape[1])."""
    rows = np.ascontiguousarray(rows, np.int64)
    cols = np.ascontiguousarray(cols, np.int64)
    dense = np.ascontiguousarray(dense)
    values = np.ascontiguousarray(values, dense.dtype)
    out = np.empty((n_rows, dense.shape[1]), dense.dtype)
    indptr, order = _csr(rows, n_rows)
    _spmm_rows(indptr, order, cols, values, dense, out)
    return out


@njit(cache=True, error_model="numpy", parallel=True)
def _sddmm(rows, cols, a, b, out):
    n = a.shape[1]
    for j in prange(rows.shape[0]):
        acc = a[0, 0] * 0
        r = rows[j]
        c = cols[j]
        for k in range(n):
            acc += a[r, k] * b[c, k]
        out[j] = acc


def sddmm(rows, cols, a, b) -> np.ndarray:
    """out[j] = a[rows[j]] . b[cols[j]] (the dense product sampled at the entries)."""
    a = np.ascontiguousarray(a)
    b = np.ascontiguousarray(b)
    out = np.empty(np.shape(rows)[0], a.dtype)
    _sddmm(np.ascontiguousarray(rows, np.int64), np.ascontiguousarray(cols, np.int64), a, b, out)
    return out
