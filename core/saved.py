"""What a VJP rule reads by value, derived from the rule by tracing it once on symbolic values.

The eager tape saves a version stamp of each operand (and of the output) the rule reads; an
in-place change to one of them before backward would make the gradient wrong, so backward
detects it. An operand the rule uses only for its shape (say, the `like` of broadcast_like)
does not count. A primitive may still declare ``saves=`` on its record; a rule that cannot be
traced (it needs concrete numbers) reads everything.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .primitives.registry import Primitive

_ALL = None  # sentinel: read everything


def _trace(
    prim: Primitive, shapes: list, dtypes: list, out_shape, out_dtype, params: dict, given=None
):
    from . import ir

    g = ir.Graph()
    vals = [
        g.placeholder(s, d, name=f"x{i}")
        for i, (s, d) in enumerate(zip(shapes, dtypes, strict=True))
    ]
    out = g.placeholder(out_shape, out_dtype, name="out")
    cot = g.placeholder(out_shape, out_dtype, name="g")
    wants = tuple(
        i not in prim.nondiff and (given is None or bool(given[i])) for i in range(len(vals))
    )
    prim.vjp(cot, out, *vals, wants=wants, **params)
    watched = {id(v): i for i, v in enumerate(vals)}
    watched[id(out)] = -1
    read: set[int] = set()
    for node in g.nodes:
        if node.kind != "op":
            continue
        shape_only = node.prim.shape_only
        for k, v in enumerate(node.inputs):
            if k not in shape_only and id(v) in watched:
                read.add(watched[id(v)])
    return tuple(sorted(i for i in read if i >= 0)), -1 in read


def saves_of(
    prim: Primitive, arrays: tuple, out: Any, params: dict, wants: tuple | None = None
) -> tuple | None:
    """(operand indexes, reads the output) of `prim`'s VJP for this call; None = everything.

    With `wants` (which operands need a gradient), only what those gradients read: for
    ``x * 2.0`` with x requiring grad the rule reads the 2.0, not x, so changing x in place
    afterwards is fine, as in torch.
    """
    if prim.saves is not None:
        return prim.saves
    cache = prim.__dict__.setdefault("_saves_derived", {})
    try:
        key = (len(arrays), tuple(sorted(params.items())), wants)
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in cache:
        return cache[key]
    try:
        spec = _trace(
            prim,
            [np.shape(a) for a in arrays],
            [np.asarray(a).dtype if not hasattr(a, "dtype") else a.dtype for a in arrays],
            np.shape(out),
            out.dtype,
            params,
            wants,
        )
    except Exception:  # a rule that needs concrete values: it reads everything
        spec = _ALL
    if key is not None:
        cache[key] = spec
    return spec


_SAMPLE_PARAMS = (
    {},
    {"axes": (0, 1), "keepdims": False},
    {"transpose_a": False, "transpose_b": False},
)


def saves_for_calls(prim: Primitive, n: int) -> tuple | None:
    """`saves_of` for the parameterless (or all-axes reduction, or plain matmul) calls of an
    n-operand primitive, traced on float32 samples: for dispatch paths built once per primitive."""
    if prim.saves is not None:
        return prim.saves
    arrays = tuple(np.zeros((2, 2), np.float32) for _ in range(n))
    for params in _SAMPLE_PARAMS:
        try:
            aval = prim.shape_rule(*arrays, **params)
        except Exception:  # these params do not fit the primitive: try the next
            continue
        return saves_of(prim, arrays, np.zeros(aval.shape, aval.dtype), params)
    return _ALL
