"""`duograd bench` keeps failing rows visible and exits with a distinct code; empty parity
results are never 'bitwise'; each workload gets a chart, or a note says why not."""

from __future__ import annotations

import sys

import duograd.benchmarks.cli as cli
import numpy as np
import pytest
from duograd.benchmarks.runner import compare
from duograd.benchmarks.workload import Case, Workload


def _const(value):
    return lambda: lambda: np.asarray(value, np.float32)


def _broken():
    raise RuntimeError("cannot build this one")


def _no_cases(quick):
    raise ValueError("no such size")


FAKE = {
    "same": Workload("same", "d", lambda q: [Case("c", {"graph": _const(1), "eager": _const(1)})]),
    "differs": Workload(
        "differs", "d", lambda q: [Case("c", {"graph": _const(1), "eager": _const(2)})]
    ),
    "badcell": Workload(
        "badcell", "d", lambda q: [Case("c", {"graph": _broken, "eager": _const(1)})]
    ),
    "nocases": Workload("nocases", "d", _no_cases),
}  # fmt: skip


@pytest.mark.parametrize(
    "a, b", [(None, None), ([], []), ((), ()), (np.zeros(0), np.zeros(0)), ({}, {}), ([1.0], None)]
)
def test_empty_results_are_not_bitwise(a, b):
    verdict = compare(a, b)
    assert verdict != "bitwise" and "nothing to compare" in verdict


def _run(monkeypatch, tmp_path, only):
    monkeypatch.setattr(cli, "discover", lambda: dict(FAKE))
    monkeypatch.setattr(cli, "BROKEN", {})
    return cli.main(["bench", "--quick", "--no-oracles", "--only", only, "--out", str(tmp_path)])


@pytest.mark.parametrize(
    "only, code",
    [
        ("same", 0),
        ("differs", cli.EXIT_PARITY_DIFFERS),
        ("badcell", cli.EXIT_CELL_FAILED),
        ("nocases", cli.EXIT_CELL_FAILED),
        ("same,differs", cli.EXIT_PARITY_DIFFERS),
        ("differs,nocases", cli.EXIT_CELL_FAILED),
    ],
)
def test_exit_code_says_whether_parity_differed_or_a_cell_failed(
    monkeypatch, tmp_path, capsys, only, code
):
    assert _run(monkeypatch, tmp_path, only) == code
    out = capsys.readouterr()
    for name in only.split(","):
        assert f"{name}: " in out.out  # every selected workload keeps its row in the table
    if code:
        assert "FAILED" in out.err or "PARITY" in out.err


def test_a_workload_whose_cases_raise_keeps_its_row(monkeypatch, tmp_path, capsys):
    _run(monkeypatch, tmp_path, "nocases")
    table = capsys.readouterr().out
    row = [line for line in table.splitlines() if line.startswith("nocases")]
    assert row and "setup failed: ValueError: no such size" in row[0]
    assert "nocases" in (tmp_path / "report.md").read_text()


def test_each_workload_gets_a_png(monkeypatch, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert _run(monkeypatch, tmp_path, "same,differs") == cli.EXIT_PARITY_DIFFERS
    for name in ("same", "differs"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "charts: 3" in capsys.readouterr().out  # one per workload, plus the summary chart


def test_skipped_charts_are_announced(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    _run(monkeypatch, tmp_path, "same")
    assert "note: charts skipped: matplotlib is not installed" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.png"))
