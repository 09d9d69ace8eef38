"""`tf.Graph`: the core IR graph plus TF's name scopes, collections, control dependencies, lookup
by name and the thread-local default-graph stack.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ...core import ir
from ...core.domain import DomainError
from ...core.errors import DTypeError, ShapeError
from ...core.primitives.registry import AVal
from .shapes import TensorShape, is_unknown_rank
from .tensor import Operation, Tensor

_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")


class GraphKeys:
    """Standard collection names."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    GLOBAL_STEP = "global_step"
    TRAIN_OP = "train_op"
    VARIABLES = GLOBAL_VARIABLES


class Graph(ir.Graph):
    """A TF1-style graph: ops are added by the tf.* functions while it is the default graph."""

    value_class = Tensor

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()
        self._names_in_use: dict[str, int] = {}
        self._collections: dict[str, list] = {}
        self._lookup: tuple[int, dict[str, ir.Node]] = (-1, {})
        self._var_store: dict[str, Any] = {}  # get_variable's store: full name -> Variable
        self._var_scope_counts: dict[str, int] = {}
        self.seed: int | None = None

    # ---- thread-local scope state --------------------------------------------------------------
    @property
    def _name_stack(self) -> str:
        return getattr(self._local, "name_stack", "")

    @_name_stack.setter
    def _name_stack(self, value: str) -> None:
        self._local.name_stack = value

    @property
    def _control_stack(self) -> list:
        stack = getattr(self._local, "control", None)
        if stack is None:
            stack = self._local.control = []
        return stack

    def get_name_scope(self) -> str:
        """The current name scope ("" at the top)."""
        return self._name_stack

    # ---- naming --------------------------------------------------------------------------------
    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """A name not used yet: scope/name, else scope/name_1, ... (case-insensitive, as TF)."""
        stack = self._name_stack
        if stack:
            name = stack + "/" + name
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{i - 1}"
        return name

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Open a name scope: ops made inside are named "<scope>/<op>"; yields "<scope>/"."""
        if name:
            pattern = _VALID_SCOPE_NAME if self._name_stack else _VALID_OP_NAME
            if not pattern.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
        old = self._name_stack
        if not name:
            new, returned = "", ""
        elif name.endswith("/"):
            new, returned = name[:-1], name  # an absolute scope, re-entered as is
        else:
            new = self.unique_name(name)
            returned = new + "/"
        self._name_stack = new
        try:
            yield returned
        finally:
            self._name_stack = old

    def _rename(self, node: ir.Node, name: str) -> None:
        node.name = name
        self._lookup = (-1, {})

    def build_op(self, type_name: str, name: str | None, fn: Callable[[], Any], default=None):
        """Build one TF op with `fn` (core calls): its output node is named `name` (unique) and
        typed `type_name`; helper nodes it needs are named "<name>/...". Shape and dtype errors
        gain the op's name."""
        full = self.unique_name(name or default or type_name)
        start = len(self.nodes)
        with self.name_scope(full + "/"):
            try:
                out = fn()
            except DomainError as e:  # first: some are ShapeErrors too, built from (op, text)
                raise type(e)(e.op, f"{e.text} (in op '{full}' of type {type_name})") from None
            except (ShapeError, DTypeError) as e:
                raise type(e)(f"{e} (in op '{full}' of type {type_name})") from None
        if isinstance(out, Tensor) and out.graph is self and out.node.index >= start:
            self._rename(out.node, full)
            out.node.attrs["type"] = type_name
        return out

    # ---- building ------------------------------------------------------------------------------
    def _add(self, kind, prim, params, inputs, aval, name, effect=None, make=None):
        value = super()._add(kind, prim, params, inputs, aval, name, effect, make)
        deps = self._control_stack
        if deps:
            ctrl: list[ir.Node] = []
            for group in deps:
                for n in group:
                    if n not in ctrl:
                        ctrl.append(n)
            value.node.control_inputs = tuple(ctrl)
        return value

    def apply(self, prim, args, params, name=None):
        """Add an op node; an operand of unknown rank makes the output's rank unknown too."""
        inputs = tuple(self.as_value(a) for a in args)
        if self._control_stack:
            # as TF1's reference variables: an op made inside control_dependencies reads a
            # variable when it runs, after those dependencies (a fresh read ordered by them)
            inputs = tuple(_fresh_read(v) for v in inputs)
        if not any(is_unknown_rank(v.shape) for v in inputs):
            for check in prim.checks:  # the record's domain checks, on what is known now
                check(*inputs, **params)
            aval = prim.shape_rule(*inputs, **params)
        else:
            aval = _unknown_rank_aval(prim, inputs, params)
        return self._add("op", prim, params, inputs, aval, name)

    def as_value(self, x: Any, dtype=None):
        """Turn x into a value of this graph (a different graph's tensor is a ValueError)."""
        if isinstance(x, ir.Value) and x.graph is not self:
            raise ir.GraphError(
                f"{x} must be from the same graph as the other operands of this op: tensors from "
                "two graphs cannot be combined (build them inside one `with graph.as_default():`)"
            )
        return super().as_value(x, dtype)

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Any) -> Iterator[None]:
        """Ops made inside run only after `control_inputs` (None clears the outer ones)."""
        stack = self._control_stack
        if control_inputs is None:
            saved = list(stack)
            stack.clear()
            try:
                yield
            finally:
                stack[:] = saved
            return
        nodes = [_node_of(c, self) for c in control_inputs]
        stack.append(nodes)
        try:
            yield
        finally:
            stack.pop()

    @contextlib.contextmanager
    def device(self, device_name: Any) -> Iterator[None]:
        """Accepted for compatibility; duograd runs every op on the CPU."""
        yield

    @contextlib.contextmanager
    def colocate_with(self, op: Any, ignore_existing: bool = False) -> Iterator[None]:
        """Accepted for compatibility (no effect)."""
        yield

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        """Make this the default graph of the current thread inside the `with` block."""
        stack = _default_stack()
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    # ---- lookup --------------------------------------------------------------------------------
    def _by_name(self) -> dict[str, ir.Node]:
        version, table = self._lookup
        if version != self.version:
            table = {n.name: n for n in self.nodes}
            self._lookup = (self.version, table)
        return table

    def get_operation_by_name(self, name: str) -> Operation:
        """The op called `name` (KeyError if there is none)."""
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}")
        node = self._by_name().get(name)
        if node is None:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.")
        return Operation.of(node)

    def get_tensor_by_name(self, name: str) -> Tensor:
        """The tensor called `name`, e.g. "add:0" (KeyError if there is none)."""
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}")
        op_name, sep, index = name.rpartition(":")
        if not sep or not index.isdigit():
            raise ValueError(
                f"The name '{name}' looks like an (invalid) Operation name, not a Tensor. Tensor "
                'names must be of the form "<op_name>:<output_index>".'
            )
        node = self._by_name().get(op_name)
        if node is None:
            raise KeyError(
                f"The name '{name}' refers to a Tensor which does not exist. The operation, "
                f"'{op_name}', does not exist in the graph."
            )
        if int(index) != 0 or node.attrs.get("no_output"):
            raise KeyError(
                f"The name '{name}' refers to a Tensor which does not exist. The operation, "
                f"'{op_name}', exists but only has {0 if node.attrs.get('no_output') else 1} "
                "outputs."
            )
        return node.output

    def as_graph_element(self, obj: Any, allow_tensor: bool = True, allow_operation: bool = True):
        """Resolve a Tensor, Operation or name to an element of this graph."""
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                return self.get_tensor_by_name(obj)
            if allow_operation:
                return self.get_operation_by_name(obj)
            return self.get_tensor_by_name(obj)
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj!r} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a graph element.")

    def get_operations(self) -> list[Operation]:
        """All ops in creation order."""
        return [Operation.of(n) for n in self.nodes]

    # ---- collections ---------------------------------------------------------------------------
    def add_to_collection(self, name: str, value: Any) -> None:
        """Append `value` to the collection `name`."""
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names: Any, value: Any) -> None:
        """Append `value` to each named collection (once each)."""
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name: str) -> list:
        """The collection's list itself (changes show in the collection)."""
        return self._collections.setdefault(name, [])

    def get_collection(self, name: str, scope: str | None = None) -> list:
        """A copy of the collection, keeping items whose name matches `scope` if given."""
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [x for x in items if hasattr(x, "name") and pattern.match(x.name)]

    def get_all_collection_keys(self) -> list[str]:
        """Names of the non-empty collections."""
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name: str) -> None:
        """Empty one collection."""
        self._collections.pop(name, None)

    def as_dot(self) -> str:
        """The graph as Graphviz DOT text."""
        from .dot import graph_to_dot

        return graph_to_dot(self)

    @property
    def building_function(self) -> bool:
        """Always False (no function graphs)."""
        return False


