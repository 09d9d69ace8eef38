"""Un-broadcast sums that do nothing: a `sum_like(g, like)` whose operands provably have the same
shape at run time returns g itself, so the step is dropped and its readers read g.

Static shapes cannot always tell (a dim unknown until run time is None on both sides), so the
pass tracks symbolic dims: each unknown dim of a placeholder is a symbol, and elementwise ops,
matmuls, reductions and the shape ops carry the symbols to their results. When the dims of g
and like are the same symbols, the sum is an identity whatever is fed. The sum_like steps it
cannot prove are lowered to an inline shape test that skips the kernel when the shapes agree.
"""

from __future__ import annotations

import itertools

from ..primitives.shaping import SUM_LIKE
from .program import FUSED, OP, PlanGraph, PNode

_counter = itertools.count()


class _Sym:
    """An unknown dimension (equal only to itself)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = next(_counter)

    def __repr__(self) -> str:
        return f"?{self.n}"


def _fresh(shape: tuple) -> tuple:
    return tuple(_Sym() if d is None else d for d in shape)


def _broadcast(dims: list[tuple], shape: tuple) -> tuple:
    nd = len(shape)
    out = []
    for ax in range(nd):
        cands = []
        for d in dims:
            k = ax - (nd - len(d))
            if k >= 0 and d[k] != 1:
                cands.append(d[k])
        if not cands:
            out.append(1)  # every operand has 1 (or lacks the axis): the broadcast has 1
        elif all(c is cands[0] or c == cands[0] for c in cands):
            out.append(cands[0])
        elif shape[ax] is not None:
            out.append(shape[ax])
        else:
            out.append(_Sym())
    return tuple(out)


def symbolic_dims(pg: PlanGraph) -> dict[int, tuple]:
    """id(step) -> dims (ints, or symbols for dims unknown until run time)."""
    dims: dict[int, tuple] = {}

    def of(p: PNode) -> tuple:
        d = dims.get(id(p))
        if d is None:
            d = dims[id(p)] = _fresh(p.shape)
        return d

    for p in pg.nodes:
        if any(d is None for d in p.shape):
            if p.unknown_rank or any(i.unknown_rank for i in p.inputs):
                dims[id(p)] = _fresh(p.shape)
            else:
                dims[id(p)] = _infer(p, of)
        else:
            dims[id(p)] = tuple(p.shape)
    for p in pg.nodes:
        for i in p.inputs:
            of(i)
    return dims


def same_dims(a: tuple, b: tuple) -> bool:
    """True when two symbolic shapes are provably equal at run time."""
    return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b, strict=True))


def broadcast_dims(dims: list[tuple], shape: tuple) -> tuple:
    """Symbolic numpy broadcast of several symbolic shapes (static result shape `shape`)."""
    return _broadcast(dims, shape)


def _infer(p: PNode, of) -> tuple:
    if p.kind == FUSED:
        return _broadcast([of(i) for i in p.inputs], p.shape)
    if p.kind != OP:
        return _fresh(p.shape)
    prim = p.prim
    ins = [of(i) for i in p.inputs]
    try:
        k = prim.shape_from
        if k is not None and len(ins[k]) == len(p.shape):
            return ins[k]
        if prim.dims is not None:
            d = prim.dims(ins, p.params, p.shape, _broadcast)
            if d is not None:
                return d
    except (KeyError, IndexError, TypeError):
        pass
    return _fresh(p.shape)


def fold_identity_sums(pg: PlanGraph) -> None:
    """Drop sum_like steps that provably return their operand unchanged."""
    todo = [p for p in pg.nodes if p.kind == OP and p.prim is SUM_LIKE]
    if not todo:
        return
    dims = symbolic_dims(pg)
    mapping: dict[int, PNode] = {}
    for p in todo:
        g, like = p.inputs
        dg, dl = dims.get(id(g)) or _fresh(g.shape), dims.get(id(like)) or _fresh(like.shape)
        if same_dims(dg, dl):
            mapping[id(p)] = g
            pg.note("sum_fold", "dropped", p, "operand and target have the same dims")
        else:
            pg.note("sum_fold", "kept", p, "shapes may differ; skipped at run time if equal")
    outs = pg.outputs()
    # a fetched sum_like keeps its step: the fetch must not hand out the operand's own array
    mapping = {k: v for k, v in mapping.items() if k not in outs}
    pg.replace(mapping)
