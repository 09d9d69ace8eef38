"""Grouping and ordering ops: `tf.group`, `tf.no_op`, `tf.control_dependencies`, `tf.tuple`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...core.ir import Value
from ...core.primitives.registry import AVal
from .graph import Graph, _node_of, get_default_graph, graph_of
from .tensor import Operation

_NO_OUTPUT = AVal((), np.dtype(np.bool_))


def _noop_effect(state):
    return None, {}


def noop_node(g: Graph, name: str, deps: list, type_name: str = "NoOp") -> Operation:
    """An op that does nothing but run after `deps` (nodes)."""
    v = g._add("effect", None, {"reads": ()}, (), _NO_OUTPUT, name, _noop_effect)
    node = v.node
    extra = [d for d in deps if d not in node.control_inputs]
    node.control_inputs = tuple(node.control_inputs) + tuple(extra)
    node.attrs["no_output"] = True
    node.attrs["type"] = type_name
    return Operation.of(node)


def _flatten(items: Any) -> list:
    out: list = []
    for x in items:
        if isinstance(x, (list, tuple)):
            out.extend(_flatten(x))
        elif x is not None:
            out.append(x)
    return out


def group(*inputs: Any, name: str | None = None) -> Operation:
    """An op that runs all `inputs` (ops or tensors) and has no output."""
    items = _flatten(inputs)
    g = graph_of(*[i for i in items if isinstance(i, Value)]) if items else get_default_graph()
    for i in items:
        if isinstance(i, Operation) and i.graph is not g:
            raise ValueError(f"group: {i!r} is from another graph")
    deps = [_node_of(i, g) for i in items]
    return noop_node(g, name or "group_deps", deps)


def no_op(name: str | None = None) -> Operation:
    """An op that does nothing."""
    return noop_node(get_default_graph(), name or "NoOp", [])


@contextlib.contextmanager
def control_dependencies(control_inputs: Any) -> Iterator[None]:
    """Ops made inside run only after `control_inputs` have run (None clears outer ones)."""
    g = get_default_graph()
    if control_inputs is not None:
        found = [c for c in control_inputs if isinstance(c, Value)]
        if found:
            g = graph_of(*found)
    with g.control_dependencies(control_inputs):
        yield


def tuple_(tensors: Any, name: str | None = None, control_inputs: Any = None) -> list:
    """The tensors, each readable only after all of them (and `control_inputs`) have run."""
    from . import array_ops

    items = list(tensors)
    deps = [t for t in items if t is not None] + list(control_inputs or [])
    with control_dependencies(deps):
        return [None if t is None else array_ops.identity(t) for t in items]
