"""`tf.RegisterGradient`, `Graph.gradient_override_map` and `tf.custom_gradient`.

An op made inside `gradient_override_map({"Relu": "GuidedRelu"})` carries the name of its
override; `tf.gradients` then runs, for that node, the function registered under the name
(called as TF1 does: `fn(op, grad)`, returning one gradient per input) instead of the op's own
VJP rule. `custom_gradient` marks its output the same way with the user's gradient function,
whose gradients go straight to the function's inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from .convert import convert_to_tensor
from .graph import Graph
from .tensor import Operation, Tensor

_REGISTRY: dict[str, Callable] = {}


class RegisterGradient:
    """Decorator registering `fn(op, grad)` as the gradient named `op_type`."""

    def __init__(self, op_type: str) -> None:
        if not isinstance(op_type, str):
            raise TypeError(f"RegisterGradient: op_type must be a string, got {op_type!r}")
        self._op_type = op_type

    def __call__(self, fn: Callable) -> Callable:
        if self._op_type in _REGISTRY:
            raise KeyError(f"Registering two gradient with name '{self._op_type}'!")
        _REGISTRY[self._op_type] = fn
        return fn


def NotDifferentiable(op_type: str) -> None:  # noqa: N802 - TF's name
    """Register `op_type` as having no gradient (its inputs get None)."""
    _REGISTRY.setdefault(op_type, None)


@contextlib.contextmanager
def gradient_override_map(self: Graph, op_type_map: dict) -> Iterator[None]:
    """Ops of the mapped types made inside use the registered gradient named by the map."""
    if not isinstance(op_type_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in op_type_map.items()
    ):
        raise TypeError(
            f"gradient_override_map: expected a dict of op type -> gradient name (strings), "
            f"got {op_type_map!r}"
        )
    start = len(self.nodes)
    try:
        yield
    finally:
        for node in self.nodes[start:]:
            name = op_type_map.get(node.attrs.get("type"))
            if name is not None and node.kind == "op" and "gradient_override" not in node.attrs:
                node.attrs["gradient_override"] = name


class _Rule:
    """A stand-in primitive whose VJP calls a Python gradient function."""

    nondiff: tuple = ()
    cotangent_at = None

    def __init__(self, name: str, vjp: Callable) -> None:
        self.name = name
        self.vjp = vjp


class _OverrideNode:
    """One node of the reverse sweep running a registered or custom gradient."""

    __slots__ = ("prim", "params", "inputs", "output", "input_keys", "output_key", "index")

    def __init__(self, node: Any, inputs: tuple, rule: _Rule) -> None:
        self.prim = rule
        self.params: dict = {}
        self.inputs = inputs
        self.input_keys = inputs
        self.output = node.output
        self.output_key = node.output
        self.index = node.index


def _grads_list(out: Any, n: int, who: str) -> list:
    grads = list(out) if isinstance(out, (list, tuple)) else [out]
    if len(grads) != n:
        raise ValueError(f"{who} returned {len(grads)} gradients for {n} inputs")
    return [None if g is None else convert_to_tensor(g) for g in grads]


def _registered(node: Any) -> _OverrideNode:
    name = node.attrs["gradient_override"]
    if name not in _REGISTRY:
        raise LookupError(
            f"No gradient defined for operation '{node.name}' (op type: {node.attrs.get('type')}):"
            f" gradient_override_map names '{name}', which no @tf.RegisterGradient registered"
        )
    fn = _REGISTRY[name]
    op = Operation.of(node)
    inputs = tuple(node.inputs)

    def vjp(g: Any, out: Any, *xs: Any, wants: Any = None) -> list:
        if fn is None:
            return [None] * len(xs)
        return _grads_list(fn(op, g), len(xs), f"the gradient '{name}'")

    return _OverrideNode(node, inputs, _Rule(f"gradient:{name}", vjp))


def _custom(node: Any) -> _OverrideNode:
    xs, grad_fn = node.attrs["custom_gradient"]

    def vjp(g: Any, out: Any, *inputs: Any, wants: Any = None) -> list:
        return _grads_list(grad_fn(g), len(xs), "custom_gradient's grad_fn")

    return _OverrideNode(node, tuple(xs), _Rule("custom_gradient", vjp))


def apply_overrides(nodes: list) -> list:
    """The sweep's nodes with overridden ones replaced by nodes running their gradient."""
    out = []
    for n in nodes:
        attrs = getattr(n, "attrs", None)
        if attrs is not None and "custom_gradient" in attrs:
            out.append(_custom(n))
        elif attrs is not None and "gradient_override" in attrs:
            out.append(_registered(n))
        else:
            out.append(n)
    return out


def custom_gradient(f: Callable) -> Callable:
    """Decorator: `f(*xs)` returns `(y, grad_fn)`; tf.gradients through y calls grad_fn(dy)
    for the gradients of the xs (one tensor output y)."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("custom_gradient: pass the inputs positionally")
        xs = [a if isinstance(a, Tensor) else convert_to_tensor(a) for a in args]
        y, grad_fn = f(*xs)
        if not isinstance(y, Tensor):
            raise TypeError(
                f"custom_gradient: {f.__name__} must return (one tensor, grad_fn); nested "
                "outputs are not supported"
            )
        from .array_ops import identity

        out = identity(y, name=f"{f.__name__}_custom_gradient")
        out.node.attrs["custom_gradient"] = (xs, grad_fn)
        return out

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


def attach(tf: Any) -> None:
    """Add the names to `tf` and the method to tf.Graph."""
    Graph.gradient_override_map = gradient_override_map
    tf.RegisterGradient = RegisterGradient
    tf.NotDifferentiable = tf.no_gradient = NotDifferentiable
    tf.custom_gradient = custom_gradient
