"""The process group: one MPI communicator, rank/size, a timeout on every wait, abort on failure.

MPI collectives block until every rank joins; a rank that died or raised would leave the others
waiting forever. So every collective here is started non-blocking and waited on with a deadline
(``DUOGRAD_DIST_TIMEOUT`` seconds, default 300): past it a clear `DistributedError` is raised.
An exception that escapes a rank's program aborts the whole MPI job (``MPI_Abort``), so the other
ranks end at once instead of waiting for the deadline.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


class DistributedError(RuntimeError):
    """A collective failed or timed out (another rank raised, was killed, or never joined)."""


_state: dict[str, Any] = {"comm": None, "local": None, "hook": None, "timeout": None}
_DEFAULT_TIMEOUT = 300.0


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError(
            "duograd's distributed training needs mpi4py and an MPI library: install the "
            "optional extra with `pip install duograd[dist]` (mpi4py and mpich)"
        ) from e
    return MPI


def timeout() -> float:
    """Seconds a collective waits for the other ranks before raising (DUOGRAD_DIST_TIMEOUT)."""
    if _state["timeout"] is not None:
        return _state["timeout"]
    raw = os.environ.get("DUOGRAD_DIST_TIMEOUT")
    if not raw:
        return _DEFAULT_TIMEOUT
    try:
        return float(raw)
    except ValueError:
        raise ValueError(
            f"DUOGRAD_DIST_TIMEOUT={raw!r} is not a number of seconds; set e.g. 300"
        ) from None


def set_timeout(seconds: float | None) -> None:
    """Set the collectives' timeout in seconds (None: back to DUOGRAD_DIST_TIMEOUT / 300)."""
    if seconds is not None and not seconds > 0:
        raise ValueError(f"the collectives' timeout must be positive seconds, got {seconds}")
    _state["timeout"] = None if seconds is None else float(seconds)


def _abort_hook(kind: type, value: BaseException, tb: Any) -> None:
    """Print the error, then end every rank of the job (the others would wait for this one)."""
    prev = _state["hook"] or sys.__excepthook__
    prev(kind, value, tb)
    comm = _state["comm"]
    if comm is not None and comm.Get_size() > 1:
        sys.stderr.write(
            f"duograd.distributed: rank {comm.Get_rank()} of {comm.Get_size()} failed with "
            f"{kind.__name__}: {value}; aborting the job so the other ranks do not wait for it\n"
        )
        sys.stderr.flush()
        # mpiexec forwards each rank's output asynchronously and drops what is still in flight
        # when the job is torn down: give it a moment to relay the message above
        time.sleep(0.5)
        comm.Abort(1)


def init(comm: Any = None) -> Any:
    """Join the process group (MPI's world communicator unless `comm` is given); return it."""
    if _state["comm"] is not None:
        return _state["comm"]
    MPI = _mpi()
    c = MPI.COMM_WORLD if comm is None else comm
    _state["comm"] = c
    if sys.excepthook is not _abort_hook:
        _state["hook"] = sys.excepthook
        sys.excepthook = _abort_hook
    return c


def is_initialized() -> bool:
    """True between init() and finalize()."""
    return _state["comm"] is not None


def get_comm(what: str = "this call") -> Any:
    """The communicator, or a clear error when init() has not run."""
    c = _state["comm"]
    if c is None:
        raise DistributedError(
            f"{what} needs the process group: call init_process_group(backend='mpi') (eager) or "
            "hvd.init() (graph) first, and launch with `mpiexec -n N python script.py`"
        )
    return c


def rank() -> int:
    """This process's rank in the group."""
    return get_comm("rank()").Get_rank()


def size() -> int:
    """The number of processes in the group."""
    return get_comm("size()").Get_size()


def local_rank() -> int:
    """This process's rank among the group's processes on the same machine."""
    c = get_comm("local_rank()")
    if _state["local"] is None:
        MPI = _mpi()
        node = c.Split_type(MPI.COMM_TYPE_SHARED, key=c.Get_rank())
        _state["local"] = node.Get_rank()
        node.Free()
    return _state["local"]


def finalize() -> None:
    """Leave the process group (a later init() joins again); MPI itself ends at exit."""
    if _state["comm"] is not None:
        _state["comm"] = None
        _state["local"] = None
        _state["timeout"] = None
    if sys.excepthook is _abort_hook:
        sys.excepthook = _state["hook"] or sys.__excepthook__
        _state["hook"] = None


def wait(req: Any, what: str) -> None:
    """Wait for a non-blocking MPI request, raising `DistributedError` past the timeout."""
    if req.Test():
        return
    limit = timeout()
    start = time.monotonic()
    spins = 0
    test = req.Test
    while not test():
        spins += 1
        # MPI moves a large message only while this process calls into it, so poll busily
        # (as a blocking MPI call would); once the wait is clearly long (another rank is
        # still computing, or gone), yield the core between polls
        if spins & 1023 == 0:
            waited = time.monotonic() - start
            if waited > 0.05:
                time.sleep(1e-3)
            if waited > limit:
                c = _state["comm"]
                who = f"rank {c.Get_rank()} of {c.Get_size()}" if c is not None else "this rank"
                raise DistributedError(
                    f"{what} on {who} waited {limit:g} s for the other ranks: one of them "
                    "raised, was killed or stopped calling collectives in the same order. Check "
                    "the other ranks' output; raise DUOGRAD_DIST_TIMEOUT if a step is that slow"
                )
