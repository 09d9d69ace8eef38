"""Graphviz DOT text of a graph: one box per op (name, type, shape), data and control edges."""

from __future__ import annotations

from typing import Any

from .tensor import Operation


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_FILLS = {"Placeholder": "lightblue", "VariableV2": "khaki", "Const": "lightgrey"}


def graph_to_dot(graph: Any, name: str = "duograd") -> str:
    """The graph as DOT text (render it with `dot -Tsvg`)."""
    lines = [f"digraph {_quote(name)} {{", "  rankdir=TB;", "  node [shape=box, fontsize=10];"]
    for node in graph.nodes:
        op = Operation.of(node)
        label = f"{node.name}\\n{op.type}"
        out = node.output
        if out is not None and not node.attrs.get("no_output"):
            label += f"\\n{out.shape} {out.dtype.name}"
        fill = _FILLS.get(op.type, "white")
        label_q = '"' + label.replace('"', '\\"') + '"'
        lines.append(f"  n{node.index} [label={label_q}, style=filled, fillcolor={fill}];")
    for node in graph.nodes:
        for v in node.inputs:
            lines.append(f"  n{v.node.index} -> n{node.index};")
        for c in node.control_inputs:
            lines.append(f"  n{c.index} -> n{node.index} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"
