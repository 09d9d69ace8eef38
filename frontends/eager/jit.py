"""``torch.jit``: `trace` a module or function into a `TracedModule`; `save` / `load` it.

`trace` runs the call once on the example inputs and captures it as one core IR graph (the
capture ``torch.compile`` uses, with graph breaks as errors). The traced module computes the
same bits as the eager call; its parameters are the traced module's own parameter objects (so
training it trains the original), and it is an ``nn.Module`` with the same state-dict names.

Files are the project's checkpoint format (``.npz`` arrays plus a JSON structure, no pickle):
the graph is stored as a list of operations named by their primitive, their params as plain
data, constants and parameters as arrays. Loading rebuilds the graph from the registry of core
primitives and runs each shape rule, so a file naming an unknown operation or holding
inconsistent shapes is refused with a clear error; no code from the file ever runs.
`script` raises NotImplementedError: use `trace` or ``torch.compile``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.checkpoint import CheckpointError, load_arrays, save_arrays
from ...core.ir import Graph
from ...core.primitives.registry import REGISTRY
from .capture import ARG, ENV, LIVE, GraphBreak, Program, Segment, _Src, capture
from .grad_mode import enable_grad
from .nn.module import Module
from .nn.parameter import Parameter
from .tensor import Tensor

__all__ = ["ScriptModule", "TracedModule", "load", "save", "script", "trace"]

FORMAT = "duograd.jit.traced"
VERSION = 1


class TracingError(RuntimeError):
    """A call that cannot be traced (a graph break, a replayed call, a non-tensor output)."""


class TracedModule(Module):
    """A traced computation: call it with tensors of the example inputs' shapes and dtypes."""

    def __init__(self, segment: Segment, result: Any, inputs: list, names: dict) -> None:
        super().__init__()
        self._segment = segment
        self._result = result
        self._inputs = inputs  # (shape, dtype) per example input
        self._names = names  # id(live tensor) -> state-dict name (parameters and buffers)
        self._program = Program([segment], result, len(inputs), {})
        for src in segment.sources:
            if src[0] is LIVE and id(src[1]) in names:
                _attach(self, names[id(src[1])], src[1])

    def forward(self, *inputs: Any) -> Any:
        """Run the traced graph on `inputs`."""
        if len(inputs) != len(self._inputs):
            raise TypeError(
                f"traced module: expected {len(self._inputs)} input tensor(s), got {len(inputs)}"
            )
        for i, (x, (shape, dt)) in enumerate(zip(inputs, self._inputs, strict=True)):
            if not isinstance(x, Tensor):
                raise TypeError(
                    f"traced module: input {i} must be a Tensor, got {type(x).__name__}"
                )
            if x._data.shape != shape or x._data.dtype != dt:
                raise ValueError(
                    f"traced module: input {i} has shape {list(x._data.shape)} and dtype "
                    f"{x._data.dtype}; it was traced with shape {list(shape)} and dtype {dt} "
                    "(trace again with an example of the new shape)"
                )
        return self._program.run(list(inputs))

    @property
    def graph(self) -> Graph:
        """The captured core IR graph."""
        return self._segment.graph

    def save(self, f: str | os.PathLike) -> None:
        """``torch.jit.save(self, f)``."""
        save(self, f)

    def graph_spec(self) -> dict:
        """The traced computation as plain data, for another frontend to build (see
        ``tf.import_traced``): inputs, named state arrays, constants, operations, outputs."""
        return _spec(self, copy=False)


ScriptModule = TracedModule


def _attach(module: Module, name: str, t: Tensor) -> None:
    *path, leaf = name.split(".")
    m = module
    for part in path:
        sub = m._modules.get(part)
        if sub is None:
            sub = Module()
            m.add_module(part, sub)
        m = sub
    if isinstance(t, Parameter):
        m.register_parameter(leaf, t)
    else:
        m.register_buffer(leaf, t)


