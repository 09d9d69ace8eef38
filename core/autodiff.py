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

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from .primitives.complex import cbinary
from .primitives.elementwise import add as _add_real
from .primitives.scatter import scatter_sum
from .primitives.shaping import getitem_grad


def add(a: Any, b: Any) -> Any:
    """Accumulate two cotangents (complex ones with the core's complex addition)."""
    dt = a.dtype
    if dt is _F32 or dt is _F64:  # the everyday dtypes (numpy's singletons), decided at once
        return _add_real(a, b)
    if np.dtype(dt).kind == "c":
        return cbinary(a, b, "add")
    return _add_real(a, b)


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
    dt = value.dtype
    if dt is _F32 or dt is _F64:  # the everyday dtypes (numpy's singletons), decided at once
        return True
    return np.dtype(dt).kind in "fc"  # complex values carry conjugate-Wirtinger cotangents


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)

_MISSING = object()


class _Pieces:
    """A cotangent still in pieces: slices' cotangents, each at its index, after a dense base.

    Many slices of one value (unstack, split, x[t] in a loop) each send back a piece; keeping
    them apart until the value's cotangent is read sums them with one scatter_sum, so the cost is
    linear in the number of slices instead of one zero-filled copy of the whole value each.
    """

    __slots__ = ("like", "base", "pieces", "indexes")

    def __init__(self, like: Any, base: Any) -> None:
        self.like, self.base, self.pieces, self.indexes = like, base, [], []

    def total(self) -> Any:
        """The summed cotangent: base + (the pieces added in arrival order)."""
        if len(self.pieces) == 1:
            s = getitem_grad(self.pieces[0], self.like, self.indexes[0])
        else:
            s = scatter_sum(self.like, self.pieces, self.indexes)
        return s if self.base is None else add(self.base, s)


def _accumulate(cts: dict, k: Hashable, gi: Any) -> None:
    """Add a dense cotangent `gi` into key `k` (after whatever is there)."""
    prev = cts.get(k, _MISSING)
    if prev is _MISSING:
        cts[k] = gi
    elif type(prev) is _Pieces:
        cts[k] = add(prev.total(), gi)
    else:
        cts[k] = add(prev, gi)


def _accumulate_piece(cts: dict, k: Hashable, like: Any, index: Any, g: Any) -> None:
    """Add `g` placed at `index` of zeros shaped like `like` into key `k`, kept in pieces."""
    prev = cts.get(k, _MISSING)
    if type(prev) is not _Pieces:
        prev = _Pieces(like, None if prev is _MISSING else prev)
        cts[k] = prev
    prev.pieces.append(g)
    prev.indexes.append(index)


def no_higher_order(prim: Any) -> GradientError:
    """The error for a gradient of a gradient through a backward primitive without a rule."""
    return GradientError(
        f"{prim.derivative_of}: a gradient of a gradient through it is not implemented (its "
        f"backward, '{prim.name}', has no derivative of its own); take the first gradient "
        "without create_graph=True, or stop the gradient before this op"
    )


def _refuse_higher_order(prim: Any, node: Any, keys: tuple, live: set, all_live: bool) -> None:
    """Raise when a cotangent would have to flow back through a derivative-only primitive."""
    for k, v in zip(keys, node.inputs, strict=False):
        if k is not None and (all_live or k in live) and np.dtype(v.dtype).kind in "fc":
            raise no_higher_order(prim)


def DROP_SAVED(node: Any) -> None:
    """A `release` for `reverse_sweep`: drop what the node saved (its `inputs` and `output`);
    the sweep recognises it and does this inline."""
    node.inputs = ()
    node.output = None


