"""Common-subexpression elimination: two ops with the same primitive, the same operand steps and
equal parameters compute the same array, so the later one reuses the earlier one's result.

Equal constants (same dtype, shape and bytes) are merged first, so `x * 2.0` written twice over
two constant nodes is recognised. Parameters are compared by value with their types (1 and
True and 1.0 differ; -0.0 and 0.0 differ; arrays by dtype, shape and bytes). Random draws,
effects, variable reads and placeholders are never merged: two draws are two samples, and two
reads of a variable may straddle an assignment. A parameter that cannot be compared (an
unhashable object) keeps its node out of the pass.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from .program import CONST, OP, PlanGraph, PNode, is_random

MAX_CONST_BYTES = 1 << 20  # larger constants are not hashed (rarely duplicated, costly to hash)


class _Unhashable(Exception):
    pass


def param_key(v: Any) -> Any:
    """A hashable key equal for two parameter values exactly when they are interchangeable."""
    if isinstance(v, np.ndarray):
        return ("nd", v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, (bool, np.bool_)):
        return ("bool", bool(v))
    if isinstance(v, (float, np.floating)):
        return ("float", np.dtype(type(v)).str, struct.pack("<d", float(v)))
    if isinstance(v, (int, np.integer)):
        return ("int", type(v).__name__, int(v))
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, np.dtype):
        return ("dtype", v.str)
    if isinstance(v, slice):
        return ("slice", param_key(v.start), param_key(v.stop), param_key(v.step))
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(param_key(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, param_key(x)) for k, x in v.items())))
    if v is Ellipsis:
        return ("...",)
    if isinstance(v, type):
        return ("type", v.__module__, v.__qualname__)
    try:
        hash(v)
    except TypeError:
        raise _Unhashable from None
    return ("obj", type(v).__qualname__, v)


def eliminate_common_subexpressions(pg: PlanGraph) -> None:
    """Merge equal constants and equal pure ops (the later one is dropped)."""
    seen: dict[Any, PNode] = {}
    mapping: dict[int, PNode] = {}
    for p in pg.nodes:
        if p.kind == CONST:
            v = p.value
            if not isinstance(v, np.ndarray) or v.nbytes > MAX_CONST_BYTES:
                continue
            key = ("const", v.dtype.str, v.shape, v.tobytes())
        elif p.kind == OP:
            if is_random(p.prim):
                continue
            try:
                pkey = tuple(sorted((k, param_key(x)) for k, x in p.params.items()))
            except _Unhashable:
                pg.note("cse", "refused", p, "a parameter cannot be compared")
                continue
            ins = tuple(id(mapping.get(id(i), i)) for i in p.inputs)
            key = ("op", id(p.prim), ins, pkey)
        else:
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = p
        else:
            mapping[id(p)] = first
            if p.kind == OP:
                pg.note("cse", "merged", p, f"same as '{first.name}'", into=first.name)
    if mapping:
        pg.replace(mapping)
