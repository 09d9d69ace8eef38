"""matmul + bias add + activation: a matmul whose only reader is a fused elementwise group of its
own shape becomes one step that runs the matmul into a buffer and the group over it in place.

The product is computed by the same matmul kernel (any output buffer gives the same bits), and
the group's generated kernel reads each element of the product before writing that element, so
`relu(x @ w + b)` (and `relu_grad(h, g @ w.T)` on the way back) matches the unfused
matmul -> add -> relu to the bit while skipping one buffer and one pass over memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..primitives.linalg import MATMUL
from .program import FUSED, MATMUL_FUSED, OP, PlanGraph, PNode


@dataclass
class Epilogue:
    """What a fused matmul step runs after the product."""

    mm_node: object  # the matmul IR node
    transpose_a: bool
    transpose_b: bool
    members: list  # the group's IR nodes
    program: tuple
    in_dtypes: list
    at: int  # operand position of the product in the group's program
    checked: bool  # the group has dims unknown until run time
    mm_checked: bool

    @property
    def what(self) -> str:
        """The group's ops, for descriptions."""
        return "[" + ", ".join(m.prim.name for m in self.members) + "]"


def fuse_matmul_epilogues(pg: PlanGraph) -> None:
    """Merge each matmul into the fused group that is its only reader, when shapes agree."""
    consumers = pg.consumers()
    outs = pg.outputs() | {id(t) for t in pg.targets}
    mapping: dict[int, PNode] = {}
    drop: list[PNode] = []
    for g in pg.nodes:
        if g.kind != FUSED:
            continue
        for at, m in enumerate(g.inputs):
            if m.kind != OP or m.prim is not MATMUL or id(m) in mapping:
                continue
            cons = consumers.get(id(m), [])
            if id(m) in outs or len(cons) != 1:
                pg.note("matmul_bias_act", "refused", m, "the product is used elsewhere")
                continue
            if m.shape != g.shape or m.dtype != g.dtype:
                pg.note("matmul_bias_act", "refused", m,
                        f"the group's shape {g.shape} is not the product's {m.shape}")  # fmt: skip
                continue
            if sum(1 for i in g.inputs if i is m) != 1:
                continue
            others = [i for i in g.inputs if i is not m]
            ep = Epilogue(
                mm_node=m.node,
                transpose_a=bool(m.params["transpose_a"]),
                transpose_b=bool(m.params["transpose_b"]),
                members=g.members,
                program=g.program,
                in_dtypes=[i.dtype for i in g.inputs],
                at=at,
                checked=bool(g.group),
                mm_checked=any(d is None for i in m.inputs for d in i.shape),
            )
            step = PNode(MATMUL_FUSED, g.node, list(m.inputs) + others)
            step.members = [m.node] + list(g.members)
            step.group = ep
            step.origin = "matmul_bias_act"
            step.name = g.name
            step.shape, step.dtype = g.shape, g.dtype
            mapping[id(g)] = step
            drop.append(m)
            pg.note("matmul_bias_act", "fused", m, f"matmul with {ep.what} in place",
                    group=g.name)  # fmt: skip
            break
    if not mapping:
        return
    pg.nodes = [mapping.get(id(n), n) for n in pg.nodes]
    gone = {id(m) for m in drop}
    for v, n in list(pg.value_map.items()):
        if id(n) in gone:
            del pg.value_map[v]
    pg.replace(mapping, drop)
