"""Horovod's TF1 API over MPI: ``import duograd.frontends.graph.horovod as hvd``.

``hvd.init()``, ``rank()``, ``size()``, ``local_rank()``; ``hvd.allreduce(t)`` is a graph op
(averaged by default) that runs inside the session's plan; ``hvd.DistributedOptimizer(opt)``
averages the gradients of ``compute_gradients``/``minimize`` across ranks in the plan, packed into
buckets of ``bucket_cap_bytes``; ``hvd.broadcast_global_variables(0)`` returns the op that gives
every rank rank 0's variables (run it once after initialising them, or use
`BroadcastGlobalVariablesHook`). The arithmetic is the core's: sums in rank order divided once by
the number of ranks, the same bits as the eager DistributedDataParallel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import distributed as _d
from ...core.primitives import distributed as P
from . import array_ops
from .control_flow import group
from .convert import convert_to_tensor
from .tensor import Operation, Tensor
from .variables import global_variables

__all__ = [
    "Average", "BroadcastGlobalVariablesHook", "DistributedOptimizer", "Sum", "allreduce",
    "broadcast", "broadcast_global_variables", "init", "is_initialized", "local_rank", "rank",
    "shutdown", "size",
]  # fmt: skip

Average = "mean"
Sum = "sum"
DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024


def init(comm: Any = None) -> None:
    """Join the process group (MPI's world, or `comm`)."""
    _d.init(comm)


def shutdown() -> None:
    """Leave the process group."""
    _d.finalize()


def is_initialized() -> bool:
    """True after init()."""
    return _d.is_initialized()


def rank() -> int:
    """This process's rank."""
    return _d.get_comm("hvd.rank()").Get_rank()


def size() -> int:
    """The number of processes."""
    return _d.get_comm("hvd.size()").Get_size()


def local_rank() -> int:
    """This process's rank among those on its machine."""
    return _d.local_rank()


def _op(average: bool | None, op: str | None) -> str:
    if op is not None and average is not None:
        raise ValueError("hvd.allreduce: pass either average= or op=, not both")
    if op is None:
        op = Sum if average is False else Average
    if op not in (Average, Sum):
        raise ValueError(f"hvd.allreduce: op {op!r} is not supported; use hvd.Average or hvd.Sum")
    return op


def allreduce(
    tensor: Any, average: bool | None = None, name: str | None = None, op: str | None = None
) -> Tensor:
    """A graph op: `tensor` averaged (or summed, op=hvd.Sum) over ranks, in rank order."""
    _d.get_comm("hvd.allreduce")
    x = convert_to_tensor(tensor)
    how = _op(average, op)
    return x.graph.build_op("HorovodAllreduce", name, lambda: P.allreduce(x, how))


def broadcast(tensor: Any, root_rank: int = 0, name: str | None = None) -> Tensor:
    """A graph op: rank `root_rank`'s value of `tensor` on every rank."""
    _d.get_comm("hvd.broadcast")
    x = convert_to_tensor(tensor)
    return x.graph.build_op("HorovodBroadcast", name, lambda: P.broadcast(x, root_rank))


def broadcast_global_variables(root_rank: int = 0) -> Operation:
    """The op assigning every global variable rank `root_rank`'s value."""
    _d.get_comm("hvd.broadcast_global_variables")
    ops = [v.assign(broadcast(v.value(), root_rank)) for v in global_variables()]
    return group(*ops, name="broadcast_global_variables")


class BroadcastGlobalVariablesHook:
    """Broadcast the variables from `root_rank` once the session exists (Horovod's hook)."""

    def __init__(self, root_rank: int = 0, device: str = "") -> None:
        self.root_rank = int(root_rank)
        self.bcast_op: Operation | None = None

    def begin(self) -> None:
        """Build the broadcast op (call while the graph is being built)."""
        if self.bcast_op is None:
            self.bcast_op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session: Any, coord: Any = None) -> None:
        """Run the broadcast (call after the variables are initialised)."""
        self.begin()
        session.run(self.bcast_op)