def _fresh_read(v: Any) -> Any:
    """A new read of `v` when it is a variable (its own node), else `v`."""
    key = v.node.params.get("key") if v.node.kind == "variable" else None
    return key.read_value() if key is not None and key is v else v


def _node_of(x: Any, graph: Graph) -> ir.Node:
    """The node behind a control input (Operation, Tensor or Variable)."""
    if isinstance(x, Operation):
        node = x._node
    elif isinstance(x, ir.Value):
        node = x.node
    else:
        raise TypeError(f"Can not convert a {type(x).__name__} into an Operation or Tensor.")
    if node.graph is not graph:
        raise ValueError(f"control input {x!r} is from another graph")
    return node


class _Probe:
    """A stand-in operand for shape rules: a shape and a dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple, dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype


def _unknown_rank_aval(prim, inputs, params) -> AVal:
    """The output of a primitive applied to operands of unknown rank.

    Shape checks of such operands happen when the graph runs; here the rule runs with stand-in
    shapes only to learn the dtype (and the output shape when the rank does not depend on them).
    """
    known = [tuple(v.shape) for v in inputs if not is_unknown_rank(v.shape)]
    candidates = [None, ()] + sorted(set(known), key=len, reverse=True)[:1]
    aval, error = None, None
    for cand in candidates:
        probes = [
            v if cand is None or not is_unknown_rank(v.shape) else _Probe(cand, v.dtype)
            for v in inputs
        ]
        try:
            aval = prim.shape_rule(*probes, **params)
            break
        except ShapeError as e:
            error = error or e
    if aval is None:
        raise error
    # the record says whether the output's rank follows from the params or from one operand
    source = prim.shape_from
    if prim.rank_from_params:
        return aval
    if source is not None and not is_unknown_rank(inputs[source].shape):
        return AVal(tuple(inputs[source].shape), aval.dtype)
    return AVal(TensorShape(None), np.dtype(aval.dtype))


# ---- the default graph ------------------------------------------------------------------------

_global_default: Graph | None = None
_global_lock = threading.Lock()
_thread = threading.local()


def _default_stack() -> list:
    stack = getattr(_thread, "graphs", None)
    if stack is None:
        stack = _thread.graphs = []
    return stack


def get_default_graph() -> Graph:
    """The innermost `as_default()` graph of this thread, else the global default graph."""
    stack = _default_stack()
    if stack:
        return stack[-1]
    global _global_default
    if _global_default is None:
        with _global_lock:
            if _global_default is None:
                _global_default = Graph()
    return _global_default


def reset_default_graph() -> None:
    """Replace the global default graph with a new, empty one."""
    if _default_stack():
        raise AssertionError(
            "Do not use tf.reset_default_graph() to clear nested graphs. If you need a cleared "
            "graph, exit the nesting and create a new graph."
        )
    global _global_default
    with _global_lock:
        _global_default = Graph()


def graph_of(*values: Any) -> Graph:
    """The graph an op on `values` belongs to: that of its tensor operands, else the default.

    Tensors from two graphs raise ValueError, as TF does.
    """
    found: ir.Value | None = None
    for v in values:
        if isinstance(v, (list, tuple)):
            for w in v:
                found = _check_same(found, w)
        else:
            found = _check_same(found, v)
    return found.graph if found is not None else get_default_graph()


def _check_same(found: ir.Value | None, v: Any) -> ir.Value | None:
    if not isinstance(v, ir.Value):
        return found
    if found is None:
        return v
    if v.graph is not found.graph:
        raise ir.GraphError(f"{v} must be from the same graph as {found}.")
    return found
