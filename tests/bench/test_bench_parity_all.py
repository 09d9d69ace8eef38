"""Every discovered bench case, at its quick size: graph and eager give the same bits."""

from __future__ import annotations

import pytest
from duograd.benchmarks.cli import BROKEN, discover
from duograd.benchmarks.runner import parity

WORKLOADS = discover()


def _cases():
    out = []
    for name, wl in WORKLOADS.items():
        for case in wl.cases(True):
            if case.parity and "graph" in case.impls and "eager" in case.impls:
                out.append(pytest.param(case, id=f"{name}:{case.name}"))
    return out


def test_every_workload_file_loads():
    assert not BROKEN, BROKEN
    assert len(WORKLOADS) >= 10


@pytest.mark.parametrize("case", _cases())
def test_bench_case_parity_is_bitwise(case):
    assert parity(case) == "bitwise"
