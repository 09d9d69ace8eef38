"""The graph IR: nodes in creation (topological) order, each with one output value.

A `Value` is symbolic: passing it to any core operation (through `bind`) adds a node to its
graph instead of computing. Node kinds:
- "op": a primitive applied to input values (the shape rule ran when it was added);
- "const": a fixed array; "placeholder": fed at run time; "variable": reads session state;
- "effect": a stateful step (assign, optimizer update) that returns writes to state.
Frontends subclass `Value` (e.g. the graph frontend's Tensor) and set `Graph.value_class`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import ShapeError
from .primitives.registry import AVal, Primitive

# The public operation being built on this thread (outermost first): a frontend's wrapper of a
# public function pushes its name, so every node a composed operation adds remembers the
# operation the user called, and a run-time error of an inner node can name it.
_CALLED = threading.local()


def called_stack() -> list[str]:
    """This thread's stack of public operations being built (the frontends push onto it)."""
    st = getattr(_CALLED, "ops", None)
    if st is None:
        st = _CALLED.ops = []
    return st


def called_op(node: Node) -> str | None:
    """The public operation whose call added `node`, when a frontend recorded one."""
    return node.attrs.get("called")


def name_called(message: Any, node: Any) -> Any:
    """`message` of a run-time failure of `node`, led by the public operation whose call added
    the node when the message does not name it (a composed operation's inner node failed)."""
    attrs = getattr(node, "attrs", None)
    op = attrs.get("called") if attrs else None
    if not op or not isinstance(message, str):
        return message
    low, n = message.lower(), op.lower().rstrip("_")
    if any(f in low for f in (n, n.replace("_", " "), n.replace("_", ""))):
        return message
    return f"{op}: {message}"


class GraphError(ValueError):
    """A graph was misused: values of two graphs combined, or an op added after finalize()."""


class FinalizedGraphError(GraphError, RuntimeError):
    """An op was added to a finalized graph (a ValueError and a RuntimeError, for either habit)."""


class Value:
    """A symbolic value: the output of one node of one graph."""

    __slots__ = ("graph", "node", "shape", "dtype", "__weakref__")

    def __init__(self, graph: Graph, node: Node, aval: AVal) -> None:
        self.graph = graph
        self.node = node
        self.shape = tuple(aval.shape)
        self.dtype = np.dtype(aval.dtype)

    def __dg_bind__(self, prim: Primitive, args: Sequence[Any], params: dict) -> Value:
        """Symbolic dispatch: applying a primitive to a Value adds a node to its graph."""
        return self.graph.apply(prim, args, params)

    @property
    def ndim(self) -> int:
        """Number of dimensions of the static shape."""
        return len(self.shape)


class Node:
    """One operation of a graph; also the node interface the autodiff sweep walks."""

    __slots__ = (
        "graph", "index", "kind", "prim", "params", "inputs", "output", "name", "effect",
        "control_inputs", "attrs",
    )  # fmt: skip

    def __init__(self, graph, index, kind, prim, params, inputs, name, effect=None) -> None:
        self.graph = graph
        self.index = index
        self.kind = kind
        self.prim = prim
        self.params = params
        self.inputs = tuple(inputs)
        self.output: Value | None = None
        self.name = name
        self.effect = effect
        self.control_inputs: tuple[Node, ...] = ()
        self.attrs: dict[str, Any] = {}

    # the sweep's node interface: values are their own keys
    @property
    def input_keys(self) -> tuple:
        """Identities of the inputs for cotangent accumulation."""
        return self.inputs

    @property
    def output_key(self) -> Value:
        """Identity of the output."""
        return self.output

    def __repr__(self) -> str:
        what = self.prim.name if self.prim is not None else self.kind
        return f"<node {self.name} ({what})>"


