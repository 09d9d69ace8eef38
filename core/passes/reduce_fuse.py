"""Reduction prologues: a fused elementwise group read only by a sum, a mean or an un-broadcast
sum over its trailing axes is computed inside the reduction, element by element, and never
stored (see `reduce_kernel` for why the bits are those of the unfused reduction).

Only row reductions qualify: the reduced axes must follow every kept axis (size-1 axes aside),
which is the layout the reduction kernels sum in one order for a given row length. Column
reductions (a bias gradient summed over the batch) are left alone. Shapes known only at run
time are checked then: a run whose shapes do not fit, or whose operands are not laid out as
rows, takes the unfused path (the group's kernel, then the reduction's), bit for bit the same.
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import reduce as R
from ..kernels.elementwise import compile_elementwise
from ..primitives.reduction import MEAN, SUM
from ..primitives.shaping import SUM_LIKE
from . import reduce_kernel as RK
from .program import FUSED, OP, REDUCE_FUSED, PlanGraph, PNode
from .runtime import _name, check_members, release

# the reductions a fused elementwise prologue may feed, and the mode each runs in
_OPS = {SUM: "sum", MEAN: "mean", SUM_LIKE: "sum_like"}


def _row_form(shape: tuple, axes: tuple) -> bool:
    """True when, size-1 axes aside, every reduced axis comes after every kept axis."""
    seen_reduced = False
    for d, n in enumerate(shape):
        if n == 1:
            continue
        if d in axes:
            seen_reduced = True
        elif seen_reduced:
            return False
    return True


def sum_like_axes(g: tuple, like: tuple) -> tuple:
    """The axes `sum_to_shape(g, like)` sums (as the kernel computes them)."""
    lead = len(g) - len(like)
    return tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(like) if s == 1 and g[lead + i] != 1
    )


def fuse_reductions(pg: PlanGraph) -> None:
    """Merge each qualifying (fused group -> reduction) pair into one step."""
    consumers = pg.consumers()
    outs = pg.outputs() | {id(t) for t in pg.targets}
    mapping: dict[int, PNode] = {}
    drop: list[PNode] = []
    for r in pg.nodes:
        if r.kind != OP or r.prim not in _OPS or not r.inputs:
            continue
        g = r.inputs[0]
        if g.kind != FUSED or id(g) in outs or g.dtype.name not in ("float32", "float64"):
            continue
        if len(consumers.get(id(g), [])) != 1 or sum(1 for i in r.inputs if i is g) != 1:
            continue
        if r.prim is SUM_LIKE:
            like = r.inputs[1]
            known = all(d is not None for d in (*g.shape, *like.shape))
            axes = sum_like_axes(g.shape, like.shape) if known else None
        else:
            axes = tuple(r.params.get("axes") or ())
            known = all(d is not None for d in g.shape)
            if not axes:
                continue
        if known and axes is not None and not _row_form(g.shape, axes):
            pg.note("sum_fold", "refused", r, "a column reduction (it sums in another order)")
            continue
        step = PNode(REDUCE_FUSED, r.node, list(g.inputs) + list(r.inputs[1:]))
        step.members = list(g.members) + [r.node]
        step.program = g.program
        step.origin = "sum_fold"
        step.group = (bool(g.group), len(g.inputs))
        step.shape, step.dtype = r.shape, r.dtype
        mapping[id(r)] = step
        drop.append(g)
        pg.note("sum_fold", "fused", r, f"{r.prim.name} with its {len(g.members)}-op prologue",
                members=[m.name for m in step.members])  # fmt: skip
    if not mapping:
        return
    pg.nodes = [mapping.get(id(n), n) for n in pg.nodes]
    gone = {id(g) for g in drop}
    for v, n in list(pg.value_map.items()):
        if id(n) in gone:
            del pg.value_map[v]
    pg.replace(mapping, drop)


def reduce_runner(members, program, in_dtypes, checked: bool, n_group: int):
    """``run(pool, *operands)``: the group's operands (then `like` for sum_like) -> the reduction.

    Runs the generated row kernel when the operands fit a (rows, L) grid, else the group's
    elementwise kernel and the reduction's own kernel one after the other.
    """
    red = members[-1]
    op = _OPS[red.prim]
    params = red.params
    kernel = compile_elementwise(program, in_dtypes)
    odt = kernel.out_dtype
    ident = odt.type(0)
    cache: dict = {}

    def learn(key, arrays, like):
        arrays = tuple(a if isinstance(a, np.ndarray) else np.asarray(a) for a in arrays)
        if checked:
            check_members(members[:-1], program, arrays)
        oshape = np.broadcast_shapes(*[a.shape for a in arrays])
        if checked:
            try:
                ins = [_aval(oshape, odt)] + ([_aval(like.shape, like.dtype)] if op == "sum_like"
                                              else [])  # fmt: skip
                red.prim.shape_rule(*ins, **params)
            except Exception as e:
                raise _name(e, red) from None
        plan = kernel.plan(arrays)
        grid = _grid(op, params, oshape, like) if RK.ORDER_OK else None
        ent = None
        if grid is not None:
            nrows, n, axes, final = grid
            kinds = _kinds(arrays, oshape, axes)
            if kinds is not None:
                mod = RK.kernels(program, in_dtypes, kinds)
                ent = ("fused", plan, (oshape, odt), nrows, n, final, kinds, mod)
        if ent is None:
            ent = ("split", plan, (oshape, odt))
        if len(cache) >= 64:
            cache.clear()
        cache[key] = ent
        return ent

    def run(pool, *operands):
        arrays = operands[:n_group]
        like = operands[n_group] if op == "sum_like" else None
        key = tuple([(a.shape, a.flags.c_contiguous) for a in operands])
        ent = cache.get(key)
        if ent is None:
            ent = learn(key, arrays, like)
        if ent[0] == "split":
            plan, okey = ent[1], ent[2]
            lst = pool.get(okey) if pool is not None else None
            y = plan(arrays, lst.pop() if lst else None)
            args = (y,) if like is None else (y, like)
            out = red.prim.impl(*args, **params)
            if pool is not None and out is not y and not np.may_share_memory(out, y):
                release(pool, y)
            return out
        _, _, _, nrows, n, final, kinds, mod = ent
        views = _views(arrays, kinds, nrows, n)
        out = np.empty(nrows, odt)
        if nrows and nrows * n >= R.PARALLEL_MIN:
            fn = mod.rows_par if nrows >= 16 or n <= 128 else mod.blocks_par
        else:
            fn = mod.rows
        fn(*views, n, ident, out)
        if op == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                out = out / odt.type(n)  # as the reduction kernel divides its sum
        return out.reshape(final)

    run.kernel = kernel
    run.cache = cache
    return run


def _aval(shape, dtype):
    from ..primitives.registry import AVal

    return AVal(tuple(shape), np.dtype(dtype))


def _grid(op, params, oshape, like):
    """(rows, row length, reduced axes, result shape) when the reduction sums rows, else None."""
    nd = len(oshape)
    if op == "sum_like":
        ls = tuple(like.shape)
        if ls == tuple(oshape) or len(ls) > nd:
            return None  # an identity (the kernel hands back its operand) or an error
        axes = sum_like_axes(tuple(oshape), ls)
        final = ls
    else:
        axes = tuple(a % nd for a in params["axes"]) if nd else ()
        if not axes:
            return None
        keep = params["keepdims"]
        final = tuple(
            (1 if d in axes else s) for d, s in enumerate(oshape) if keep or d not in axes
        )
    if not _row_form(tuple(oshape), axes):
        return None
    n = math.prod(oshape[a] for a in axes)
    nrows = math.prod(s for d, s in enumerate(oshape) if d not in axes)
    return nrows, n, axes, final


def _kinds(arrays, oshape, axes):
    """Per operand "F", "R", "C" or "S" against the (rows, n) grid, or None (unfused path)."""
    nd = len(oshape)
    out = []
    for a in arrays:
        shape = (1,) * (nd - a.ndim) + tuple(a.shape)
        kept = [shape[d] == oshape[d] for d in range(nd) if d not in axes and oshape[d] != 1]
        red = [shape[d] == oshape[d] for d in axes if oshape[d] != 1]
        if (kept and any(kept) != all(kept)) or (red and any(red) != all(red)):
            return None  # broadcast along part of the rows or part of a row
        k_full, r_full = bool(kept) and all(kept), bool(red) and all(red)
        if k_full and r_full:
            if not a.flags.c_contiguous:
                return None
            out.append("F")
        elif r_full:
            out.append("R")
        elif k_full:
            out.append("C")
        else:
            out.append("S")
    return tuple(out)


def _views(arrays, kinds, nrows, n):
    out = []
    for a, k in zip(arrays, kinds, strict=True):
        if k == "F":
            out.append(a.reshape(nrows, n))
        elif k == "R":
            out.append(np.ascontiguousarray(a).reshape(n))
        elif k == "C":
            out.append(np.ascontiguousarray(a).reshape(nrows))
        else:
            out.append(np.ascontiguousarray(a).reshape(1))
    return out
