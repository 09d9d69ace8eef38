"""``torch.distributed`` over MPI: the process group and collectives on tensors, in place.

Launch with ``mpiexec -n N python script.py``; ``init_process_group(backend="mpi")`` joins
MPI's world (``"gloo"`` is accepted as well and runs over the same MPI transport, so a CPU
program written for gloo runs after changing only its import line). The arithmetic is the core's
(`duograd.core.distributed`): sums in rank order, the same bits on every rank and every run.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import numpy as np

from ...core import distributed as _d
from .tensor import Tensor

__all__ = [
    "DistributedError", "ReduceOp", "all_gather", "all_gather_object", "all_reduce", "barrier",
    "broadcast", "broadcast_object_list", "destroy_process_group", "get_backend", "get_rank",
    "get_world_size", "init_process_group", "is_available", "is_initialized", "is_mpi_available",
]  # fmt: skip

DistributedError = _d.DistributedError
_BACKENDS = ("mpi", "gloo")
_backend: list[str] = []


class ReduceOp:
    """The reductions ``all_reduce`` supports (sums in rank order; AVG divides once at the end)."""

    SUM = "sum"
    AVG = "mean"


def is_available() -> bool:
    """True: the distributed package is part of this build (it needs mpi4py at init)."""
    return True


def is_mpi_available() -> bool:
    """True when mpi4py (the optional extra ``dist``) can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _env_int(*names: str) -> int | None:
    for n in names:
        v = os.environ.get(n)
        if v not in (None, ""):
            try:
                return int(v)
            except ValueError:
                raise ValueError(f"environment variable {n}={v!r} is not an integer") from None
    return None


def init_process_group(
    backend: str | None = "mpi",
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
    **kwargs: Any,
) -> None:
    """Join the process group; rank and size come from MPI and must agree with any given."""
    b = (backend or "mpi").lower()
    if b not in _BACKENDS:
        raise ValueError(
            f"init_process_group: backend {backend!r} is not supported here; use backend='mpi' "
            "and launch with `mpiexec -n N python script.py`"
        )
    if _d.is_initialized():
        raise RuntimeError("trying to initialize the default process group twice!")
    _d.init()
    if timeout is not None:
        secs = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
        _d.set_timeout(float(secs))
    mpi_rank, mpi_size = _d.rank(), _d.size()
    want_size = world_size if world_size != -1 else _env_int("WORLD_SIZE")
    want_rank = rank if rank != -1 else _env_int("RANK")
    if (want_size is not None and want_size != mpi_size) or (
        want_rank is not None and want_rank != mpi_rank
    ):
        _d.finalize()
        raise ValueError(
            f"init_process_group: asked for rank {want_rank} of world_size {want_size} (arguments "
            f"or RANK/WORLD_SIZE), but MPI started this process as rank {mpi_rank} of "
            f"{mpi_size}; launch with `mpiexec -n {want_size or 'N'}` or drop the setting"
        )
    _backend[:] = [b]


def is_initialized() -> bool:
    """True after init_process_group()."""
    return _d.is_initialized()


def get_backend(group: Any = None) -> str:
    """The backend name given to init_process_group."""
    _d.get_comm("get_backend()")
    return _backend[0] if _backend else "mpi"


def get_rank(group: Any = None) -> int:
    """This process's rank."""
    return _d.get_comm("get_rank()").Get_rank()


def get_world_size(group: Any = None) -> int:
    """The number of processes."""
    return _d.get_comm("get_world_size()").Get_size()


def _array(t: Any, op: str) -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t._data


def _write(t: Tensor, value: np.ndarray) -> None:
    from .inplace import bump

    if t._data.flags.writeable:
        t._data[...] = value
    else:
        t._data = np.array(value, dtype=t._data.dtype)
    bump(t)


class _Done:
    """What ``async_op=True`` returns: the work already finished."""

    def wait(self, timeout: Any = None) -> bool:
        """Nothing to wait for."""
        return True

    def is_completed(self) -> bool:
        """Always True."""
        return True


def _result(async_op: bool) -> Any:
    return _Done() if async_op else None


def all_reduce(tensor: Tensor, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False):
    """Replace `tensor` on every rank by the sum (or average) over ranks, in rank order."""
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise ValueError(f"all_reduce: op {op!r} is not supported; use ReduceOp.SUM or AVG")
    arr = _array(tensor, "all_reduce")
    _write(tensor, _d.allreduce(arr, op, "all_reduce"))
    return _result(async_op)


def broadcast(tensor: Tensor, src: int = 0, group: Any = None, async_op: bool = False):
    """Replace `tensor` on every rank by rank `src`'s."""
    arr = _array(tensor, "broadcast")
    buf = np.ascontiguousarray(arr).copy() if not arr.flags.c_contiguous else arr
    if not buf.flags.writeable:
        buf = buf.copy()
    _d.broadcast(buf, src, "broadcast")
    if buf is not arr:
        _write(tensor, buf)
    else:
        from .inplace import bump

        bump(tensor)
    return _result(async_op)


def all_gather(tensor_list: list, tensor: Tensor, group: Any = None, async_op: bool = False):
    """Fill `tensor_list` (one tensor per rank) with every rank's `tensor`."""
    n = get_world_size()
    if len(tensor_list) != n:
        raise ValueError(
            f"all_gather: tensor_list has {len(tensor_list)} entries; it needs one per rank ({n})"
        )
    stacked = _d.allgather(_array(tensor, "all_gather"), "all_gather")
    for t, row in zip(tensor_list, stacked, strict=True):
        if tuple(t.shape) != row.shape:
            raise ValueError(
                f"all_gather: output tensor of shape {tuple(t.shape)} cannot hold an input of "
                f"shape {row.shape}"
            )
        _write(t, row)
    return _result(async_op)


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """Fill `object_list` with every rank's picklable `obj`."""
    objs = _d.gather_objects(obj, "all_gather_object")
    object_list[:] = objs


def broadcast_object_list(object_list: list, src: int = 0, group: Any = None) -> None:
    """Replace `object_list`'s items on every rank by rank `src`'s."""
    object_list[:] = _d.broadcast_object(list(object_list), src, "broadcast_object_list")


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None):
    """Wait until every rank gets here."""
    _d.barrier("barrier")
    return _result(async_op)


def destroy_process_group(group: Any = None) -> None:
    """Leave the process group."""
    _d.finalize()
    _backend.clear()
