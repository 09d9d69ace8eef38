"""Full backward hooks on modules: hook(module, grad_input, grad_output) -> new grad_input.

The module's tensor inputs pass through an identity whose backward calls the hooks, and its
output through an identity whose backward notes grad_output, as torch's
`register_full_backward_hook` does for modules with tensor inputs and one tensor output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import Function
from ..tensor import Tensor


class _NoteGradOutput(Function):
    """Identity; its backward records the gradient of the module's output."""

    @staticmethod
    def forward(ctx, x, state):
        ctx.state = state
        return Tensor._make(x._data)

    @staticmethod
    def backward(ctx, g):
        ctx.state["grad_output"] = g
        return g, None


class _CallHooks(Function):
    """Identity; its backward hands the gradient of the module's input to the hooks."""

    @staticmethod
    def forward(ctx, x, state):
        ctx.state = state
        return Tensor._make(x._data)

    @staticmethod
    def backward(ctx, g):
        st = ctx.state
        grad_out = (st.get("grad_output"),)
        for hook in list(st["hooks"].values()):
            res = hook(st["module"], (g,), grad_out)
            if res is not None:
                g = res[0] if isinstance(res, (tuple, list)) else res
        return g, None


def call_with_backward_hooks(module: Any, hooks: dict, args: tuple, run: Callable) -> Any:
    """Run `run(*args)` with the hooks attached to the gradients of its inputs and output."""
    state = {"hooks": hooks, "module": module}
    args = tuple(_CallHooks.apply(a, state) if isinstance(a, Tensor) and a._rg else a for a in args)
    out = run(*args)
    if isinstance(out, Tensor) and out._rg:
        out = _NoteGradOutput.apply(out, state)
    return out
