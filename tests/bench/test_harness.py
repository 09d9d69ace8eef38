"""The bench harness on made-up workloads: timing, parity verdicts, failures, report files."""

from __future__ import annotations

import json

import duograd.benchmarks.runner as runner
import numpy as np
from duograd.benchmarks.report import text_table, write_report
from duograd.benchmarks.runner import QUICK, CaseResult, Settings, compare, parity, time_case
from duograd.benchmarks.workload import Case

TINY = Settings(rounds=3, round_seconds=0.001, warmup_steps=1)


def _const(value):
    return lambda: lambda: np.asarray(value, np.float32)


def _broken():
    raise RuntimeError("cannot build this one")


def test_compare_reports_bitwise_or_the_difference():
    a = np.array([1.0, 2.0], np.float32)
    assert compare(a, a.copy()) == "bitwise"
    assert compare([a], [a + np.float32(0.5)]) == "max |diff| 0.5"
    assert compare(np.float32(0.0), np.float32(-0.0)).startswith("max |diff| 0")


def test_a_failing_column_does_not_stop_the_others():
    case = Case("c", {"eager": _const(1.0), "graph": _broken})
    cells = time_case(case, ["graph", "eager"], TINY)
    assert cells["graph"].error.startswith("RuntimeError: cannot build")
    assert cells["eager"].median_s is not None and cells["eager"].rounds == 3


def test_parity_verdicts():
    assert parity(Case("same", {"eager": _const(1.0), "graph": _const(1.0)})) == "bitwise"
    assert parity(Case("diff", {"eager": _const(1.0), "graph": _const(1.5)})).startswith("max")
    assert parity(Case("broken", {"eager": _const(1.0), "graph": _broken})).startswith(
        "graph failed"
    )


def test_report_files(tmp_path):
    case = Case("c", {"eager": _const(1.0), "graph": _const(1.0)}, flops=10.0)
    cells = time_case(case, ["graph", "eager"], TINY)
    res = [CaseResult("demo", "c", cells, parity(case), case.flops)]
    table = text_table(res)
    assert "demo: c" in table and "bitwise" in table
    meta = {
        "machine": {"cpu": "x", "cores": 2, "platform": "p", "python": "3"},
        "versions": {"numpy": "1"},
        "threads": {"numba": 2},
    }
    paths = write_report(res, meta, str(tmp_path), ["a note"])
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["cases"][0]["parity"] == "bitwise"
    assert data["cases"][0]["cells"]["eager"]["median_s"] > 0
    md = (tmp_path / "report.md").read_text()
    assert "| demo: c |" in md and "a note" in md
    assert QUICK.rounds >= 3
    for p in paths["charts"]:
        assert open(p, "rb").read(4) == b"\x89PNG"


def test_settle_pauses_and_runs_one_untimed_step_before_each_round(monkeypatch):
    calls = {"eager": 0}
    sleeps = []

    def counting():
        def step():
            calls["eager"] += 1
            return np.float32(1.0)

        return step

    monkeypatch.setattr(runner.time, "sleep", sleeps.append)
    case = Case("c", {"eager": counting}, settle_s=0.25)
    cells = time_case(case, ["eager"], TINY)
    cell = cells["eager"]
    assert sleeps == [0.25] * TINY.rounds
    # warm-up, the calibration's steps, then per round one untimed step plus the timed ones
    assert calls["eager"] >= TINY.warmup_steps + TINY.rounds * (cell.number + 1)
    assert cell.rounds == TINY.rounds
