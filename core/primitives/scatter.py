"""scatter_sum: many slices' cotangents summed into one zero array at once (linear in T).

The gradient of T slices of a sequence (unstack, split, unbind, x[t] in a loop) is T pieces, each
belonging at one index of the sequence. Summing T zero-filled copies of the whole sequence costs
T x the sequence; this primitive allocates one array and adds each piece at its index, in order.
The reverse sweep (`core.autodiff`) emits it for primitives that declare ``cotangent_at``.
"""

from __future__ import annotations

import numpy as np

from .registry import AVal, Primitive, bind, register
from .shaping import _has_array, getitem


def scatter_sum(like, pieces, indexes):
    """Zeros shaped like `like` with each piece added at its index, in the order given."""
    return bind(SCATTER_SUM, like, *pieces, indexes=tuple(indexes))


def _impl(like, *pieces, indexes):
    dt = pieces[0].dtype if pieces else like.dtype
    z = np.zeros(like.shape, dtype=dt)
    for g, idx in zip(pieces, indexes, strict=True):
        if _has_array(idx):
            np.add.at(z, idx, g)  # repeated indices add up, sequentially (deterministic)
        else:
            z[idx] += g
    return z


def _rule(like, *pieces, indexes) -> AVal:
    if len(pieces) != len(indexes):
        raise ValueError(
            f"scatter_sum: {len(pieces)} pieces but {len(indexes)} indexes; give one index each"
        )
    dt = np.dtype(pieces[0].dtype) if pieces else np.dtype(like.dtype)
    for i, g in enumerate(pieces):
        if np.dtype(g.dtype) != dt:
            raise TypeError(
                f"scatter_sum: piece {i} has dtype {np.dtype(g.dtype)}, piece 0 has {dt}; "
                "cast them to one dtype"
            )
    return AVal(tuple(like.shape), dt)


def _vjp(gg, out, like, *pieces, wants, indexes):
    return (None,) + tuple(
        getitem(gg, idx) if w else None for w, idx in zip(wants[1:], indexes, strict=True)
    )


def _reference(like, *pieces, indexes):
    """Independent formulation: the sum of zero-filled arrays, one per piece."""
    total = np.zeros(like.shape, dtype=pieces[0].dtype if pieces else like.dtype)
    for g, idx in zip(pieces, indexes, strict=True):
        z = np.zeros_like(total)
        np.add.at(z, idx, g)
        total = total + z
    return total


SCATTER_SUM = register(
    Primitive(
        "scatter_sum",
        impl=_impl,
        shape_rule=_rule,
        vjp=_vjp,
        reference=_reference,
        nondiff=(0,),
        variadic=True,
        shape_from=0,
        shape_only=(0,),
    )
)
