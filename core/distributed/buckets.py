"""Gradient buckets: many small gradients packed into a few flat buffers, each reduced as a unit.

One allreduce per parameter pays MPI's per-message cost once per parameter; packing them into
buffers of about ``cap_bytes`` amortises it. Parameters are bucketed in reverse order (the order
backward tends to produce their gradients), a bucket's reduction starts (non-blocking) as soon as
its last gradient is in, and `finish` waits for all of them and sums each in rank order.
Bucketing never changes the bits: the reduction is elementwise, whatever the packing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .collectives import rank_order_sum, start_allgather
from .comm import get_comm, wait

DEFAULT_CAP_BYTES = 25 * 1024 * 1024  # PyTorch DDP's bucket_cap_mb default


class _Bucket:
    __slots__ = ("members", "offsets", "flat", "filled", "req", "recv", "buf")

    def __init__(self, members: list[int], sizes: list[int], dtype: np.dtype) -> None:
        self.members = members
        self.offsets = {}
        off = 0
        for i, n in zip(members, sizes, strict=True):
            self.offsets[i] = (off, off + n)
            off += n
        self.flat = np.empty(off, dtype)
        self.filled: set[int] = set()
        self.req = None
        self.recv = None
        self.buf: np.ndarray | None = None  # the receive buffer, kept: fresh pages cost


def _usable(t: Any, shape: tuple, dtype: np.dtype) -> bool:
    return (
        type(t) is np.ndarray
        and t.shape == shape
        and t.dtype == dtype
        and t.flags.c_contiguous
        and t.flags.writeable
    )


class GradBuckets:
    """Buckets for a fixed list of (shape, dtype) gradients; `ready(i, g)` then `finish()`."""

    def __init__(
        self,
        shapes: Sequence[tuple],
        dtypes: Sequence[Any],
        cap_bytes: int = DEFAULT_CAP_BYTES,
        op: str = "mean",
        names: Sequence[str] | None = None,
    ) -> None:
        if cap_bytes <= 0:
            raise ValueError(f"GradBuckets: cap_bytes must be positive, got {cap_bytes}")
        self.shapes = [tuple(s) for s in shapes]
        self.dtypes = [np.dtype(d) for d in dtypes]
        self.names = list(names) if names is not None else [f"#{i}" for i in range(len(shapes))]
        self.op = op
        self.cap_bytes = int(cap_bytes)
        self.buckets: list[_Bucket] = []
        self.where: dict[int, _Bucket] = {}
        open_: dict[np.dtype, tuple[list[int], list[int], int]] = {}
        # reverse order: the last layers' gradients are ready first in backward
        for i in reversed(range(len(self.shapes))):
            dt = self.dtypes[i]
            n = int(np.prod(self.shapes[i], dtype=np.int64))
            members, sizes, nbytes = open_.get(dt, ([], [], 0))
            if members and nbytes + n * dt.itemsize > self.cap_bytes:
                self._close(members, sizes, dt)
                members, sizes, nbytes = [], [], 0
            members.append(i)
            sizes.append(n)
            open_[dt] = (members, sizes, nbytes + n * dt.itemsize)
        for dt, (members, sizes, _) in open_.items():
            if members:
                self._close(members, sizes, dt)
        self.launched: list[_Bucket] = []

    def _close(self, members: list[int], sizes: list[int], dt: np.dtype) -> None:
        b = _Bucket(members, sizes, dt)
        self.buckets.append(b)
        for i in members:
            self.where[i] = b

    def ready(self, i: int, grad: np.ndarray) -> None:
        """Gradient `i` is final for this step: pack it, and start its bucket once full."""
        b = self.where[i]
        if i in b.filled:
            raise RuntimeError(
                f"gradient bucket: parameter {self.names[i]} was marked ready twice in one step "
                "(a second backward() before the reduction finished?)"
            )
        lo, hi = b.offsets[i]
        g = np.asarray(grad)
        if g.shape != self.shapes[i]:
            raise ValueError(
                f"gradient bucket: parameter {self.names[i]} has a gradient of shape {g.shape}, "
                f"expected {self.shapes[i]}"
            )
        b.flat[lo:hi] = g.reshape(-1)
        b.filled.add(i)
        if len(b.filled) == len(b.members):
            if get_comm("gradient allreduce").Get_size() > 1:
                b.req, b.recv = start_allgather(b.flat, "gradient allreduce", b.buf)
                b.buf = b.recv
            self.launched.append(b)

    def pending(self) -> list[str]:
        """Names of the gradients not yet marked ready this step."""
        return [self.names[i] for b in self.buckets for i in b.members if i not in b.filled]

    def finish(self, into: Sequence[np.ndarray | None] | None = None) -> list[np.ndarray]:
        """Wait for every bucket, reduce each in rank order; the reduced gradients in order.

        With `into`, gradient i is written into ``into[i]`` when that is a contiguous, writeable
        array of its shape and dtype (the gradient packed, its memory is free again), saving a
        fresh allocation per step; otherwise it is a view of a new array.
        """
        missing = self.pending()
        if missing:
            raise RuntimeError(
                "gradient allreduce: these parameters got no gradient this step: "
                + ", ".join(missing[:10])
                + ("..." if len(missing) > 10 else "")
                + ". Every rank must produce a gradient for every parameter (or freeze it with "
                "requires_grad=False before wrapping)"
            )
        out: list[Any] = [None] * len(self.shapes)
        for b in self.launched:
            if b.req is None:  # a group of one: the mean of one gradient is itself
                red = b.flat.copy()
                for i in b.members:
                    lo, hi = b.offsets[i]
                    out[i] = red[lo:hi].reshape(self.shapes[i])
            else:
                wait(b.req, "gradient allreduce")
                rest = []
                for i in b.members:
                    t = into[i] if into is not None else None
                    if _usable(t, self.shapes[i], b.flat.dtype):
                        lo, hi = b.offsets[i]
                        rank_order_sum(b.recv[:, lo:hi], self.op, out=t.reshape(-1))
                        out[i] = t
                    else:
                        rest.append(i)
                if rest:
                    red = rank_order_sum(b.recv, self.op)
                    for i in rest:
                        lo, hi = b.offsets[i]
                        out[i] = red[lo:hi].reshape(self.shapes[i])
            b.req = b.recv = None
            b.filled.clear()
        self.launched = []
        return out

    def reset(self) -> None:
        """Forget a step's partial state (after an error), so the next step starts clean."""
        for b in self.buckets:
            b.filled.clear()
            b.req = b.recv = None
        self.launched = []

    def reduce(self, grads: Sequence[np.ndarray], inplace: bool = False) -> list[np.ndarray]:
        """All gradients at once: pack, reduce, unpack (into `grads` themselves when inplace)."""
        try:
            for i in reversed(range(len(grads))):
                self.ready(i, grads[i])
            return self.finish(grads if inplace else None)
        except BaseException:
            self.reset()
            raise
