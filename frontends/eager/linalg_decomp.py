"""``torch.linalg`` decompositions and what is built on them: svd, svdvals, eigh, eigvalsh, qr,
pinv, lstsq, matrix_rank, the matrix norms 'nuc', 2, -2, 1, -1, inf, -inf; ``torch.svd``,
``torch.qr``, ``torch.pinverse`` and their Tensor methods.

The factors come from the core's svd / eigh / qr primitives (LAPACK through numpy, gradients by
the standard rules); pinv and lstsq are compositions of them, so they are differentiable too.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ...core import domain
from ...core.primitives import linalg_decomp as D
from . import _convert as C
from . import linalg_more as _more
from .tensor import Tensor


class _SVD(NamedTuple):
    U: Any
    S: Any
    Vh: Any


class _SVDV(NamedTuple):
    U: Any
    S: Any
    V: Any


class _Eigh(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class _QR(NamedTuple):
    Q: Any
    R: Any


class _Lstsq(NamedTuple):
    solution: Any
    residuals: Any
    rank: Any
    singular_values: Any


def _m(op: str, x: Any) -> Tensor:
    t = C.floating_only(op, x)
    if t.dim() < 2:
        raise RuntimeError(
            f"{op}: the input must have at least 2 dimensions (a batch of matrices), got shape "
            f"{tuple(t.shape)}"
        )
    return t


def _mt(x: Tensor) -> Tensor:
    return x.transpose(-2, -1)


def svd(A: Any, full_matrices: bool = True, *, driver: Any = None, out: Any = None) -> _SVD:
    """(U, S, Vh) with A = U diag(S) Vh; full_matrices=False gives the reduced factors."""
    a = _m("linalg.svd", A)
    m, n = a.shape[-2:]
    u, s, v = D.svd_parts(D.svd(a, full_matrices), m, n, full_matrices)
    return _SVD(u, s, _mt(v))


def svdvals(A: Any, *, driver: Any = None, out: Any = None) -> Tensor:
    """The singular values of each matrix, descending."""
    return D.svdvals(_m("linalg.svdvals", A))


def torch_svd(input: Any, some: bool = True, compute_uv: bool = True, *, out: Any = None) -> _SVDV:
    """(U, S, V) with A = U diag(S) V^T (torch.svd: V, not V^T; zeros when compute_uv=False)."""
    a = _m("svd", input)
    m, n = a.shape[-2:]
    if not compute_uv:
        s = D.svdvals(a)
        cu, cv = m, n  # zero factors of the full size, whatever `some` says (as torch)
        zeros = Tensor._make(np.zeros(a.shape[:-2] + (m, cu), a._data.dtype))
        return _SVDV(zeros, s, Tensor._make(np.zeros(a.shape[:-2] + (n, cv), a._data.dtype)))
    u, s, v = D.svd_parts(D.svd(a, not some), m, n, not some)
    return _SVDV(u, s, v)


def eigh(A: Any, UPLO: str = "L", *, out: Any = None) -> _Eigh:
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix.

    The UPLO triangle is read, as torch (`one_triangle`); the gradient is A's own.
    """
    _check_uplo("linalg.eigh", UPLO)
    a = D.one_triangle(_m("linalg.eigh", A), upper=UPLO == "U", op="linalg.eigh")
    w, q = D.eigh_parts(D.eigh(a), a.shape[-1])
    return _Eigh(w, q)


def eigvalsh(A: Any, UPLO: str = "L", *, out: Any = None) -> Tensor:
    """The eigenvalues (ascending) of each symmetric matrix (see `eigh` on UPLO)."""
    _check_uplo("linalg.eigvalsh", UPLO)
    a = D.one_triangle(_m("linalg.eigvalsh", A), upper=UPLO == "U", op="linalg.eigvalsh")
    return D.eigvalsh(a)


def _check_uplo(op: str, uplo: Any) -> None:
    if uplo not in ("L", "U"):
        raise RuntimeError(f"{op}: UPLO must be 'L' or 'U', got {uplo!r}")


