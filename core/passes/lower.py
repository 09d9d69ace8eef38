"""Lowering: the optimised steps become the source of one Python function, compiled once.

Each value lives in a local variable, each step is one line calling its kernel, dead values are
deleted (or given back to the buffer pool) right after their last use, and a counter names the
step that failed. Three variants come from one lowering: "fast" (the normal run), "measure"
(also counts live bytes, for `Plan.peak_bytes`) and "record" (keeps every step's value and
recycles nothing, for verify mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..primitives.shaping import SUM_LIKE
from .memory import MemoryPlan
from .program import (
    CONST,
    EFFECT,
    FEED,
    FUSED,
    MATMUL_FUSED,
    OP,
    PLACEHOLDER,
    REDUCE_FUSED,
    VARIABLE,
    PlanGraph,
    PNode,
)  # fmt: skip
from .reduce_fuse import reduce_runner
from .runtime import fused_runner, matmul_runner, release

FAST, MEASURE, RECORD = "fast", "measure", "record"


def _copy(x: Any) -> Any:
    if x is None or type(x) is bytes:  # bytes (a serialized summary) are immutable: no copy
        return x
    return np.array(x, copy=True)


class Meter:
    """Live-byte accounting for one measured run (arrays the run allocated, views of operands
    excluded); a buffer counts from its step until the last reader of anything aliasing it."""

    __slots__ = ("live", "peak", "sizes", "total")

    def __init__(self) -> None:
        self.live = 0
        self.peak = 0
        self.total = 0  # every counted buffer: what the run would hold if nothing were freed
        self.sizes: dict[int, int] = {}

    def add(self, k: int, v: Any, ins: tuple) -> None:
        """Count the value of step k if it owns new memory."""
        if not isinstance(v, np.ndarray) or any(
            isinstance(i, np.ndarray) and np.may_share_memory(v, i) for i in ins
        ):
            return  # a view of (or the very array of) an operand: no new memory
        self.sizes[k] = v.nbytes
        self.live += v.nbytes
        self.total += v.nbytes
        if self.live > self.peak:
            self.peak = self.live

    def drop(self, k: int) -> None:
        """Step k's buffer died."""
        self.live -= self.sizes.pop(k, 0)


def lower(
    pg: PlanGraph, steps: Sequence[PNode], mem: MemoryPlan, fetch_copy: Sequence[bool],
    sum_fold: bool,
) -> tuple[dict[str, Any], dict[str, str]]:  # fmt: skip
    """Return (namespace, {variant: source}) for the plan's run functions."""
    ns: dict[str, Any] = {"_rel": release, "_cp": _copy, "np": np}
    idx = {id(p): k for k, p in enumerate(steps)}
    names: dict[int, str] = {}
    for k, p in enumerate(steps):
        if p.kind == CONST:
            names[id(p)] = f"C{k}"
            ns[f"C{k}"] = p.value
        else:
            names[id(p)] = f"v{k}"
    for p in pg.value_map.values():
        if p.kind == FEED:
            names[id(p)] = f"f{p.feed_index}"
    for p in pg.fetches:
        if p.kind == FEED:
            names[id(p)] = f"f{p.feed_index}"
    runners: dict[int, Any] = {}
    for k, p in enumerate(steps):
        if p.kind == FUSED:
            runners[k] = fused_runner(
                p.members, p.program, [i.dtype for i in p.inputs], checked=bool(p.group)
            )
        elif p.kind == REDUCE_FUSED:
            checked, n_group = p.group
            runners[k] = reduce_runner(
                p.members, p.program, [i.dtype for i in p.inputs[:n_group]], checked, n_group
            )
        elif p.kind == MATMUL_FUSED:
            ep = p.group
            e_run = fused_runner(ep.members, ep.program, ep.in_dtypes, checked=ep.checked)
            if getattr(ep, "runner", None) is not None:  # another product (a convolution)
                runners[k] = ep.runner(e_run)
            else:
                runners[k] = matmul_runner(
                    ep.mm_node, ep.transpose_a, ep.transpose_b, e_run, ep.at, ep.mm_checked
                )
    sources = {}
    for variant in (FAST, MEASURE, RECORD):
        sources[variant] = _emit(pg, steps, mem, fetch_copy, names, idx, runners, ns, variant,
                                 sum_fold)  # fmt: skip
    return ns, sources


def _final_effect(pg: PlanGraph, steps: Sequence[PNode]) -> int | None:
    """The index of the plan's last step if it is an effect (its value may be fetched: an
    assign op's new value)."""
    for k in range(len(steps) - 1, -1, -1):
        p = steps[k]
        if p.kind == CONST:
            continue
        if p.kind == EFFECT:
            return k
        return None
    return None


