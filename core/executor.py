"""Compiles (fetches, feeds) of a graph into a flat plan once, then runs it many times.

A plan is a list of steps over numbered slots: no graph walking, no shape rules (except on
nodes whose static shape has unknown dims), no dict look-ups by name at run time. Stateful
nodes return their writes; the run commits them only when every step succeeded, so a run that
fails leaves every variable as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .ir import Graph, Node, Value


class UninitializedError(RuntimeError):
    """A variable was read before it was given a value."""


class PlanError(RuntimeError):
    """A step of a plan failed; the message names the node."""


def _needed_nodes(fetch_nodes: Sequence[Node], fed: set[Value]) -> list[Node]:
    seen: set[int] = set()
    stack = list(fetch_nodes)
    out: list[Node] = []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        if node.output in fed:
            continue
        for v in node.inputs:
            stack.append(v.node)
        stack.extend(node.control_inputs)
    out.sort(key=lambda n: n.index)
    return out


def _has_unknown(node: Node) -> bool:
    return any(d is None for v in node.inputs for d in v.shape)


# kernels that may hand back (a view of) an input: a fetched result from one of them is copied,
# so a caller writing into a fetched array can never change a variable, a constant or a feed
_MAY_ALIAS = frozenset(
    {
        "reshape", "reshape_like", "expand_dims", "squeeze", "transpose", "broadcast_like",
        "broadcast_to", "getitem", "stop_gradient", "sum_like", "identity",
    }
)  # fmt: skip


def _may_alias(node: Node) -> bool:
    if node.kind != "op":
        return True  # constants, variables, feeds and effect outputs are shared arrays
    if node.prim.name in _MAY_ALIAS or node.prim.tags.get("may_alias"):
        return True
    return node.params.get("axes", None) == ()  # a reduction over no axes may return x


class Plan:
    """A compiled schedule for one (fetches, feeds) signature of one graph."""

    def __init__(
        self,
        graph: Graph,
        fetches: Sequence[Value],
        feeds: Sequence[Value],
        targets: Sequence[Node] = (),
    ) -> None:
        self.graph = graph
        self.version = graph.version
        self.feeds = tuple(feeds)
        fed = set(self.feeds)
        nodes = _needed_nodes([v.node for v in fetches] + list(targets), fed)
        self.nodes = nodes
        # placeholders the fetches need but nobody fed (the caller reports them before running)
        self.unfed = [n for n in nodes if n.kind == "placeholder" and n.output not in fed]
        slot: dict[Value, int] = {}
        for i, v in enumerate(self.feeds):
            slot[v] = i
        n = len(self.feeds)
        self.consts: list[tuple[int, np.ndarray]] = []
        # a step is (kind, fn, params, input slots, output slot, node); fn is the kernel, the
        # effect, or the state key of a variable read
        steps: list[tuple] = []
        for node in nodes:
            v = node.output
            if v in fed:
                continue
            slot[v] = n
            n += 1
            out = slot[v]
            if node.kind == "const":
                self.consts.append((out, node.params["value"]))
            elif node.kind == "placeholder":
                steps.append((_UNFED, None, None, (), out, node))
            elif node.kind == "variable":
                steps.append((_VAR, node.params["key"], None, (), out, node))
            elif node.kind == "effect":
                ins = tuple(slot[x] for x in node.inputs)
                steps.append((_EFFECT, node.effect, None, ins, out, node))
            else:
                kind = _CHECKED if _has_unknown(node) else _OP
                ins = tuple(slot[x] for x in node.inputs)
                steps.append((kind, node.prim.impl, node.params, ins, out, node))
        self.steps = steps
        self.nslots = n
        # run-time shape signatures each checked step has already validated
        self._checked: dict[int, set] = {st[5].index: set() for st in steps if st[0] is _CHECKED}
        self.fetch_slots = tuple(slot[v] for v in fetches)
        seen: set[int] = set()
        copy = []
        for v in fetches:
            s = slot[v]
            # fetch copies: shared arrays, and the second fetch of one value
            copy.append(s in seen or v in fed or _may_alias(v.node))
            seen.add(s)
        self.fetch_copy = tuple(copy)

    def run(
        self, feed_values: Sequence[np.ndarray], state: dict, lock: threading.Lock | None = None
    ) -> list:
        """Execute: returns the fetched arrays; commits state writes only on success."""
        slots: list[Any] = [None] * self.nslots
        slots[: len(feed_values)] = feed_values
        for i, arr in self.consts:
            slots[i] = arr
        writes: dict = {}
        step = None
        try:
            for step in self.steps:
                kind, fn, params, ins, out, node = step
                if kind is _OP:
                    if len(ins) == 2:
                        slots[out] = fn(slots[ins[0]], slots[ins[1]], **params)
                    else:
                        slots[out] = fn(*[slots[i] for i in ins], **params)
                elif kind is _VAR:
                    # a read sees this run's earlier writes (ordered by control dependencies)
                    if fn in writes:
                        slots[out] = writes[fn]
                        continue
                    try:
                        slots[out] = state[fn]
                    except KeyError:
                        raise UninitializedError(
                            f"attempting to use uninitialized variable '{node.name}': run its "
                            "initializer (e.g. global_variables_initializer()) first"
                        ) from None
                elif kind is _CHECKED:
                    args = [slots[i] for i in ins]
                    # the rule runs once per new combination of run-time shapes (the dtypes
                    # are static), so a training loop with a fixed batch size pays it once
                    sig = tuple([np.shape(a) for a in args])
                    seen = self._checked[node.index]
                    if sig not in seen:
                        node.prim.shape_rule(*args, **params)
                        if len(seen) < _MAX_SHAPES:
                            seen.add(sig)
                    slots[out] = fn(*args, **params)
                elif kind is _EFFECT:
                    view = _StagedState(state, writes)
                    slots[out], w = fn(view, *[slots[i] for i in ins])
                    writes.update(w)
                else:
                    raise PlanError(
                        f"placeholder '{node.name}' must be fed: pass a value for it in feed_dict"
                    )
        except (UninitializedError, PlanError):
            raise
        except Exception as e:
            if step is not None and not getattr(e, "_dg_named", False):
                node = step[5]
                try:
                    first = e.args[0] if e.args else e
                    e.args = (f"{first} (while running node '{node.name}')",) + e.args[1:]
                    e._dg_named = True
                except Exception:
                    pass
            raise
        if writes:
            if lock is not None:
                with lock:
                    state.update(writes)
            else:
                state.update(writes)
        return [
            np.array(slots[s], copy=True) if c and slots[s] is not None else slots[s]
            for s, c in zip(self.fetch_slots, self.fetch_copy, strict=False)
        ]


_OP, _VAR, _CHECKED, _EFFECT, _UNFED = "op", "var", "checked", "effect", "unfed"
_MAX_SHAPES = 16


class _StagedState:
    """State as a stateful node sees it: its own earlier writes in this run, else the committed."""

    __slots__ = ("base", "writes")

    def __init__(self, base: dict, writes: dict) -> None:
        self.base = base
        self.writes = writes

    def __getitem__(self, key):
        if key in self.writes:
            return self.writes[key]
        try:
            return self.base[key]
        except KeyError:
            raise UninitializedError(
                f"attempting to use uninitialized variable {key!r}: run its initializer first"
            ) from None

    def __contains__(self, key) -> bool:
        return key in self.writes or key in self.base
