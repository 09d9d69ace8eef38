"""How many threads a parallel kernel should use now: the cores other processes leave free.

A parallel call ends when its slowest thread does. When other processes keep the cores busy
(a shared machine, a CI box, a second training job), a worker thread waits for a time slice
and the whole call stalls with it: on the shared 2-core development machine, with one other
process busy, an MLP 784-256-10 step at batch 64 took 2.3 ms on two threads against 0.52 ms
on one (0.53 ms with this module), and with the cores oversubscribed several times over, the
default OpenMP settings made it 3-50x slower (see the table in kernels/__init__.py). So
before a parallel launch the kernel wrappers call `threads()`, which sets numba's thread
count for the calling thread to the number of cores not busy with other processes' work
(never above the count numba had before, and at least 1), and returns it. That count is
numba's per-thread setting, so other numba code run later in the same thread sees it too.

The measure is system-wide busy CPU time (/proc/stat, including time the hypervisor stole)
minus this process's own CPU time, over windows of at least `WINDOW_S`, smoothed; it costs a
file read per window, otherwise a clock read and a look at numba's count per call. The bits
never depend on the thread count. A thread whose numba thread count somebody else set
(numba.set_num_threads) is left alone from then on, and DUOGRAD_ADAPTIVE_THREADS=0 (or
DUOGRAD_HOST_TUNING=0) turns the whole thing off; so do systems without /proc/stat.
"""

from __future__ import annotations

import os
import threading
import time

import numba
from numba.core import config

from . import host_tuning

WINDOW_S = 0.1  # shortest window the busy share is measured over
_SMOOTH = 0.5  # weight of the newest window in the running estimate
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_CPUS = os.cpu_count() or 1
_ENABLED = host_tuning.enabled("DUOGRAD_ADAPTIVE_THREADS") and not config.DISABLE_JIT
host_tuning.APPLIED["adaptive_threads"] = _ENABLED

_lock = threading.Lock()  # guards the shared estimate (refreshed by whichever thread comes first)
_shared = {"t": 0.0, "busy": None, "own": 0.0, "foreign": 0.0, "ok": True}
_local = threading.local()  # per thread: what this module last set numba's thread count to


def _busy_seconds() -> float | None:
    """CPU seconds all cores spent busy since boot (None without /proc/stat)."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
        # cpu user nice system idle iowait irq softirq steal ...
        vals = [int(v) for v in fields[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    return (sum(vals) - vals[3] - vals[4]) / _HZ


def foreign_cores() -> float:
    """How many cores other processes kept busy lately (a smoothed estimate)."""
    now = time.monotonic()
    s = _shared
    if now - s["t"] < WINDOW_S or not s["ok"]:
        return s["foreign"]
    with _lock:
        if now - s["t"] < WINDOW_S:
            return s["foreign"]
        busy, own = _busy_seconds(), time.process_time()
        if busy is None:
            s["ok"] = False
            s["foreign"] = 0.0
            return 0.0
        if s["busy"] is not None:
            span = now - s["t"]
            others = max(0.0, (busy - s["busy"]) - (own - s["own"])) / span
            s["foreign"] = _SMOOTH * others + (1 - _SMOOTH) * s["foreign"]
        s["t"], s["busy"], s["own"] = now, busy, own
        return s["foreign"]


def _count_reader():
    """numba's thread count for this thread, read directly once numba's threads are up.

    numba.get_num_threads() checks the thread pool's launch under a lock on every call (about
    0.5 us, as much as a small kernel); after the first call the threading layer's own counter
    (set up by that launch) answers in under 0.1 us. Falls back to the public call if numba's
    layout differs.
    """
    numba.get_num_threads()  # launches the pool
    from numba.np.ufunc import parallel

    raw = getattr(parallel, "_get_num_threads", None)
    return raw if callable(raw) else numba.get_num_threads


_read_count = None


def threads() -> int:
    """Set (for the calling thread) and return the thread count for a parallel launch now."""
    global _read_count
    if _read_count is None:
        _read_count = _count_reader()
    cur = _read_count()
    if not _ENABLED:
        return cur
    loc = _local.__dict__
    mine = loc.get("set")
    if mine is None:  # first call in this thread: the count numba has is the ceiling
        loc["cap"] = cur
    elif cur != mine or loc["cap"] == 0:  # somebody else sets this thread's count: theirs stands
        loc["cap"] = 0
        return cur
    want = max(1, min(loc["cap"], int(_CPUS - foreign_cores() + 0.5)))
    if want != cur:
        numba.set_num_threads(want)
    loc["set"] = want
    return want