def _emit(pg, steps, mem, fetch_copy, names, idx, runners, ns, variant, sum_fold) -> str:
    rec = variant == RECORD
    meas = variant == MEASURE
    out = [f"def run_{variant}(feeds, state, writes, pool, _m, _g=None):"]
    rets = []
    for p, c in zip(pg.fetches, fetch_copy, strict=True):
        n = names[id(p)]
        rets.append(f"_cp({n})" if c else n)
    final = None if rec else _final_effect(pg, steps)
    if rec:
        out.append("    pool = None")
    out.append("    _i = -1")
    out.append("    try:")
    ind = "        "
    for i in range(len(pg.feeds)):
        out.append(f"{ind}f{i} = feeds[{i}]")
    for k, p in enumerate(steps):
        if p.kind == CONST:
            continue
        v = names[id(p)]
        args = [names[id(i)] for i in p.inputs]
        a = ", ".join(args)
        out.append(f"{ind}_i = {k}")
        if mem.release_before.get(k) and not rec:
            for r in mem.release_before[k]:
                out.append(f"{ind}if pool is not None: _rel(pool, v{r})")
        if p.kind == PLACEHOLDER:
            out.append(f"{ind}_unfed({k})")
            continue
        if p.kind == VARIABLE:
            ns[f"K{k}"] = p.key
            out.append(f"{ind}{v} = writes[K{k}] if K{k} in writes else state[K{k}]")
        elif p.kind == EFFECT:
            ns[f"E{k}"] = p.effect
            guard = ""
            own = [j for j, f in enumerate(pg.fetches) if f is p]
            if k == final:
                # the fetches first: nothing after the effect can fail, so it may update
                # variables in place (see executor.RunGuard); its own value is fetched after
                pre = ["None" if j in own else r for j, r in enumerate(rets)]
                out.append(f"{ind}_r = [{', '.join(pre)}]")
                guard = ", _g"
            out.append(f"{ind}{v}, _w = E{k}(_Staged(state, writes{guard}){', ' if a else ''}{a})")
            out.append(f"{ind}writes.update(_w)")
            if k == final:
                out.extend(f"{ind}_r[{j}] = {rets[j]}" for j in own)
        elif p.kind == FUSED:
            ns[f"G{k}"] = runners[k]
            out.append(f"{ind}{v} = G{k}(pool, {a})")
        elif p.kind == REDUCE_FUSED:
            ns[f"Q{k}"] = runners[k]
            out.append(f"{ind}{v} = Q{k}(pool, {a})")
        elif p.kind == MATMUL_FUSED:
            ns[f"M{k}"] = runners[k]
            out.append(f"{ind}{v} = M{k}(pool, {a})")
        elif p.kind == OP:
            ns[f"F{k}"] = p.prim.impl
            cargs = list(args)
            if p.params:
                ns[f"P{k}"] = p.params
                cargs.append(f"**P{k}")
            call = f"F{k}({', '.join(cargs)})"
            if p.prim.checks:  # the record's domain checks, on every run
                ns[f"C{k}"] = p.prim.checks
                out.append(f"{ind}for _c in C{k}: _c({', '.join(cargs)})")
            if any(d is None for i in p.inputs for d in i.shape):
                ns[f"S{k}"] = set()
                out.append(f"{ind}_s = ({''.join(f'np.shape({x}), ' for x in args)})")
                out.append(f"{ind}if _s not in S{k}: _check({k}, _s, ({a}{',' if a else ''}))")
            if sum_fold and p.prim is SUM_LIKE:
                g, like = args
                out.append(f"{ind}{v} = {g} if {g}.shape == {like}.shape else {call}")
            else:
                out.append(f"{ind}{v} = {call}")
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(p.kind)
        if meas and p.kind in (OP, FUSED, MATMUL_FUSED, REDUCE_FUSED):
            # what the run allocates (variables, feeds and constants are not counted)
            out.append(f"{ind}_m.add({k}, {v}, ({a}{',' if a else ''}))")
        if rec:
            out.append(f"{ind}_m[{k}] = {v}")
            continue
        if meas:
            for r in mem.dies_after.get(k, ()):
                out.append(f"{ind}_m.drop({r})")
        for r in mem.release_after.get(k, ()):
            out.append(f"{ind}if pool is not None: _rel(pool, v{r})")
            out.append(f"{ind}del v{r}")
        for r in mem.release_before.get(k, ()):
            out.append(f"{ind}del v{r}")
        for r in mem.drop_after.get(k, ()):
            out.append(f"{ind}del v{r}")
    out.append(f"{ind}return _r" if final is not None else f"{ind}return [{', '.join(rets)}]")
    out.append("    except Exception as _e:")
    out.append("        _fail(_e, _i)")
    out.append("        raise")
    return "\n".join(out) + "\n"
