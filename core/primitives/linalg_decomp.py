"""Matrix decompositions: SVD, symmetric eigendecomposition, QR (LAPACK through numpy).

A primitive has one output, so a decomposition returns its factors packed in one array and the
frontends slice them (`svd_parts`, `eigh_parts`, `qr_parts`); the cotangents of the slices are
summed back into one packed cotangent by the reverse sweep, and each VJP reads its parts from it.
The rules are the standard ones (Townsend's SVD rule, the symmetric eigenvector rule, the QR rule
for square/deep matrices with the wide case reduced to it) written with core operations, so the
eager tape and `tf.gradients` share them and second derivatives work.

LAPACK's results depend on the machine's LAPACK build: these are not bit-reproducible across
machines (they are within one).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from . import rules
from .elementwise import add, div, mul, scalar, sub, where
from .linalg import matmul
from .linalg_inv import matrix_inverse
from .registry import AVal, Primitive, bind, register
from .shaping import concat, expand_dims, fill_like, getitem, stop_gradient, transpose

_E = Ellipsis


def _matrices(op: str, x) -> tuple:
    rules.require_float(op, x)
    s = tuple(x.shape)
    if len(s) < 2 or s[-1] is None or s[-2] is None:
        raise ShapeError(
            f"{op}: expected a batch of matrices with known last two dims, got {fmt_shape(s)}"
        )
    return s


def _square(op: str, x) -> tuple:
    s = _matrices(op, x)
    if s[-1] != s[-2]:
        raise ShapeError(f"{op}: expected a batch of square matrices, got {fmt_shape(s)}")
    return s


def _swap(x):
    n = len(x.shape)
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _swap_np(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _eye(n: int, x) -> np.ndarray:
    return np.eye(n, dtype=np.dtype(x.dtype))


def _row(v):
    """A vector (..., k) as a row (..., 1, k): scales columns."""
    return expand_dims(v, -2)


def _col(v):
    """A vector (..., k) as a column (..., k, 1): scales rows."""
    return expand_dims(v, -1)


def _diag(v, like):
    """The diagonal matrices of a batch of vectors (..., k) -> (..., k, k)."""
    return mul(_col(v), _eye(v.shape[-1], like))


def _skew(x):
    return sub(x, _swap(x))


def _lapack(op: str, fn, x):
    try:
        with np.errstate(all="ignore"):
            return fn(x)
    except np.linalg.LinAlgError as e:
        raise np.linalg.LinAlgError(
            f"{op}: LAPACK failed on the input {fmt_shape(x.shape)} ({e}); check it for NaN or "
            "infinite values"
        ) from None


# ---- SVD -----------------------------------------------------------------------------------------
# packed (..., m + 1 + n, c): U in rows [0, m), S in row m, V (not V^T) in rows [m + 1, m + 1 + n)


def _svd_cols(m: int, n: int, full_matrices: bool) -> tuple[int, int, int]:
    k = min(m, n)
    return (m, n, max(m, n, 1)) if full_matrices else (k, k, max(k, 1))


def _svd_rule(x, full_matrices: bool = False) -> AVal:
    s = _matrices("svd", x)
    m, n = s[-2:]
    return AVal(s[:-2] + (m + 1 + n, _svd_cols(m, n, full_matrices)[2]), np.dtype(x.dtype))


def _svd_np(x: np.ndarray, full_matrices: bool) -> np.ndarray:
    m, n = x.shape[-2:]
    k = min(m, n)
    cu, cv, c = _svd_cols(m, n, full_matrices)
    out = np.zeros(x.shape[:-2] + (m + 1 + n, c), x.dtype)
    if x.size:
        u, sv, vh = _lapack("svd", lambda a: np.linalg.svd(a, full_matrices=full_matrices), x)
        out[..., :m, :cu] = u
        out[..., m, :k] = sv
        out[..., m + 1 :, :cv] = _swap_np(vh)
    elif full_matrices:  # an empty matrix still has identity factors
        out[..., :m, :m] = np.eye(m, dtype=x.dtype)
        out[..., m + 1 :, :n] = np.eye(n, dtype=x.dtype)
    return out


def svd_parts(packed, m: int, n: int, full_matrices: bool = False) -> tuple:
    """(U, S, V) sliced from a packed SVD of (m, n) matrices (V, not its transpose)."""
    cu, cv, _ = _svd_cols(m, n, full_matrices)
    k = min(m, n)
    u = getitem(packed, (_E, slice(0, m), slice(0, cu)))
    sv = getitem(packed, (_E, m, slice(0, k)))
    v = getitem(packed, (_E, slice(m + 1, m + 1 + n), slice(0, cv)))
    return u, sv, v


def _svd_vjp(g, out, x, wants, full_matrices: bool = False):
    m, n = x.shape[-2:]
    k = min(m, n)
    u, sv, v = svd_parts(out, m, n, full_matrices)
    gu, gs, gv = svd_parts(g, m, n, full_matrices)
    if full_matrices:  # the extra columns are arbitrary: only the first k carry a gradient
        u, v = getitem(u, (_E, slice(0, k))), getitem(v, (_E, slice(0, k)))
        gu, gv = getitem(gu, (_E, slice(0, k))), getitem(gv, (_E, slice(0, k)))
    return (_svd_grad(u, sv, v, gu, gs, gv, m, n, x),)


def _svd_grad(u, sv, v, gu, gs, gv, m: int, n: int, x):
    k = min(m, n)
    s2 = mul(sv, sv)
    # E_ij = s_j^2 - s_i^2 off the diagonal, 1 on it (where the skew parts are 0)
    e = add(sub(_row(s2), _col(s2)), _eye(k, x))
    inner = div(
        add(mul(_skew(matmul(u, gu, transpose_a=True)), _row(sv)),
            mul(_col(sv), _skew(matmul(v, gv, transpose_a=True)))),
        e,
    )  # fmt: skip
    inner = add(inner, _diag(gs, x))
    if m > k:  # tall: the part of gU outside U's span
        gus = div(gu, _row(sv))
        inner_u = add(matmul(u, inner), sub(gus, matmul(u, matmul(u, gus, transpose_a=True))))
        return matmul(inner_u, v, transpose_b=True)
    if n > k:  # wide: the part of gV outside V's span
        gvs = div(gv, _row(sv))
        inner_v = add(matmul(inner, v, transpose_b=True),
                      _swap(sub(gvs, matmul(v, matmul(v, gvs, transpose_a=True)))))  # fmt: skip
        return matmul(u, inner_v)
    return matmul(matmul(u, inner), v, transpose_b=True)


SVD = register(
    Primitive(
        "svd",
        impl=lambda x, full_matrices=False: _svd_np(x, full_matrices),
        shape_rule=_svd_rule,
        vjp=_svd_vjp,
        reference=lambda x, full_matrices=False: _svd_np(
            x.astype(np.float64), full_matrices
        ).astype(x.dtype),
    )
)


def svd(x, full_matrices: bool = False):
    """The packed SVD of each matrix in the last two dims (slice it with `svd_parts`)."""
    return bind(SVD, x, full_matrices=bool(full_matrices))


def _svdvals_np(x: np.ndarray) -> np.ndarray:
    k = min(x.shape[-2:])
    if not x.size:
        return np.zeros(x.shape[:-2] + (k,), x.dtype)
    return _lapack("svdvals", lambda a: np.linalg.svd(a, compute_uv=False), x)


def _svdvals_vjp(g, out, x, wants):
    # dL/dA = U diag(g) V^T: needs only the singular vectors, never 1/(s_i^2 - s_j^2)
    m, n = x.shape[-2:]
    u, _, v = svd_parts(svd(x), m, n)
    return (matmul(mul(u, _row(g)), v, transpose_b=True),)


SVDVALS = register(
    Primitive(
        "svdvals",
        impl=_svdvals_np,
        shape_rule=lambda x: AVal(
            _matrices("svdvals", x)[:-2] + (min(x.shape[-2:]),), np.dtype(x.dtype)
        ),
        vjp=_svdvals_vjp,
        reference=lambda x: _svdvals_np(x.astype(np.float64)).astype(x.dtype),
    )
)


def svdvals(x):
    """The singular values of each matrix, in descending order."""
    return bind(SVDVALS, x)


# ---- symmetric eigendecomposition ----------------------------------------------------------------
# packed (..., n + 1, n): the eigenvalues (ascending) in row 0, the eigenvectors (columns) below


def _sym(x: np.ndarray) -> np.ndarray:
    # the symmetric part: exact for a symmetric input ((a + a) / 2 == a); the function then
    # depends on both triangles, as its (symmetric) gradient says
    return (x + _swap_np(x)) * np.asarray(0.5, x.dtype)


def _eigh_np(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    out = np.zeros(x.shape[:-2] + (n + 1, n), x.dtype)
    if x.size:
        w, q = _lapack("eigh", np.linalg.eigh, _sym(x))
        out[..., 0, :] = w
        out[..., 1:, :] = q
    return out


def eigh_parts(packed, n: int) -> tuple:
    """(eigenvalues, eigenvectors) sliced from a packed eigh of (n, n) matrices."""
    return getitem(packed, (_E, 0, slice(None))), getitem(
        packed, (_E, slice(1, n + 1), slice(None))
    )


def _eigh_vjp(g, out, x, wants):
    n = x.shape[-1]
    w, q = eigh_parts(out, n)
    gw, gq = eigh_parts(g, n)
    # the skew-symmetric part of Q^T gQ over E_ij = w_j - w_i (1 on the diagonal), plus diag(gw):
    # a symmetric matrix, so the cotangent of A is symmetric
    e = add(sub(_row(w), _col(w)), _eye(n, x))
    qgq = matmul(q, gq, transpose_a=True)
    inner = add(div(mul(scalar(0.5, qgq), _skew(qgq)), e), _diag(gw, x))
    return (matmul(matmul(q, inner), q, transpose_b=True),)


EIGH = register(
    Primitive(
        "eigh",
        impl=_eigh_np,
        shape_rule=lambda x: AVal(
            _square("eigh", x)[:-2] + (x.shape[-1] + 1, x.shape[-1]), np.dtype(x.dtype)
        ),
        vjp=_eigh_vjp,
        reference=lambda x: _eigh_np(x.astype(np.float64)).astype(x.dtype),
    )
)


def one_triangle(x, upper: bool = False, op: str = "eigh"):
    """The symmetric matrix whose lower (or upper) triangle is x's: the value the anchors'
    eigensolvers see (they read one triangle; `eigh` reads (A + A^T) / 2). The gradient is x's
    own (the solver's rule symmetrises it), and x + 0 is x exactly when x is symmetric, so a
    symmetric input keeps its bits. `op` names the solver in the error for non-square input."""
    n = x.shape[-1]
    if n is None:
        return x
    if len(x.shape) >= 2 and x.shape[-2] is not None and x.shape[-2] != n:
        raise ShapeError(f"{op}: expected a batch of square matrices, got {fmt_shape(x.shape)}")
    rank = len(x.shape)
    perm = (*range(rank - 2), rank - 1, rank - 2)
    zero = scalar(0, x)
    keep = np.triu(np.ones((n, n), bool)) if upper else np.tril(np.ones((n, n), bool))
    strict = np.triu(keep, 1) if upper else np.tril(keep, -1)
    mirrored = add(where(keep, x, zero), transpose(where(strict, x, zero), perm))
    return add(x, stop_gradient(sub(mirrored, x)))


def eigh(x):
    """The packed eigendecomposition of the symmetric part (A + A^T) / 2 of each matrix (A itself
    for the symmetric matrices it is meant for)."""
    return bind(EIGH, x)


def _eigvalsh_np(x: np.ndarray) -> np.ndarray:
    if not x.size:
        return np.zeros(x.shape[:-1], x.dtype)
    return _lapack("eigvalsh", np.linalg.eigvalsh, _sym(x))


def _eigvalsh_vjp(g, out, x, wants):
    _, q = eigh_parts(eigh(x), x.shape[-1])
    return (matmul(mul(q, _row(g)), q, transpose_b=True),)


EIGVALSH = register(
    Primitive(
        "eigvalsh",
        impl=_eigvalsh_np,
        shape_rule=lambda x: AVal(_square("eigvalsh", x)[:-1], np.dtype(x.dtype)),
        vjp=_eigvalsh_vjp,
        reference=lambda x: _eigvalsh_np(x.astype(np.float64)).astype(x.dtype),
    )
)


def eigvalsh(x):
    """The eigenvalues (ascending) of the symmetric part of each matrix."""
    return bind(EIGVALSH, x)


# ---- QR ------------------------------------------------------------------------------------------
# packed (..., m + r, c): Q (m, q) in rows [0, m), R (r, n) in rows [m, m + r)


def _qr_sizes(m: int, n: int, complete: bool) -> tuple[int, int, int]:
    q = m if complete else min(m, n)
    return q, q, max(q, n, 1)  # Q's columns, R's rows, packed columns


def _qr_rule(x, complete: bool = False) -> AVal:
    s = _matrices("qr", x)
    m, n = s[-2:]
    q, r, c = _qr_sizes(m, n, complete)
    return AVal(s[:-2] + (m + r, c), np.dtype(x.dtype))


def _qr_np(x: np.ndarray, complete: bool) -> np.ndarray:
    m, n = x.shape[-2:]
    q, r, c = _qr_sizes(m, n, complete)
    out = np.zeros(x.shape[:-2] + (m + r, c), x.dtype)
    if x.size:
        mode = "complete" if complete else "reduced"
        qq, rr = _lapack("qr", lambda a: np.linalg.qr(a, mode=mode), x)
        out[..., :m, :q] = qq
        out[..., m:, :n] = rr
    elif complete:
        out[..., :m, :m] = np.eye(m, dtype=x.dtype)
    return out


def qr_parts(packed, m: int, n: int, complete: bool = False) -> tuple:
    """(Q, R) sliced from a packed QR of (m, n) matrices."""
    q, r, _ = _qr_sizes(m, n, complete)
    return (getitem(packed, (_E, slice(0, m), slice(0, q))),
            getitem(packed, (_E, slice(m, m + r), slice(0, n))))  # fmt: skip


def _tril_mask(k: int, x) -> np.ndarray:
    return np.tril(np.ones((k, k), np.dtype(x.dtype)))


def _qr_grad_deep(q, r, gq, gr, x):
    # m >= n: with X R^-T solved through R's inverse (R is triangular and invertible here)
    k = r.shape[-1]
    qgq = matmul(q, gq, transpose_a=True)
    rgr = matmul(r, gr, transpose_b=True)
    low = mul(add(_skew(qgq), _skew(rgr)), _tril_mask(k, x))
    r_inv_t = _swap(matrix_inverse(r))
    grad_a = matmul(q, add(gr, matmul(low, r_inv_t)))
    grad_b = matmul(sub(gq, matmul(q, qgq)), r_inv_t)
    return add(grad_a, grad_b)


def _qr_vjp(g, out, x, wants, complete: bool = False):
    m, n = x.shape[-2:]
    if complete and m > n:
        raise ValueError(
            f"qr: the gradient of mode='complete' is not defined for a tall input "
            f"{fmt_shape(x.shape)} (its extra columns of Q are arbitrary); use mode='reduced'"
        )
    q, r = qr_parts(out, m, n, complete)
    gq, gr = qr_parts(g, m, n, complete)
    if m >= n:
        return (_qr_grad_deep(q, r, gq, gr, x),)
    # wide: A = [X | Y], R = [U | V]; X = Q U is square, and Y = Q V adds Y gV^T to gQ
    y = getitem(x, (_E, slice(m, None)))
    u = getitem(r, (_E, slice(0, m)))
    gv = getitem(gr, (_E, slice(m, None)))
    gq = add(gq, matmul(y, gv, transpose_b=True))
    gx = _qr_grad_deep(q, u, gq, getitem(gr, (_E, slice(0, m))), x)
    return (concat((gx, matmul(q, gv)), axis=len(x.shape) - 1),)


QR = register(
    Primitive(
        "qr",
        impl=lambda x, complete=False: _qr_np(x, complete),
        shape_rule=_qr_rule,
        vjp=_qr_vjp,
        reference=lambda x, complete=False: _qr_np(x.astype(np.float64), complete).astype(x.dtype),
    )
)


def qr(x, complete: bool = False):
    """The packed QR decomposition of each matrix (slice it with `qr_parts`)."""
    return bind(QR, x, complete=bool(complete))


# ---- the sign of a determinant (det = sign * exp(logabsdet) in both styles) ----------------------


def _det_sign_np(x: np.ndarray) -> np.ndarray:
    if not x.size:
        return np.ones(x.shape[:-2], x.dtype)
    return np.sign(np.linalg.det(x)).astype(x.dtype)


DET_SIGN = register(
    Primitive(
        "det_sign",
        impl=_det_sign_np,
        shape_rule=lambda x: AVal(_square("det_sign", x)[:-2], np.dtype(x.dtype)),
        vjp=lambda g, out, x, wants: (fill_like(x, 0.0),),  # piecewise constant
        reference=lambda x: _det_sign_np(x.astype(np.float64)).astype(x.dtype),
    )
)


def det_sign(x):
    """The sign (-1, 0 or 1) of each square matrix's determinant (zero gradient)."""
    return bind(DET_SIGN, x)
