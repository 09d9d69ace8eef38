"""Matrix inverse, log|det| and Cholesky factor: LAPACK through numpy, gradients with core ops.

Batched over leading dims. Their rules are written with matmul and these primitives themselves,
so eager backward and `tf.gradients` share them, and gradients of gradients work.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from . import rules
from .elementwise import add, mul, neg, scalar
from .linalg import matmul
from .registry import AVal, Primitive, bind, register
from .shaping import expand_dims, transpose


def _square(op: str, x) -> tuple:
    rules.require_float(op, x)
    s = tuple(x.shape)
    if len(s) < 2 or (s[-1] is not None and s[-2] is not None and s[-1] != s[-2]):
        raise ShapeError(f"{op}: expected a batch of square matrices, got {fmt_shape(s)}")
    return s


def _swap(x):
    n = len(x.shape)
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


# ---- inverse ------------------------------------------------------------------------------


def _inv_impl(x):
    try:
        return np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            f"matrix_inverse: the input {fmt_shape(x.shape)} is singular (its determinant is 0); "
            "use a pseudo-inverse or regularise it"
        ) from None


def _inv_vjp(g, out, x, wants):
    # d(A^-1) = -A^-1 dA A^-1, so dL/dA = -(A^-T g A^-T)
    return (neg(matmul(matmul(out, g, transpose_a=True), out, transpose_b=True)),)


INVERSE = register(
    Primitive(
        "matrix_inverse",
        impl=_inv_impl,
        shape_rule=lambda x: AVal(_square("matrix_inverse", x), np.dtype(x.dtype)),
        vjp=_inv_vjp,
        reference=lambda x: np.linalg.inv(x.astype(np.float64)).astype(x.dtype),
    )
)


def matrix_inverse(x):
    """The inverse of each square matrix in the last two dims."""
    return bind(INVERSE, x)


# ---- log |det| ----------------------------------------------------------------------------


def _logabsdet_vjp(g, out, x, wants):
    # d log|det A| / dA = A^-T
    return (mul(expand_dims(expand_dims(g, -1), -1), _swap(matrix_inverse(x))),)


LOGABSDET = register(
    Primitive(
        "logabsdet",
        impl=lambda x: np.asarray(np.linalg.slogdet(x)[1], dtype=x.dtype),
        shape_rule=lambda x: AVal(_square("logabsdet", x)[:-2], np.dtype(x.dtype)),
        vjp=_logabsdet_vjp,
        reference=lambda x: np.log(np.abs(np.linalg.det(x.astype(np.float64)))).astype(x.dtype),
    )
)


def logabsdet(x):
    """log |det| of each square matrix in the last two dims."""
    return bind(LOGABSDET, x)


# ---- Cholesky -----------------------------------------------------------------------------


def _sym(x: np.ndarray) -> np.ndarray:
    # the factor of the symmetric part: exact for a symmetric input ((a + a) / 2 == a), and it
    # makes the function depend on both triangles, as its symmetric gradient says
    return (x + np.swapaxes(x, -1, -2)) * np.asarray(0.5, x.dtype)


def _chol_impl(x):
    try:
        return np.linalg.cholesky(_sym(x))
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            f"cholesky: the input {fmt_shape(x.shape)} is not positive-definite"
        ) from None


def _chol_vjp(g, out, x, wants):
    # Murray (2016): with L the factor and Lbar its cotangent, P = Phi(L^T Lbar) (lower triangle,
    # halved diagonal), S = L^-T P L^-1, and the symmetric cotangent of A is (S + S^T) / 2
    n = x.shape[-1]
    phi = np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)
    p = mul(matmul(out, g, transpose_a=True), np.asarray(phi, dtype=np.dtype(x.dtype)))
    linv = matrix_inverse(out)
    s = matmul(matmul(linv, p, transpose_a=True), linv)
    return (mul(scalar(0.5, s), add(s, _swap(s))),)


CHOLESKY = register(
    Primitive(
        "cholesky",
        impl=_chol_impl,
        shape_rule=lambda x: AVal(_square("cholesky", x), np.dtype(x.dtype)),
        vjp=_chol_vjp,
        reference=lambda x: np.linalg.cholesky(_sym(x.astype(np.float64))).astype(x.dtype),
    )
)


def cholesky(x):
    """The lower Cholesky factor of each symmetric positive-definite matrix (of the symmetric
    part (A + A^T) / 2, which is A itself for the symmetric inputs it is meant for)."""
    return bind(CHOLESKY, x)
