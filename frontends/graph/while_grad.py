"""Gradients through `tf.while_loop`: a reverse sweep over the iterations the loop ran.

The loop's forward node records the loop variables entering each iteration (only once a
gradient through it has been asked for). The body's own gradient is built once, with the
graph's reverse sweep, on the body's placeholders plus one cotangent placeholder per floating
loop variable; at run time a gradient node runs that sub-plan over the recorded iterations in
reverse order, carrying the loop variables' cotangents back and summing the cotangents of the
values the body captures from outside (weights, fed tensors). Loops inside the body are
differentiated the same way, recursively.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.ir import Value
from ...core.primitives.registry import AVal
from . import array_ops as A
from .shapes import is_unknown_rank


def _floating(v: Value) -> bool:
    return np.dtype(getattr(v.dtype, "np_dtype", v.dtype)).kind == "f"


class LoopRecord:
    """What a gradient needs of one while loop: its placeholders, body outputs and plans."""

    def __init__(self, g, phs: list, outs: list, step: Any, init: list, packed: Value) -> None:
        self.g, self.phs, self.outs, self.step, self.init = g, phs, outs, step, init
        self.packed = packed
        self.record = False  # set when a gradient is built: the forward keeps its iterations
        self.back: Any = None  # (sub-plan, float indices, differentiable cap indices)

    @property
    def inputs(self) -> list:
        """The values a gradient may flow to: the initial loop variables, then the body's
        captured values."""
        return list(self.init) + list(self.step.caps)

    def exit_prim(self, k: int) -> Any:
        """The sweep's primitive for output k."""
        return _ExitPrim(self, k)

    def backward_plan(self) -> Any:
        """Build (once) the body's gradient: cotangents of the loop variables and captures."""
        if self.back is not None:
            return self.back
        from .control_flow_more import _SubPlan
        from .gradients import gradients

        self.record = True
        fl = [j for j, p in enumerate(self.phs) if _floating(p)]
        caps = self.step.caps
        dc = [c for c, v in enumerate(caps) if _floating(v)]
        g = self.g
        with g.name_scope(self.packed.node.name + "_grad"):
            cts = [A.placeholder(self.phs[j].dtype, _shape(self.phs[j]), f"ct_{j}") for j in fl]
            xs = [self.phs[j] for j in fl] + [caps[c] for c in dc]
            grads = gradients([self.outs[j] for j in fl], xs, grad_ys=cts) if fl else []
        live = [k for k, gr in enumerate(grads) if gr is not None]
        sub = _SubPlan(g, list(self.phs) + cts, [grads[k] for k in live]) if live else None
        self.back = (sub, fl, dc, live)
        return self.back


class _ExitPrim:
    """The sweep's view of one loop output: its VJP runs the loop's reverse sweep."""

    nondiff: frozenset = frozenset()
    cotangent_at = None

    def __init__(self, loop: LoopRecord, k: int) -> None:
        self.loop, self.k, self.name = loop, k, "While"

    def vjp(self, g: Value, output: Value, *inputs: Value, wants: tuple) -> list:
        """Cotangents of the loop's inputs given the cotangent `g` of output k."""
        loop, k = self.loop, self.k
        sub, fl, dc, live = loop.backward_plan()
        n_init = len(loop.init)
        if sub is None or k not in fl:
            return [None] * len(inputs)
        kf = fl.index(k)
        n_fl = len(fl)
        caps_idx = [n_init + c for c in dc]

        def run(state, box, gk, *capvals):
            hist = box.history
            finals = list(box.items)
            ct = [np.zeros_like(np.asarray(finals[j])) for j in fl]
            ct[kf] = np.asarray(gk, dtype=ct[kf].dtype).reshape(ct[kf].shape)
            acc: list = [None] * len(dc)
            for t in range(len(hist) - 1, -1, -1):
                outs = sub(state, list(hist[t]) + ct, capvals)
                got: list = [None] * (n_fl + len(dc))
                for pos, o in zip(live, outs, strict=True):
                    got[pos] = np.array(o, copy=True)
                ct = [
                    got[i] if got[i] is not None else np.zeros_like(np.asarray(hist[t][j]))
                    for i, j in enumerate(fl)
                ]
                for c in range(len(dc)):
                    d = got[n_fl + c]
                    if d is not None:
                        acc[c] = d if acc[c] is None else acc[c] + d
            res = list(ct)
            for c in range(len(dc)):
                like = box.caps[dc[c]]
                res.append(np.zeros_like(like) if acc[c] is None else acc[c])
            return res

        gr = loop.g
        packed = loop.packed
        avals = [AVal(tuple(inputs[j].shape), _np(inputs[j])) for j in fl]
        avals += [AVal(tuple(inputs[i].shape), _np(inputs[i])) for i in caps_idx]
        from .control_flow_more import _loop_node

        picks = _loop_node(gr, packed.node.name + "_grad", [packed, g] + list(sub.caps), run, avals)
        out: list = [None] * len(inputs)
        for i, j in enumerate(fl):
            out[j] = picks[i] if wants[j] else None
        for c, ci in enumerate(caps_idx):
            out[ci] = picks[n_fl + c] if wants[ci] else None
        return out


def _shape(v: Value) -> list | None:
    """The static shape of a loop variable's placeholder as a placeholder shape."""
    return None if is_unknown_rank(v.shape) else list(v.shape)


def _np(v: Value) -> np.dtype:
    return np.dtype(getattr(v.dtype, "np_dtype", v.dtype))


class ExitNode:
    """A loop output as a node of the reverse sweep (see core.autodiff.SweepNode)."""

    __slots__ = ("prim", "params", "inputs", "output", "input_keys", "output_key", "index")

    def __init__(self, node: Any, loop: LoopRecord, k: int) -> None:
        self.prim = loop.exit_prim(k)
        self.params: dict = {}
        self.inputs = tuple(loop.inputs)
        self.input_keys = self.inputs
        self.output = node.output
        self.output_key = node.output
        self.index = node.index


def sweep_nodes(nodes: list, stops: set) -> list:
    """The graph's op nodes plus, for each differentiable while loop, one node per output."""
    out = []
    for n in nodes:
        if n.kind == "op":
            if id(n.output) not in stops:
                out.append(n)
        elif n.kind == "effect" and "loop_exit" in n.attrs and id(n.output) not in stops:
            loop, k = n.attrs["loop_exit"]
            out.append(ExitNode(n, loop, k))
    return out


def history_of(vals: list) -> list:
    """Copies of one iteration's loop variables (plans reuse their output buffers)."""
    return [np.array(v, copy=True) for v in vals]
