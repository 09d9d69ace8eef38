"""Sparse-dense kernels: COO operands turned into CSR rows by a counting sort (O(nnz)), then
one output row per parallel task, so no two threads write the same row.

The CSR order of a pattern is built once and kept for as long as its row-index array lives,
when that array is read-only (the sparse tensors of both frontends hand their indices over
frozen): a frozen array cannot change under the cached order, and a writeable one is sorted
afresh each call.
"""

from __future__ import annotations

import threading
import weakref

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


@njit(cache=True, error_model="numpy")
def _gather(order, cols):
    out = np.empty(order.shape[0], np.int64)
    for p in range(order.shape[0]):
        out[p] = cols[order[p]]
    return out


class _CsrCache:
    """CSR orders keyed by the identity of a frozen row-index array (dropped when it dies)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[int, tuple] = {}
        self.builds = 0  # how many CSR orders were sorted (tests count them)

    def get(self, rows: np.ndarray, cols: np.ndarray, n_rows: int) -> tuple:
        """(indptr, order, cols in CSR order) of the pattern, sorted at most once per array."""
        frozen = isinstance(rows, np.ndarray) and not rows.flags.writeable
        frozen = frozen and isinstance(cols, np.ndarray) and not cols.flags.writeable
        key = (id(rows), id(cols), int(n_rows))
        if frozen:
            hit = self._by_id.get(key)
            if hit is not None and hit[0]() is rows and hit[1]() is cols:
                return hit[2]
        r64 = np.ascontiguousarray(rows, np.int64)
        indptr, order = _csr(r64, int(n_rows))
        csr = (indptr, order, _gather(order, np.ascontiguousarray(cols, np.int64)))
        with self._lock:
            self.builds += 1
            if frozen:
                drop = self._forget(key)
                self._by_id[key] = (weakref.ref(rows, drop), weakref.ref(cols, drop), csr)
        return csr

    def _forget(self, key: tuple):
        def drop(_ref: object) -> None:
            self._by_id.pop(key, None)

        return drop


CSR_CACHE = _CsrCache()


@njit(cache=True, error_model="numpy", parallel=True)
def _spmm_rows(indptr, order, ccols, values, dense, out):
    n = dense.shape[1]
    for i in prange(out.shape[0]):
        row = out[i]
        for k in range(n):
            row[k] = 0
        for p in range(indptr[i], indptr[i + 1]):
            v = values[order[p]]
            src = dense[ccols[p]]
            for k in range(n):
                row[k] += v * src[k]


def spmm(rows, cols, values, dense, n_rows: int) -> np.ndarray:
    """out[r] += v * dense[c] for each entry (r, c, v): (n_rows, dense.shape[1])."""
    dense = np.ascontiguousarray(dense)
    values = np.ascontiguousarray(values, dense.dtype)
    out = np.empty((n_rows, dense.shape[1]), dense.dtype)
    indptr, order, ccols = CSR_CACHE.get(rows, cols, n_rows)
    _spmm_rows(indptr, order, ccols, values, dense, out)
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
