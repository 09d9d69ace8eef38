"""The bench report's charts: one PNG per workload plus a summary, embedded in report.md."""

from __future__ import annotations

import pytest
from duograd.benchmarks.charts import SUMMARY, ratio
from duograd.benchmarks.report import write_report
from duograd.benchmarks.runner import CaseResult, Cell

META = {
    "machine": {"cpu": "x", "cores": 2, "platform": "p", "python": "3"},
    "versions": {"numpy": "1"},
    "threads": {"numba": 2},
}


def _result(workload, case, **times):
    cells = {c: Cell(median_s=t, rounds=3) for c, t in times.items()}
    return CaseResult(workload, case, cells, "bitwise")


def test_ratio_is_to_duograd_eager_else_the_baseline():
    r = _result("mlp", "b64", eager=0.002, graph=0.001, torch=0.004)
    assert ratio(r, "graph") == pytest.approx(0.5)
    assert ratio(r, "torch") == pytest.approx(2.0)
    k = CaseResult("kernels", "matmul", {"numpy": Cell(median_s=1.0), "graph": Cell(median_s=2.0)},
                   baseline="numpy")  # fmt: skip
    assert ratio(k, "graph") == pytest.approx(2.0)


def test_charts_written_and_embedded(tmp_path):
    pytest.importorskip("matplotlib")
    results = [
        _result("mlp", "batch 64", eager=0.0021, graph=0.0012, torch=0.0030, tf1=0.0041),
        _result("mlp", "batch 256", eager=0.0062, graph=0.0040, torch=0.0071, tf1=0.0090),
        _result("cnn", "batch 32", eager=0.020, graph=0.015, torch=0.011),
    ]
    paths = write_report(results, META, str(tmp_path), [])
    names = sorted(p.rsplit("/", 1)[-1] for p in paths["charts"])
    assert names == sorted(["cnn.png", "mlp.png", SUMMARY])
    for p in paths["charts"]:
        assert open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    md = (tmp_path / "report.md").read_text()
    for n in names:
        assert f"]({n})" in md
