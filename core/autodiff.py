"""The one reverse-mode sweep that both frontends run.

The sweep walks nodes given in creation (topological) order backwards. A node is anything with
``prim``, ``params``, ``inputs`` (the values handed to the VJP rule), ``output`` (the forward
result), ``input_keys`` and ``output_key`` (hashable identities, None for an input that can never
carry a gradient). The eager frontend hands it tape records whose values are arrays, so the rules
compute numbers; the graph frontend hands it IR nodes whose values are symbolic, so the same rules
build the gradient graph. Cotangents meeting at one key are added in a fixed order: in reverse
creation order of the consumers, and by operand position within one consumer. That order, plus
shared rules and kernels, is what makes eager and graph gradients bit-identical.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from .primitives.elementwise import add


class SweepNode(Protocol):
    """What the sweep needs to know of one recorded operation."""

    prim: Any
    params: dict
    inputs: Sequence[Any]
    output: Any
    input_keys: Sequence[Hashable | None]
    output_key: Hashable


class GradientError(RuntimeError):
    """A gradient was asked through an operation that has no VJP rule."""


def _differentiable(value: Any) -> bool:
    return np.dtype(value.dtype).kind == "f"


def reverse_sweep(
    nodes: Sequence[SweepNode],
    seeds: Iterable[tuple[Hashable, Any]],
    wanted: Iterable[Hashable],
    keep: Iterable[Hashable] = (),
) -> dict[Hashable, Any]:
    """Propagate cotangents from `seeds` back through `nodes`; return those of `wanted` keys.

    Keys in `keep` also keep their cotangent in the result (e.g. retained non-leaf grads).
    A wanted key that no seed reaches is absent from the result (the caller reports None).
    """
    wanted = set(wanted)
    keep = set(keep) | wanted
    # forward pass: which keys depend on a wanted key (only those need cotangents)
    live: set[Hashable] = set(wanted)
    for node in nodes:
        if any(k is not None and k in live for k in node.input_keys):
            live.add(node.output_key)

    cts: dict[Hashable, Any] = {}
    for key, ct in seeds:
        if key in live:
            cts[key] = add(cts[key], ct) if key in cts else ct

    result: dict[Hashable, Any] = {}
    for node in reversed(nodes):
        okey = node.output_key
        if okey not in cts:
            continue
        g = cts[okey] if okey in keep else cts.pop(okey)
        keys = node.input_keys
        wants = tuple(
            k is not None
            and k in live
            and i not in node.prim.nondiff
            and _differentiable(node.inputs[i])
            for i, k in enumerate(keys)
        )
        if not any(wants):
            continue
        if node.prim.vjp is None:
            raise GradientError(
                f"no gradient is defined through '{node.prim.name}'; "
                "stop the gradient before it (stop_gradient / detach) or drop it from the path"
            )
        grads = node.prim.vjp(g, node.output, *node.inputs, wants=wants, **node.params)
        for i, k in enumerate(keys):
            if not wants[i]:
                continue
            gi = grads[i]
            if gi is None:
                continue
            cts[k] = add(cts[k], gi) if k in cts else gi
    for k in keep:
        if k in cts:
            result[k] = cts[k]
    return result
