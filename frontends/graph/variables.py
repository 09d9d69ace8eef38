"""`tf.Variable`: a tensor that reads the session's state, plus its initializer and assign ops.

The variable node reads `state[variable]`; `initializer`, `assign`, `assign_add` and
`assign_sub` are effect nodes that return new arrays as writes (never changing the committed
array in place), committed only when the whole run succeeds.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ...core import ops
from ...core.errors import ShapeError
from ...core.ir import Value
from ...core.ownership import own
from ...core.primitives.registry import AVal
from . import convert
from .control_flow import noop_node
from .graph import GraphKeys, get_default_graph
from .shapes import TensorShape
from .tensor import Operation, Tensor


def convert_index(item: Any) -> Any:
    """An index item as core's getitem takes it (lists become integer arrays)."""
    return np.asarray(item) if isinstance(item, list) else item


# a slice of a variable (`v[1]`, `v[:, 2:]`) -> (the variable, the index), for `.assign`
_SLICES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _VariableSlice(Tensor):
    """`variable[index]`: a tensor with `assign`, as TF1's sliced variables have."""

    __slots__ = ()

    def assign(
        self, value: Any, use_locking: Any = None, name: str | None = None, read_value: bool = True
    ) -> Tensor:
        """An op writing `value` into this slice of the variable; it evaluates to the whole new
        value of the variable, as TF's strided-slice assign does."""
        var, key = _SLICES[self]
        g = var.graph

        def build() -> Any:
            part = ops.getitem(var, key)
            v = convert.operand(value, part, g, "assign")
            placed = ops.getitem_grad(ops.broadcast_like(v, part), var, key)
            mask = ops.getitem_grad(ops.fill_like(part, True, np.bool_), var, key)
            return ops.where(mask, placed, var)

        return var.assign(g.build_op("StridedSliceAssign", None, build), name=name)


