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


class Plan:
    """A compiled schedule for one (fetches, feeds) signature of one graph."""

    def __init__(self, graph: Graph, fetches: Sequence[Value], feeds: Sequence[Value],
                 targets: Sequence[Node] = ()) -> None:
        self.graph = graph
        self.version = graph.version
        self.feeds = tuple(feeds)
        fed = set(self.feeds)
        nodes = _needed_nodes([v.node for v in fetches] + list(targets), fed)
        self.nodes = nodes
        slot: dict[Value, int] = {}
        for i, v in enumerate(self.feeds):
            slot[v] = i
        n = len(self.feeds)
        self.consts: list[tuple[int, np.ndarray]] = []
        steps: list[tuple] = []
        for node in nodes:
            v = node.output
            if v in fed:
                continue
            slot[v] = n
            n += 1
            if node.kind == "const":
                self.consts.append((slot[v], node.params["value"]))
            elif node.kind == "placeholder":
                steps.append(("unfed", node, (), slot[v]))
            elif node.kind == "variable":
                steps.append(("var", node, node.params["key"], slot[v]))
            elif node.kind == "effect":
                steps.append(("effect", node, tuple(slot[x] for x in node.inputs), slot[v]))
            else:
                kind = "checked" if _has_unknown(node) else "op"
                steps.append((kind, node, tuple(slot[x] for x in node.inputs), slot[v]))
        self.steps = steps
        self.nslots = n
        self.fetch_slots = tuple(slot[v] for v in fetches)

    def run(self, feed_values: Sequence[np.ndarray], state: dict, lock: threading.Lock | None = None) -> list:
        """Execute: returns the fetched arrays; commits state writes only on success."""
        slots: list[Any] = [None] * self.nslots
        slots[: len(feed_values)] = feed_values
        for i, arr in self.consts:
            slots[i] = arr
        writes: dict = {}
        step = None
        try:
            for step in self.steps:
                kind, node, ins, out = step
                if kind == "op":
                    slots[out] = node.prim.impl(*[slots[i] for i in ins], **node.params)
                elif kind == "var":
                    try:
                        slots[out] = state[ins]
                    except KeyError:
                        raise UninitializedError(
                            f"attempting to use uninitialized variable '{node.name}': run its "
                            "initializer (e.g. global_variables_initializer()) first"
                        ) from None
                elif kind == "checked":
                    args = [slots[i] for i in ins]
                    node.prim.shape_rule(*args, **node.params)
                    slots[out] = node.prim.impl(*args, **node.params)
                elif kind == "effect":
                    view = _StagedState(state, writes)
                    slots[out], w = node.effect(view, *[slots[i] for i in ins])
                    writes.update(w)
                else:
                    raise PlanError(
                        f"placeholder '{node.name}' must be fed: pass a value for it in feed_dict"
                    )
        except (UninitializedError, PlanError):
            raise
        except Exception as e:
            if step is not None and not getattr(e, "_dg_named", False):
                node = step[1]
                try:
                    e.args = (f"{e.args[0] if e.args else e} (while running node '{node.name}')",) + e.args[1:]
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
        return [slots[i] for i in self.fetch_slots]


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