def _static_size(g: Tensor) -> int | None:
    shape = tuple(g.shape)
    if any(d is None for d in shape):
        return None
    return int(np.prod(shape, dtype=np.int64))


def _bucketed_allreduce(grads: list, op: str, cap_bytes: int) -> list:
    """Average the gradients, many packed into one flat op per bucket (same bits as one by one)."""
    out: list = [None] * len(grads)
    buckets: list[list[int]] = []
    open_: dict[Any, tuple[list[int], int]] = {}
    # reverse order, as the eager buckets: the bits do not depend on it, only the packing does
    for i in reversed(range(len(grads))):
        g = grads[i]
        if g is None:
            continue
        n = _static_size(g)
        if n is None:  # unknown shape: its own op
            out[i] = allreduce(g, op=op)
            continue
        dt = g.dtype
        members, nbytes = open_.get(dt, ([], 0))
        size_b = n * np.dtype(dt.np_dtype).itemsize
        if members and nbytes + size_b > cap_bytes:
            buckets.append(members)
            members, nbytes = [], 0
        members.append(i)
        open_[dt] = (members, nbytes + size_b)
    buckets.extend(m for m, _ in open_.values() if m)
    for members in buckets:
        if len(members) == 1:
            i = members[0]
            out[i] = allreduce(grads[i], op=op)
            continue
        flat = array_ops.concat([array_ops.reshape(grads[i], [-1]) for i in members], 0)
        red = allreduce(flat, op=op)
        sizes = [_static_size(grads[i]) for i in members]
        parts = array_ops.split(red, sizes, 0)
        for i, part in zip(members, parts, strict=True):
            out[i] = array_ops.reshape(part, list(grads[i].shape))
    return out


class DistributedOptimizer:
    """Wrap a tf.train optimizer: its gradients are averaged across ranks before being applied."""

    def __init__(
        self,
        optimizer: Any,
        name: str | None = None,
        use_locking: bool = False,
        device_dense: str = "",
        device_sparse: str = "",
        compression: Any = None,
        sparse_as_dense: bool = False,
        op: str = Average,
        bucket_cap_bytes: int = DEFAULT_BUCKET_BYTES,
    ) -> None:
        self._optimizer = optimizer
        self._op = _op(None, op)
        if bucket_cap_bytes <= 0:
            raise ValueError(
                f"DistributedOptimizer: bucket_cap_bytes must be positive, got {bucket_cap_bytes}"
            )
        self._cap = int(bucket_cap_bytes)

    def compute_gradients(self, *args: Any, **kwargs: Any) -> list:
        """The wrapped optimizer's (gradient, variable) pairs, gradients averaged over ranks."""
        gvs = self._optimizer.compute_gradients(*args, **kwargs)
        if size() == 1:
            return gvs
        grads = _bucketed_allreduce([g for g, _ in gvs], self._op, self._cap)
        return list(zip(grads, [v for _, v in gvs], strict=True))

    def apply_gradients(self, *args: Any, **kwargs: Any) -> Operation:
        """The wrapped optimizer's apply_gradients."""
        return self._optimizer.apply_gradients(*args, **kwargs)

    def minimize(
        self,
        loss: Any,
        global_step: Any = None,
        var_list: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Operation:
        """compute_gradients (averaged) then apply_gradients: one distributed training step."""
        gvs = self.compute_gradients(loss, var_list=var_list, **kwargs)
        if not any(g is not None for g, _ in gvs):
            raise ValueError(f"No gradients provided for any variable, loss {loss}")
        return self.apply_gradients(gvs, global_step=global_step, name=name)

    def __getattr__(self, name: str) -> Any:
        # get_slot, variables, get_name, ...: the wrapped optimizer's
        return getattr(self._optimizer, name)