class Graph:
    """An append-only list of nodes; creation order is a topological order."""

    value_class: type[Value] = Value

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.finalized = False
        self._lock = threading.RLock()
        self._names: dict[str, int] = {}
        self.scope: list[str] = []
        self._counter = itertools.count()
        self.version = 0  # bumps on every change, so cached plans can tell they are stale

    # ---- naming ---------------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        """A name not used yet in this graph: base, base_1, base_2, ... (inside the scope)."""
        full = "/".join(self.scope + [base]) if self.scope else base
        n = self._names.get(full)
        if n is None:
            self._names[full] = 0
            return full
        while True:
            n += 1
            cand = f"{full}_{n}"
            if cand not in self._names:
                self._names[full] = n
                self._names[cand] = 0
                return cand

    # ---- building -------------------------------------------------------------------------
    def _add(self, kind, prim, params, inputs, aval, name, effect=None, make=None) -> Value:
        # `make(graph, node, aval)` builds the output value when a frontend needs a special
        # value type for one node (e.g. a variable object that is also a value)
        with self._lock:
            if self.finalized:
                raise FinalizedGraphError(
                    f"cannot add '{name or kind}': the graph is finalized and can no longer change"
                )
            node = Node(self, len(self.nodes), kind, prim, params, inputs, "", effect)
            node.name = self.unique_name(name or (prim.name if prim is not None else kind))
            ops = getattr(_CALLED, "ops", None)
            if ops:
                node.attrs["called"] = ops[0]
            value = (make or self.value_class)(self, node, aval)
            node.output = value
            self.nodes.append(node)
            self.version += 1
            return value

    def as_value(self, x: Any, dtype: np.dtype | None = None) -> Value:
        """Turn x into a value of this graph (arrays and scalars become constants)."""
        if isinstance(x, Value):
            if x.graph is not self:
                raise GraphError(
                    f"value '{x.node.name}' belongs to another graph; tensors from two graphs "
                    "cannot be combined (build them inside the same `with graph.as_default():`)"
                )
            return x
        arr = np.asarray(x, dtype=dtype)
        return self.constant(arr)

    def constant(self, array: np.ndarray, name: str | None = None) -> Value:
        """A node holding a fixed array."""
        array = np.asarray(array)
        aval = AVal(array.shape, array.dtype)
        return self._add("const", None, {"value": array}, (), aval, name or "Const")

    def placeholder(
        self, shape: Sequence | None, dtype: np.dtype, name: str | None = None
    ) -> Value:
        """A node whose value is fed at run time; None dims (or shape None) are unknown."""
        aval = AVal(tuple(shape) if shape is not None else (), np.dtype(dtype))
        params = {"shape": None if shape is None else tuple(shape)}
        return self._add("placeholder", None, params, (), aval, name or "Placeholder")

    def variable(
        self, key: Any, shape: Sequence, dtype: np.dtype, name: str | None = None, make=None
    ) -> Value:
        """A node reading the session state stored under `key`."""
        aval = AVal(tuple(shape), np.dtype(dtype))
        return self._add("variable", None, {"key": key}, (), aval, name or "Variable", make=make)

    def apply(
        self, prim: Primitive, args: Sequence[Any], params: dict, name: str | None = None
    ) -> Value:
        """Add an op node: convert non-values to constants, run the shape rule now."""
        inputs = tuple(self.as_value(a) for a in args)
        for check in prim.checks:  # the record's domain checks, on what is known now
            check(*inputs, **params)
        aval = prim.shape_rule(*inputs, **params)
        return self._add("op", prim, params, inputs, aval, name)

    def add_effect(
        self,
        effect: Callable[..., tuple[Any, dict]],
        inputs: Sequence[Any],
        aval: AVal,
        name: str,
        reads: Sequence[Any] = (),
    ) -> Value:
        """Add a stateful node; `effect(state, *input_arrays)` returns (output, {key: array})."""
        ins = tuple(self.as_value(a) for a in inputs)
        v = self._add("effect", None, {"reads": tuple(reads)}, ins, aval, name, effect)
        return v

    def finalize(self) -> None:
        """Forbid further changes (adding an op then raises GraphError)."""
        self.finalized = True


def check_static_shape(name: str, expected: tuple | None, given: tuple) -> None:
    """Raise ShapeError when a concrete shape does not fit a static one with unknown dims."""
    if expected is None:
        return
    if len(expected) != len(given) or any(
        e is not None and e != g for e, g in zip(expected, given, strict=False)
    ):
        from .errors import fmt_shape

        raise ShapeError(f"{name}: expected shape {fmt_shape(expected)}, got {fmt_shape(given)}")
