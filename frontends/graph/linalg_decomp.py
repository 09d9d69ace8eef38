"""`tf.svd`, `tf.qr`, `tf.self_adjoint_eig(vals)`, `tf.matrix_determinant` and their `tf.linalg`
names (svd, qr, eigh, eigvalsh, det, pinv), on the core primitives the eager names call, so both
styles give the same bits."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import ops
from ...core.primitives import linalg_decomp as D
from ...core.primitives import linalg_inv as _L
from .convert import convert_to_tensor
from .tensor import Tensor


def _matrix(op: str, x: Any) -> Tensor:
    t = convert_to_tensor(x)
    shape = tuple(t.shape)
    if len(shape) < 2 or shape[-1] is None or shape[-2] is None:
        raise ValueError(
            f"{op}: needs a batch of matrices with static last two dims, got shape {shape}"
        )
    return t


def svd(tensor: Any, full_matrices: bool = False, compute_uv: bool = True, name: Any = None):
    """(s, u, v) with tensor = u diag(s) v^T (TF's order; v, not its transpose); s alone when
    compute_uv=False."""
    x = _matrix("svd", tensor)
    if not compute_uv:
        return D.svdvals(x)
    m, n = x.shape[-2:]
    u, s, v = D.svd_parts(D.svd(x, full_matrices), m, n, full_matrices)
    return s, u, v


def qr(input: Any, full_matrices: bool = False, name: Any = None):  # noqa: A002
    """(q, r) with input = q r."""
    x = _matrix("qr", input)
    m, n = x.shape[-2:]
    return D.qr_parts(D.qr(x, full_matrices), m, n, full_matrices)


def _lower_symmetric(x: Tensor, op: str) -> Tensor:
    """The symmetric matrix whose lower triangle is x's (TF's eigensolvers read only that one)."""
    return D.one_triangle(x, op=op)


def self_adjoint_eig(tensor: Any, name: Any = None):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix (its lower
    triangle is read, as TF)."""
    x = _lower_symmetric(_matrix("self_adjoint_eig", tensor), "self_adjoint_eig")
    return D.eigh_parts(D.eigh(x), x.shape[-1])


def self_adjoint_eigvals(tensor: Any, name: Any = None) -> Tensor:
    """The eigenvalues (ascending) of each symmetric matrix (its lower triangle, as TF)."""
    x = _lower_symmetric(_matrix("self_adjoint_eigvals", tensor), "self_adjoint_eigvals")
    return D.eigvalsh(x)


def matrix_determinant(input: Any, name: Any = None) -> Tensor:  # noqa: A002
    """The determinant of each square matrix (sign times exp(log|det|), as the eager det)."""
    x = _matrix("matrix_determinant", input)
    return ops.mul(D.det_sign(x), ops.exp(_L.logabsdet(x)))


def pinv(a: Any, rcond: Any = None, validate_args: bool = False, name: Any = None) -> Tensor:
    """The pseudo-inverse: singular values at or below rcond * the largest count as 0 (rcond
    defaults to 10 * max(m, n) * eps, as TF)."""
    x = _matrix("pinv", a)
    m, n = x.shape[-2:]
    dt = np.dtype(x.dtype.as_numpy_dtype if hasattr(x.dtype, "as_numpy_dtype") else x.dtype)
    if rcond is None:
        rcond = 10.0 * max(m, n) * np.finfo(dt).eps
    u, s, v = D.svd_parts(D.svd(x), m, n)
    cutoff = ops.mul(np.asarray(rcond, dt), ops.max(s, axes=(-1,), keepdims=True))
    kept = ops.where(ops.greater(s, cutoff), s, np.asarray(np.inf, dt))
    return ops.matmul(ops.div(v, ops.expand_dims(kept, -2)), u, transpose_b=True)


def attach(tf: types.ModuleType) -> None:
    """Add the names to tf and tf.linalg where they are missing."""
    for name, fn in (
        ("svd", svd),
        ("qr", qr),
        ("self_adjoint_eig", self_adjoint_eig),
        ("self_adjoint_eigvals", self_adjoint_eigvals),
        ("matrix_determinant", matrix_determinant),
    ):
        if not hasattr(tf, name):
            setattr(tf, name, fn)
    for name, fn in (
        ("svd", svd),
        ("qr", qr),
        ("eigh", self_adjoint_eig),
        ("eigvalsh", self_adjoint_eigvals),
        ("det", matrix_determinant),
        ("pinv", pinv),
    ):
        if not hasattr(tf.linalg, name):
            setattr(tf.linalg, name, fn)
