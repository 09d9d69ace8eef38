"""``tf.import_traced``: a traced eager module built into the default graph.

``torch.jit.trace`` captures an eager module as core operations; this builds the same
operations in a TF1-style graph: a placeholder per input, a variable per parameter or buffer
(named by its state-dict name, initialised to its value), constants for the rest. The graph
computes the eager module's bits; ``Session.run``, ``tf.gradients``, optimizers and
``tf.train.Saver`` work on it as on any graph. (A file written by ``torch.jit.save`` is read
back with ``torch.jit.load`` first.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.primitives.registry import REGISTRY, bind
from .array_ops import placeholder
from .convert import constant
from .variables import Variable


def import_traced(traced: Any, name: str | None = None) -> tuple[list, Any]:
    """(input placeholders, outputs as the module returns them) of a traced eager module."""
    spec_of = getattr(traced, "graph_spec", None)
    if spec_of is None:
        raise TypeError(
            "import_traced: expected a module made by torch.jit.trace (or torch.jit.load), got "
            f"{type(traced).__name__}"
        )
    spec = spec_of()
    prefix = f"{name}/" if name else ""
    inputs = [
        placeholder(np.dtype(dt), tuple(shape), name=f"{prefix}input_{i}")
        for i, (shape, dt) in enumerate(spec["inputs"])
    ]
    variables: dict = {}
    values: list = []

    def operand(r: list) -> Any:
        kind = r[0]
        if kind == "in":
            return inputs[r[1]]
        if kind == "state":
            v = variables.get(r[1])
            if v is None:
                arr = np.array(spec["state"][r[1]], copy=True)
                v = variables[r[1]] = Variable(arr, trainable=bool(r[2]), name=prefix + r[1])
            return v
        if kind == "const":
            return constant(spec["consts"][r[1]])
        return values[r[1]]

    for n in spec["nodes"]:
        prim = REGISTRY[n["op"]]
        values.append(bind(prim, *[operand(r) for r in n["ins"]], **n["params"]))
    outs = {tid: operand(r) for tid, r in spec["outputs"].items()}
    return inputs, _result(spec["result"], inputs, outs)


def _result(tree: Any, inputs: list, outs: dict) -> Any:
    if isinstance(tree, tuple):
        return tuple(_result(x, inputs, outs) for x in tree)
    ((kind, body),) = tree.items()
    if kind == "out":
        return outs[body]
    if kind == "in":
        return inputs[body]
    if kind == "list":
        return [_result(x, inputs, outs) for x in body]
    return {k: _result(v, inputs, outs) for k, v in body.items()}
