"""``torch.nn.grad``: the gradients of a convolution with respect to its input
(``conv{1,2,3}d_input``) and its weight (``conv{1,2,3}d_weight``), computed by the shared
reverse sweep on the convolution itself with ``create_graph``, so they are differentiable in
turn (the cotangent and the other operand get gradients)."""

from __future__ import annotations

import types
from typing import Any

from .. import creation as _cr
from ..autograd import grad as _grad
from ..tensor import Tensor


def _conv(n: int):
    from . import functional as F

    return (F.conv1d, F.conv2d, F.conv3d)[n - 1]


def _input_grad(n: int):
    def fn(
        input_size: Any, weight: Tensor, grad_output: Tensor, stride: Any = 1, padding: Any = 0,
        dilation: Any = 1, groups: int = 1,
    ) -> Tensor:  # fmt: skip
        x = _cr.zeros(*tuple(input_size), dtype=weight.dtype, requires_grad=True)
        y = _conv(n)(x, weight, None, stride, padding, dilation, groups)
        if tuple(y.shape) != tuple(grad_output.shape):
            raise RuntimeError(
                f"conv{n}d_input: grad_output of shape {tuple(grad_output.shape)} does not match "
                f"the convolution's output shape {tuple(y.shape)} for input_size "
                f"{tuple(input_size)}"
            )
        return _grad(y, x, grad_output, create_graph=True)[0]

    fn.__name__ = fn.__qualname__ = f"conv{n}d_input"
    fn.__doc__ = f"The gradient of conv{n}d with respect to an input of `input_size`."
    return fn


def _weight_grad(n: int):
    def fn(
        input: Tensor, weight_size: Any, grad_output: Tensor, stride: Any = 1, padding: Any = 0,
        dilation: Any = 1, groups: int = 1,
    ) -> Tensor:  # fmt: skip
        w = _cr.zeros(*tuple(weight_size), dtype=input.dtype, requires_grad=True)
        y = _conv(n)(input, w, None, stride, padding, dilation, groups)
        if tuple(y.shape) != tuple(grad_output.shape):
            raise RuntimeError(
                f"conv{n}d_weight: grad_output of shape {tuple(grad_output.shape)} does not "
                f"match the convolution's output shape {tuple(y.shape)}"
            )
        return _grad(y, w, grad_output, create_graph=True)[0]

    fn.__name__ = fn.__qualname__ = f"conv{n}d_weight"
    fn.__doc__ = f"The gradient of conv{n}d with respect to a weight of `weight_size`."
    return fn


namespace = types.ModuleType("torch.nn.grad", "Convolution gradients (see conv_grad.py).")
for _n in (1, 2, 3):
    setattr(namespace, f"conv{_n}d_input", _input_grad(_n))
    setattr(namespace, f"conv{_n}d_weight", _weight_grad(_n))

FUNCTIONS: list[str] = []
MODULES = ["grad"]
grad = namespace
