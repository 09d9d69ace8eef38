"""Session.run's fetch structures: nested lists, tuples, namedtuples and dicts of tensors,
operations and names, flattened once per structure and rebuilt around the fetched arrays."""

from __future__ import annotations

from typing import Any

from ...core.ir import Value
from .tensor import Operation

# a template leaf is an int (the index of the fetched value) or None (an operation: no value)
_LIST, _TUPLE, _NTUPLE, _DICT = "list", "tuple", "namedtuple", "dict"


def fetch_key(fetches: Any) -> Any:
    """A hashable key for the structure and the elements of `fetches` (cheap; run every call)."""
    t = type(fetches)
    if t is list:
        return (_LIST, *[fetch_key(f) for f in fetches])
    if isinstance(fetches, tuple):
        return (_TUPLE, t, *[fetch_key(f) for f in fetches])
    if isinstance(fetches, dict):
        return (_DICT, t, *[(k, fetch_key(v)) for k, v in fetches.items()])
    if isinstance(fetches, (Value, Operation, str)):
        return fetches
    raise TypeError(
        f"Fetch argument {fetches!r} has invalid type {type(fetches)}, must be a string or "
        f"Tensor. (Can not convert a {type(fetches).__name__} into a Tensor or Operation.)"
    )


def flatten(fetches: Any, resolve) -> tuple[list, Any]:
    """(leaves, template): leaves resolved by `resolve` (to a Tensor or an Operation)."""
    leaves: list = []

    def walk(f: Any) -> Any:
        t = type(f)
        if t is list:
            return (_LIST, [walk(x) for x in f])
        if isinstance(f, tuple):
            kind = _NTUPLE if hasattr(f, "_fields") else _TUPLE
            return (kind, t, [walk(x) for x in f])
        if isinstance(f, dict):
            return (_DICT, t, [(k, walk(v)) for k, v in f.items()])
        leaves.append(resolve(f))
        return len(leaves) - 1

    return leaves, walk(fetches)


def rebuild(template: Any, values: list) -> Any:
    """The fetch structure with each leaf replaced by its value."""
    if type(template) is int:
        return values[template]
    kind = template[0]
    if kind == _LIST:
        return [rebuild(t, values) for t in template[1]]
    if kind == _TUPLE:
        items = [rebuild(t, values) for t in template[2]]
        return template[1](items) if template[1] is not tuple else tuple(items)
    if kind == _NTUPLE:
        return template[1](*[rebuild(t, values) for t in template[2]])
    out = template[1]() if template[1] is not dict else {}
    for k, t in template[2]:
        out[k] = rebuild(t, values)
    return out
