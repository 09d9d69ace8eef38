"""Rebuild the part of a graph between some values and some outputs with those values replaced.

The copy applies the same primitives with the same parameters to the new operands, so a model
built once on a placeholder can be evaluated on other tensors (path points of integrated
gradients, occluded copies) inside the same graph: the graph style's way of calling a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .ir import GraphError, Value


def replay(
    outputs: Sequence[Value],
    mapping: dict[int, Any],
    rewrite: Callable[[Any, Any], Any] | None = None,
) -> list:
    """`outputs` recomputed with each value whose id is a key of `mapping` replaced.

    `rewrite(node, new_output)`, when given, may return a substitute for a rebuilt node's output
    (e.g. a rescaled nonlinearity); None keeps it.
    """
    if not outputs:
        return []
    g = outputs[0].graph
    memo: dict[int, Any] = dict(mapping)
    last = max(o.node.index for o in outputs)
    for node in g.nodes[: last + 1]:
        out = node.output
        if id(out) in memo:
            continue
        if not any(id(i) in memo for i in node.inputs):
            continue
        if node.kind != "op":
            raise GraphError(
                f"explain: the model's graph holds the stateful node '{node.name}' "
                f"({node.kind}) between its inputs and its output; it cannot be re-evaluated "
                "on other inputs"
            )
        new = g.apply(node.prim, [memo.get(id(i), i) for i in node.inputs], node.params)
        if rewrite is not None:
            sub = rewrite(node, new)
            if sub is not None:
                new = sub
        memo[id(out)] = new
    return [memo.get(id(o), o) for o in outputs]
