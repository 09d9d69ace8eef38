"""Collective primitives: allreduce and broadcast across the process group, as graph-able ops.

They run when the op runs (in a Session's plan, in order, every run: tagged stateful so no pass
folds, merges or drops them differently on different ranks). Outside a process group they act on
a group of one (the value itself), so a graph built for N processes also runs in one.
"""

from __future__ import annotations

import numpy as np

from .. import distributed as D
from .registry import AVal, Primitive, bind, register


def _same_rule(x, **_) -> AVal:
    return AVal(tuple(x.shape), np.dtype(x.dtype))


def _allreduce_rule(x, op: str = "mean") -> AVal:
    if op not in D.collectives.OPS:
        raise ValueError(f"allreduce: op={op!r} is not supported; use one of {D.collectives.OPS}")
    if op == "mean" and not np.issubdtype(np.dtype(x.dtype), np.floating):
        raise TypeError(
            f"allreduce: op='mean' needs a floating-point tensor, got {np.dtype(x.dtype)} of "
            f"shape {tuple(x.shape)}; use op='sum' or cast first"
        )
    return _same_rule(x)


def _allreduce_impl(x: np.ndarray, op: str = "mean") -> np.ndarray:
    if not D.is_initialized():
        return np.array(x, copy=True)
    return D.allreduce(x, op, "allreduce")


def _allreduce_vjp(g, out, x, wants, op: str = "mean"):
    # every rank's output depends on every rank's input: the cotangent is reduced the same way
    return (allreduce(g, op),)


ALLREDUCE = register(
    Primitive(
        "allreduce",
        impl=_allreduce_impl,
        shape_rule=_allreduce_rule,
        vjp=_allreduce_vjp,
        reference=lambda x, op="mean": np.array(x, copy=True),
        tags={"stateful": True},
    )
)


def _broadcast_impl(x: np.ndarray, root: int = 0) -> np.ndarray:
    buf = np.array(x, copy=True, order="C")
    if D.is_initialized():
        D.broadcast(buf, root, "broadcast")
    return buf


BROADCAST = register(
    Primitive(
        "broadcast",
        impl=_broadcast_impl,
        shape_rule=_same_rule,
        reference=lambda x, root=0: np.array(x, copy=True),
        # a collective copy of the root's value: no gradient flows through it (as
        # torch.distributed.broadcast), declared so rather than left without a rule
        nondiff=(0,),
        tags={"stateful": True},
    )
)


def allreduce(x, op: str = "mean"):
    """x summed (op='sum') or averaged (op='mean') over the process group, in rank order."""
    return bind(ALLREDUCE, x, op=op)


def broadcast(x, root: int = 0):
    """Rank `root`'s x on every rank."""
    return bind(BROADCAST, x, root=int(root))
