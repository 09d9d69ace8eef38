"""The campaign's anchor worker: answers as the in-process call does, and a hang or a dead
worker costs one call (AnchorTimeout), after which a fresh worker answers."""

from __future__ import annotations

import threading

import anchor_runner
import numpy as np
import pytest

pytest.importorskip("torch")

ARGS = [("array", np.array([[1.0, -2.0], [np.nan, 4.0]], np.float32))]


@pytest.fixture
def worker():
    w = anchor_runner.Worker(timeout=120)
    yield w
    w.stop()


def test_the_worker_gives_the_in_process_result_and_error(worker):
    res, err = worker.call("torch", "abs", "eager", ARGS, {})
    want, werr = anchor_runner.call_anchor("torch", "abs", "eager", ARGS, {})
    assert err is None and werr is None
    assert [a.tobytes() for a in res] == [a.tobytes() for a in want]
    res, err = worker.call("torch", "squeeze", "eager", ARGS, {"dim": ("py", 5)})
    assert res is None and isinstance(err, IndexError) and "range" in str(err)


def test_a_call_past_the_limit_costs_only_that_call(worker):
    worker.timeout = 1e-3  # a fresh worker needs longer than this just to import torch
    with pytest.raises(anchor_runner.AnchorTimeout, match="past"):
        worker.call("torch", "abs", "eager", ARGS, {})
    assert worker.proc is None  # the worker was ended
    worker.timeout = 120
    res, err = worker.call("torch", "neg", "eager", ARGS, {})
    assert err is None and res[0].tolist()[0] == [-1.0, 2.0]


def test_a_worker_that_dies_costs_only_that_call(worker):
    proc = worker._start()
    # ended while it answers (a fresh worker is still importing torch), as an anchor aborting
    timer = threading.Timer(0.2, proc.kill)
    timer.start()
    try:
        with pytest.raises(anchor_runner.AnchorTimeout, match="ended"):
            worker.call("torch", "abs", "eager", ARGS, {})
    finally:
        timer.cancel()
    res, err = worker.call("torch", "abs", "eager", ARGS, {})
    assert err is None and res[0].tolist()[0] == [1.0, 2.0]