def qr(A: Any, mode: str = "reduced", *, out: Any = None) -> _QR:
    """(Q, R) with A = Q R; mode 'reduced', 'complete' or 'r' (Q empty, as torch)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    a = _m("linalg.qr", A)
    m, n = a.shape[-2:]
    complete = mode == "complete"
    q, r = D.qr_parts(D.qr(a, complete), m, n, complete)
    if mode == "r":
        q = Tensor._make(np.zeros((0,), a._data.dtype))
    return _QR(q, r)


def torch_qr(input: Any, some: bool = True, *, out: Any = None) -> _QR:
    """torch.qr: the reduced factors (some=True) or the complete ones."""
    return qr(input, "reduced" if some else "complete")


def _cutoff(s: Tensor, m: int, n: int, atol: Any, rtol: Any) -> np.ndarray:
    """torch's threshold max(atol, rtol * largest singular value), per matrix, as (..., 1)."""
    sv = s._data
    top = sv[..., :1] if sv.shape[-1] else np.zeros(sv.shape[:-1] + (1,), sv.dtype)
    a = 0.0 if atol is None else _value(atol)
    if rtol is None:
        rtol = np.finfo(sv.dtype).eps * max(m, n) if atol is None or _value(atol) <= 0 else 0.0
    return np.maximum(a, _value(rtol) * top)


