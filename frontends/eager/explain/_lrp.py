"""Layer-wise relevance propagation (epsilon rule) for Linear, Conv2d, pooling and ReLU modules.

As Captum's LRP: the backward pass through each Linear / Conv2d / MaxPool2d / AvgPool2d module
divides the incoming signal by the module's output (stabilised by epsilon) and multiplies what
reaches its input by that input; ReLU / Tanh modules pass the signal through unchanged. The
relevance of the inputs is the result times the target output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import ops
from ....core.attribution.backend import select_target
from ..autograd import Function
from ..nn.conv import Conv2d
from ..nn.layers import Linear, ReLU, Tanh
from ..tensor import Tensor
from ._backend import EagerBackend
from ._format import extra_tuple, inputs_tuple, target_arg, tensor, wrap
from ._gradient import Attribution

EPS = 1e-9


class _Through(Function):
    """Value of `y`; the gradient passes to `x` unchanged (a ReLU without its mask)."""

    @staticmethod
    def forward(ctx, x, y):
        return Tensor._make(y._data)

    @staticmethod
    def backward(ctx, g):
        return g, None


class _TimesInput(Function):
    """Identity whose backward multiplies the signal by the value (signal -> relevance)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x._data
        return Tensor._make(x._data)

    @staticmethod
    def backward(ctx, g):
        return Tensor._make(np.ascontiguousarray(ops.mul(g._data, ctx.x)))


class _OverOutput(Function):
    """Identity whose backward divides the signal by the value stabilised by epsilon."""

    @staticmethod
    def forward(ctx, z):
        ctx.z = z._data
        return Tensor._make(z._data)

    @staticmethod
    def backward(ctx, g):
        z = ctx.z
        sign = np.where(z >= 0, 1, -1).astype(z.dtype)
        den = ops.add(z, ops.mul(sign, np.asarray(EPS, z.dtype)))
        return Tensor._make(np.ascontiguousarray(ops.div(g._data, den)))


def _rule_layers() -> tuple:
    from ..nn.conv import AvgPool2d, MaxPool2d

    return (Linear, Conv2d, MaxPool2d, AvgPool2d)


class LRP(Attribution):
    """Layer-wise relevance propagation with the epsilon rule (Captum's default rules)."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.model = model

    def attribute(
        self,
        inputs: Any,
        target: Any = None,
        additional_forward_args: Any = None,
        return_convergence_delta: bool = False,
        verbose: bool = False,
    ) -> Any:
        """Relevance of each input element for the target output."""
        name = "LRP"
        xs, is_tuple = inputs_tuple(name, inputs)
        rules = _rule_layers()
        handles = []
        for m in self.model.modules():
            if isinstance(m, rules):
                handles.append(
                    m.register_forward_pre_hook(
                        lambda mod, args: tuple(_TimesInput.apply(a) for a in args)
                    )
                )
                handles.append(
                    m.register_forward_hook(lambda mod, args, out: _OverOutput.apply(out))
                )
            elif isinstance(m, (ReLU, Tanh)):
                handles.append(
                    m.register_forward_hook(lambda mod, args, out: _Through.apply(args[0], out))
                )
            elif not list(m.children()) and m is not self.model and list(m.parameters()):
                for h in handles:
                    h.remove()
                raise TypeError(f"LRP: no rule for the module {type(m).__name__}")
        try:
            be = EagerBackend(self.forward_func, name)
            leaves = tuple(be.leaf(x) for x in xs)
            out = be.forward(leaves, extra_tuple(additional_forward_args))
            sel = select_target(name, out, target_arg(target))
            grads = be.grad(ops.sum(sel), leaves)
        finally:
            for h in handles:
                h.remove()
        value = be.value(sel)
        rel = tuple(ops.mul(g, ops.reshape(value, (-1,) + (1,) * (g.ndim - 1))) for g in grads)
        if return_convergence_delta:
            total = None
            for r in rel:
                s = ops.sum(ops.reshape(r, (r.shape[0], -1)), axes=(1,))
                total = s if total is None else ops.add(total, s)
            return wrap(rel, is_tuple), tensor(ops.sub(value, total))  # Captum: output - sum
        return wrap(rel, is_tuple)
