"""The eager style's way into a model for the shared attribution methods (arrays in and out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ....core.attribution.backend import LayerBackend, shape_of
from ....core.random import default_generator
from ..autograd import grad as _grad
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor


def as_array(x: Any) -> Any:
    """A tensor's array (other values as they are)."""
    return x._data if isinstance(x, Tensor) else x


class EagerBackend(LayerBackend):
    """Runs `forward_func` on tensors made from the methods' arrays."""

    def __init__(
        self, forward_func: Any, name: str, rescale_model: Any = None, layer_input: bool = False
    ) -> None:
        self.forward_func = forward_func
        self.name = name
        self.rescale_model = rescale_model
        # attribute to the layer's input (its first positional argument) instead of its output
        self.layer_input = layer_input

    def leaf(self, x: Any) -> Tensor:
        """A fresh tensor that requires grad holding `x`."""
        return Tensor._make(np.array(as_array(x), copy=True), rg=True)

    def _tensor(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            return x
        if isinstance(x, np.ndarray):
            return Tensor._make(np.ascontiguousarray(x))
        return x

    def forward(self, inputs: Sequence[Any], extra: Sequence[Any]) -> Tensor:
        """The model's output (recorded for differentiation)."""
        with enable_grad():
            out = self.forward_func(*[self._tensor(x) for x in inputs],
                                    *[self._tensor(a) for a in extra])  # fmt: skip
        if not isinstance(out, Tensor):
            raise TypeError(f"{self.name}: the model must return one Tensor, got {type(out)}")
        return out

    def grad(self, y: Any, xs: Sequence[Any]) -> tuple:
        """Gradient arrays of sum(y) with respect to each of `xs` (zeros where unused)."""
        with enable_grad():
            gs = _grad(y, list(xs), allow_unused=True)
        return tuple(
            np.zeros(shape_of(x), as_array(x).dtype) if g is None else g._data
            for g, x in zip(gs, xs, strict=True)
        )

    def value(self, y: Any) -> Any:
        """The array of a tensor."""
        return as_array(y)

    def random(self, kind: str, like: Any, dtype: np.dtype, a: float, b: float) -> np.ndarray:
        """Draws shaped like `like` from the shared stream (as torch.randn / torch.rand)."""
        shape = shape_of(like)
        if kind == "normal":
            return default_generator.normal(shape, dtype, a, b)
        return default_generator.uniform(shape, dtype, a, b)

    def forward_rescaled(self, inputs, extra, eps: float) -> Tensor:
        """The output with every ReLU / Sigmoid / Tanh module's output given the rescale rule."""
        from ....core.attribution.rescale import rescaled
        from ..nn.layers import ReLU, Sigmoid, Tanh

        def hook(module, args, out):
            return rescaled(args[0], out, args[0]._data, out._data, eps)

        handles = [m.register_forward_hook(hook) for m in self.rescale_model.modules()
                   if isinstance(m, (ReLU, Sigmoid, Tanh))]  # fmt: skip
        try:
            return self.forward(inputs, extra)
        finally:
            for h in handles:
                h.remove()

    def forward_layer(self, inputs, extra, layer, replace=None) -> tuple:
        """(model output, the layer module's output or input), optionally replacing that value."""
        seen: list = []

        def take(value):
            if not isinstance(value, Tensor):
                what = "input" if self.layer_input else "output"
                raise TypeError(
                    f"{self.name}: the layer's {what} must be one Tensor, "
                    f"got {type(value).__name__}"
                )
            if replace is not None:
                leaf = self.leaf(replace)
                if leaf.shape != value.shape:
                    what = "input" if self.layer_input else "output"
                    raise ValueError(
                        f"{self.name}: the replacement of the layer's {what} has shape "
                        f"{tuple(leaf.shape)}, the layer gives {tuple(value.shape)}"
                    )
                seen.append(leaf)
                return leaf
            if not value.requires_grad:
                # the model's own input reaches the layer unrecorded: differentiate from here
                value = self.leaf(value)
                seen.append(value)
                return value
            seen.append(value)
            return None

        def post(module, args, out):
            return take(out)

        def pre(module, args):
            if len(args) != 1:
                raise TypeError(
                    f"{self.name}: attribute_to_layer_input needs a layer called with one tensor, "
                    f"{type(module).__name__} got {len(args)} arguments"
                )
            new = take(args[0])
            return None if new is None else (new,)

        if self.layer_input:
            handle = layer.register_forward_pre_hook(pre)
        else:
            handle = layer.register_forward_hook(post)
        try:
            out = self.forward(inputs, extra)
        finally:
            handle.remove()
        if not seen:
            raise ValueError(
                f"{self.name}: the layer {type(layer).__name__} was not called when the model "
                "ran; give a layer (module) that is part of the model's forward"
            )
        return out, seen[-1]


def check_layer(name: str, model: Any, layer: Any) -> None:
    """Raise a named error when `layer` is not a module of `model` (when model is a Module)."""
    from ..nn.module import Module

    if not isinstance(layer, Module):
        raise TypeError(f"{name}: layer must be a Module of the model, got {type(layer).__name__}")
    if isinstance(model, Module) and not any(m is layer for m in model.modules()):
        raise ValueError(
            f"{name}: the layer {type(layer).__name__} is not part of the model "
            f"{type(model).__name__}; give one of model.modules()"
        )


def no_record() -> Any:
    """A context that records nothing for differentiation."""
    return no_grad()
