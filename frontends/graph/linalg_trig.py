"""`tf.einsum`, the inverse trigonometric and hyperbolic functions, and `tf.linalg` inverse,
Cholesky and solve, on the same core functions the eager names call (so both styles give the
same bits)."""

from __future__ import annotations

import types
from typing import Any

from ...core import ops
from ...core.einsum import einsum as _core_einsum
from ...core.primitives import linalg_inv as _L
from ...core.primitives import trig as _trig
from .convert import convert_to_tensor
from .tensor import Tensor


def einsum(equation: str, *inputs: Any, name: Any = None, **kwargs: Any) -> Tensor:
    """Einstein summation over `inputs` as `equation` says ('ij,jk->ik', '...ij->...ji')."""
    return _core_einsum(equation, *[convert_to_tensor(x) for x in inputs])


def _unary(fn):
    def op(x: Any, name: Any = None) -> Tensor:
        return fn(convert_to_tensor(x))

    op.__name__ = fn.__name__
    op.__doc__ = f"Elementwise {fn.__name__} (the core primitive, as torch.{fn.__name__})."
    return op


atan, asin, acos, sinh, cosh, tan = (
    _unary(getattr(_trig, n)) for n in ("atan", "asin", "acos", "sinh", "cosh", "tan")
)


def matrix_inverse(input: Any, adjoint: bool = False, name: Any = None) -> Tensor:  # noqa: A002
    """The inverse of each square matrix of the last two axes (of its adjoint if asked)."""
    x = convert_to_tensor(input)
    inv = _L.matrix_inverse(x)
    return ops.transpose(inv, _swap_last(inv)) if adjoint else inv


def cholesky(input: Any, name: Any = None) -> Tensor:  # noqa: A002
    """The lower Cholesky factor of each symmetric positive-definite matrix."""
    return _L.cholesky(convert_to_tensor(input))


def matrix_solve(matrix: Any, rhs: Any, adjoint: bool = False, name: Any = None) -> Tensor:
    """X with matrix @ X = rhs (adjoint(matrix) @ X = rhs when asked)."""
    m, r = convert_to_tensor(matrix), convert_to_tensor(rhs)
    ranks = (len(m.shape), len(r.shape))
    if ranks[0] != ranks[1] or ranks[0] < 2:  # as TF's MatrixSolve: no broadcasting of batches
        raise ValueError(
            f"matrix_solve: matrix {m} and rhs {r} must have one rank, at least 2 "
            f"(got {ranks[0]} and {ranks[1]})"
        )
    inv = matrix_inverse(m, adjoint=adjoint)
    return ops.matmul(inv, r)


def _swap_last(x: Tensor) -> tuple:
    rank = len(x.shape)
    return tuple(range(rank - 2)) + (rank - 1, rank - 2)


def attach(tf: types.ModuleType) -> None:
    """Add the names to tf, tf.math and tf.linalg where they are missing."""
    math_ns, linalg_ns = tf.math, tf.linalg
    for name, fn in (
        ("einsum", einsum),
        ("atan", atan),
        ("asin", asin),
        ("acos", acos),
        ("sinh", sinh),
        ("cosh", cosh),
        ("tan", tan),
        ("matrix_inverse", matrix_inverse),
        ("cholesky", cholesky),
        ("matrix_solve", matrix_solve),
    ):
        if not hasattr(tf, name):
            setattr(tf, name, fn)
    for name in ("atan", "asin", "acos", "sinh", "cosh", "tan"):
        if not hasattr(math_ns, name):
            setattr(math_ns, name, getattr(tf, name))
    for name, fn in (
        ("einsum", einsum),
        ("inv", matrix_inverse),
        ("cholesky", cholesky),
        ("solve", matrix_solve),
    ):
        if not hasattr(linalg_ns, name):
            setattr(linalg_ns, name, fn)
