"""Gradients through `tf.map_fn` over a length known only when run: the body's gradient (built
once by the graph's reverse sweep) runs row by row, the rows' input cotangents are stacked and
the cotangents of the values the body captures from outside are summed."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.ir import Value
from ...core.primitives.registry import AVal
from . import array_ops as A
from .while_grad import _floating, _np, _shape


class MapRecord:
    """What a gradient needs of one run-time map: its row placeholders, body outputs, plan."""

    def __init__(self, g, phs: list, outs: list, sub: Any, elems: list) -> None:
        self.g, self.phs, self.outs, self.sub, self.elems = g, phs, outs, sub, elems
        self.back: Any = None
        self.results: list = []  # the stacked outputs (their rows shape the zero cotangents)

    @property
    def inputs(self) -> list:
        """The elems, then the body's captured values."""
        return list(self.elems) + list(self.sub.caps)

    def exit_prim(self, k: int) -> Any:
        """The sweep's primitive for output k."""
        return _MapExitPrim(self, k)

    def backward_plan(self) -> Any:
        """Build (once) the body's gradient for one row."""
        if self.back is not None:
            return self.back
        from .control_flow_more import _SubPlan
        from .gradients import gradients

        fo = [j for j, o in enumerate(self.outs) if _floating(o)]
        fe = [i for i, p in enumerate(self.phs) if _floating(p)]
        caps = self.sub.caps
        dc = [c for c, v in enumerate(caps) if _floating(v)]
        g = self.g
        with g.name_scope(self.outs[0].node.name.split("/")[0] + "_grad"):
            cts = [A.placeholder(self.outs[j].dtype, _shape(self.outs[j]), f"ct_{j}") for j in fo]
            xs = [self.phs[i] for i in fe] + [caps[c] for c in dc]
            grads = gradients([self.outs[j] for j in fo], xs, grad_ys=cts) if fo and xs else []
        live = [k for k, gr in enumerate(grads) if gr is not None]
        plan = _SubPlan(g, list(self.phs) + cts, [grads[k] for k in live]) if live else None
        self.back = (plan, fo, fe, dc, live)
        return self.back


class _MapExitPrim:
    """The sweep's view of one stacked map output: its VJP runs the body's gradient per row."""

    nondiff: frozenset = frozenset()
    cotangent_at = None

    def __init__(self, rec: MapRecord, k: int) -> None:
        self.rec, self.k, self.name = rec, k, "MapFn"

    def vjp(self, g: Value, output: Value, *inputs: Value, wants: tuple) -> list:
        """Cotangents of the elems and the captured values given that of output k."""
        rec, k = self.rec, self.k
        plan, fo, fe, dc, live = rec.backward_plan()
        if plan is None or k not in fo:
            return [None] * len(inputs)
        kf, n_el, n_fe = fo.index(k), len(rec.elems), len(fe)

        n_cap, n_pc = len(rec.sub.caps), len(plan.caps)

        def run(state, gk, *arrays):
            # the elems, the body's captured values, the backward plan's, the map's outputs
            elems, capvals = arrays[:n_el], arrays[n_el : n_el + n_cap]
            plan_caps = arrays[n_el + n_cap : n_el + n_cap + n_pc]
            results = arrays[n_el + n_cap + n_pc :]
            n = len(elems[0])
            gk = np.asarray(gk)
            rows: list = [[] for _ in fe]
            acc: list = [None] * len(dc)
            for r in range(n):
                row = [np.asarray(e[r]) for e in elems]
                ct = [np.zeros_like(np.asarray(results[j][r])) for j in fo]
                ct[kf] = np.asarray(gk[r], dtype=ct[kf].dtype).reshape(ct[kf].shape)
                outs = plan(state, row + ct, plan_caps)
                got: list = [None] * (n_fe + len(dc))
                for pos, o in zip(live, outs, strict=True):
                    got[pos] = np.array(o, copy=True)
                for i, e in enumerate(fe):
                    rows[i].append(got[i] if got[i] is not None else np.zeros_like(row[e]))
                for c in range(len(dc)):
                    d = got[n_fe + c]
                    if d is not None:
                        acc[c] = d if acc[c] is None else acc[c] + d
            res = []
            for i, e in enumerate(fe):
                like = np.asarray(elems[e])
                res.append(np.stack(rows[i]) if n else np.zeros_like(like))
            for c in range(len(dc)):
                like = np.asarray(capvals[dc[c]])
                res.append(np.zeros_like(like) if acc[c] is None else acc[c])
            return res

        from .control_flow_more import _loop_node

        idx = fe + [n_el + c for c in dc]
        avals = [AVal(tuple(inputs[i].shape), _np(inputs[i])) for i in idx]
        picks = _loop_node(
            rec.g, "map_grad", [g, *rec.elems, *rec.sub.caps, *plan.caps, *rec.results], run, avals
        )
        out: list = [None] * len(inputs)
        for p, i in zip(picks, idx, strict=True):
            out[i] = p if wants[i] else None
        return out
