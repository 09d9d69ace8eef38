"""ONNX export of core IR graphs (the `onnx` extra): one exporter for both frontends.

`export_graph` walks the nodes the outputs need, in the graph's (topological) order, and writes
each one with its primitive's rule (`core/primitives/onnx_rules.py`): placeholders become graph
inputs, constants and variables become initializers (named as in the graph, so weights keep
their names), and every op becomes one or a few standard ONNX nodes built with onnx's helpers.
The model is checked with `onnx.checker` before it is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .extras import require
from .ir import Value
from .primitives.onnx_rules import onnx_rule

OPSET = 17


class ExportError(ValueError):
    """A graph that cannot be written as ONNX (an unsupported op, an unfed placeholder...)."""


class _Context:
    """The ONNX nodes and initializers built so far, with fresh names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.helper = onnx.helper
        self.nodes: list = []
        self.inits: list = []
        self.names: dict[Value, str] = {}
        self._used: set[str] = set()
        self._n = 0

    def fresh(self, base: str) -> str:
        name = base
        while name in self._used:
            self._n += 1
            name = f"{base}__{self._n}"
        self._used.add(name)
        return name

    def emit(self, op: str, ins: Sequence[str], **attrs: Any) -> str:
        out = self.fresh(f"{op}_out")
        self.nodes.append(self.helper.make_node(op, list(ins), [out], **attrs))
        return out

    def emit_n(self, op: str, ins: Sequence[str], n: int, **attrs: Any) -> list[str]:
        outs = [self.fresh(f"{op}_out") for _ in range(n)]
        self.nodes.append(self.helper.make_node(op, list(ins), outs, **attrs))
        return outs

    def const(self, arr: np.ndarray, name: str = "const") -> str:
        arr = np.array(arr, order="C")  # (np.ascontiguousarray would make a 0-d array 1-d)
        n = self.fresh(name)
        self.inits.append(self.onnx.numpy_helper.from_array(arr, n))
        return n

    def onnx_dtype(self, dtype: Any) -> int:
        return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def same_dtype(self, node: Any, ins: list[str]) -> list[str]:
        # numbers mixed into an op are constants of the op's dtype in both frontends; cast any
        # operand that is not, since ONNX's arithmetic operators need one dtype
        want = np.dtype(node.output.dtype)
        return [
            i if np.dtype(v.dtype) == want else self.emit("Cast", [i], to=self.onnx_dtype(want))
            for v, i in zip(node.inputs, ins, strict=True)
        ]

    def as_bool(self, v: Value, name: str) -> str:
        if np.dtype(v.dtype) == np.bool_:
            return name
        return self.emit("Cast", [name], to=self.onnx_dtype(np.bool_))


def _needed(outputs: Sequence[Value]) -> list:
    seen, stack = {}, [v.node for v in outputs]
    while stack:
        n = stack.pop()
        if n.index in seen:
            continue
        seen[n.index] = n
        stack.extend(v.node for v in n.inputs)
    return [seen[i] for i in sorted(seen)]


def _value_info(helper: Any, name: str, v: Value, dyn: Mapping[int, str], dtype: Any) -> Any:
    shape = []
    for i, d in enumerate(tuple(v.shape)):
        d = getattr(d, "value", d)
        shape.append(dyn.get(i) or (f"{name}_dim{i}" if d is None else int(d)))
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dtype), shape)


def _dyn(spec: Any) -> dict[int, str]:
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {int(k): str(v) for k, v in spec.items()}
    return {int(k): f"dim{int(k)}" for k in spec}


def export_graph(
    inputs: Sequence[Value],
    outputs: Sequence[Value],
    f: Any,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_axes: Mapping[str, Any] | None = None,
    variable_value: Callable[[Any], np.ndarray] | None = None,
    op: str = "onnx.export",
    producer: str = "duograd",
) -> Any:
    """Write the computation from `inputs` to `outputs` as an ONNX model; returns the model."""
    onnx = require("onnx", "onnx", "ONNX export")
    helper = onnx.helper
    cx = _Context(onnx)
    inputs, outputs = list(inputs), list(outputs)
    input_names = list(input_names or [f"input_{i}" for i in range(len(inputs))])
    output_names = list(output_names or [f"output_{i}" for i in range(len(outputs))])
    if len(input_names) != len(inputs) or len(output_names) != len(outputs):
        raise ExportError(
            f"{op}: {len(inputs)} inputs and {len(outputs)} outputs, but {len(input_names)} "
            f"input_names and {len(output_names)} output_names"
        )
    dynamic_axes = dict(dynamic_axes or {})
    unknown = set(dynamic_axes) - set(input_names) - set(output_names)
    if unknown:
        raise ExportError(f"{op}: dynamic_axes names {sorted(unknown)}, which are not inputs or "
                          f"outputs ({input_names + output_names})")  # fmt: skip
    for v, n in zip(inputs, input_names, strict=True):
        if v.node.kind != "placeholder":
            raise ExportError(f"{op}: input '{n}' must be a placeholder, got a {v.node.kind}")
        cx.names[v] = cx.fresh(n)
    graph_inputs = [
        _value_info(helper, n, v, _dyn(dynamic_axes.get(n)), v.dtype)
        for v, n in zip(inputs, input_names, strict=True)
    ]
    for node in _needed(outputs):
        v = node.output
        if v in cx.names:
            continue
        if node.kind == "placeholder":
            raise ExportError(
                f"{op}: the outputs depend on the placeholder '{node.name}', which is not among "
                "the inputs; pass it in inputs (or feed a constant instead)"
            )
        if node.kind == "const":
            cx.names[v] = cx.const(node.params["value"], node.name)
        elif node.kind == "variable":
            if variable_value is None:
                raise ExportError(f"{op}: variable '{node.name}' has no value to export")
            cx.names[v] = cx.const(np.asarray(variable_value(node)), node.name)
        elif node.kind == "op":
            rule = onnx_rule(node.prim)
            if rule is None:
                raise ExportError(
                    f"{op}: the operation '{node.prim.name}' (node '{node.name}') has no ONNX "
                    "translation yet"
                )
            cx.names[v] = rule(cx, node, [cx.names[i] for i in node.inputs])
        else:
            raise ExportError(
                f"{op}: node '{node.name}' is a stateful {node.kind} step; only computations "
                "(no assignments or optimizer updates) can be exported"
            )
    graph_outputs = []
    for v, n in zip(outputs, output_names, strict=True):
        cx.nodes.append(helper.make_node("Identity", [cx.names[v]], [n]))
        graph_outputs.append(_value_info(helper, n, v, _dyn(dynamic_axes.get(n)), v.dtype))
    graph = helper.make_graph(cx.nodes, "duograd", graph_inputs, graph_outputs, cx.inits)
    model = helper.make_model(
        graph, producer_name=producer, opset_imports=[helper.make_opsetid("", OPSET)]
    )
    model.ir_version = min(model.ir_version, 8)  # readable by older onnxruntime releases too
    onnx.checker.check_model(model)
    if isinstance(f, (str, os.PathLike)):
        onnx.save(model, os.fspath(f))
    elif f is not None:
        f.write(model.SerializeToString())
    return model
