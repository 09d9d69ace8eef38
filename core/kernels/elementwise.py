"""Elementwise kernels with numpy broadcasting, generated from scalar programs (see codegen)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from numpy.typing import DTypeLike

from .elementwise_kernel import _MAX_PLANS, ElementwiseKernel, broadcast_shape
from .elementwise_ops import BINARY_OPS, GRAD_OPS, OPS, UNARY_OPS

__all__ = [
    "ElementwiseKernel",
    "binary",
    "broadcast_shape",
    "compile_elementwise",
    "dispatcher",
    "grad_binary",
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
        # a scalar op declared later (a primitive's `template`) is allowed by its arity
        declared = op in OPS and OPS[op].arity == len(dtypes) and what in ("unary", "binary")
        if op not in allowed and not declared:
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
        if a.dtype == _F16 or b.dtype == _F16:
            return _half(binary, op, a, b)
        k = _op_kernel(op, (a.dtype, b.dtype), BINARY_OPS, "binary")
        return _remember(key, k, (a, b))
    a, b = _arr(a), _arr(b)
    if a.dtype == _F16 or b.dtype == _F16:
        return _half(binary, op, a, b, out=out)
    return _op_kernel(op, (a.dtype, b.dtype), BINARY_OPS, "binary")(a, b, out=out)


def unary(op: str, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply unary op ``op`` elementwise."""
    if out is None and type(x) is np.ndarray:
        key = (op, x.dtype, x.shape, x.flags.c_contiguous)
        plan = _fast.get(key)
        if plan is not None:
            return plan((x,), None)
        if x.dtype == _F16:
            return _half(unary, op, x)
        return _remember(key, _op_kernel(op, (x.dtype,), UNARY_OPS, "unary"), (x,))
    x = _arr(x)
    if x.dtype == _F16:
        return _half(unary, op, x, out=out)
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


# Outputs up to this many elements run from a `dispatcher` table entry directly; larger ones
# take the general functions above (their plans weigh contiguity and the parallel kernels).
SMALL_MAX = 1 << 12
_MAX_ENTRIES = 1024  # per dispatcher; a full table is simply reset (entries are cheap)


_F16 = np.dtype(np.float16)


def _half(fn: Callable, op: str, *arrays: np.ndarray, out: np.ndarray | None = None):
    """float16 (a storage dtype numba cannot compile for): computed in float32, each result
    rounded back to float16, as a CPU computes half-precision arithmetic."""
    wide = [a.astype(np.float32) if a.dtype == _F16 else a for a in arrays]
    res = fn(op, *wide)
    if res.dtype == np.float32:
        res = res.astype(_F16)
    if out is not None:
        out[...] = res
        return out
    return res


def _entry(op: str, arrays: Sequence[np.ndarray]) -> tuple:
    """(serial flat kernel, output shape, output dtype) for small outputs whose operands are each
    full-size or a single element; else (None, the general function for ``op``, None)."""
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
    if any(a.dtype == _F16 for a in arrays):
        return None, general, None
    if not 0 < n <= SMALL_MAX or any(a.size not in (1, n) for a in arrays):
        return None, general, None
    kernel = _op_kernel(op, tuple(a.dtype for a in arrays), allowed, what)
    kinds = tuple("F" if a.size == n else "S" for a in arrays)
    return kernel.kernels("flat", kinds)[0], oshape, kernel.out_dtype


def dispatcher(op: str, arity: int, check: Callable[..., object]) -> Callable[..., np.ndarray]:
    """``fast(*arrays)``: elementwise ``op`` on exact ndarrays, as `binary`/`unary`/... compute it,
    with ``check`` (the primitive's shape rule) run only once per operand shapes and dtypes.

    The first call with given shapes and dtypes runs ``check`` (raising its errors) and picks the
    kernel; later calls go straight to it. Small outputs run the serial "flat" kernel on
    ``ravel()`` views: a non-contiguous operand is copied first, and each element is still
    computed by the same scalar expression, so the bits are those of the strided kernel. The
    table is a plain dict: lookups and stores are atomic under the GIL, and a racing first call
    only does the work twice.
    """
    table: dict = {}

    def learn(key: tuple, arrays: tuple) -> tuple:
        check(*arrays)
        entry = _entry(op, arrays)
        if len(table) >= _MAX_ENTRIES:
            table.clear()
        table[key] = entry
        return entry

    empty = np.empty
    if arity == 1:

        def fast(x):
            key = (x.shape, x.dtype)
            e = table.get(key)
            if e is None:
                e = learn(key, (x,))
            k, oshape, odt = e
            if k is None:
                return oshape(x)
            out = empty(oshape, odt)
            k(x.ravel(), out.ravel())
            return out

    elif arity == 2:

        def fast(x, y):
            key = (x.shape, y.shape, x.dtype, y.dtype)
            e = table.get(key)
            if e is None:
                e = learn(key, (x, y))
            k, oshape, odt = e
            if k is None:
                return oshape(x, y)
            out = empty(oshape, odt)
            k(x.ravel(), y.ravel(), out.ravel())
            return out

    elif arity == 3:

        def fast(c, x, y):
            key = (c.shape, x.shape, y.shape, c.dtype, x.dtype, y.dtype)
            e = table.get(key)
            if e is None:
                e = learn(key, (c, x, y))
            k, oshape, odt = e
            if k is None:
                return oshape(c, x, y)
            out = empty(oshape, odt)
            k(c.ravel(), x.ravel(), y.ravel(), out.ravel())
            return out

    else:
        raise ValueError(f"dispatcher: arity {arity} is not supported (1, 2 or 3)")
    fast.table = table  # for tests and introspection
    return fast