def _flat_inputs(example_inputs: Any) -> tuple:
    if isinstance(example_inputs, Tensor):
        return (example_inputs,)
    if isinstance(example_inputs, (tuple, list)):
        for i, x in enumerate(example_inputs):
            if not isinstance(x, Tensor):
                raise TypeError(
                    f"torch.jit.trace: example input {i} must be a Tensor, got {type(x).__name__}"
                )
        return tuple(example_inputs)
    raise TypeError(
        "torch.jit.trace: example_inputs must be a Tensor or a tuple of Tensors, got "
        f"{type(example_inputs).__name__}"
    )


def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> TracedModule:
    """Run ``func(*example_inputs)`` once and capture it as a `TracedModule`."""
    if not callable(func):
        raise TypeError(f"torch.jit.trace: expected a module or function, got {type(func)}")
    if example_inputs is None:
        raise TypeError("torch.jit.trace: example_inputs is required (a Tensor or a tuple)")
    inputs = _flat_inputs(example_inputs)
    names: dict = {}
    if isinstance(func, Module):
        for n, p in func.named_parameters():
            names[id(p)] = n
        for n, b in func.named_buffers():
            names[id(b)] = n
    # float inputs enter as leaves that require grad (copies), so the capture knows which values
    # a gradient can flow through whatever the inputs of a later call require
    leaves = tuple(Tensor._make(x._data, rg=x._data.dtype.kind == "f") for x in inputs)
    try:
        with enable_grad():
            _, program, breaks = capture(func, leaves, {}, list(leaves), True)
    except GraphBreak as e:
        raise TracingError(f"torch.jit.trace: {e}") from None
    segs = [s for s in program.steps if type(s) is Segment]
    if len(segs) != len(program.steps) or len(segs) > 1:
        raise TracingError(
            "torch.jit.trace: the traced call runs backward() or an optimizer step; trace the "
            "model's forward only (compile a training step with torch.compile)"
        )
    if not segs:
        raise TracingError("torch.jit.trace: the call ran no tensor operation")
    _check_result(program.result)
    shapes = [(x._data.shape, x._data.dtype) for x in inputs]
    return TracedModule(segs[0], program.result, shapes, names)


def _check_result(tree: Any) -> None:
    if type(tree) is _Src:
        return
    if isinstance(tree, (tuple, list)):
        for x in tree:
            _check_result(x)
        return
    if isinstance(tree, dict):
        for x in tree.values():
            _check_result(x)
        return
    raise TracingError(
        f"torch.jit.trace: the traced call returned {type(tree).__name__}; return tensors "
        "(or tuples, lists, dicts of them)"
    )


def script(obj: Any, *args: Any, **kwargs: Any) -> Any:
    """Not supported: compile Python source as TorchScript."""
    raise NotImplementedError(
        "torch.jit.script is not supported (duograd does not compile Python source): use "
        "torch.jit.trace(model, example_inputs) for a fixed computation, or torch.compile(model) "
        "to capture it as graphs with guards"
    )


# ---- the file format -----------------------------------------------------------------------------


def _enc(x: Any, where: str) -> Any:
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, (np.integer, np.floating, np.bool_)):
        return x.item()
    if isinstance(x, np.dtype) or (isinstance(x, type) and issubclass(x, np.generic)):
        return {"dtype": np.dtype(x).name}
    if isinstance(x, tuple):
        return tuple(_enc(a, where) for a in x)
    if isinstance(x, list):
        return {"list": [_enc(a, where) for a in x]}
    if isinstance(x, slice):
        return {"slice": [_enc(x.start, where), _enc(x.stop, where), _enc(x.step, where)]}
    if x is Ellipsis:
        return {"ellipsis": True}
    if isinstance(x, np.ndarray):
        return {"array": x}
    if isinstance(x, dict):
        return {"dict": {str(k): _enc(v, where) for k, v in x.items()}}
    raise TypeError(f"torch.jit.save: {where} has a parameter of type {type(x).__name__}")


