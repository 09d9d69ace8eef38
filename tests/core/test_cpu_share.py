"""Parallel kernels use the cores other processes leave free, and leave a chosen count alone."""

from __future__ import annotations

import threading

import numba
import numpy as np
import pytest
from duograd.core.kernels import cpu_share
from duograd.core.kernels import elementwise as ew
from numba.core import config

pytestmark = pytest.mark.skipif(
    bool(config.DISABLE_JIT) or not cpu_share._ENABLED, reason="adaptive threads are off"
)


def _in_new_thread(fn):
    """Run fn in a fresh thread (numba's thread count and cpu_share's state are per thread)."""
    out: list = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:  # noqa: BLE001 - re-raised below
            out.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


def test_busy_cores_mean_fewer_threads(monkeypatch):
    cap = numba.config.NUMBA_NUM_THREADS

    def counts():
        got = []
        for busy in (0.0, cpu_share._CPUS - 1.0, float(cpu_share._CPUS), 0.0):
            monkeypatch.setattr(cpu_share, "foreign_cores", lambda b=busy: b)
            got.append((cpu_share.threads(), numba.get_num_threads()))
        return got

    got = _in_new_thread(counts)
    free = min(cap, cpu_share._CPUS)
    assert got == [(free, free), (1, 1), (1, 1), (free, free)]


def test_a_thread_count_set_by_someone_else_stands(monkeypatch):
    monkeypatch.setattr(cpu_share, "foreign_cores", lambda: float(cpu_share._CPUS))

    def run():
        first = cpu_share.threads()
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # the user takes over
        return first, cpu_share.threads(), numba.get_num_threads()

    assert _in_new_thread(run) == (
        1,
        numba.config.NUMBA_NUM_THREADS,
        numba.config.NUMBA_NUM_THREADS,
    )


def test_results_do_not_depend_on_the_thread_count(monkeypatch):
    a = np.random.default_rng(0).standard_normal(1 << 18).astype(np.float32)
    want = ew.binary("add", a, a).tobytes()
    for busy in (0.0, float(cpu_share._CPUS)):
        monkeypatch.setattr(cpu_share, "foreign_cores", lambda b=busy: b)
        assert _in_new_thread(lambda: ew.binary("add", a, a).tobytes()) == want


def test_the_busy_share_is_a_small_non_negative_number():
    shares = [cpu_share.foreign_cores() for _ in range(3)]
    assert all(0.0 <= s <= 4 * cpu_share._CPUS for s in shares)