class Variable(Tensor):
    """A mutable tensor kept in the session between runs, as TF1's `tf.Variable`."""

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool | None = None,
        collections: Any = None,
        validate_shape: bool = True,
        caching_device: Any = None,
        name: str | None = None,
        variable_def: Any = None,
        dtype: Any = None,
        expected_shape: Any = None,
        import_scope: Any = None,
        constraint: Any = None,
        use_resource: Any = None,
        synchronization: Any = None,
        aggregation: Any = None,
        shape: Any = None,
    ) -> None:
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        g = initial_value.graph if isinstance(initial_value, Value) else get_default_graph()
        self.trainable = True if trainable is None else bool(trainable)
        self.constraint = constraint
        # variables are made outside any control_dependencies block (TF's init_scope)
        with g.control_dependencies(None), g.name_scope(name or "Variable") as scope:
            var_name = scope[:-1]
            if callable(initial_value):
                initial_value = initial_value()
            init = convert.convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            static = TensorShape(shape) if shape is not None else init.shape
            if validate_shape and not static.is_fully_defined():
                raise ValueError(
                    f"initial_value of variable '{var_name}' must have a fully defined shape, got "
                    f"{init.shape}; pass shape= or validate_shape=False"
                )
            if not static.is_compatible_with(init.shape):
                raise ValueError(
                    f"variable '{var_name}': shape {static} does not fit the initial value's "
                    f"shape {init.shape}"
                )
            self._initial_value = init

            def make(graph, node, aval):
                Tensor.__init__(self, graph, node, aval)
                return self

            aval = AVal(static, init.dtype.np_dtype)
            g._add("variable", None, {"key": self}, (), aval, "tmp", make=make)
            g._rename(self.node, var_name)
            self.node.attrs["type"] = "VariableV2"
            effect = _write_effect(self, "assign")
            op = g._add("effect", None, {"reads": ()}, (init,), aval, "Assign", effect)
            op.node.attrs["type"] = "Assign"
            self._initializer = Operation.of(op.node)
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        collections = list(collections)
        if self.trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        g.add_to_collections(collections, self)

    # ---- TF's variable API -----------------------------------------------------------------------
    @property
    def initializer(self) -> Operation:
        """The op that gives the variable its initial value."""
        return self._initializer

    def __getitem__(self, index: Any) -> Tensor:
        """A slice of the variable's value; `v[i].assign(x)` writes that slice."""
        from .array_ops import _is_dynamic, slice_tensor

        out = slice_tensor(self, index)
        items = index if isinstance(index, tuple) else (index,)
        if isinstance(out, Tensor) and type(out) is Tensor and not any(map(_is_dynamic, items)):
            out.__class__ = _VariableSlice
            _SLICES[out] = (self, tuple(convert_index(i) for i in items))
        return out

    @property
    def initial_value(self) -> Tensor:
        """The tensor the initializer assigns."""
        return self._initial_value

    def initialized_value(self) -> Tensor:
        """The initial value (use it to initialise another variable from this one)."""
        return self._initial_value

    def value(self) -> Tensor:
        """The variable's current value as a tensor (the variable itself)."""
        return self

    def read_value(self) -> Tensor:
        """A fresh read of the variable, ordered by any enclosing control_dependencies."""
        g = self.graph
        aval = AVal(self.shape, self.dtype.np_dtype)
        t = g._add("variable", None, {"key": self}, (), aval, self.node.name + "/read")
        t.node.attrs["type"] = "Identity"
        return t

    def eval(self, session: Any = None, feed_dict: Any = None) -> Any:  # type: ignore[override]
        """The variable's value in `session` (default: the default session)."""
        if isinstance(session, dict):
            session, feed_dict = feed_dict, session
        return Tensor.eval(self, feed_dict=feed_dict, session=session)

    def load(self, value: Any, session: Any = None) -> None:
        """Set the variable's value in `session` directly (no graph op)."""
        from .session import _session_for

        s = _session_for(session, "load()")
        if s.graph is not self.graph:
            raise ValueError(f"load: {self} is not an element of the session's graph")
        arr = convert.to_array(value, self.dtype, f"load into '{self.node.name}'")
        if arr.shape != tuple(self.shape):
            raise ValueError(
                f"Cannot load value of shape {arr.shape} into variable '{self.node.name}' of "
                f"shape {self.shape}"
            )
        s._write(self, own(np.array(arr, copy=True)))

    def assign(
        self, value: Any, use_locking: Any = None, name: str | None = None, read_value: bool = True
    ) -> Tensor:
        """An op setting the variable to `value`; it evaluates to the new value."""
        return _assign(self, value, "assign", name or "Assign")

    def assign_add(
        self, delta: Any, use_locking: Any = None, name: str | None = None, read_value: bool = True
    ) -> Tensor:
        """An op adding `delta` to the variable; it evaluates to the new value."""
        return _assign(self, delta, "add", name or "AssignAdd")

    def assign_sub(
        self, delta: Any, use_locking: Any = None, name: str | None = None, read_value: bool = True
    ) -> Tensor:
        """An op subtracting `delta` from the variable; it evaluates to the new value."""
        return _assign(self, delta, "sub", name or "AssignSub")

    def set_shape(self, shape: Any) -> None:
        """Variables keep their shape."""
        raise ValueError("a variable's shape cannot be changed")

    def get_shape(self) -> TensorShape:
        """The variable's shape."""
        return self.shape

    def __repr__(self) -> str:
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}_ref>"

    __str__ = __repr__

    __hash__ = Tensor.__hash__


def _write_effect(var: Variable, how: Any, old_value: bool = False):
    """The effect of assign/assign_add/assign_sub (or of `how(current, *values)`, a
    read-modify-write such as a scatter): a new array for the variable.

    As a run's last step (`state.guard` set) it reads the variable, computes and commits under
    the session's commit lock, so concurrent runs apply every update (none is lost); elsewhere
    in a run its write is staged and committed when the run succeeds. The op's value is the new
    array (`old_value`: the one it replaced, as count_up_to returns).
    """
    np_dtype = var.dtype.np_dtype
    shape = tuple(var.shape)
    name = var.node.name

    def compute(state, values):
        if how == "assign":
            new = values[0]
        elif how == "add":
            new = ops.add(state[var], values[0])
        elif how == "sub":
            new = ops.sub(state[var], values[0])
        else:
            new = how(state[var], *values)
        if np.shape(new) != shape:
            raise ShapeError(
                f"Assign to variable '{name}': value of shape {np.shape(new)} does not match the "
                f"variable's shape {shape}"
            )
        return own(np.array(new, dtype=np_dtype, copy=True))  # the state owns its own array

    def effect(state, *values):
        guard = getattr(state, "guard", None)
        if guard is None:
            old = state[var] if old_value else None
            new = compute(state, values)
            return (old if old_value else new), {var: new}
        with guard.lock:
            old = state[var] if old_value else None
            new = compute(state, values)
            state.base[var] = new
            state.writes.pop(var, None)  # an earlier staged write of this run is superseded
        return (old if old_value else new), {}

    return effect


