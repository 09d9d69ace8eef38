"""The multivariate normal written once over core ops, for both frontends.

The event size d of a multivariate normal is small in practice, so its Cholesky factor and
triangular solves are composed of core ops (d steps of vector operations over the batch):
the gradients come from the core's rules, and both styles run the same steps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops

LOG_2PI = math.log(2 * math.pi)


def _s(value: float, like: Any) -> Any:
    return ops.scalar(value, like)


def _elem(m: Any, i: int, j: int) -> Any:
    """m[..., i, j]."""
    return ops.getitem(m, (Ellipsis, i, j))


def cholesky(a: Any) -> Any:
    """The lower Cholesky factor of symmetric positive-definite (..., d, d) matrices."""
    d = int(a.shape[-1])
    dt = np.dtype(a.dtype)
    # read as a symmetric matrix: both triangles share the gradient, as PyTorch's rule does
    # (the values are unchanged, 0.5 (a + a) == a)
    a = ops.mul(ops.add(a, _transpose_last(a)), _s(0.5, a))
    cols: list = []
    for j in range(d):
        v = ops.getitem(a, (Ellipsis, slice(None), j))  # column j: (..., d)
        for k in range(j):
            v = ops.sub(v, ops.mul(cols[k], ops.expand_dims(_elem_vec(cols[k], j), -1)))
        pivot = ops.sqrt(_elem_vec(v, j))
        mask = (np.arange(d) >= j).astype(dt)  # rows above the diagonal are zero
        cols.append(ops.mul(ops.div(v, ops.expand_dims(pivot, -1)), mask))
    return ops.stack(cols, -1)


def _elem_vec(v: Any, i: int) -> Any:
    """v[..., i]."""
    return ops.getitem(v, (Ellipsis, i))


def solve_lower(lower: Any, b: Any) -> Any:
    """z with lower @ z = b for vectors b (..., d); the batch dims broadcast."""
    d = int(lower.shape[-1])
    zs: list = []
    for i in range(d):
        acc = _elem_vec(b, i)
        if i:
            row = ops.getitem(lower, (Ellipsis, i, slice(0, i)))  # (..., i)
            acc = ops.sub(acc, ops.sum(ops.mul(row, ops.stack(zs, -1)), (-1,)))
        zs.append(ops.div(acc, _elem(lower, i, i)))
    return ops.stack(zs, -1)


def _transpose_last(m: Any) -> Any:
    n = len(m.shape)
    return ops.transpose(m, tuple(range(n - 2)) + (n - 1, n - 2))


def diagonal(m: Any) -> Any:
    """m[..., i, i] as (..., d)."""
    return ops.stack([_elem(m, i, i) for i in range(int(m.shape[-1]))], -1)


def outer_self(m: Any) -> Any:
    """m @ m^T for (..., d, d) matrices, as a sum of products (m's rows against each other)."""
    return ops.sum(ops.mul(ops.expand_dims(m, -2), ops.expand_dims(m, -3)), (-1,))


def lower_inverse_t(lower: Any) -> Any:
    """(lower^-1)^T: row j is the solution of lower z = e_j."""
    d = int(lower.shape[-1])
    eye = np.eye(d, dtype=np.dtype(lower.dtype))
    return solve_lower(ops.expand_dims(lower, -3), eye)


def precision_to_scale_tril(precision: Any) -> Any:
    """The Cholesky factor of precision^-1: cholesky((L_p^-T)(L_p^-1)) with L_p = chol(P)."""
    zt = lower_inverse_t(cholesky(precision))  # (L_p^-1)^T
    # P^-1 = L_p^-T L_p^-1 = zt zt^T
    return cholesky(outer_self(zt))


def precision_of(scale_tril: Any) -> Any:
    """(L L^T)^-1 = L^-T L^-1."""
    return outer_self(lower_inverse_t(scale_tril))


def mvn_log_prob(x: Any, loc: Any, scale_tril: Any) -> Any:
    """log N(x; loc, L L^T) over the last axis."""
    d = int(loc.shape[-1])
    z = solve_lower(scale_tril, ops.sub(x, loc))
    maha = ops.sum(ops.square(z), (-1,))
    half_log_det = ops.sum(ops.log(diagonal(scale_tril)), (-1,))
    return ops.sub(ops.mul(_s(-0.5, maha), ops.add(_s(d * LOG_2PI, maha), maha)), half_log_det)


def mvn_entropy(scale_tril: Any) -> Any:
    """0.5 d (1 + log 2 pi) + sum log diag L."""
    d = int(scale_tril.shape[-1])
    half_log_det = ops.sum(ops.log(diagonal(scale_tril)), (-1,))
    return ops.add(_s(0.5 * d * (1.0 + LOG_2PI), half_log_det), half_log_det)


def mvn_rsample(loc: Any, scale_tril: Any, eps: Any) -> Any:
    """loc + L eps for standard normal eps (..., d)."""
    return ops.add(loc, ops.sum(ops.mul(scale_tril, ops.expand_dims(eps, -2)), (-1,)))


def mvn_kl(loc_p: Any, tril_p: Any, loc_q: Any, tril_q: Any) -> Any:
    """KL(N(loc_p, Lp Lp^T) || N(loc_q, Lq Lq^T))."""
    d = int(loc_p.shape[-1])
    half = ops.sub(
        ops.sum(ops.log(diagonal(tril_q)), (-1,)), ops.sum(ops.log(diagonal(tril_p)), (-1,))
    )
    # ||Lq^-1 Lp||_F^2: solve for each column of Lp (the rows of Lp^T)
    m = solve_lower(ops.expand_dims(tril_q, -3), _transpose_last(tril_p))
    term2 = ops.sum(ops.square(m), (-2, -1))
    term3 = ops.sum(ops.square(solve_lower(tril_q, ops.sub(loc_q, loc_p))), (-1,))
    total = ops.add(term2, term3)
    return ops.add(half, ops.mul(_s(0.5, total), ops.sub(total, _s(d, total))))
