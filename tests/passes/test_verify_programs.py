"""Verify mode finds no difference on any example program or benchmark program of the graph style.

Each runs a few steps with DUOGRAD_VERIFY_PASSES=1: every run of every plan also runs the plain
plan and compares every node, fetch, state write and the random stream (VerifyError otherwise).
Benchmark cases of a million elements or more are left out (record mode keeps every
intermediate of both plans), as are the soak and start-up workloads (long, or new processes).
"""

from __future__ import annotations

import glob
import inspect
import os
import runpy

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
# (the distributed examples run under mpiexec: tests/distributed covers them)
EXAMPLES = sorted(
    p
    for p in glob.glob(os.path.join(ROOT, "examples", "*graph*.py"))
    if "distributed" not in os.path.basename(p)
)
SKIP_WORKLOADS = {"soak", "startup"}
SMALL = {"sample_length": 5, "eval_size": 64}


@pytest.fixture
def verify(monkeypatch):
    monkeypatch.setenv("DUOGRAD_VERIFY_PASSES", "1")
    monkeypatch.delenv("DUOGRAD_PASSES", raising=False)
    monkeypatch.syspath_prepend(os.path.join(ROOT, "examples"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_graph_examples_verify_clean(path, verify):
    ns = runpy.run_path(path)
    try:
        if "train" in ns:
            # small sizes where an example offers them (each run also runs the plain plan)
            params = inspect.signature(ns["train"]).parameters
            small = {k: v for k, v in SMALL.items() if k in params}
            ns["train"](2, True, **small)
        else:
            ns["main"](["--steps", "2"])
    except SystemExit as e:
        if "duograd[examples]" in str(e):
            pytest.skip("needs the optional examples extra (scikit-learn)")
        raise


def _benchmark_cases():
    from duograd.benchmarks.cli import discover

    out = []
    for name, wl in discover().items():
        if name in SKIP_WORKLOADS or not wl.timed:
            continue
        for case in wl.cases(True):
            if "e+06" in case.name or "e+07" in case.name:
                continue
            for col in ("graph", "graph-plain"):
                if col in case.impls:
                    out.append(pytest.param(case, col, id=f"{name}: {case.name} [{col}]"))
    return out


@pytest.mark.parametrize("case,col", _benchmark_cases())
def test_benchmark_programs_verify_clean(case, col, verify):
    step = case.impls[col]()
    for _ in range(2):
        step()
    getattr(step, "final", step)()
