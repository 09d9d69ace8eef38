"""Elementwise kernels with numpy broadcasting, generated from scalar programs (see codegen)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from numpy.typing import DTypeLike

from .elementwise_kernel import _MAX_PLANS, ElementwiseKernel, broadcast_shape
from .elementwise_ops import BINARY_OPS, GRAD_OPS, UNARY_OPS

__all__ = [
    "ElementwiseKernel",
    "binary",
    "broadcast_shape",
    "compile_elementwise",
    "grad_binary",
    "runner",
    "unary",
    "where",
]

_compiled: dict = {}


def compile_elementwise(
    program: Sequence[tuple], in_dtypes: Sequence[DTypeLike], out_dtype: DTypeLike | None = None
) -> ElementwiseKernel:
    """Return the (cached) kernel ``f(*arrays, out=None)`` for ``program`` (format: codegen)."""
    key = (tuple(tuple(s) for s in program), tuple(np.dtype(d) for d in in_dtypes), out_dtype)
    k = _compiled.get(key)
    if k is None:
        k = _compiled[key] = ElementwiseKernel(program, in_dtypes, out_dtype)
    return k


_single: dict = {}


def _op_kernel(op: str, dtypes: tuple, allowed: tuple[str, ...], what: str) -> ElementwiseKernel:
    key = (op, dtypes)
    k = _single.get(key)
    if k is None:
        if op not in allowed:
            raise ValueError(f"unknown {what} op {op!r}; expected one of {', '.join(allowed)}")
        prog = ((op, *range(len(dtypes))),)
        k = _single[key] = ElementwiseKernel(prog, dtypes)
    return k


def _arr(x) -> np.ndarray:
    return x if isinstance(x, np.ndarray) else np.asarray(x)


# (op, dtypes, shapes, contiguity) -> plan, for calls without ``out``: one dict lookup per call
# instead of the kernel lookup plus the kernel's own plan lookup (~1 us saved on tiny arrays).
_fast: dict = {}


def _remember(key, kernel: ElementwiseKernel, arrays) -> np.ndarray:
    if len(_fast) >= 4 * _MAX_PLANS:
        _fast.clear()
    plan = _fast[key] = kernel.plan(arrays)
    return plan(arrays, None)


def binary(op: str, a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply binary op ``op`` elementwise with broadcasting (a and b share one dtype)."""
    if out is None and type(a) is np.ndarray and type(b) is np.ndarray:
        key = (op, a.dtype, b.dtype, a.shape, b.shape, a.flags.c_contiguous, b.flags.c_contiguous)
        plan = _fast.get(key)
        if plan is not None:
            return plan((a, b), None)
        k = _op_kernel(op, (a.dtype, b.dtype), BINARY_OPS, "binary")
        return _remember(key, k, (a, b))
    a, b = _arr(a), _arr(b)
    return _op_kernel(op, (a.dtype, b.dtype), BINARY_OPS, "binary")(a, b, out=out)


def unary(op: str, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply unary op ``op`` elementwise."""
    if out is None and type(x) is np.ndarray:
        key = (op, x.dtype, x.shape, x.flags.c_contiguous)
        plan = _fast.get(key)
        if plan is not None:
            return plan((x,), None)
        return _remember(key, _op_kernel(op, (x.dtype,), UNARY_OPS, "unary"), (x,))
    x = _arr(x)
    return _op_kernel(op, (x.dtype,), UNARY_OPS, "unary")(x, out=out)


def grad_binary(op: str, x: np.ndarray, g: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply a fused gradient op (relu_grad, sigmoid_grad, tanh_grad) to (x or y, g)."""
    if out is None and type(x) is np.ndarray and type(g) is np.ndarray:
        key = (op, x.dtype, g.dtype, x.shape, g.shape, x.flags.c_contiguous, g.flags.c_contiguous)
        plan = _fast.get(key)
        if plan is not None:
            return plan((x, g), None)
        k = _op_kernel(op, (x.dtype, g.dtype), GRAD_OPS, "gradient")
        return _remember(key, k, (x, g))
    x, g = _arr(x), _arr(g)
    return _op_kernel(op, (x.dtype, g.dtype), GRAD_OPS, "gradient")(x, g, out=out)


def where(
    cond: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """Select ``a`` where ``cond`` is true, else ``b``, with broadcasting."""
    arrays = (cond, a, b)
    if out is None and all(type(x) is np.ndarray for x in arrays):
        key = ("where", *[(x.dtype, x.shape, x.flags.c_contiguous) for x in arrays])
        plan = _fast.get(key)
        if plan is not None:
            return plan(arrays, None)
        k = _op_kernel("where", (cond.dtype, a.dtype, b.dtype), ("where",), "ternary")
        return _remember(key, k, arrays)
    cond, a, b = _arr(cond), _arr(a), _arr(b)
    k = _op_kernel("where", (cond.dtype, a.dtype, b.dtype), ("where",), "ternary")
    return k(cond, a, b, out=out)


# Outputs up to this many elements get a `runner` that skips the per-call plan lookup; larger
# ones take the general functions above (their plans weigh contiguity and the parallel kernels).
SMALL_MAX = 1 << 12


def runner(op: str, arrays: Sequence[np.ndarray]) -> Callable[..., np.ndarray]:
    """A function computing ``op`` (as `binary`/`unary`/`grad_binary`/`where` would) for any
    arrays with the shapes and dtypes of `arrays`, whatever their strides.

    Small outputs whose operands are each full-size or a single element run the "flat" serial
    kernel on ``ravel()`` views (a non-contiguous operand is copied first: each element is still
    computed by the same scalar expression, so the bits are those of the strided kernel).
    """
    if op == "where":
        allowed, what, general = ("where",), "ternary", where
    elif op in GRAD_OPS:
        allowed, what, general = GRAD_OPS, "gradient", partial(grad_binary, op)
    elif len(arrays) == 1:
        allowed, what, general = UNARY_OPS, "unary", partial(unary, op)
    else:
        allowed, what, general = BINARY_OPS, "binary", partial(binary, op)
    oshape = broadcast_shape(*[a.shape for a in arrays])
    n = int(np.prod(oshape, dtype=np.int64))
    if not 0 < n <= SMALL_MAX or any(a.size not in (1, n) for a in arrays):
        return general
    kernel = _op_kernel(op, tuple(a.dtype for a in arrays), allowed, what)
    kinds = tuple("F" if a.size == n else "S" for a in arrays)
    k = kernel.kernels("flat", kinds)[0]
    odt = kernel.out_dtype
    if len(arrays) == 1:

        def run1(x):
            out = np.empty(oshape, odt)
            k(x.ravel(), out.ravel())
            return out

        return run1
    if len(arrays) == 2:

        def run2(x, y):
            out = np.empty(oshape, odt)
            k(x.ravel(), y.ravel(), out.ravel())
            return out

        return run2

    def run3(c, x, y):
        out = np.empty(oshape, odt)
        k(c.ravel(), x.ravel(), y.ravel(), out.ravel())
        return out

    return run3
