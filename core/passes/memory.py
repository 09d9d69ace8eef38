"""Memory planning: when each value dies, which buffers may be reused, and the peak it implies.

Every step's value has a set of storage roots: a step that always returns a new array (a fused
kernel, a matmul, an elementwise op, a reduction) is its own root; any other op might return a
view of (or the very array of) an operand, so its roots also include its operands' roots. A
buffer dies after the last use of every value that may alias it. Only buffers the plan allocated
itself (fused and matmul steps) go back to the pool, and only when nothing aliasing them is
fetched or handed to an effect (an assignment may keep the array in the session's state).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..primitives.registry import FRESH, MAY_ALIAS, VIEW
from .program import CONST, EFFECT, FEED, FUSED, MATMUL_FUSED, OP, REDUCE_FUSED, PlanGraph, PNode


def is_fresh(p: PNode) -> bool:
    """True when the step's value never aliases an operand."""
    if p.kind in (FUSED, MATMUL_FUSED, REDUCE_FUSED):
        return True
    if p.kind != OP:
        return p.kind != EFFECT
    return p.prim.aliases(p.params) == FRESH


@dataclass
class MemoryPlan:
    """Release points and pooling decisions for the steps of one plan."""

    release_after: dict[int, list[int]] = field(default_factory=dict)  # step -> roots to free
    release_before: dict[int, list[int]] = field(default_factory=dict)  # step -> freed earlier
    drop_after: dict[int, list[int]] = field(default_factory=dict)  # step -> locals to delete
    dies_after: dict[int, list[int]] = field(default_factory=dict)  # step -> roots now dead
    pooled: set[int] = field(default_factory=set)  # steps whose buffer is recycled
    static_peak: int | None = None  # bytes, from static shapes (None when a dim is unknown)
    static_total: int | None = None  # bytes of every step allocation: the peak without freeing


def plan_memory(pg: PlanGraph, steps: Sequence[PNode], reuse: bool) -> MemoryPlan:
    """Liveness over the lowered steps (indexes into `steps`)."""
    idx = {id(p): k for k, p in enumerate(steps)}
    n = len(steps)
    end = n  # "after the last step": fetched values live to the end
    last = [k for k in range(n)]  # a value nobody reads dies right after its own step
    fetched = {idx[id(p)] for p in pg.fetches if id(p) in idx}
    for k, p in enumerate(steps):
        for i in p.inputs:
            j = idx.get(id(i))
            if j is not None:
                last[j] = max(last[j], k)
    for k in fetched:
        last[k] = end
    roots: list[set[int]] = []
    for k, p in enumerate(steps):
        r = {k}
        if not is_fresh(p):
            for i in p.inputs:
                j = idx.get(id(i))
                if j is not None:
                    r |= roots[j]
        roots.append(r)
    death = list(last)
    escapes: set[int] = set()
    for k, p in enumerate(steps):
        for r in roots[k]:
            death[r] = max(death[r], last[k])
        if k in fetched:
            escapes |= roots[k]
        if p.kind == EFFECT:
            for i in p.inputs:
                j = idx.get(id(i))
                if j is not None:
                    escapes |= roots[j]
    mp = MemoryPlan()
    for k, p in enumerate(steps):
        if reuse and p.kind in (FUSED, MATMUL_FUSED) and k not in escapes:
            mp.pooled.add(k)
    for k, p in enumerate(steps):
        if p.kind in (CONST, FEED):
            continue
        if death[k] < end:
            mp.dies_after.setdefault(death[k], []).append(k)
        if k in mp.pooled:
            d = death[k]
            if d >= end:
                continue
            user = steps[d]
            # an elementwise step may write over an operand that dies with it (same index read
            # before written), if that operand is the buffer itself and no view of it is read
            if (
                user.kind == FUSED
                and any(i is p for i in user.inputs)
                and not any(
                    i is not p and (j := idx.get(id(i))) is not None and k in roots[j]
                    for i in user.inputs
                )
            ):
                mp.release_before.setdefault(d, []).append(k)
            else:
                mp.release_after.setdefault(d, []).append(k)
        elif last[k] < end:
            mp.drop_after.setdefault(last[k], []).append(k)
    mp.static_peak, mp.static_total = _static_peak(steps, death, end)
    return mp


def _bytes(p: PNode) -> int | None:
    if any(d is None for d in p.shape):
        return None
    return math.prod(p.shape) * p.dtype.itemsize


def _static_peak(
    steps: Sequence[PNode], death: list[int], end: int
) -> tuple[int | None, int | None]:
    """(peak of simultaneously live step allocations, their sum), from static shapes."""
    alloc = []
    for p in steps:
        if p.kind in (CONST, FEED) or p.kind == "variable" or p.kind == "placeholder":
            alloc.append(0)
            continue
        alias = p.prim.aliases(p.params) if p.kind == OP else FRESH
        if alias == VIEW or (alias == MAY_ALIAS and p.inputs and p.inputs[0].shape == p.shape):
            alloc.append(0)
            continue
        b = _bytes(p) if p.kind != EFFECT else 0
        if b is None:
            return None, None
        alloc.append(b)
    live = 0
    peak = 0
    frees: dict[int, int] = {}
    for k in range(len(steps)):
        live += alloc[k]
        peak = max(peak, live)
        d = death[k]
        if d < end:
            frees[d] = frees.get(d, 0) + alloc[k]
        live -= frees.pop(k, 0)
    return peak, sum(alloc)
