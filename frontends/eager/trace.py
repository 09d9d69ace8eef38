"""Capturing an eager module's computation as a core IR graph (for ONNX export and TensorBoard).

The module runs once on example inputs that require grad, with grad mode on, so every operation
whose result depends on an input or a parameter is recorded on the autograd tape with its
primitive, params and operands. Walking the tape back from the outputs rebuilds the same
operations as nodes of a `core.ir.Graph`: the example inputs become placeholders, parameters and
buffers become named constants, and any other operand (a mask, an index array, a number)
becomes a constant. What does not depend on an input is captured as its value, as tracing does
in PyTorch; values computed outside the core's primitives are not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.ir import Graph, Value
from . import tape
from .grad_mode import enable_grad
from .tensor import Tensor


@dataclass
class Trace:
    """A captured computation: the graph, its input placeholders and its output values."""

    graph: Graph
    inputs: list[Value]
    outputs: list[Value]


def _flat_outputs(out: Any, op: str) -> list[Tensor]:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        flat = []
        for o in out:
            flat.extend(_flat_outputs(o, op))
        return flat
    raise TypeError(f"{op}: the model returned {type(out).__name__}; expected tensors")


def trace_module(
    model: Any, args: Sequence[Any], op: str = "trace", input_names: Sequence[str] | None = None
) -> Trace:
    """Run `model(*args)` once and capture its operations as a core IR graph."""
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            raise TypeError(f"{op}: example input {i} must be a Tensor, got {type(a).__name__}")
    names = dict(getattr(model, "named_parameters", lambda: [])())
    names.update(dict(getattr(model, "named_buffers", lambda: [])()))
    by_array = {id(t._data): n for n, t in names.items()}
    leaves = [Tensor._make(a._data.copy(), rg=a.is_floating_point()) for a in args]
    with enable_grad():
        out = model(*leaves)
    outs = _flat_outputs(out, op)

    # the tape nodes reachable from the outputs, in creation (topological) order
    seen: dict[int, tape.Node] = {}
    stack = [o._node for o in outs if o._node is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        stack.extend(k for k in n.input_keys if isinstance(k, tape.Node))
    order = sorted(seen.values(), key=lambda n: n.seq)

    g = Graph()
    input_names = list(input_names or [f"input_{i}" for i in range(len(args))])
    placeholders = {
        id(t): g.placeholder(t._data.shape, t._data.dtype, name=input_names[i])
        for i, t in enumerate(leaves)
    }
    consts: dict[int, Value] = {}
    values: dict[int, Value] = {}

    def const(arr: Any) -> Value:
        if not isinstance(arr, np.ndarray):
            return arr  # a Python number stays a number, as the op was called
        v = consts.get(id(arr))
        if v is None:
            name = by_array.get(id(arr))
            v = consts[id(arr)] = g.constant(arr, name=name)
        return v

    def operand(key: Any, arr: Any) -> Any:
        if isinstance(key, tape.Node):
            return values[id(key)]
        if isinstance(key, tape.AccumulateGrad):
            leaf = key.variable
            if id(leaf) in placeholders:
                return placeholders[id(leaf)]
            return const(leaf._data)
        return const(arr)

    for n in order:
        if n.prim.impl is None:
            raise NotImplementedError(
                f"{op}: the model calls a custom autograd.Function ('{n.prim.name}'), which "
                "cannot be captured; write it with built-in operations"
            )
        ins = [operand(k, a) for k, a in zip(n.input_keys, n.inputs, strict=True)]
        values[id(n)] = g.apply(n.prim, ins, dict(n.params))
    results = []
    for o in outs:
        if o._node is not None:
            results.append(values[id(o._node)])
        elif o._acc is not None and id(o._acc.variable) in placeholders:
            results.append(placeholders[id(o._acc.variable)])
        else:
            results.append(const(o._data))
    return Trace(g, [placeholders[id(t)] for t in leaves], results)
