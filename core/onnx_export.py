"""ONNX export of core IR graphs (the `onnx` extra): one exporter for both frontends.

`export_graph` walks the nodes the outputs need, in the graph's (topological) order, and writes
each one with its primitive's rule (`core/primitives/onnx_rules.py`): placeholders become graph
inputs, constants and variables become initializers (named as in the graph, so weights keep
their names), and every op becomes one or a few standard ONNX nodes built with onnx's helpers.
The model is checked with `onnx.checker` before it is written.

Dynamic axes. A graph built with unknown (None) dimensions, as the graph style builds one from a
placeholder of shape ``[None, ...]``, is already shape-polymorphic: its ops take their sizes at
run time. A captured eager computation is not: it ran on one example, so a reshape's target
(``x.view(x.size(0), -1)``), a broadcast and the constants made from the example's size (an
LSTM's lengths) hold the example's batch. The eager exporter therefore captures the module a
second time on inputs whose dynamic axes have other sizes (`grown`) and passes that capture as
`alt`: a dimension or parameter that differs between the two captures follows the dynamic axes,
and is written as ``k`` times a product of the inputs' run-time sizes (`Dim`), read with ONNX
``Shape`` nodes; one that does not is a fixed size.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .extras import require
from .ir import Value
from .primitives.onnx_rules import onnx_rule

OPSET = 17


class ExportError(ValueError):
    """A graph that cannot be written as ONNX (an unsupported op, an unfed placeholder...)."""


@dataclass(frozen=True)
class Symbol:
    """A dynamic axis: its name, the input axis it is read from, its sizes in the two captures."""

    name: str
    source: str
    axis: int
    size: int
    alt: int


@dataclass(frozen=True)
class Dim:
    """A dimension that follows the dynamic axes: `k` times the product of `syms`."""

    k: int
    syms: tuple[Symbol, ...]


def _same(a: Any, b: Any) -> bool:
    """Whether two node parameters are equal (arrays, slices and nested tuples included)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, slice) and isinstance(b, slice):
        return _same((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _size(d: Any) -> int | None:
    d = getattr(d, "value", d)
    return None if d is None else int(d)


class _Context:
    """The ONNX nodes and initializers built so far, with fresh names."""

    def __init__(self, onnx: Any, op: str = "onnx.export") -> None:
        self.onnx = onnx
        self.helper = onnx.helper
        self.op = op
        self.nodes: list = []
        self.inits: list = []
        self.names: dict[Value, str] = {}
        self.alt: dict[Value, Value] = {}  # each value's twin in the second capture
        self.symbols: list[Symbol] = []
        self._sym_tensors: dict[Symbol, str] = {}
        self._used: set[str] = set()
        self._n = 0

    # ---- dimensions that follow the dynamic axes -------------------------------------------
    def dim_of(self, d: int, d_alt: int) -> Dim | None:
        """The expression of a dimension that is `d` in one capture and `d_alt` in the other."""
        for n in (1, 2):
            for syms in itertools.combinations_with_replacement(self.symbols, n):
                size = int(np.prod([s.size for s in syms]))
                alt = int(np.prod([s.alt for s in syms]))
                if d % size == 0 and d_alt % alt == 0 and d // size == d_alt // alt:
                    return Dim(d // size, syms)
        return None

    def dims(self, v: Value) -> list[int | Dim | None]:
        """v's dimensions: a fixed size, a `Dim` or None (dynamic, expression unknown)."""
        shape = [_size(d) for d in tuple(v.shape)]
        twin = self.alt.get(v)
        if twin is None:
            return list(shape)
        other = [_size(d) for d in tuple(twin.shape)]
        if len(other) != len(shape):
            raise ExportError(
                f"{self.op}: '{v.node.name}' has rank {len(shape)} at one size of the dynamic "
                f"axes and {len(other)} at another; its rank must not depend on them"
            )
        return [a if a == b else self.dim_of(a, b) for a, b in zip(shape, other, strict=True)]

    def alt_params(self, node: Any) -> dict | None:
        """The parameters of node's twin in the second capture (None without one)."""
        twin = self.alt.get(node.output)
        return None if twin is None else twin.node.params

    def sym_tensor(self, s: Symbol) -> str:
        """A 1-D int64 tensor holding the run-time size of a dynamic axis."""
        if s not in self._sym_tensors:
            self._sym_tensors[s] = self.emit("Shape", [s.source], start=s.axis, end=s.axis + 1)
        return self._sym_tensors[s]

    def shape_tensor(self, dims: Sequence[Any], node: Any) -> str:
        """A 1-D int64 shape tensor: fixed sizes as constants, `Dim`s computed at run time."""
        if all(isinstance(d, (int, np.integer)) for d in dims):
            return self.const(np.asarray(dims, np.int64), "shape")
        parts: list[str] = []
        fixed: list[int] = []
        for d in dims:
            if isinstance(d, (int, np.integer)):
                fixed.append(int(d))
                continue
            if d is None:
                raise ExportError(
                    f"{self.op}: node '{node.name}' ({node.prim.name if node.prim else node.kind})"
                    " needs the run-time size of a dimension that is not a multiple of the "
                    "dynamic axes' sizes; keep that axis fixed or compute the shape with ops"
                )
            if fixed:
                parts.append(self.const(np.asarray(fixed, np.int64), "shape"))
                fixed = []
            t = self.sym_tensor(d.syms[0])
            for s in d.syms[1:]:
                t = self.emit("Mul", [t, self.sym_tensor(s)])
            if d.k != 1:
                t = self.emit("Mul", [t, self.const(np.asarray([d.k], np.int64), "k")])
            parts.append(t)
        if fixed:
            parts.append(self.const(np.asarray(fixed, np.int64), "shape"))
        return parts[0] if len(parts) == 1 else self.emit("Concat", parts, axis=0)

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


def _value_info(helper: Any, name: str, dims: Sequence[Any], dyn: Mapping[int, str],
                dtype: Any) -> Any:  # fmt: skip
    """An input's or output's type: fixed sizes, or named dynamic dimensions."""
    shape: list[Any] = []
    for i, d in enumerate(dims):
        if isinstance(d, Dim) and d.k == 1 and len(d.syms) == 1:
            d = d.syms[0].name
        elif not isinstance(d, (int, np.integer)):
            d = f"{name}_dim{i}"
        shape.append(dyn.get(i) or d)
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dtype), shape)


def _dyn(spec: Any, name: str = "") -> dict[int, str]:
    """An entry of `dynamic_axes` ({axis: name} or a list of axes) as {axis: name}."""
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {int(k): str(v) for k, v in spec.items()}
    return {int(k): f"{name}_dim{int(k)}" for k in spec}


def grown_sizes(
    shapes: Sequence[Sequence[int]], names: Sequence[str], dynamic_axes: Mapping[str, Any] | None
) -> list[dict[int, int]]:
    """For each input, {axis: other size} for a second capture: every dynamic axis grows, each
    name by a different amount (so the two captures tell the axes apart)."""
    grow: dict[str, int] = {}
    out = []
    for shape, n in zip(shapes, names, strict=True):
        sizes = {}
        for axis, sym in _dyn((dynamic_axes or {}).get(n), n).items():
            if not -len(shape) <= axis < len(shape):
                raise ExportError(
                    f"onnx export: dynamic_axes gives axis {axis} of input '{n}', which has "
                    f"shape {tuple(shape)}"
                )
            axis %= len(shape)
            grow.setdefault(sym, len(grow) + 1)
            sizes[axis] = int(shape[axis]) + grow[sym]
        out.append(sizes)
    return out


def grown(arr: np.ndarray, sizes: Mapping[int, int]) -> np.ndarray:
    """`arr` with each axis in `sizes` grown to that size by repeating its entries cyclically."""
    for axis, n in sizes.items():
        arr = np.take(arr, np.arange(n) % arr.shape[axis], axis=axis)
    return np.ascontiguousarray(arr)


def _pair(cx: _Context, nodes: list, alt_inputs: Sequence[Value], alt_outputs: Sequence[Value],
          inputs: Sequence[Value], op: str) -> None:  # fmt: skip
    """Match each node with its twin in the second capture (the same op at the same place)."""
    twins = _needed(alt_outputs)
    same = len(twins) == len(nodes) and all(
        a.kind == b.kind and a.prim is b.prim for a, b in zip(nodes, twins, strict=True)
    )
    if not same or len(alt_inputs) != len(inputs):
        raise ExportError(
            f"{op}: the model runs different operations when the dynamic axes change size (a "
            "Python branch or loop on a size?); export it without dynamic_axes, or make the "
            "operations independent of those sizes"
        )
    for a, b in zip(nodes, twins, strict=True):
        cx.alt[a.output] = b.output
    for v, w in zip(inputs, alt_inputs, strict=True):
        cx.alt[v] = w


def _symbols(cx: _Context, inputs: Sequence[Value], names: Sequence[str],
             dynamic_axes: Mapping[str, Any], op: str) -> None:  # fmt: skip
    """The dynamic axes of the inputs, with their sizes in both captures."""
    by_name: dict[str, Symbol] = {}
    for v, n in zip(inputs, names, strict=True):
        spec = _dyn(dynamic_axes.get(n), n)
        twin = cx.alt.get(v)
        for axis, d in enumerate(tuple(v.shape)):
            d, e = _size(d), _size(twin.shape[axis]) if twin is not None else None
            if axis in spec and d is not None and twin is None:
                raise ExportError(
                    f"{op}: dynamic_axes makes axis {axis} of input '{n}' dynamic, but its "
                    f"placeholder has the fixed size {d}, which the graph's shapes were built "
                    "from; give the placeholder None at that axis"
                )
            if twin is None or d == e:
                continue
            if axis not in spec:
                raise ExportError(f"{op}: axis {axis} of input '{n}' changed size without being "
                                  "among the dynamic_axes")  # fmt: skip
            sym = by_name.setdefault(spec[axis], Symbol(spec[axis], cx.names[v], axis, d, e))
            if (sym.size, sym.alt) != (d, e):
                raise ExportError(
                    f"{op}: the dynamic axis '{spec[axis]}' has size {sym.size} in one input and "
                    f"{d} in '{n}'; axes sharing a name must have the same size"
                )
    cx.symbols = list(by_name.values())


def _dynamic_const(cx: _Context, node: Any, twin: Any, op: str) -> str:
    """A constant made from the example's sizes (zeros, lengths...) as a run-time fill."""
    a, b = np.asarray(node.params["value"]), np.asarray(twin.params["value"])
    if a.shape == b.shape and _same(a, b):
        return cx.const(a, node.name)
    uniform = a.size and b.size and np.all(a == a.flat[0]) and np.all(b == a.flat[0])
    if a.ndim != b.ndim or not uniform:
        raise ExportError(
            f"{op}: the value '{node.name}' (shape {a.shape}) was computed outside the captured "
            "operations and changes with the dynamic axes; compute it from the inputs with "
            "tensor operations, or export without dynamic_axes"
        )
    shape = cx.shape_tensor(cx.dims(node.output), node)
    return cx.emit("Expand", [cx.const(np.asarray(a.flat[0], a.dtype), node.name), shape])


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
    alt: tuple[Sequence[Value], Sequence[Value]] | None = None,
) -> Any:
    """Write the computation from `inputs` to `outputs` as an ONNX model; returns the model.

    `alt` is (inputs, outputs) of a second capture of the same computation with the dynamic
    axes at other sizes (see the module docstring); without it, only unknown (None) dimensions
    are dynamic."""
    onnx = require("onnx", "onnx", "ONNX export")
    helper = onnx.helper
    cx = _Context(onnx, op)
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
    nodes = _needed(outputs)
    if alt is not None:
        _pair(cx, nodes, list(alt[0]), list(alt[1]), inputs, op)
    _symbols(cx, inputs, input_names, dynamic_axes, op)
    graph_inputs = [
        _value_info(helper, n, cx.dims(v), _dyn(dynamic_axes.get(n), n), v.dtype)
        for v, n in zip(inputs, input_names, strict=True)
    ]
    for node in nodes:
        v = node.output
        if v in cx.names:
            continue
        if node.kind == "placeholder":
            raise ExportError(
                f"{op}: the outputs depend on the placeholder '{node.name}', which is not among "
                "the inputs; pass it in inputs (or feed a constant instead)"
            )
        twin = cx.alt.get(v)
        if node.kind == "const" and twin is not None:
            cx.names[v] = _dynamic_const(cx, node, twin.node, op)
        elif node.kind == "const":
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
            if twin is not None and not getattr(rule, "dynamic_params", False):
                if not _same(node.params, twin.node.params):
                    raise ExportError(
                        f"{op}: the parameters of '{node.prim.name}' (node '{node.name}') change "
                        "with the dynamic axes' sizes, which its ONNX translation cannot follow;"
                        " export without dynamic_axes, or compute them with tensor operations"
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
        graph_outputs.append(
            _value_info(helper, n, cx.dims(v), _dyn(dynamic_axes.get(n), n), v.dtype)
        )
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
