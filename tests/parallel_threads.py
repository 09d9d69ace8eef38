"""A fixed thread count for serial-vs-parallel and concurrency tests, and proof that it held.

The kernels pick their thread count per launch from the cores other processes leave free
(core/kernels/cpu_share.py). On a busy machine that can be one thread, and a test comparing the
parallel path with the serial one would then compare the serial path with itself and pass
without testing anything. The `parallel_threads` fixture switches the adaptive count off, sets
two threads for the test, and after the test runs a probe kernel under the same settings that
records which threads ran its iterations: fewer than two distinct threads fails the test.
Under NUMBA_DISABLE_JIT=1 (the coverage pass) the parallel code paths run as plain Python.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from duograd.core.kernels import cpu_share
from numba.core import config


@numba.njit(parallel=True)
def _thread_of_each_iteration(n: int) -> np.ndarray:
    out = np.empty(n, np.int64)
    for i in numba.prange(n):
        out[i] = numba.get_thread_id()
    return out


def threads_that_ran(n: int = 256) -> int:
    """How many distinct numba threads ran the iterations of a parallel loop just now."""
    return int(np.unique(_thread_of_each_iteration(n)).size)


@pytest.fixture
def parallel_threads(monkeypatch):
    """Two threads for the test with adaptive threading off; fails if fewer than two ran."""
    if config.DISABLE_JIT:  # plain Python: the parallel code paths still run, on one thread
        yield 1
        return
    if config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread on this machine")
    monkeypatch.setattr(cpu_share, "_ENABLED", False)
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        yield 2
        ran = threads_that_ran()
        assert ran >= 2, f"the parallel probe ran on {ran} thread(s) with 2 set"
    finally:
        numba.set_num_threads(before)
