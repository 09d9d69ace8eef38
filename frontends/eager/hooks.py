"""``Tensor.register_hook``: call ``hook(grad)`` when a tensor's gradient is computed; a hook
that returns a tensor replaces the gradient.

On a leaf the hooks sit on its accumulator and run before the gradient lands in ``.grad``. On an
intermediate they run when the reverse sweep reaches the node that produced the tensor: that
node's record is wrapped so that its gradient rule first hands the (complete) cotangent of the
output to the hooks, then carries on with what they return. Nothing changes for nodes without
hooks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tape
from .tensor import Tensor, _key


def run(hooks: dict, g: Any) -> Any:
    """Pass cotangent g through the hooks in registration order (arrays stay arrays)."""
    for hook in list(hooks.values()):
        as_array = not isinstance(g, Tensor)
        t = Tensor._make(g) if as_array else g
        r = hook(t)
        if r is None:
            continue
        if not isinstance(r, Tensor):
            raise TypeError(f"a tensor hook must return a Tensor or None, got {type(r).__name__}")
        if tuple(r.shape) != tuple(t.shape):
            raise RuntimeError(
                f"hook '{getattr(hook, '__name__', hook)}' has changed the size of value: "
                f"expected {tuple(t.shape)}, got {tuple(r.shape)}"
            )
        g = np.asarray(r._data, dtype=t._data.dtype) if as_array else r
    return g


class HookedRule:
    """A primitive's record seen through its node's tensor hooks (every other field unchanged)."""

    __slots__ = ("_prim", "hooks", "cotangent_at")

    def __init__(self, prim: Any) -> None:
        self._prim = prim
        self.hooks: dict = {}
        self.cotangent_at = None  # the hooks need the whole cotangent, never a slice piece

    def __getattr__(self, name: str) -> Any:
        return getattr(self._prim, name)

    def vjp(self, g: Any, out: Any, *inputs: Any, wants: Any, **params: Any) -> Any:
        """Run the hooks on the output's cotangent, then the primitive's own rule."""
        return self._prim.vjp(run(self.hooks, g), out, *inputs, wants=wants, **params)


def leaf_grad(acc: Any, g: Any) -> Any:
    """A leaf's gradient after its hooks (called before it is accumulated into ``.grad``)."""
    hooks = getattr(acc, "pre_hooks", None)
    return run(hooks, g) if hooks else g


def register_hook(self: Tensor, hook: Any) -> tape.HookHandle:
    """Call ``hook(grad)`` whenever this tensor's gradient is computed (returns a handle)."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key = _key(self)
    if isinstance(key, tape.AccumulateGrad):
        if key.pre_hooks is None:
            key.pre_hooks = {}
        return tape.HookHandle(key.pre_hooks, hook)
    if key.prim.vjp is None and key.prim.impl is not None:
        raise RuntimeError(f"register_hook: no gradient flows through '{key.name()}'")
    if not isinstance(key.prim, HookedRule):
        key.prim = HookedRule(key.prim)
    return tape.HookHandle(key.prim.hooks, hook)


Tensor.register_hook = register_hook
