"""Nested element structures of tf.data: tuples, namedtuples and dicts of leaves."""

from __future__ import annotations

from typing import Any

from ..shapes import TensorShape


def is_nest(x: Any) -> bool:
    """True for the containers tf.data treats as structure (tuples and dicts, not lists)."""
    return isinstance(x, dict) or (isinstance(x, tuple) and not isinstance(x, TensorShape))


def flatten(x: Any) -> list:
    """The leaves of `x` in a fixed order (dict keys sorted, as TF does)."""
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in flatten(x[k])]
    if isinstance(x, tuple) and not isinstance(x, TensorShape):
        return [leaf for item in x for leaf in flatten(item)]
    return [x]


def pack(template: Any, leaves: list) -> Any:
    """A structure shaped like `template` holding `leaves` in flatten order."""
    it = iter(leaves)
    out = _pack(template, it)
    return out


def _pack(t: Any, it: Any) -> Any:
    if isinstance(t, dict):
        vals = {k: _pack(t[k], it) for k in sorted(t)}
        return type(t)((k, vals[k]) for k in t) if type(t) is not dict else {k: vals[k] for k in t}
    if isinstance(t, tuple) and not isinstance(t, TensorShape):
        items = [_pack(item, it) for item in t]
        return type(t)(*items) if hasattr(t, "_fields") else tuple(items)
    return next(it)


def map_structure(fn: Any, *xs: Any) -> Any:
    """Apply `fn` leaf-wise over structures of one shape."""
    flats = [flatten(x) for x in xs]
    n = len(flats[0])
    for f in flats[1:]:
        if len(f) != n:
            raise ValueError(f"structures do not match: {len(f)} leaves vs {n}")
    return pack(xs[0], [fn(*leaves) for leaves in zip(*flats, strict=True)])