def _value(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def pinv(
    A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False, out: Any = None
) -> Tensor:
    """The Moore-Penrose pseudo-inverse: singular values at or below the cutoff count as 0."""
    a = _m("linalg.pinv", A)
    m, n = a.shape[-2:]
    u, s, v = D.svd_parts(D.svd(a), m, n)
    keep = s._data > _cutoff(s, m, n, atol, rtol)
    safe = Tensor._make(np.where(keep, 1.0, 0.0).astype(s._data.dtype))
    # 1/s where kept, 0 elsewhere (s + (1 - keep) avoids dividing by a dropped 0)
    inv = safe / (s + (1.0 - safe))
    return (v * inv.unsqueeze(-2)) @ _mt(u)


def pinverse(input: Any, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: pinv with rtol=rcond."""
    return pinv(input, rtol=rcond)


def lstsq(A: Any, B: Any, rcond: Any = None, *, driver: Any = None) -> _Lstsq:
    """The least-squares solution X of A X = B (through the pseudo-inverse; differentiable).

    As torch's default CPU driver 'gelsy': rank is given, residuals and singular_values are
    empty; with driver 'gelsd' or 'gelss' the singular values too, and the residuals when A is
    tall and of full rank.
    """
    drivers = (None, "gels", "gelsy", "gelsd", "gelss")
    if driver not in drivers:
        raise RuntimeError(f"linalg.lstsq: driver must be one of {drivers[1:]}, got {driver!r}")
    a = _m("linalg.lstsq", A)
    b = _m("linalg.lstsq", B)
    m, n = a.shape[-2:]
    if b.shape[-2] != m:
        raise RuntimeError(
            f"linalg.lstsq: A {tuple(a.shape)} and B {tuple(b.shape)} must have the same number "
            "of rows"
        )
    x = pinv(a, rtol=rcond) @ b
    empty = Tensor._make(np.zeros((0,), a._data.dtype))
    s = D.svdvals(a)
    rank = _rank_of(s, m, n, None, rcond)
    residuals, values = empty, empty
    if driver in ("gelsd", "gelss"):
        values = Tensor._make(s._data.copy())
        if m > n and bool(np.all(rank._data == n)):
            residuals = ((a @ x - b) ** 2).sum(-2)
    if driver == "gels":
        rank = Tensor._make(np.zeros((0,), np.int64))
    return _Lstsq(x, residuals, rank, values)


def _rank_of(s: Tensor, m: int, n: int, atol: Any, rtol: Any) -> Tensor:
    count = (s._data > _cutoff(s, m, n, atol, rtol)).sum(-1)
    return Tensor._make(np.asarray(count, np.int64))


def matrix_rank(
    A: Any,
    *,
    atol: Any = None,
    rtol: Any = None,
    hermitian: bool = False,
    tol: Any = None,
    out: Any = None,
) -> Tensor:
    """The number of singular values above max(atol, rtol * the largest) (int64)."""
    a = _m("linalg.matrix_rank", A)
    m, n = a.shape[-2:]
    if tol is not None:
        atol, rtol = tol, 0.0
    return _rank_of(D.svdvals(a), m, n, atol, rtol)


def _matrix_norm_of(x: Tensor, ord: Any, keepdim: bool) -> Tensor:
    if ord == "fro":
        out = (x * x).sum((-2, -1)).sqrt()
    elif ord == "nuc":
        out = D.svdvals(x).sum(-1)
    elif ord in (2, -2):
        s = D.svdvals(x)
        out = s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1, math.inf, -math.inf):
        axis = -2 if abs(ord) == 1 else -1  # column sums for 1, row sums for inf
        sums = x.abs().sum(axis)
        out = sums.amax(-1) if ord > 0 else sums.amin(-1)
    else:
        raise RuntimeError(
            f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, got {ord!r}"
        )
    return out.unsqueeze(-1).unsqueeze(-1) if keepdim else out


def matrix_norm(
    A: Any,
    ord: Any = "fro",
    dim: Any = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
    out: Any = None,
) -> Tensor:
    """The matrix norm of each matrix in `dim`: 'fro', 'nuc', 2, -2, 1, -1, inf, -inf."""
    x = _m("linalg.matrix_norm", A)
    if dtype is not None:
        x = x.to(dtype)
    d0, d1 = (domain.check_dim("linalg.matrix_norm", int(d), x.dim()) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dim must name two different dims, got {dim}")
    moved = x.movedim((d0, d1), (-2, -1))
    res = _matrix_norm_of(moved, ord, False)
    if keepdim:
        for d in sorted((d0, d1)):
            res = res.unsqueeze(d)
    return res


def norm(
    A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *, out: Any = None,
    dtype: Any = None,
) -> Tensor:  # fmt: skip
    """linalg.norm: a vector norm over one dim (or of a 1-D input), a matrix norm over two."""
    x = C.floating(A) if dtype is not None else C.floating_only("linalg.norm", A)
    if dtype is not None:
        x = x.to(dtype)
    if dim is None and ord is not None and x.dim() not in (1, 2):
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {x.dim()}D."
        )
    two = (dim is not None and np.ndim(dim) == 1 and len(dim) == 2) or (
        dim is None and ord is not None and x.dim() == 2
    )
    if two:
        return matrix_norm(x, "fro" if ord is None else ord, (-2, -1) if dim is None else dim,
                           keepdim)  # fmt: skip
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord={ord!r} needs a matrix (2 dims), got {x.dim()}-D")
    return _more.vector_norm(x, 2 if ord is None else ord, dim, keepdim)


def _install() -> None:
    ns = _more.linalg
    for name, fn in (("svd", svd), ("svdvals", svdvals), ("eigh", eigh), ("eigvalsh", eigvalsh),
                     ("qr", qr), ("pinv", pinv), ("lstsq", lstsq), ("matrix_rank", matrix_rank),
                     ("matrix_norm", matrix_norm), ("norm", norm)):  # fmt: skip
        setattr(ns, name, fn)
    ns.__doc__ = (
        "torch.linalg: inv, det, slogdet, cholesky, solve, norm, vector_norm, matrix_norm, svd, "
        "svdvals, eigh, eigvalsh, qr, pinv, lstsq, matrix_rank."
    )
    T = Tensor  # noqa: N806
    T.svd = lambda self, some=True, compute_uv=True: torch_svd(self, some, compute_uv)
    T.qr = lambda self, some=True: torch_qr(self, some)
    T.pinverse = lambda self, rcond=1e-15: pinverse(self, rcond)


_install()

__all__ = ["pinverse", "torch_qr", "torch_svd"]
