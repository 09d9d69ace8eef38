"""The plan IR that passes rewrite: the needed nodes of one (fetches, feeds) signature.

The graph itself is append-only and shared by every plan, so passes never touch it: each plan
lowers its needed IR nodes into `PNode`s (one per IR node, in creation order, which is a valid
execution order) and the passes replace, merge and group those. The list order is the run order;
a pass only removes nodes or puts a group at the place of its last member, so every relative
order that matters (variable reads against effects, random draws against each other) is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..ir import Node, Value
from ..primitives.registry import is_unknown_rank

# node kinds of the plan IR
FEED, CONST, PLACEHOLDER, VARIABLE, EFFECT, OP = (
    "feed",
    "const",
    "placeholder",
    "variable",
    "effect",
    "op",
)
FUSED, MATMUL_FUSED, REDUCE_FUSED = "fused", "matmul_fused", "reduce_fused"


def is_random(prim: Any) -> bool:
    """True for a primitive whose kernel draws random numbers (it must run every time, in order)."""
    if prim is None:
        return False
    return prim.random or prim.stateful


class PNode:
    """One step of a plan before lowering: an IR node, a folded constant or a fused group."""

    __slots__ = (
        "kind", "prim", "params", "inputs", "shape", "dtype", "name", "node", "value",
        "effect", "key", "feed_index", "members", "program", "origin", "group", "unknown_rank",
    )  # fmt: skip

    def __init__(self, kind: str, node: Node | None, inputs: Sequence[PNode] = ()) -> None:
        self.kind = kind
        self.node = node  # the IR node whose value this step produces (a group's last member)
        self.prim = node.prim if node is not None else None
        self.params = node.params if node is not None else {}
        self.inputs = list(inputs)
        out = node.output if node is not None else None
        self.shape: tuple = tuple(out.shape) if out is not None else ()
        # a frontend may mark a shape of unknown rank (its dims then mean nothing)
        self.unknown_rank = is_unknown_rank(out.shape) if out is not None else False
        self.dtype = np.dtype(out.dtype) if out is not None else np.dtype(np.float32)
        self.name = node.name if node is not None else "?"
        self.value: np.ndarray | None = None  # const
        self.effect = node.effect if node is not None else None
        self.key = None  # variable state key
        self.feed_index = -1
        self.members: list[Node] = []  # fused: the IR nodes computed inside, in order
        self.program: tuple = ()  # fused: the elementwise program
        self.origin = ""  # the pass that made this step ("fold", "fuse", ...)
        self.group: Any = None  # pass-specific payload (e.g. the epilogue of a matmul step)

    @property
    def what(self) -> str:
        """Short description: the primitive name, or the kind."""
        if self.kind == FUSED:
            return "fused[" + ", ".join(m.prim.name for m in self.members) + "]"
        if self.kind == MATMUL_FUSED:
            return getattr(self.group, "product", "matmul") + "+" + self.group.what
        if self.kind == REDUCE_FUSED:
            *pro, red = self.members
            return f"{red.prim.name}[" + ", ".join(m.prim.name for m in pro) + "]"
        if self.prim is not None:
            return self.prim.name
        return self.kind

    def __repr__(self) -> str:
        return f"<pnode {self.name} ({self.what})>"


class PlanGraph:
    """The needed steps of one signature, plus what the passes did to them."""

    def __init__(self, feeds: Sequence[Value]) -> None:
        self.feeds = tuple(feeds)
        self.nodes: list[PNode] = []
        self.fetches: list[PNode] = []
        self.targets: list[PNode] = []
        self.value_map: dict[Value, PNode] = {}  # every needed IR value -> the step giving it
        self.unfed: list[Node] = []
        self.graph_size = 0  # nodes in the whole graph
        self.needed = 0  # nodes the fetches need (after pruning)
        self.ir_nodes: list[Node] = []  # those nodes, in creation order
        self.read: set[int] = set()  # ids of the IR nodes another needed node reads
        self.log: list[dict] = []  # decisions of the passes, for describe() and tests
        self.before: list[str] = []  # one line per step before the passes

    def note(self, pass_name: str, action: str, node: Any, reason: str = "", **extra: Any) -> None:
        """Record a decision of a pass (what it did or refused, and why)."""
        name = node.name if node is not None else ""
        self.log.append({"pass": pass_name, "action": action, "node": name, "reason": reason,
                         **extra})  # fmt: skip

    def decisions(self, pass_name: str | None = None, action: str | None = None) -> list[dict]:
        """The recorded decisions, filtered by pass and/or action."""
        return [
            d for d in self.log
            if (pass_name is None or d["pass"] == pass_name)
            and (action is None or d["action"] == action)
        ]  # fmt: skip

    def consumers(self) -> dict[int, list[PNode]]:
        """id(step) -> the steps reading it (a step appears once per reading step)."""
        out: dict[int, list[PNode]] = {id(n): [] for n in self.nodes}
        for n in self.nodes:
            seen: set[int] = set()
            for i in n.inputs:
                if id(i) not in seen:
                    seen.add(id(i))
                    out.setdefault(id(i), []).append(n)
        return out

    def outputs(self) -> set[int]:
        """ids of steps whose value leaves the plan (fetched)."""
        return {id(n) for n in self.fetches}

    def replace(self, mapping: dict[int, PNode], drop: Iterable[PNode] = ()) -> None:
        """Point every use of a replaced step at its replacement; drop the given steps."""
        if not mapping and not drop:
            return

        def res(n: PNode) -> PNode:
            while id(n) in mapping:
                n = mapping[id(n)]
            return n

        gone = {id(n) for n in drop} | set(mapping)
        self.nodes = [n for n in self.nodes if id(n) not in gone]
        for n in self.nodes:
            n.inputs = [res(i) for i in n.inputs]
        self.fetches = [res(n) for n in self.fetches]
        self.targets = [res(n) for n in self.targets]
        for v, n in list(self.value_map.items()):
            self.value_map[v] = res(n)
