"""Data-parallel training under mpiexec: run-to-run bits, graph == eager, N ranks == accumulation.

(a) two runs of ``mpiexec -n 2`` give identical bytes; (b) the eager (DistributedDataParallel)
and graph (Horovod DistributedOptimizer) styles give identical bits on every rank, with 2 and
3 processes; (c) N ranks with per-rank batch b give the bits of one process accumulating N
micro-batch gradients in rank order and dividing the sum by N once.
"""

from __future__ import annotations

import numpy as np
import pytest
from dist_launch import mpirun


def _train(tmp_path_factory, n: int, tag: str) -> dict:
    out = tmp_path_factory.mktemp(f"dist{n}{tag}") / "out.npz"
    res = mpirun(n, "dist_program.py", str(out), "both")
    assert res.returncode == 0, f"mpiexec -n {n} failed:\n{res.stdout}\n{res.stderr}"
    with np.load(out) as d:
        return {k: d[k] for k in d.files}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Results of mpiexec -n 2 (twice) and -n 3 (once)."""
    return {
        "2a": _train(tmp_path_factory, 2, "a"),
        "2b": _train(tmp_path_factory, 2, "b"),
        "3": _train(tmp_path_factory, 3, "a"),
    }


def test_run_to_run_bitwise(runs) -> None:
    """(a) Two 2-process runs give the same bytes for every weight and loss of every rank."""
    a, b = runs["2a"], runs["2b"]
    assert a.keys() == b.keys() and a
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes(), k


@pytest.mark.parametrize("key", ["2a", "3"])
def test_graph_equals_eager_distributed(runs, key) -> None:
    """(b) Graph style and eager style: identical bits on every rank (2 and 3 processes)."""
    d = runs[key]
    n = int(key[0])
    for r in range(n):
        for i in range(4):
            e, g = d[f"r{r}_eager_w{i}"], d[f"r{r}_graph_w{i}"]
            assert e.dtype == g.dtype == np.float32
            assert np.array_equal(e, g), (r, i, np.abs(e - g).max())
        assert np.array_equal(d[f"r{r}_eager_losses"], d[f"r{r}_graph_losses"])


@pytest.mark.parametrize("key", ["2a", "3"])
def test_ranks_hold_the_same_weights(runs, key) -> None:
    """Every rank ends with rank 0's bits (the initial broadcast and the averaged gradients)."""
    d = runs[key]
    for r in range(1, int(key[0])):
        for i in range(4):
            assert d[f"r{r}_eager_w{i}"].tobytes() == d[f"r0_eager_w{i}"].tobytes()
    assert not np.array_equal(d["r0_eager_losses"], d["r1_eager_losses"])  # different data


@pytest.mark.parametrize("key", ["2a", "3"])
def test_equals_one_process_accumulation(runs, key) -> None:
    """(c) N ranks == one process accumulating N micro-batches in rank order, sum / N."""
    import dist_program

    n = int(key[0])
    ref = dist_program.accumulate(n)["weights"]
    for i in range(4):
        got = runs[key][f"r0_eager_w{i}"]
        assert ref[i].dtype == got.dtype and ref[i].tobytes() == got.tobytes(), i


def test_collectives_and_no_sync() -> None:
    """all_reduce (SUM, AVG), broadcast, all_gather, barrier and DDP's no_sync, on 2 and 3 ranks."""
    for n in (2, 3):
        res = mpirun(n, "api_program.py")
        assert res.returncode == 0 and "OK" in res.stdout, res.stdout + res.stderr
