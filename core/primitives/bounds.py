"""`index_bounds`: indices passed through unchanged once the record's check has bounded them.

Operations composed of core ops (gather_nd as a flat gather, segment sums as a scatter) must
check their user's indices per dimension before combining them, on every call of either style
and on every graph run: this primitive carries that check (`domain.index_bounds`) as its
record's `checks`, so the composition needs no check of its own.
"""

from __future__ import annotations

import numpy as np

from ..domain import index_bounds as _check
from .registry import MAY_ALIAS, AVal, Primitive, bind, register


def _rule(idx, op, arg, sizes, last, low, dim=None, error="index") -> AVal:
    return AVal(tuple(idx.shape), np.dtype(idx.dtype))


INDEX_BOUNDS = register(
    Primitive(
        "index_bounds",
        impl=lambda idx, **params: idx,
        shape_rule=_rule,
        reference=lambda idx, **params: np.asarray(idx),
        checks=(_check,),
        nondiff=(0,),
        alias=MAY_ALIAS,
    )
)


def index_bounds(
    idx,
    op: str,
    arg: str,
    sizes: tuple,
    last: bool = False,
    low: int | None = 0,
    dim: int | None = None,
    error: str = "index",
):
    """`idx`, checked to lie in [low, sizes[k]) per dimension (see domain.index_bounds); `dim`
    and `error` shape the message and its type for one indexed dimension."""
    sizes = tuple(int(n) for n in sizes)
    low = None if low is None else int(low)
    dim = None if dim is None else int(dim)
    return bind(
        INDEX_BOUNDS, idx, op=op, arg=arg, sizes=sizes, last=bool(last), low=low, dim=dim,
        error=error,
    )  # fmt: skip