def _assign(var: Variable, value: Any, how: str, name: str) -> Tensor:
    g = var.graph
    if isinstance(value, Value):
        if value.graph is not g:
            raise ValueError(f"{value} must be from the same graph as {var}.")
        if value.dtype != var.dtype:
            raise TypeError(
                f"Input 'value' of '{name}' Op has type {value.dtype.name} that does not match "
                f"type {var.dtype.name} of argument 'ref'."
            )
        v = value
    else:
        v = None
    aval = AVal(var.shape, var.dtype.np_dtype)

    def build():
        val = v if v is not None else convert.operand(value, var, g, f"value of {name}")
        vs = val.shape
        if not vs.is_compatible_with(var.shape) and how == "assign":
            raise ValueError(
                f"Shapes must be equal for assign: variable '{var.node.name}' has shape "
                f"{var.shape}, value has {vs}"
            )
        return g._add(
            "effect", None, {"reads": (var,)}, (val,), aval, "op", _write_effect(var, how)
        )

    type_name = {"assign": "Assign", "add": "AssignAdd", "sub": "AssignSub"}[how]
    return g.build_op(type_name, name, build)


def update_op(
    var: Variable, how: Callable, inputs: tuple, type_name: str, name: str, old_value: bool = False
) -> Tensor:
    """An op setting `var` to `how(current value, *input values)`, read and written in one
    effect (atomic against concurrent runs when it is a run's last step: scatters,
    count_up_to); it evaluates to the new value (`old_value`: the value it replaced)."""
    g = var.graph
    aval = AVal(var.shape, var.dtype.np_dtype)
    effect = _write_effect(var, how, old_value)

    def build():
        return g._add("effect", None, {"reads": (var,)}, tuple(inputs), aval, "op", effect)

    return g.build_op(type_name, name, build)


def assign(
    ref: Variable,
    value: Any,
    validate_shape: Any = None,
    use_locking: Any = None,
    name: str | None = None,
) -> Tensor:
    """ref.assign(value)."""
    return _check_var(ref, "assign").assign(value, name=name)


def assign_add(
    ref: Variable, value: Any, use_locking: Any = None, name: str | None = None
) -> Tensor:
    """ref.assign_add(value)."""
    return _check_var(ref, "assign_add").assign_add(value, name=name)


def assign_sub(
    ref: Variable, value: Any, use_locking: Any = None, name: str | None = None
) -> Tensor:
    """ref.assign_sub(value)."""
    return _check_var(ref, "assign_sub").assign_sub(value, name=name)


def _check_var(ref: Any, op: str) -> Variable:
    if not isinstance(ref, Variable):
        raise TypeError(f"{op}: ref must be a tf.Variable, got {ref!r}")
    return ref


# ---- collections of variables and their initializers --------------------------------------------


def global_variables(scope: str | None = None) -> list:
    """Variables in the GLOBAL_VARIABLES collection of the default graph."""
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope: str | None = None) -> list:
    """Variables in the TRAINABLE_VARIABLES collection of the default graph."""
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list:
    """Variables in the LOCAL_VARIABLES collection of the default graph."""
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list: Any, name: str = "init") -> Operation:
    """One op running the initializers of `var_list`."""
    var_list = list(var_list)
    g = var_list[0].graph if var_list else get_default_graph()
    return noop_node(g, name, [v.initializer._node for v in var_list])


def global_variables_initializer() -> Operation:
    """One op initialising every global variable of the default graph."""
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer() -> Operation:
    """One op initialising every local variable (there are usually none)."""
    return variables_initializer(local_variables(), name="init_1")


initialize_all_variables = global_variables_initializer
initialize_variables = variables_initializer
all_variables = global_variables


def _is_initialized_effect(var: Variable):
    def effect(state):
        return np.asarray(var in state), {}

    return effect


def is_variable_initialized(variable: Variable) -> Tensor:
    """A bool tensor: has `variable` been given a value in the session?"""
    g = variable.graph
    aval = AVal((), np.dtype(np.bool_))
    t = g._add(
        "effect",
        None,
        {"reads": (variable,)},
        (),
        aval,
        "IsVariableInitialized",
        _is_initialized_effect(variable),
    )
    t.node.attrs["type"] = "IsVariableInitialized"
    return t
