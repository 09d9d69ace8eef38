"""``torch.linalg`` (inv, det, slogdet, cholesky, solve, norm, vector_norm, matrix_norm) and
``torch.inverse`` / ``logdet`` / ``det`` / ``cholesky`` with their Tensor methods, on the core's
matrix_inverse / logabsdet / cholesky primitives (differentiable)."""

from __future__ import annotations

import types
from typing import Any, NamedTuple

import numpy as np

from ...core import ops
from ...core.primitives import linalg_inv as _L
from . import _convert as C
from .tensor import Tensor


def _m(x: Any, op: str = "linalg") -> Tensor:
    return C.floating_only(op, x)


def inverse(input: Any, *, out: Any = None) -> Tensor:
    """The inverse of each square matrix (the last two dims)."""
    return _L.matrix_inverse(_m(input))


def _sign(x: Tensor) -> np.ndarray:
    return np.sign(np.linalg.det(x._data)).astype(x._data.dtype)


def logdet(input: Any) -> Tensor:
    """log det of each square matrix (NaN where the determinant is negative, -inf where 0)."""
    x = _m(input)
    s = _sign(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.log(np.where(s < 0, np.nan, 1.0)).astype(x._data.dtype)
    return ops.add(_L.logabsdet(x), Tensor._make(shift))


def det(input: Any) -> Tensor:
    """The determinant of each square matrix."""
    x = _m(input)
    return ops.mul(Tensor._make(_sign(x)), ops.exp(_L.logabsdet(x)))


class _SlogDet(NamedTuple):
    sign: Any
    logabsdet: Any


def slogdet(input: Any) -> _SlogDet:
    """(sign, log|det|) of each square matrix."""
    x = _m(input)
    return _SlogDet(Tensor._make(_sign(x)), _L.logabsdet(x))


def cholesky(input: Any, upper: bool = False, *, out: Any = None) -> Tensor:
    """The lower (or upper) Cholesky factor of each symmetric positive-definite matrix."""
    f = _L.cholesky(_m(input))
    return f.transpose(-2, -1) if upper else f


def solve(A: Any, B: Any, *, left: bool = True, out: Any = None) -> Tensor:
    """X with A @ X = B (or X @ A = B with left=False); B may be a vector."""
    a, b = _m(A), _m(B)
    inv = _L.matrix_inverse(a)
    if not left:
        return ops.matmul(b, inv)
    if b.dim() == a.dim() - 1:  # a batch of vectors
        return ops.matmul(inv, b.unsqueeze(-1)).squeeze(-1)
    return ops.matmul(inv, b)


def vector_norm(
    x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The ord-norm of x flattened (or over dim)."""
    from .reductions import norm

    return norm(_m(x, "linalg.vector_norm"), p=ord, dim=dim, keepdim=keepdim)


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:
    """The Frobenius norm of each matrix (ord='fro')."""
    if ord != "fro":
        raise NotImplementedError(f"linalg.matrix_norm: only ord='fro' is supported, got {ord!r}")
    return vector_norm(A, 2, dim, keepdim)


def linalg_norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The 2-norm of a vector or the Frobenius norm of a matrix (the default ords)."""
    x = _m(A)
    if ord in (None, "fro", 2) and (ord != 2 or x.dim() == 1 or (dim is not None and
                                                                 np.ndim(dim) == 0)):  # fmt: skip
        return vector_norm(x, 2, dim if dim is not None else None, keepdim)
    if ord is not None and dim is not None and np.ndim(dim) == 0 or x.dim() == 1:
        return vector_norm(x, ord, dim, keepdim)
    raise NotImplementedError(f"linalg.norm: ord={ord!r} of matrices is not supported")


linalg = types.SimpleNamespace(
    inv=inverse,
    det=det,
    slogdet=slogdet,
    cholesky=lambda A, *, upper=False, out=None: cholesky(A, upper),
    solve=solve,
    norm=linalg_norm,
    vector_norm=vector_norm,
    matrix_norm=matrix_norm,
    __doc__="torch.linalg: inv, det, slogdet, cholesky, solve, norm, vector_norm, matrix_norm.",
)


def _install() -> None:
    T = Tensor  # noqa: N806
    T.inverse = lambda self: inverse(self)
    T.logdet = lambda self: logdet(self)
    T.det = lambda self: det(self)
    T.slogdet = lambda self: slogdet(self)
    T.cholesky = lambda self, upper=False: cholesky(self, upper)


_install()

__all__ = ["cholesky", "det", "inverse", "linalg", "logdet", "slogdet"]