def _dec(x: Any, where: str) -> Any:
    if x is None or isinstance(x, (bool, int, float, str, np.ndarray)):
        return x
    if isinstance(x, tuple):
        return tuple(_dec(a, where) for a in x)
    if isinstance(x, list):  # a stored list of items
        return [_dec(a, where) for a in x]
    if isinstance(x, dict) and len(x) == 1:
        ((kind, body),) = x.items()
        if kind == "dtype" and isinstance(body, str):
            try:
                return np.dtype(body)
            except TypeError:
                pass
        elif kind == "list" and isinstance(body, list):
            return [_dec(a, where) for a in body]
        elif kind == "slice" and isinstance(body, (list, tuple)) and len(body) == 3:
            return slice(*(_dec(a, where) for a in body))
        elif kind == "ellipsis":
            return Ellipsis
        elif kind == "array" and isinstance(body, np.ndarray):
            return body
        elif kind == "dict" and isinstance(body, dict):
            return {k: _dec(v, where) for k, v in body.items()}
    raise CheckpointError(f"torch.jit.load: {where} holds a malformed parameter {x!r}")


def _spec(m: TracedModule, copy: bool = True) -> dict:
    seg = m._segment
    g = seg.graph
    ref: dict = {}
    nodes = []
    state = {}
    consts = []
    for i, src in enumerate(seg.sources):
        p = seg.placeholders[i]
        if src[0] is ARG:
            ref[p] = ["in", src[1]]
        elif src[0] is LIVE and id(src[1]) in m._names:
            name = m._names[id(src[1])]
            state[name] = src[1]._data.copy() if copy else src[1]._data
            ref[p] = ["state", name, isinstance(src[1], Parameter), bool(src[1]._rg)]
        else:
            consts.append(np.array(src[1]._data, copy=True))
            ref[p] = ["const", len(consts) - 1]
    for node in g.nodes[: seg.n_fwd]:
        if node.kind == "const":
            consts.append(np.asarray(node.params["value"]))
            ref[node.output] = ["const", len(consts) - 1]
        elif node.kind == "op":
            nodes.append(
                {
                    "op": node.prim.name,
                    "ins": [ref[v] for v in node.inputs],
                    "params": dict(node.params),
                    "tracked": bool(seg.tracked.get(node.output)),
                }
            )
            ref[node.output] = ["node", len(nodes) - 1]
    return {
        "format": FORMAT,
        "version": VERSION,
        "inputs": [[list(s), np.dtype(d).name] for s, d in m._inputs],
        "nodes": nodes,
        "consts": consts,
        "state": state,
        "outputs": {str(tid): ref[v] for v, tid in seg.outputs},
        "result": _enc_result(m._result),
    }


def save(m: TracedModule, f: str | os.PathLike) -> None:
    """Write a traced module to `f` (the checkpoint format: arrays and plain data, no code)."""
    if not isinstance(m, TracedModule):
        raise TypeError(
            f"torch.jit.save: expected a module made by torch.jit.trace, got {type(m).__name__}"
        )
    tree = _spec(m)
    for k, n in enumerate(tree["nodes"]):
        n["params"] = _enc(n["params"], f"operation {k} ({n['op']})")
    save_arrays(f, tree)


def _enc_result(tree: Any) -> Any:
    if type(tree) is _Src:
        return {"out": str(tree.src[1])} if tree.src[0] is ENV else {"in": tree.src[1]}
    if isinstance(tree, tuple):
        return tuple(_enc_result(x) for x in tree)
    if isinstance(tree, list):
        return {"list": [_enc_result(x) for x in tree]}
    return {"dict": {str(k): _enc_result(v) for k, v in tree.items()}}


