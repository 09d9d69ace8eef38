"""Collectives on arrays over MPI: deterministic allreduce, broadcast, allgather, gradient buckets.

Both frontends build on this package: the eager ``torch.distributed`` / DistributedDataParallel
and the graph Horovod-style API call the same functions, so a distributed run gives the same bits
in either style. mpi4py is imported on first use (the optional extra ``dist``).
"""

from __future__ import annotations

from .buckets import GradBuckets
from .collectives import allgather, allreduce, barrier, broadcast, broadcast_object, gather_objects
from .comm import (
    DistributedError,
    finalize,
    get_comm,
    init,
    is_initialized,
    local_rank,
    rank,
    set_timeout,
    size,
    timeout,
)
from .sampling import shard_indices, torch_randperm

__all__ = [
    "DistributedError", "GradBuckets", "allgather", "allreduce", "barrier", "broadcast",
    "broadcast_object", "finalize", "gather_objects", "get_comm", "init", "is_initialized",
    "local_rank", "rank", "set_timeout", "shard_indices", "size", "timeout", "torch_randperm",
]  # fmt: skip
