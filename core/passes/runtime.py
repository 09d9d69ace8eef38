"""Run-time pieces of optimised steps: fused-kernel runners, the buffer pool, shape checks.

A pool is a dict (shape, dtype) -> list of dead buffers. A plan lends one pool to each run (so
concurrent runs never share a buffer) and takes it back at the end, so a loop running the same
plan again writes into the buffers of the last run instead of touching fresh pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..domain import RAW_NUMPY
from ..ir import name_called
from ..kernels import matmul as MM
from ..kernels.elementwise import compile_elementwise
from ..primitives.registry import AVal

_MAX_SIGS = 64  # run-time shape signatures remembered per step


def release(pool: dict, a: np.ndarray) -> None:
    """Give a dead buffer back to the pool."""
    lst = pool.get((a.shape, a.dtype))
    if lst is None:
        pool[(a.shape, a.dtype)] = [a]
    else:
        lst.append(a)


def _name(e: BaseException, node: Any) -> BaseException:
    # `node`: the IR node that failed (its name, and the public operation that added it)
    try:
        msg = e.args[0] if e.args else e
        if isinstance(msg, str) and msg in RAW_NUMPY:  # numpy's allocator, said plainly
            msg = RAW_NUMPY[msg]
        first = name_called(msg, node)
        e.args = (f"{first} (while running node '{node.name}')",) + tuple(e.args[1:])
        e._dg_named = True
    except Exception:  # noqa: BLE001 - naming is best effort
        pass
    return e


def check_members(members: Sequence, program: tuple, arrays: Sequence) -> None:
    """Run the shape rules of a group's ops on run-time shapes, as the unfused steps would."""
    vals: list = []
    for node, (_, *args) in zip(members, program, strict=True):
        ins = [arrays[a] if a >= 0 else vals[len(vals) + a] for a in args]
        ins = [AVal(tuple(np.shape(x)), np.dtype(x.dtype)) if isinstance(x, np.ndarray) else x
               for x in ins]  # fmt: skip
        try:
            vals.append(node.prim.shape_rule(*ins, **node.params))
        except Exception as e:
            raise _name(e, node) from None


def layout_key(arrays: Sequence[np.ndarray]) -> tuple:
    """The run-time cache key of a fused step's operands: shape and strides of each.

    Strides, not only C-contiguity: which operands are squeezed (`_squeezers`) depends on
    their zero strides, so a broadcast operand and a transposed one of the same shape must
    not share a cached plan (the transposed one would be read as its first row)."""
    return tuple([(a.shape, a.strides) for a in arrays])


def _squeezers(arrays: Sequence[np.ndarray]) -> tuple | None:
    """Per operand, an index keeping one element along each zero-stride axis (a broadcast view:
    reading its compact form gives the same values, and lets the kernel take a fast layout)."""
    out = []
    hit = False
    for a in arrays:
        if not a.flags.c_contiguous and a.ndim and 0 in a.strides:
            out.append(tuple(slice(0, 1) if s == 0 and n > 1 else slice(None)
                             for s, n in zip(a.strides, a.shape, strict=True)))  # fmt: skip
            hit = True
        else:
            out.append(None)
    return tuple(out) if hit else None


def _squeeze(arrays: tuple, squeeze: tuple) -> tuple:
    return tuple(a if s is None else a[s] for a, s in zip(arrays, squeeze, strict=True))


def _spread(plan, oshape: tuple, odt: np.dtype):
    """A plan writing its (smaller, broadcastable) result across an output of shape oshape."""

    def run(arrays, out):
        small = plan(arrays, None)
        if out is None:
            out = np.empty(oshape, odt)
        np.copyto(out, small)
        return out

    return run