def _dec_result(tree: Any, n_in: int, outs: set) -> Any:
    if isinstance(tree, tuple):
        return tuple(_dec_result(x, n_in, outs) for x in tree)
    if isinstance(tree, dict) and len(tree) == 1:
        ((kind, body),) = tree.items()
        if kind == "out" and body in outs:
            return _Src((ENV, body))
        if kind == "in" and type(body) is int and 0 <= body < n_in:
            return _Src((ARG, body))
        if kind == "list" and isinstance(body, list):
            return [_dec_result(x, n_in, outs) for x in body]
        if kind == "dict" and isinstance(body, dict):
            return {k: _dec_result(v, n_in, outs) for k, v in body.items()}
    raise CheckpointError(f"torch.jit.load: malformed result entry {tree!r}")


def load(f: str | os.PathLike, map_location: Any = None, **kwargs: Any) -> TracedModule:
    """Read a module written by `save`; no code from the file runs."""
    tree = load_arrays(f)
    where = f"{os.fspath(f)!r}"
    if not isinstance(tree, dict) or tree.get("format") != FORMAT:
        raise CheckpointError(f"torch.jit.load: {where} is not a traced module file")
    if tree.get("version") != VERSION:
        raise CheckpointError(f"torch.jit.load: {where} has version {tree.get('version')!r}")
    try:
        return _rebuild(tree)
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever is inconsistent, name the file
        raise CheckpointError(f"torch.jit.load: {where} is inconsistent: {e}") from None


def _rebuild(tree: dict) -> TracedModule:
    inputs = tree["inputs"]
    shapes = [(tuple(int(d) for d in s), np.dtype(dt)) for s, dt in inputs]
    consts = list(tree["consts"])
    state = dict(tree["state"])
    seg = Segment()
    g = seg.graph
    names: dict = {}
    tensors: dict = {}
    in_ph: dict = {}

    def operand(r: Any) -> Any:
        if not isinstance(r, (list, tuple)) or not r:
            raise CheckpointError(f"bad operand reference {r!r}")
        kind = r[0]
        if kind == "in":
            i = r[1]
            if type(i) is not int or not 0 <= i < len(shapes):
                raise CheckpointError(f"bad input index {i!r}")
            if i not in in_ph:
                in_ph[i] = _placeholder(seg, shapes[i][0], shapes[i][1], (ARG, i), False)
            return in_ph[i]
        if kind == "state":
            name = r[1]
            if name not in tensors:
                arr = np.asarray(state[name])
                t = (
                    Parameter(Tensor._make(arr.copy()), bool(r[3]))
                    if r[2]
                    else Tensor._make(arr.copy())
                )
                tensors[name] = t
                names[id(t)] = name
                tensors[name + "/ph"] = _placeholder(seg, arr.shape, arr.dtype, (LIVE, t), t._rg)
            return tensors[name + "/ph"]
        if kind == "const":
            return g.constant(np.asarray(consts[r[1]]))
        if kind == "node":
            return values[r[1]]
        raise CheckpointError(f"bad operand kind {kind!r}")

    values: list = []
    for k, n in enumerate(tree["nodes"]):
        prim = REGISTRY.get(n["op"]) if isinstance(n.get("op"), str) else None
        if prim is None or prim.impl is None:
            raise CheckpointError(f"operation {k} names an unknown primitive {n.get('op')!r}")
        ins = [operand(r) for r in n["ins"]]
        params = _dec(n["params"], f"operation {k}")
        if not isinstance(params, dict):
            raise CheckpointError(f"operation {k}: params are not a mapping")
        v = g.apply(prim, ins, params)
        seg.tracked[v] = bool(n.get("tracked"))
        values.append(v)
    seg.n_fwd = len(g.nodes)
    outs = {}
    for tid, r in tree["outputs"].items():
        outs[tid] = operand(r)
    seg.outputs = [(v, tid) for tid, v in outs.items()]
    result = _dec_result(tree["result"], len(shapes), set(outs))
    seg.finish(set(outs))
    return TracedModule(seg, result, shapes, names)


