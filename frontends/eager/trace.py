"""Capturing an eager module's computation as a core IR graph (for ONNX export and TensorBoard).

The module runs once on example inputs while an observer of the one exit every eager operation
leaves through (`dispatch.finish`) records each operation with its primitive, params and
operands, whether or not autograd would record it (``stop_gradient``, integer ops, ops under
``no_grad`` are computations too: a layer norm's detached mean must follow the input). An
in-place write (``relu_``, ``+=``) makes the tensor stand for the value written. Walking back
from the outputs rebuilds the operations they need as nodes of a `core.ir.Graph`: the example
inputs become placeholders, parameters and buffers become named constants, and any other operand
(a mask, an index array, a number) becomes a constant. What does not depend on an input is
captured as its value, as tracing does in PyTorch; values computed outside the core's primitives
are not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.ir import Graph, Value
from . import dispatch
from .grad_mode import no_grad
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


class _Recorder:
    """Every operation run while it watches, with each operand resolved at the time of use to
    ("op", k) / ("input", i) / ("const", array or number)."""

    def __init__(self, leaves: list[Tensor], fixed: set[int]) -> None:
        self.fixed = fixed  # ids of the parameters' and buffers' arrays: read, never copied
        self.ops: list[tuple[Any, dict, list]] = []
        self.keep: list[Any] = []  # what was seen stays alive, so no id() is reused
        self.current: dict[int, tuple] = {id(t): ("input", i) for i, t in enumerate(leaves)}
        self.by_array: dict[int, tuple] = {id(t._data): ("input", i) for i, t in enumerate(leaves)}

    def resolve(self, a: Any) -> tuple:
        if isinstance(a, Tensor):
            ref = self.current.get(id(a)) or self.by_array.get(id(a._data))
            return ref or self._const(a._data)
        if isinstance(a, np.ndarray):
            return self.by_array.get(id(a)) or self._const(a)
        return ("const", a, None)

    def _const(self, arr: np.ndarray) -> tuple:
        # a snapshot, since a later in-place write must not change what this op read
        return ("const", arr if id(arr) in self.fixed else arr.copy(), id(arr))

    def observe(self, prim: Any, params: dict, args: tuple, t: Any) -> None:
        ref = ("op", len(self.ops))
        self.ops.append((prim, params, [self.resolve(a) for a in args]))
        self.keep.append((args, t))
        self.current[id(t)] = ref
        self.by_array[id(t._data)] = ref

    def event(self, kind: str, *details: Any) -> None:
        if kind == "inplace":  # the tensor now holds the written value
            target, res = details
            self.keep.append(details)
            self.current[id(target)] = self.resolve(res)
            self.by_array.pop(id(target._data), None)


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
    param_names = {id(t._data): n for n, t in names.items()}
    leaves = [Tensor._make(a._data.copy()) for a in args]
    rec = _Recorder(leaves, set(param_names))
    prev_event = dispatch._event
    dispatch.add_observer(rec.observe)
    dispatch._event = rec.event
    try:
        with no_grad():
            out = model(*leaves)
    finally:
        dispatch._event = prev_event
        dispatch.remove_observer(rec.observe)
    results = [rec.resolve(o) for o in _flat_outputs(out, op)]

    # the operations the outputs need
    needed: set[int] = set()
    stack = [r[1] for r in results if r[0] == "op"]
    while stack:
        k = stack.pop()
        if k in needed:
            continue
        needed.add(k)
        stack.extend(r[1] for r in rec.ops[k][2] if r[0] == "op")

    g = Graph()
    input_names = list(input_names or [f"input_{i}" for i in range(len(args))])
    placeholders = [
        g.placeholder(t._data.shape, t._data.dtype, name=input_names[i])
        for i, t in enumerate(leaves)
    ]
    consts: dict[int, Value] = {}
    values: dict[int, Value] = {}

    def value(ref: tuple) -> Any:
        kind = ref[0]
        if kind == "op":
            return values[ref[1]]
        if kind == "input":
            return placeholders[ref[1]]
        arr, key = ref[1], ref[2]
        if not isinstance(arr, np.ndarray):
            return arr  # a Python number stays a number, as the op was called
        v = consts.get(key) if key is not None else None
        if v is None:
            v = g.constant(arr, name=param_names.get(key))
            if key is not None:
                consts[key] = v
        return v

    for k in sorted(needed):
        prim, params, ins = rec.ops[k]
        if prim.impl is None:
            raise NotImplementedError(
                f"{op}: the model calls a custom autograd.Function ('{prim.name}'), which "
                "cannot be captured; write it with built-in operations"
            )
        values[k] = g.apply(prim, [value(r) for r in ins], dict(params))
    return Trace(g, placeholders, [value(r) for r in results])
