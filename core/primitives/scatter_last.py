"""scatter_last: zeros with values written at an index, the last writer of a slot winning.

PyTorch's max_unpool keeps, for a slot that several inputs point at, the value of the last one
in memory order, while its gradient gathers the output gradient for every input (each writer,
kept or not, reads its slot's gradient). `getitem_grad` adds the writers instead; this primitive
overwrites, and its VJP is the plain gather.
"""

from __future__ import annotations

import numpy as np

from .registry import AVal, Primitive, bind, register
from .shaping import _index_shape, getitem


def scatter_last(g, like, index):
    """Zeros shaped like `like` with `g` written at `index`; a repeated slot keeps its last."""
    if not isinstance(index, tuple):
        index = (index,)
    return bind(SCATTER_LAST, g, like, index=index)


def _slots(like, index, g):
    """(flat slot of every written element, the matching values), in the index's order."""
    n = int(np.prod(like.shape))
    slots = np.arange(n, dtype=np.int64).reshape(like.shape)[index]
    vals = np.broadcast_to(np.asarray(g), slots.shape)
    return slots.ravel(), vals.ravel(), n


def _impl(g, like, index):
    slots, vals, n = _slots(like, index, g)
    z = np.zeros(n, dtype=g.dtype)
    # the last occurrence of each slot: the first one in reversed order. Found explicitly, as
    # numpy leaves the order of a repeated fancy assignment unspecified.
    rev = slots[::-1]
    uniq, first = np.unique(rev, return_index=True)
    z[uniq] = vals[::-1][first]
    return z.reshape(like.shape)


def _reference(g, like, index):
    """An independent formulation: write the elements one by one, in order."""
    slots, vals, n = _slots(like, index, g)
    z = np.zeros(n, dtype=g.dtype)
    for s, v in zip(slots.tolist(), vals, strict=True):
        z[s] = v
    return z.reshape(like.shape)


def _rule(g, like, index) -> AVal:
    _index_shape(tuple(like.shape), index)  # an index that does not fit `like` is named here
    return AVal(tuple(like.shape), np.dtype(g.dtype))


SCATTER_LAST = register(
    Primitive(
        "scatter_last",
        impl=_impl,
        shape_rule=_rule,
        vjp=lambda gg, out, g, like, wants, index: (getitem(gg, index), None),
        reference=_reference,
        nondiff=(1,),
        shape_from=1,
        shape_only=(1,),
    )
)