def _placeholder(seg: Segment, shape: Sequence, dt: Any, src: tuple, tracked: bool) -> Any:
    p = seg.graph.placeholder(tuple(shape), dt, name=f"in{len(seg.placeholders)}")
    seg.placeholders.append(p)
    seg.sources.append(src)
    seg.tracked[p] = bool(tracked)
    return p


# ---- a graph-frontend subgraph as an eager module ---------------------------------------------


def from_graph(
    inputs: Any, outputs: Any, session: Any = None, example_inputs: Any = None
) -> TracedModule:
    """An eager module computing `outputs` of a graph-frontend graph from its `inputs`
    (placeholders); the graph's variables become its parameters, named by the variables'
    names ('dense/kernel' -> 'dense.kernel'), with their current values in `session`.
    Placeholders with unknown dims take their shapes from `example_inputs`."""
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    single = not isinstance(outputs, (list, tuple))
    outs = [outputs] if single else list(outputs)
    if not outs:
        raise ValueError("torch.jit.from_graph: outputs must hold at least one tensor")
    g = outs[0].graph
    examples = _flat_inputs(example_inputs) if example_inputs is not None else None
    shapes = []
    for i, p in enumerate(ins):
        if getattr(p, "graph", None) is not g or p.node.kind != "placeholder":
            raise TypeError(f"torch.jit.from_graph: input {i} is not a placeholder of the graph")
        shape = tuple(p.shape)
        if any(d is None for d in shape):
            if examples is None:
                raise ValueError(
                    f"torch.jit.from_graph: placeholder '{p.node.name}' has shape {list(shape)} "
                    "with unknown dims; pass example_inputs to fix them"
                )
            shape = examples[i]._data.shape
        shapes.append((tuple(shape), np.dtype(p.dtype)))
    # the nodes the outputs need, stopping at the inputs
    stop = {id(p) for p in ins}
    need: dict = {}
    stack = [o.node for o in outs]
    while stack:
        n = stack.pop()
        if n.index in need or id(n.output) in stop:
            continue
        need[n.index] = n
        stack.extend(v.node for v in n.inputs)
    seg = Segment()
    sg = seg.graph
    ref: dict = {}
    names: dict = {}
    for i, p in enumerate(ins):
        ref[id(p)] = _placeholder(seg, shapes[i][0], shapes[i][1], (ARG, i), True)
    for idx in sorted(need):
        n = need[idx]
        if n.kind == "const":
            ref[id(n.output)] = sg.constant(np.asarray(n.params["value"]))
        elif n.kind == "variable":
            if session is None:
                raise ValueError(
                    f"torch.jit.from_graph: the outputs read variable '{n.name}'; pass the "
                    "session that holds its value"
                )
            arr = np.array(session.run(n.output), copy=True)
            t = Parameter(Tensor._make(arr), arr.dtype.kind == "f")
            names[id(t)] = n.name.replace("/", ".").replace(":", "_")
            ref[id(n.output)] = _placeholder(seg, arr.shape, arr.dtype, (LIVE, t), t._rg)
        elif n.kind == "op":
            v = sg.apply(n.prim, [ref[id(x)] for x in n.inputs], dict(n.params))
            seg.tracked[v] = np.dtype(v.dtype).kind == "f"
            ref[id(n.output)] = v
        else:
            raise TypeError(
                f"torch.jit.from_graph: node '{n.name}' ({n.kind}) cannot run eagerly: only "
                "placeholders given as inputs, variables, constants and operations can"
            )
    seg.n_fwd = len(sg.nodes)
    seg.outputs = [(ref[id(o)], f"out{k}") for k, o in enumerate(outs)]
    for k, o in enumerate(outs):
        if id(o) in stop:
            raise ValueError(f"torch.jit.from_graph: output {k} is an input; nothing to compute")
    seg.finish({f"out{k}" for k in range(len(outs))})
    srcs = [_Src((ENV, f"out{k}")) for k in range(len(outs))]
    return TracedModule(seg, srcs[0] if single else srcs, shapes, names)
