"""Sparse-dense products: `spmm` (a COO matrix times a dense matrix) and `sddmm` (a dense
product sampled at a sparsity pattern), each other's VJPs.

The sparse operand is three arrays (rows, cols, values) plus its row count; rows and cols
carry no gradient. d dense of spmm is spmm of the transpose (rows and cols swapped); d values
is sddmm of the output gradient and the dense operand.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import sparse as K
from . import rules
from .registry import AVal, Primitive, bind, register


def _index_check(op: str, rows, cols, values) -> None:
    for name, idx in (("rows", rows), ("cols", cols)):
        if np.dtype(idx.dtype).kind not in "iu":
            raise TypeError(f"{op}: {name} must be integer indices, got {idx.dtype}")
        if rules.rank(idx) != 1:
            raise ShapeError(f"{op}: {name} must be 1-D, got {fmt_shape(tuple(idx.shape))}")
    nnz = {tuple(rows.shape)[0], tuple(cols.shape)[0], tuple(values.shape)[0]} - {None}
    if len(nnz) > 1:
        raise ShapeError(
            f"{op}: rows, cols and values must have one length (the nnz), got "
            f"{fmt_shape(tuple(rows.shape))}, {fmt_shape(tuple(cols.shape))}, "
            f"{fmt_shape(tuple(values.shape))}"
        )


def _spmm_rule(rows, cols, values, dense, n_rows) -> AVal:
    dt = rules.same_dtype("spmm", values, dense)
    rules.require_float("spmm", dense)
    _index_check("spmm", rows, cols, values)
    if rules.rank(dense) != 2:
        raise ShapeError(
            f"spmm: the dense operand must be 2-D, got {fmt_shape(tuple(dense.shape))}"
        )
    return AVal((int(n_rows), tuple(dense.shape)[1]), dt)


def _spmm_vjp(g, out, rows, cols, values, dense, wants, n_rows):
    gv = sddmm(rows, cols, g, dense) if wants[2] else None
    gd = spmm(cols, rows, values, g, tuple(dense.shape)[0]) if wants[3] else None
    return None, None, gv, gd


def _spmm_ref(rows, cols, values, dense, n_rows):
    out = np.zeros((n_rows, dense.shape[1]), dense.dtype)
    np.add.at(out, np.asarray(rows, np.int64), values[:, None] * dense[np.asarray(cols, np.int64)])
    return out


SPMM = register(
    Primitive(
        "spmm",
        impl=lambda rows, cols, values, dense, n_rows: K.spmm(rows, cols, values, dense, n_rows),
        shape_rule=_spmm_rule,
        vjp=_spmm_vjp,
        reference=_spmm_ref,
        nondiff=(0, 1),
    )
)


def _sddmm_rule(rows, cols, a, b) -> AVal:
    dt = rules.same_dtype("sddmm", a, b)
    rules.require_float("sddmm", a)
    _index_check("sddmm", rows, cols, rows)
    sa, sb = tuple(a.shape), tuple(b.shape)
    if len(sa) != 2 or len(sb) != 2 or (sa[1] is not None and sb[1] is not None and sa[1] != sb[1]):
        raise ShapeError(
            f"sddmm: operands must be 2-D with one inner size, got {fmt_shape(sa)} and "
            f"{fmt_shape(sb)}"
        )
    return AVal((tuple(rows.shape)[0],), dt)


def _sddmm_vjp(g, out, rows, cols, a, b, wants):
    ga = spmm(rows, cols, g, b, tuple(a.shape)[0]) if wants[2] else None
    gb = spmm(cols, rows, g, a, tuple(b.shape)[0]) if wants[3] else None
    return None, None, ga, gb


def _sddmm_ref(rows, cols, a, b):
    return np.einsum("jk,jk->j", a[np.asarray(rows, np.int64)], b[np.asarray(cols, np.int64)])


SDDMM = register(
    Primitive(
        "sddmm",
        impl=lambda rows, cols, a, b: K.sddmm(rows, cols, a, b),
        shape_rule=_sddmm_rule,
        vjp=_sddmm_vjp,
        reference=_sddmm_ref,
        nondiff=(0, 1),
    )
)


def spmm(rows, cols, values, dense, n_rows: int):
    """The (n_rows, N) product of the COO matrix (rows, cols, values) with dense (K, N)."""
    return bind(SPMM, rows, cols, values, dense, n_rows=int(n_rows))


def sddmm(rows, cols, a, b):
    """a[rows[j]] . b[cols[j]] for each entry j."""
    return bind(SDDMM, rows, cols, a, b)