def reverse_sweep(
    nodes: Sequence[SweepNode],
    seeds: Iterable[tuple[Hashable, Any]],
    wanted: Iterable[Hashable],
    keep: Iterable[Hashable] = (),
    *,
    self_keyed: bool = False,
    all_live: bool = False,
    release: Callable[[Any], None] | None = None,
) -> dict[Hashable, Any]:
    """Propagate cotangents from `seeds` back through `nodes`; return those of `wanted` keys.

    Keys in `keep` also keep their cotangent in the result (e.g. retained non-leaf grads).
    A wanted key that no seed reaches is absent from the result (the caller reports None).
    Two promises a caller may make to skip bookkeeping (the eager tape makes both): with
    `self_keyed` every node is its own output key; with `all_live` every input key that is
    not None leads to a wanted key (the nodes are exactly those the seeds reach and every leaf
    they reach is wanted), so none needs to be checked. With `release`, each node is handed to
    it once its VJP has run (the eager tape drops the arrays it saved, so a step's peak memory
    does not hold every saved activation until the sweep ends).
    """
    # Plain loops and local names throughout: this runs once per eager backward() on every
    # recorded node, so its bookkeeping is a visible share of a small model's step.
    wanted = set(wanted)
    keep = set(keep) | wanted
    # forward pass: which keys depend on a wanted key (only those need cotangents)
    live: set[Hashable] = set(wanted)
    if not all_live:
        mark = live.add
        for node in nodes:
            for k in node.input_keys:
                if k is not None and k in live:
                    mark(node if self_keyed else node.output_key)
                    break

    cts: dict[Hashable, Any] = {}
    for key, ct in seeds:
        if all_live or key in live:
            cts[key] = add(cts[key], ct) if key in cts else ct

    result: dict[Hashable, Any] = {}
    get, pop = cts.get, cts.pop
    f32, f64 = _F32, _F64
    done = None  # the node swept last: nothing reads its saved arrays any more
    for node in reversed(nodes):
        if done is not None:
            if release is DROP_SAVED:  # inlined: a call per node is a visible share here
                done.inputs = ()
                done.output = None
            elif release is not None:
                release(done)
        done = node
        okey = node if self_keyed else node.output_key
        g = get(okey, _MISSING) if okey in keep else pop(okey, _MISSING)
        if g is _MISSING:
            continue
        if type(g) is _Pieces:
            g = g.total()
            if okey in keep:
                cts[okey] = g
        keys = node.input_keys
        prim = node.prim  # read only through a live key: IR placeholders have none
        if getattr(prim, "derivative_of", None) is not None:  # placeholders have no prim
            _refuse_higher_order(prim, node, keys, live, all_live)
        # which operands want a cotangent; one and two operands (most nodes) are unrolled
        n = len(keys)
        if n == 2:
            k0, k1 = keys
            w0 = k0 is not None and (all_live or k0 in live)
            w1 = k1 is not None and (all_live or k1 in live)
            if w0 or w1:
                nondiff = prim.nondiff
                inputs = node.inputs
                if w0:
                    dt = inputs[0].dtype
                    w0 = (
                        0 not in nondiff
                        if dt is f32 or dt is f64
                        else 0 not in nondiff and _differentiable(inputs[0])
                    )
                if w1:
                    dt = inputs[1].dtype
                    w1 = (
                        1 not in nondiff
                        if dt is f32 or dt is f64
                        else 1 not in nondiff and _differentiable(inputs[1])
                    )
            if not (w0 or w1):
                continue
            wants = (w0, w1)
        elif n == 1:
            k0 = keys[0]
            if k0 is None or not (all_live or k0 in live) or 0 in prim.nondiff:
                continue
            dt = node.inputs[0].dtype
            if not (dt is f32 or dt is f64 or _differentiable(node.inputs[0])):
                continue
            wants = (True,)
            at = prim.cotangent_at
            if at is not None:  # a slice: keep its cotangent as a piece (see _Pieces)
                _accumulate_piece(cts, k0, node.inputs[0], at(node.params), g)
                continue
        else:
            wants = []
            some = False
            for i, k in enumerate(keys):
                w = (
                    k is not None
                    and (all_live or k in live)
                    and i not in prim.nondiff
                    and _differentiable(node.inputs[i])
                )
                wants.append(w)
                some = some or w
            if not some:
                continue
            wants = tuple(wants)
        vjp = prim.vjp
        if vjp is None:
            raise GradientError(
                f"no gradient is defined through '{prim.name}'; "
                "stop the gradient before it (stop_gradient / detach) or drop it from the path"
            )
        params = node.params
        if params:
            grads = vjp(g, node.output, *node.inputs, wants=wants, **params)
        else:
            grads = vjp(g, node.output, *node.inputs, wants=wants)
        # add into each operand's cotangent, by operand position
        if n == 2:
            if w0:
                gi = grads[0]
                if gi is not None:
                    prev = get(k0, _MISSING)
                    if prev is _MISSING:
                        cts[k0] = gi
                    elif type(prev) is _Pieces:
                        _accumulate(cts, k0, gi)
                    else:
                        cts[k0] = add(prev, gi)
            if w1:
                gi = grads[1]
                if gi is not None:
                    prev = get(k1, _MISSING)
                    if prev is _MISSING:
                        cts[k1] = gi
                    elif type(prev) is _Pieces:
                        _accumulate(cts, k1, gi)
                    else:
                        cts[k1] = add(prev, gi)
            continue
        for i, k in enumerate(keys):
            if not wants[i]:
                continue
            gi = grads[i]
            if gi is None:
                continue
            _accumulate(cts, k, gi)
    if done is not None:
        if release is DROP_SAVED:
            done.inputs = ()
            done.output = None
        elif release is not None:
            release(done)
    for k in keep:
        if k in cts:
            v = cts[k]
            result[k] = v.total() if type(v) is _Pieces else v
    return result
