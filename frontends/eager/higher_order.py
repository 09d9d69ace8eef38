"""``create_graph=True``: the reverse sweep run on tensors, so the gradients are differentiable.

The core's gradient rules are written with core operations. Handed arrays they compute numbers
(the everyday backward); handed tensors that require grad, every operation they run is recorded
on the tape like any other. Here each recorded node is shown to the same `reverse_sweep` with its
saved values wrapped as tensors that stand for the original ones (same autograd identity), so the
gradient it returns is itself a tensor with a history: gradient penalties, Hessian-vector
products and ``autograd.grad`` of gradients then work through the ordinary backward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.autodiff import reverse_sweep
from . import tape
from .grad_mode import enable_grad
from .tensor import Tensor


class _LiveNode:
    """A tape node seen with tensors for values (keys are the original node and operands)."""

    __slots__ = ("prim", "params", "inputs", "output", "input_keys", "output_key")

    def __init__(self, node: tape.Node) -> None:
        self.prim = node.prim
        self.params = node.params
        self.input_keys = node.input_keys
        self.output_key = node
        pairs = zip(node.inputs, node.input_keys, strict=True)
        self.inputs = tuple(_stand_in(a, k) for a, k in pairs)
        self.output = _stand_in(node.output, node)


def _stand_in(arr: Any, key: Any) -> Any:
    """A tensor holding `arr` whose gradient flows to `key` (the array itself when key is None)."""
    if key is None or not isinstance(arr, np.ndarray):
        return arr
    if type(key) is tape.AccumulateGrad:
        leaf = key.variable
        if leaf._data is arr:
            return leaf
        t = Tensor._make(arr, True)
        t._acc = key
        return t
    t = Tensor._make(arr, True)
    t._node = key
    return t


def _check_rules(nodes: Sequence[tape.Node]) -> None:
    for n in nodes:
        if n.prim.impl is None:  # a user-defined autograd.Function: its backward runs untaped
            raise NotImplementedError(
                f"create_graph=True through the custom autograd.Function {n.prim.name}: its "
                "backward is not differentiable here; write it with tensor operations in the "
                "forward instead, or differentiate only once"
            )


def sweep(
    roots: Sequence[tuple[Any, Any]], wanted: Sequence[Any] | None
) -> tuple[dict, list[tape.AccumulateGrad]]:
    """Run the reverse sweep with recording on; cotangents come back as tensors with history.

    `roots` are (key, seed) pairs (seeds are arrays or tensors); `wanted` None means every leaf
    reached. The graph is kept (PyTorch's create_graph implies retain_graph).
    """
    nodes, leaves = tape.collect([k for k, _ in roots])
    tape.check_versions(nodes)
    _check_rules(nodes)
    keys = list(leaves) if wanted is None else list(wanted)
    live = [_LiveNode(n) for n in nodes]
    seeds = [(k, s if isinstance(s, Tensor) else Tensor._make(s)) for k, s in roots]
    with enable_grad():
        cts = reverse_sweep(live, seeds, keys)
    return {k: _as_tensor(g) for k, g in cts.items()}, leaves


def _as_tensor(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else Tensor._make(np.asarray(g))


def accumulate(t: Tensor, g: Tensor) -> None:
    """``t.grad += g`` out of place, keeping g's history (as PyTorch does under create_graph)."""
    if g._data.dtype != t._data.dtype:
        g = g.to(t.dtype)
    if t._grad is None:
        t._grad = g
    else:
        with enable_grad():
            t._grad = t._grad + g
