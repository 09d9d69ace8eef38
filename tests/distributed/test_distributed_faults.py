"""Faults under mpiexec: a failing or killed rank ends the job quickly, never a hang."""

from __future__ import annotations

import time

import pytest
from dist_launch import mpirun

LIMIT = 60.0  # far below a hang; each case ends in seconds


def _run(mode: str, timeout_s: str = "4"):
    start = time.monotonic()
    res = mpirun(
        2, "fault_program.py", mode, env={"DUOGRAD_DIST_TIMEOUT": timeout_s}, timeout=LIMIT
    )
    return res, time.monotonic() - start


def test_rank_that_raises_aborts_the_job() -> None:
    """Rank 1 raises: its error is printed and the whole job ends (non-zero status)."""
    res, took = _run("raise")
    assert res.returncode != 0
    assert "deliberate failure on rank 1" in res.stderr
    assert "rank 1 of 2 failed with ValueError" in res.stderr
    assert "finished the allreduce" not in res.stdout
    assert took < LIMIT


def test_killed_rank_ends_the_job() -> None:
    """Rank 1 is killed (SIGKILL): the others do not wait forever."""
    res, took = _run("kill")
    assert res.returncode != 0
    assert "finished the allreduce" not in res.stdout
    assert took < LIMIT


def test_rank_that_never_joins_times_out_clearly() -> None:
    """Rank 1 skips the collective: rank 0 raises a clear DistributedError after the timeout."""
    res, took = _run("stall", "2")
    assert res.returncode != 0
    # (mpiexec merges the ranks' stderr, so lines may interleave: check the parts)
    assert "DistributedError" in res.stderr
    assert "all_reduce on rank 0 of 2" in res.stderr and "waited 2 s" in res.stderr
    assert took < LIMIT


def test_mismatched_parameter_shapes_named_at_wrap() -> None:
    """Ranks with different layer widths: DDP refuses at wrap time, naming the parameter."""
    res, _ = _run("mismatch")
    assert res.returncode == 0, res.stdout + res.stderr
    for r in (0, 1):
        assert f"rank {r} MISMATCH: DistributedDataParallel: parameter '0.weight'" in res.stdout
    assert "[8, 4] on rank 0" in res.stdout and "[9, 4] on rank 1" in res.stdout


@pytest.mark.parametrize("mode", ["raise"])
def test_fault_output_names_the_rank(mode) -> None:
    """The abort message says which rank failed and why the others stop."""
    res, _ = _run(mode)
    assert "aborting the job so the other ranks do not wait for it" in res.stderr
