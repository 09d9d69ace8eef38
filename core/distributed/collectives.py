"""Collectives on numpy arrays, with a reduction order fixed by rank so bits never vary.

`allreduce` does not hand the arithmetic to MPI (whose reduction order may depend on the message
size, the algorithm MPI picks or timing): it gathers every rank's array and sums them in rank
order, ``((x0 + x1) + x2) + ...``, then divides by the number of ranks for a mean. The result is
the same bits on every rank, in every run, and equal to one process accumulating the N arrays in
rank order and dividing once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .comm import get_comm, wait

OPS = ("sum", "mean")


def _check_op(op: str, arr: np.ndarray, what: str) -> None:
    if op not in OPS:
        raise ValueError(f"{what}: op={op!r} is not supported; use one of {OPS}")
    if op == "mean" and not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"{what}: op='mean' needs a floating-point array, got {arr.dtype} of shape "
            f"{arr.shape}; use op='sum' or cast to float first"
        )


def rank_order_sum(stacked: np.ndarray, op: str = "sum", out: np.ndarray | None = None) -> Any:
    """Sum the rows of `stacked` (one per rank) in rank order; divide by their count for a mean."""
    n = stacked.shape[0]
    if out is None:
        out = np.empty(stacked.shape[1:], stacked.dtype)
    if n == 1:
        out[...] = stacked[0]
    else:
        np.add(stacked[0], stacked[1], out=out)
    for r in range(2, n):
        np.add(out, stacked[r], out=out)
    if op == "mean":
        np.divide(out, stacked.dtype.type(n), out=out)
    return out


def start_allgather(
    flat: np.ndarray, what: str, recv: np.ndarray | None = None
) -> tuple[Any, np.ndarray]:
    """Start gathering a 1-D contiguous array from every rank; return (request, (N, n) buffer)."""
    comm = get_comm(what)
    if recv is None:
        recv = np.empty((comm.Get_size(), flat.size), flat.dtype)
    return comm.Iallgather(flat, recv), recv


def allreduce(arr: np.ndarray, op: str = "mean", what: str = "allreduce") -> np.ndarray:
    """A new array: `arr` summed (or averaged) over ranks in rank order, same bits everywhere."""
    arr = np.asarray(arr)
    _check_op(op, arr, what)
    flat = np.ascontiguousarray(arr).reshape(-1)
    if get_comm(what).Get_size() == 1:
        out = flat.copy()
        return out.reshape(arr.shape)
    req, recv = start_allgather(flat, what)
    wait(req, what)
    return rank_order_sum(recv, op).reshape(arr.shape)


def allgather(arr: np.ndarray, what: str = "allgather") -> np.ndarray:
    """Every rank's `arr` (all of one shape and dtype), stacked in rank order: shape (N, ...)."""
    arr = np.ascontiguousarray(arr)
    metas = gather_objects((arr.shape, arr.dtype.str), what)
    if any(m != metas[0] for m in metas):
        raise ValueError(
            f"{what}: every rank must pass an array of one shape and dtype; got "
            + ", ".join(f"rank {i}: {s} {np.dtype(d)}" for i, (s, d) in enumerate(metas))
        )
    req, recv = start_allgather(arr.reshape(-1), what)
    wait(req, what)
    return recv.reshape((len(metas),) + arr.shape)


def broadcast(arr: np.ndarray, root: int = 0, what: str = "broadcast") -> np.ndarray:
    """Overwrite `arr` (contiguous, same shape everywhere) with root's values; return it."""
    comm = get_comm(what)
    n = comm.Get_size()
    if not 0 <= root < n:
        raise ValueError(f"{what}: root={root} is not a rank of a group of {n}")
    if not arr.flags.c_contiguous or not arr.flags.writeable:
        raise ValueError(f"{what}: the array must be contiguous and writeable (shape {arr.shape})")
    if n > 1:
        wait(comm.Ibcast(arr.reshape(-1), root=root), what)
    return arr


def barrier(what: str = "barrier") -> None:
    """Wait until every rank reaches this point (with the group's timeout)."""
    comm = get_comm(what)
    if comm.Get_size() > 1:
        wait(comm.Ibarrier(), what)


def gather_objects(obj: Any, what: str = "allgather_object") -> list:
    """Every rank's small picklable `obj`, in rank order (a timed barrier first, so no hang)."""
    comm = get_comm(what)
    if comm.Get_size() == 1:
        return [obj]
    barrier(what)
    return comm.allgather(obj)


def broadcast_object(obj: Any, root: int = 0, what: str = "broadcast_object") -> Any:
    """Root's small picklable `obj` on every rank (a timed barrier first, so no hang)."""
    comm = get_comm(what)
    if comm.Get_size() == 1:
        return obj
    barrier(what)
    return comm.bcast(obj, root=root)
