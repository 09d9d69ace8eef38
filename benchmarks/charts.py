"""The bench report's charts: linear grouped bars of time per step, each bar labelled with its
ratio to duograd eager, one PNG per workload plus one summary PNG (needs matplotlib)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .runner import CaseResult
from .workload import COLUMNS

# one colour per column, the same in every chart, so the charts read side by side
_COLORS = {
    "graph": "#1f77b4",
    "eager": "#ff7f0e",
    "compiled": "#9467bd",
    "torch": "#2ca02c",
    "tf1": "#d62728",
}
_OTHER = ["#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
SUMMARY = "summary.png"


def _columns(results: Sequence[CaseResult]) -> list[str]:
    extra = sorted({c for r in results for c in r.cells if c not in COLUMNS})
    cols = list(COLUMNS) + extra
    return [c for c in cols if any(_median(r, c) for r in results)]


def _median(r: CaseResult, col: str) -> float | None:
    cell = r.cells.get(col)
    return cell.median_s if cell is not None and not cell.error and cell.median_s else None


def _reference(r: CaseResult) -> str:
    # the ratio is to duograd eager; a case without an eager column uses its own baseline
    return "eager" if _median(r, "eager") else r.baseline


def ratio(r: CaseResult, col: str) -> float | None:
    """Median time of `col` over that of duograd eager (or the case's baseline)."""
    t, ref = _median(r, col), _median(r, _reference(r))
    return t / ref if t and ref else None


def _color(col: str, cols: Sequence[str]) -> str:
    return _COLORS.get(col) or _OTHER[cols.index(col) % len(_OTHER)]


def _unit(seconds: Sequence[float]) -> tuple[float, str]:
    top = max(seconds)
    if top < 1e-3:
        return 1e6, "µs"
    if top < 1:
        return 1e3, "ms"
    return 1.0, "s"


def _grouped(ax, groups: list[str], cols: list[str], values: dict, labels: dict) -> None:
    width = 0.8 / max(len(cols), 1)
    for j, col in enumerate(cols):
        xs = [i - 0.4 + width * (j + 0.5) for i in range(len(groups))]
        ys = [values.get((g, col)) or 0.0 for g in groups]
        bars = ax.bar(xs, ys, width * 0.95, label=col, color=_color(col, cols))
        for bar, g in zip(bars, groups, strict=True):
            text = labels.get((g, col))
            if text:
                top = (bar.get_x() + bar.get_width() / 2, bar.get_height())
                turn = 90 if len(cols) > 3 else 0
                ax.annotate(text, top, xytext=(0, 2), textcoords="offset points", ha="center",
                            va="bottom", fontsize=7, rotation=turn)  # fmt: skip
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=20, ha="right", fontsize=8)
    ax.margins(y=0.18)  # room for the labels above the tallest bar
    ax.legend(fontsize=8)


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return None
    return plt


def workload_chart(plt, name: str, rs: Sequence[CaseResult], path: str) -> bool:
    """One workload: time per step of each case (groups) and column (bars), linear scale."""
    cols = _columns(rs)
    if not cols:
        return False
    scale, unit = _unit([_median(r, c) for r in rs for c in cols if _median(r, c)])
    values, labels = {}, {}
    for r in rs:
        for c in cols:
            t = _median(r, c)
            if t:
                values[(r.case, c)] = t * scale
                q = ratio(r, c)
                labels[(r.case, c)] = f"{q:.2f}x" if q is not None else ""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(rs) * len(cols) / 2 + 2), 4.2))
    _grouped(ax, [r.case for r in rs], cols, values, labels)
    ax.set_ylabel(f"median time per step ({unit})")
    ax.set_title(f"{name}: time per step, ratio to duograd eager on each bar (lower is better)",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def summary_chart(plt, results: Sequence[CaseResult], path: str) -> bool:
    """Every timed case: each column's ratio to duograd eager (1 = as fast), linear scale."""
    rs = [r for r in results if any(ratio(r, c) for c in _columns([r]))]
    cols = _columns(rs)
    if not rs or not cols:
        return False
    values, labels = {}, {}
    for r in rs:
        for c in cols:
            q = ratio(r, c)
            if q is not None:
                key = (f"{r.workload}: {r.case}", c)
                values[key], labels[key] = q, f"{q:.2f}"
    groups = [f"{r.workload}: {r.case}" for r in rs]
    fig, ax = plt.subplots(figsize=(max(7.0, 0.9 * len(groups) * max(len(cols), 2) / 2 + 2), 4.6))
    _grouped(ax, groups, cols, values, labels)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_ylabel("time per step / duograd eager's")
    ax.set_title("All workloads: ratio to duograd eager (dashed line = 1, lower is faster)",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_charts(results: Sequence[CaseResult], out_dir: str) -> list[str]:
    """The summary chart, then one PNG per workload; [] without matplotlib."""
    plt = _plt()
    if plt is None:
        return []
    paths = []
    path = os.path.join(out_dir, SUMMARY)
    if summary_chart(plt, results, path):
        paths.append(path)
    by_workload: dict[str, list[CaseResult]] = {}
    for r in results:
        by_workload.setdefault(r.workload, []).append(r)
    for name, rs in by_workload.items():
        path = os.path.join(out_dir, f"{name}.png")
        if workload_chart(plt, name, rs, path):
            paths.append(path)
    return paths