def fused_runner(members: Sequence, program: tuple, in_dtypes: Sequence, checked: bool):
    """A function ``run(pool, *arrays)`` evaluating a fused elementwise program.

    The kernel plan (layout choice) is cached per operand shapes and contiguity; the output
    buffer comes from the pool when one of the right shape is free (pool None: a new array).
    """
    kernel = compile_elementwise(program, in_dtypes)
    odt = kernel.out_dtype
    cache: dict = {}

    def learn(key, arrays):
        # a kernel may hand back a numpy scalar; the plans read it like a 0-d array
        arrays = tuple(a if isinstance(a, np.ndarray) else np.asarray(a) for a in arrays)
        if checked:
            check_members(members, program, arrays)
        oshape = np.broadcast_shapes(*[a.shape for a in arrays])
        squeeze = _squeezers(arrays)
        spread = False
        if squeeze is not None:
            arrays = _squeeze(arrays, squeeze)
            # no operand spans the output any more: compute the smaller result and broadcast
            # it (each element is the same expression on the same values, so the same bits)
            spread = np.broadcast_shapes(*[a.shape for a in arrays]) != oshape
        plan = kernel.plan(arrays)
        if spread:
            plan = _spread(plan, oshape, odt)
        if len(cache) >= _MAX_SIGS:
            cache.clear()
        ent = cache[key] = (plan, (oshape, odt), squeeze)
        return ent

    def run(pool, *arrays):
        key = tuple([(a.shape, a.strides) for a in arrays])  # layout_key, inlined (hot)
        ent = cache.get(key)
        if ent is None:
            ent = learn(key, arrays)
        plan, okey, squeeze = ent
        if squeeze is not None:
            arrays = _squeeze(arrays, squeeze)
        if pool is not None:
            lst = pool.get(okey)
            if lst:
                return plan(arrays, lst.pop())
        return plan(arrays, None)

    run.kernel = kernel
    run.cache = cache
    return run


def matmul_runner(mm_node, transpose_a: bool, transpose_b: bool, epilogue, at: int, checked: bool):
    """``run(pool, a, b, *others)``: op(a) @ op(b) into a buffer, then the elementwise epilogue
    (a fused runner whose operand `at` is the product) written in place over that buffer.

    The product is exactly what the matmul step computes (same kernel, any output buffer gives
    the same bits), and the epilogue reads each element before writing it, so in place is safe.
    """
    shapes: dict = {}
    ecache = epilogue.cache

    def out_shape(a, b):
        key = (a.shape, b.shape)
        s = shapes.get(key)
        if s is None:
            if checked:
                try:
                    mm_node.prim.shape_rule(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
                except Exception as e:
                    raise _name(e, mm_node) from None
            sa, sb = a.shape, b.shape
            m = sa[-1] if transpose_a else sa[-2]
            n = sb[-2] if transpose_b else sb[-1]
            s = np.broadcast_shapes(sa[:-2], sb[:-2]) + (m, n)
            if len(shapes) >= _MAX_SIGS:
                shapes.clear()
            shapes[key] = s
        return s

    def run(pool, a, b, *others):
        shape = out_shape(a, b)
        buf = None
        if pool is not None:
            lst = pool.get((shape, a.dtype))
            if lst:
                buf = lst.pop()
        if buf is None:
            buf = np.empty(shape, a.dtype)
        MM.matmul_out(a, b, buf, transpose_a, transpose_b)
        arrays = others[:at] + (buf,) + others[at:]
        key = tuple([(x.shape, x.strides) for x in arrays])  # layout_key, inlined (hot)
        ent = ecache.get(key)
        if ent is not None and ent[1][0] == shape:
            if ent[2] is not None:
                arrays = _squeeze(arrays, ent[2])
            return ent[0](arrays, buf)
        out = epilogue(pool, *arrays)  # the product broadcasts: not in place
        if pool is not None:
            release(pool, buf)
        return out

    return run


def sum_to(g: np.ndarray, like: np.ndarray, impl):
    """sum_like(g, like): g itself when the shapes already agree (no step at all)."""
    if g.shape == like.shape:
        return g
    return impl(g, like)
