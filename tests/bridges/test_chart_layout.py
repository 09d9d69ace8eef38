"""The bench charts as drawn: linear time axis, grouped bars, each bar labelled with its ratio."""

import pytest
from duograd.benchmarks import charts
from duograd.benchmarks.runner import CaseResult, Cell

plt = pytest.importorskip("matplotlib.pyplot")


class _KeepFigures:
    """matplotlib's pyplot, except that figures stay open to be inspected."""

    subplots = staticmethod(plt.subplots)

    def __init__(self):
        self.figures = []

    def close(self, fig):
        self.figures.append(fig)


def _result(case, **times):
    return CaseResult("mlp", case, {c: Cell(median_s=t, rounds=3) for c, t in times.items()},
                      "bitwise")  # fmt: skip


def test_workload_chart_is_linear_with_a_ratio_on_every_bar(tmp_path):
    keep = _KeepFigures()
    rs = [_result("batch 64", eager=0.002, graph=0.001, torch=0.003),
          _result("batch 256", eager=0.008, graph=0.006, torch=0.004)]  # fmt: skip
    assert charts.workload_chart(keep, "mlp", rs, str(tmp_path / "mlp.png"))
    (fig,) = keep.figures
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear"
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == [1.0, 2.0, 3.0, 4.0, 6.0, 8.0]  # milliseconds, one bar per case and column
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == sorted(["1.00x", "0.50x", "1.50x", "1.00x", "0.75x", "0.50x"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["graph", "eager", "torch"]
    assert "ms" in ax.get_ylabel()
    plt.close(fig)


def test_summary_chart_marks_parity_and_labels_each_ratio(tmp_path):
    keep = _KeepFigures()
    rs = [_result("batch 64", eager=0.002, graph=0.001, torch=0.003)]
    assert charts.summary_chart(keep, rs, str(tmp_path / charts.SUMMARY))
    (fig,) = keep.figures
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear"
    assert sorted(t.get_text() for t in ax.texts) == ["0.50", "1.00", "1.50"]
    assert any(list(line.get_ydata()) == [1.0, 1.0] for line in ax.get_lines())  # the 1x line
    plt.close(fig)
