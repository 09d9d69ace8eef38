"""`tf.variable_scope` and `tf.get_variable`: variables named by scope, shared on request.

Each graph keeps a store of the variables `get_variable` made, by full name. Without reuse a
second `get_variable` of one name is a ValueError; with `reuse=True` the variable must exist;
with `tf.AUTO_REUSE` it is made the first time and shared afterwards, as in TF.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...core.ir import Value
from . import dtypes as tfd
from . import init_ops
from .graph import Graph, GraphKeys, get_default_graph
from .shapes import TensorShape
from .variables import Variable


class _AutoReuse:
    """The `tf.AUTO_REUSE` marker: make a variable if missing, else share it."""

    def __repr__(self) -> str:
        return "tf.AUTO_REUSE"


AUTO_REUSE = _AutoReuse()


class VariableScope:
    """A variable scope: a name prefix, a reuse mode, a default initializer and dtype."""

    def __init__(
        self,
        reuse: Any,
        name: str = "",
        initializer: Any = None,
        regularizer: Any = None,
        dtype: Any = tfd.float32,
        name_scope: str = "",
    ) -> None:
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = tfd.as_dtype(dtype)
        self._name_scope = name_scope

    @property
    def name(self) -> str:
        """The full scope name ("" at the top)."""
        return self._name

    @property
    def original_name_scope(self) -> str:
        """The name scope opened with this variable scope ("<scope>/")."""
        return self._name_scope

    @property
    def reuse(self) -> Any:
        """True, False or tf.AUTO_REUSE."""
        return self._reuse

    @property
    def initializer(self) -> Any:
        """The default initializer of get_variable inside this scope."""
        return self._initializer

    @property
    def regularizer(self) -> Any:
        """The default regularizer."""
        return self._regularizer

    @property
    def dtype(self) -> tfd.DType:
        """The default dtype."""
        return self._dtype

    def reuse_variables(self) -> None:
        """Share variables from now on inside this scope."""
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        """Set the default initializer."""
        self._initializer = initializer

    def set_regularizer(self, regularizer: Any) -> None:
        """Set the default regularizer."""
        self._regularizer = regularizer

    def get_variable(self, name: str, *args: Any, **kwargs: Any) -> Variable:
        """get_variable inside this scope."""
        with variable_scope(self):
            return get_variable(name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<VariableScope '{self._name}' reuse={self._reuse}>"


def _stack(g: Graph) -> list:
    stack = getattr(g._local, "var_scopes", None)
    if stack is None:
        stack = g._local.var_scopes = [VariableScope(False)]
    return stack


def get_variable_scope() -> VariableScope:
    """The current variable scope of the default graph."""
    return _stack(get_default_graph())[-1]


def _close_subscopes(g, full: str) -> None:
    # as TF: layers made by default name under a reopened scope get the same names again
    prefix = full + "/"
    for k in [k for k in g._var_scope_counts if k.startswith(prefix)]:
        del g._var_scope_counts[k]


@contextlib.contextmanager
def variable_scope(
    name_or_scope: Any = None,
    default_name: str | None = None,
    values: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    caching_device: Any = None,
    partitioner: Any = None,
    custom_getter: Any = None,
    reuse: Any = None,
    dtype: Any = None,
    use_resource: Any = None,
    constraint: Any = None,
    auxiliary_name_scope: bool = True,
) -> Iterator[VariableScope]:
    """Open a variable scope (and a name scope) for get_variable and the ops made inside."""
    g = get_default_graph()
    if values:
        found = [v for v in values if isinstance(v, Value)]
        if found:
            g = found[0].graph
    stack = _stack(g)
    parent = stack[-1]
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if reuse is False:
        reuse = None  # False means "inherit", as in TF
    inherited = parent.reuse if reuse is None else reuse
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
        name_scope_arg = name_or_scope.original_name_scope or None
        base = name_or_scope
        reuse_mode = name_or_scope.reuse if reuse is None else reuse
        _close_subscopes(g, full)
    else:
        if name_or_scope is None:
            prefix = parent.name + "/" if parent.name else ""
            count = g._var_scope_counts.get(prefix + default_name, 0)
            g._var_scope_counts[prefix + default_name] = count + 1
            short = default_name if count == 0 else f"{default_name}_{count}"
        else:
            short = str(name_or_scope)
        full = f"{parent.name}/{short}" if parent.name else short
        g._var_scope_counts.setdefault(full, 1)
        if name_or_scope is not None:  # reopening a named scope restarts its sub-scope names
            _close_subscopes(g, full)
        name_scope_arg = short if auxiliary_name_scope else None
        base = parent
        reuse_mode = inherited
    ctx = g.name_scope(name_scope_arg) if auxiliary_name_scope else contextlib.nullcontext("")
    with ctx as opened:
        if not opened and isinstance(name_or_scope, VariableScope):
            opened = name_or_scope.original_name_scope
        scope = VariableScope(
            reuse_mode,
            full,
            initializer if initializer is not None else base.initializer,
            regularizer if regularizer is not None else base.regularizer,
            dtype if dtype is not None else base.dtype,
            opened or "",
        )
        stack.append(scope)
        try:
            yield scope
        finally:
            stack.pop()


def _default_initializer(dtype: tfd.DType) -> Any:
    if dtype.is_floating:
        return init_ops.GlorotUniform()
    return init_ops.Zeros()


def get_variable(
    name: str,
    shape: Any = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    trainable: bool | None = None,
    collections: Any = None,
    caching_device: Any = None,
    partitioner: Any = None,
    validate_shape: bool = True,
    use_resource: Any = None,
    custom_getter: Any = None,
    constraint: Any = None,
    synchronization: Any = None,
    aggregation: Any = None,
) -> Variable:
    """The variable `<scope>/<name>`: made now, or shared when the scope reuses variables."""
    g = get_default_graph()
    scope = _stack(g)[-1]
    full = f"{scope.name}/{name}" if scope.name else name
    existing = g._var_store.get(full)
    reuse = scope.reuse
    if existing is not None:
        if reuse is True or reuse is AUTO_REUSE:
            return _check_shared(existing, full, shape, dtype)
        raise ValueError(
            f"Variable {full} already exists, disallowed. Did you mean to set reuse=True or "
            "reuse=tf.AUTO_REUSE in VarScope?"
        )
    if reuse is True:
        raise ValueError(
            f"Variable {full} does not exist, or was not created with tf.get_variable(). Did you "
            "mean to set reuse=tf.AUTO_REUSE in VarScope?"
        )
    dt = tfd.as_dtype(dtype) if dtype is not None else scope.dtype
    if initializer is None:
        initializer = scope.initializer
    if initializer is None:
        initializer = _default_initializer(dt)
    if inspect.isclass(initializer):
        initializer = initializer(dtype=dt)
    if callable(initializer):
        if shape is None:
            raise ValueError(
                f"Shape of a new variable ({full}) must be fully defined, but is None."
            )
        static = TensorShape(shape)
        if not static.is_fully_defined():
            raise ValueError(
                f"Shape of a new variable ({full}) must be fully defined, but instead was {static}."
            )

        def initial_value():
            return initializer(tuple(static), dtype=dt)
    else:
        value = initializer  # a tensor or an array-like gives the value (and the shape)
        if shape is not None and not TensorShape(
            np.shape(value) if not isinstance(value, Value) else value.shape
        ).is_compatible_with(shape):
            raise ValueError(f"get_variable {full}: the initial value does not have shape {shape}")

        def initial_value():
            return value

        dt = value.dtype if isinstance(value, Value) and dtype is None else dt
    with g.name_scope(None):
        var = Variable(
            initial_value,
            trainable=trainable,
            collections=collections,
            name=full,
            dtype=dt,
            validate_shape=validate_shape,
            constraint=constraint,
        )
    if var.node.name != full:
        raise ValueError(
            f"get_variable {full}: the name is already used by another op; choose another name"
        )
    g._var_store[full] = var
    reg = regularizer if regularizer is not None else scope.regularizer
    if reg is not None:
        with g.name_scope(full + "/Regularizer/"):
            loss = reg(var)
        if loss is not None:
            g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return var


def _check_shared(var: Variable, full: str, shape: Any, dtype: Any) -> Variable:
    if shape is not None and not TensorShape(shape).is_compatible_with(var.shape):
        raise ValueError(
            f"Trying to share variable {full}, but specified shape {TensorShape(shape)} and found "
            f"shape {var.shape}."
        )
    if dtype is not None and tfd.as_dtype(dtype) != var.dtype:
        raise ValueError(
            f"Trying to share variable {full}, but specified dtype {tfd.as_dtype(dtype).name} and "
            f"found dtype {var.dtype.name}."
        )
    return var
