"""Pruning: keep only the nodes the fetches and targets need, and lower them to plan steps.

This pass always runs: it is what makes a plan a plan (a graph may hold placeholders nobody fed
and branches nobody asked for). A fed value cuts the walk: its producers are not needed.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import Graph, Node, Value
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
    is_random,
)  # fmt: skip


def needed_nodes(fetch_nodes: Sequence[Node], fed: set[Value]) -> list[Node]:
    """The nodes the given ones depend on (inputs and control inputs), in creation order."""
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


def prune(
    graph: Graph, fetches: Sequence[Value], feeds: Sequence[Value], targets: Sequence[Node]
) -> PlanGraph:
    """Build the plan IR of one signature from the nodes it needs."""
    pg = PlanGraph(feeds)
    fed = set(pg.feeds)
    nodes = needed_nodes([v.node for v in fetches] + list(targets), fed)
    pg.graph_size = len(graph.nodes)
    pg.needed = len(nodes)
    pg.ir_nodes = nodes
    pg.unfed = [n for n in nodes if n.kind == "placeholder" and n.output not in fed]
    vm = pg.value_map
    for i, v in enumerate(pg.feeds):
        p = PNode(FEED, v.node)
        p.feed_index = i
        p.name = v.node.name
        vm[v] = p
    for node in nodes:
        v = node.output
        if v in fed:
            continue
        if node.kind == "const":
            p = PNode(CONST, node)
            p.value = node.params["value"]
        elif node.kind == "placeholder":
            p = PNode(PLACEHOLDER, node)
        elif node.kind == "variable":
            p = PNode(VARIABLE, node)
            p.key = node.params["key"]
        elif node.kind == "effect":
            p = PNode(EFFECT, node, [vm[x] for x in node.inputs])
        else:
            p = PNode(OP, node, [vm[x] for x in node.inputs])
        vm[v] = p
        pg.nodes.append(p)
    pg.fetches = [vm[v] for v in fetches]
    pg.targets = [vm[n.output] for n in targets]
    # nodes read by another needed node (the others are needed only as control dependencies)
    pg.read = {id(v.node) for n in nodes for v in n.inputs}
    pg.before = [_line(p) for p in pg.nodes]
    pg.note("prune", "kept", None, f"{pg.needed} of {pg.graph_size} graph nodes are needed")
    return pg


def _line(p: PNode) -> str:
    ins = ", ".join(i.name for i in p.inputs)
    shape = "(" + ", ".join("?" if d is None else str(d) for d in p.shape) + ")"
    return f"{p.name} = {p.what}({ins}) -> {shape} {p.dtype}"


def drop_dead(pg: PlanGraph) -> None:
    """Drop computations the passes left unread (e.g. a value now read only for its static
    shape, such as a loss whose gradient is fetched but not the loss itself).

    Only pure computations that some needed node used to read go: a node needed only as a
    control dependency stays, and so do random draws (they advance the shared stream).
    """
    readers: dict[int, int] = {}
    for n in pg.nodes:
        for i in n.inputs:
            readers[id(i)] = readers.get(id(i), 0) + 1
    keep_ids = {id(n) for n in pg.fetches} | {id(n) for n in pg.targets}
    dead: set[int] = set()
    for n in reversed(pg.nodes):
        if (
            n.kind in (OP, FUSED, MATMUL_FUSED, REDUCE_FUSED)
            and readers.get(id(n), 0) == 0
            and id(n) not in keep_ids
            and n.node is not None
            and id(n.node) in pg.read
            and not (n.kind == OP and is_random(n.prim))
        ):
            dead.add(id(n))
            pg.note("prune", "dropped", n, "nothing reads its value any more")
            for i in n.inputs:
                readers[id(i)] -= 1
    if not dead:
        return
    pg.nodes = [n for n in pg.nodes if id(n) not in dead]
    for v, n in list(pg.value_map.items()):
        if id(n) in dead:
            del pg.value_map[v]
