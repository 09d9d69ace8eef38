"""Constant folding: an op whose inputs are all constants is computed once, when the plan is built.

The value comes from the very kernel the step would have run, so it is the same to the bit.
Never folded: random draws (each run draws anew), effects, placeholders and variables (not
constants), and results larger than `max_bytes` (folding would trade a cheap broadcast for
memory held for the plan's lifetime). A kernel that raises is left in place, so the error
still appears when the plan runs, naming the node.
"""

from __future__ import annotations

import math

import numpy as np

from .program import CONST, OP, PlanGraph, PNode, is_random
from .sum_fold import same_dims, symbolic_dims

MAX_FOLDED_BYTES = 10 << 20  # TF's default max_folded_constant_in_bytes


def _shape_only(p: PNode) -> tuple:
    # operands whose shape (and dtype) is all the kernel reads: with a fully static shape they
    # count as constants
    return p.prim.shape_only


def _static(p: PNode) -> bool:
    return not p.unknown_rank and all(d is not None for d in p.shape)


def _grows(p: PNode, src: PNode) -> bool:
    if not (_static(p) and _static(src)):
        return True  # a size known only when run: leave the broadcast as it is
    return math.prod(p.shape) > math.prod(src.shape)


def _stand_in(p: PNode) -> np.ndarray:
    """An array with p's static shape and dtype, for a kernel that reads only those."""
    return np.broadcast_to(np.zeros((), p.dtype), p.shape)


def _shape_source(p: PNode, dims: dict) -> PNode:
    """The earliest value up p's chain of elementwise ops with p's symbolic dims and dtype."""
    while p.kind == OP and p.prim.elementwise and not p.unknown_rank:
        for i in p.inputs:
            if (
                i.dtype == p.dtype
                and not i.unknown_rank
                and same_dims(dims.get(id(i), ()), dims[id(p)])
            ):
                p = i
                break
        else:
            break
    return p


def cut_shape_operands(pg: PlanGraph) -> None:
    """Replace each shape-only operand of static shape by a constant stand-in of that shape.

    The op then no longer waits for (or keeps alive) the array it only measured, and elementwise
    groups are no longer split by a reader that never reads the values.
    """
    nodes: list[PNode] = []
    dims = None
    for p in pg.nodes:
        if p.kind == OP:
            for k in _shape_only(p):
                if k >= len(p.inputs) or p.inputs[k].kind == CONST:
                    continue
                if not _static(p.inputs[k]):
                    # a shape known only at run time: measure the earliest elementwise ancestor
                    # with provably the same dims and dtype instead, so the value itself may die
                    if dims is None:
                        dims = symbolic_dims(pg)
                    src = _shape_source(p.inputs[k], dims)
                    if src is not p.inputs[k]:
                        pg.note("fold", "cut", p, f"operand {k} ('{p.inputs[k].name}') is read "
                                f"for its shape: '{src.name}' has the same")  # fmt: skip
                        p.inputs = [src if j == k else x for j, x in enumerate(p.inputs)]
                    continue
                if True:
                    src = p.inputs[k]
                    c = PNode(CONST, src.node)
                    c.value = _stand_in(src)
                    c.shape, c.dtype = src.shape, src.dtype
                    c.origin = "fold"
                    c.name = f"shape of {src.name}"
                    p.inputs = [c if j == k else x for j, x in enumerate(p.inputs)]
                    nodes.append(c)
                    pg.note("fold", "cut", p, f"operand {k} ('{src.name}') is read for its shape")
        nodes.append(p)
    pg.nodes = nodes


def fold_constants(pg: PlanGraph, max_bytes: int = MAX_FOLDED_BYTES) -> None:
    """Replace ops whose operands are all constants by their value."""
    cut_shape_operands(pg)
    mapping: dict[int, PNode] = {}
    for p in pg.nodes:
        if p.kind != OP:
            continue
        ins = [mapping.get(id(i), i) for i in p.inputs]
        if not all(i.kind == CONST for i in ins):
            continue
        if p.prim.broadcast and _grows(p, ins[0]):
            continue  # a broadcast stays a view: fusion reads its small operand instead
        if is_random(p.prim):
            pg.note("fold", "refused", p, "random: it draws anew on every run")
            continue
        if not p.inputs and p.prim.tags.get("no_fold"):
            continue
        try:
            for check in p.prim.checks:  # never fold a value outside the op's domain
                check(*[i.value for i in ins], **p.params)
            value = p.prim.impl(*[i.value for i in ins], **p.params)
        except Exception as e:  # noqa: BLE001 - the run reports it with the node's name
            pg.note("fold", "refused", p, f"the kernel raised {type(e).__name__}")
            continue
        if not isinstance(value, np.ndarray):
            value = np.asarray(value)
        if value.nbytes > max_bytes:
            pg.note("fold", "refused", p, f"result has {value.nbytes} bytes (> {max_bytes})")
            continue
        c = PNode(CONST, p.node)
        c.value = value
        c.origin = "fold"
        c.shape, c.dtype = value.shape, value.dtype
        mapping[id(p)] = c
        pg.note("fold", "folded", p, "all operands are constants")
    if not mapping:
        return
    # the folded constants take the place of their op (constants cost nothing at run time)
    pg.nodes = [mapping.get(id(n), n) for n in pg.nodes]
    for n in pg.nodes:
        n.inputs = [mapping.get(id(i), i) for i in n.inputs]
    pg.fetches = [mapping.get(id(n), n) for n in pg.fetches]
    pg.targets = [mapping.get(id(n), n) for n in pg.targets]
    for v, n in list(pg.value_map.items()):
        pg.value_map[v] = mapping.get(id(n), n)
