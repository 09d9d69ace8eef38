"""Presenting results: the terminal table, results.json, report.md and PNG charts."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from . import cpu_path
from .charts import write_charts
from .runner import CaseResult
from .workload import COLUMNS


def fmt_time(s: float | None) -> str:
    """Seconds in the unit that reads best."""
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _columns(results: Sequence[CaseResult]) -> list[str]:
    extra = sorted({c for r in results for c in r.cells if c not in COLUMNS})
    return list(COLUMNS) + extra


def cell_text(result: CaseResult, col: str) -> str:
    """A cell: time, ratio to the case's baseline column, GFLOP/s when the case counts flops."""
    cell = result.cells.get(col)
    if cell is None:
        return ""
    if cell.error:
        return f"error: {cell.error}"
    if cell.absent:
        return f"n/a: {cell.absent}"
    figures = result.extra.get(col)
    if isinstance(figures, dict) and "summary" in figures:  # an untimed case's own figures
        return str(figures["summary"])
    text = fmt_time(cell.median_s)
    base = result.cells.get(result.baseline)
    if col != result.baseline and base is not None and base.median_s and cell.median_s:
        text += f" ({cell.median_s / base.median_s:.2f}x)"
    if result.flops and cell.median_s:
        text += f" {result.flops / cell.median_s / 1e9:.1f} GF/s"
    return text


def table_rows(results: Sequence[CaseResult]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the side-by-side table."""
    cols = _columns(results)
    used = [c for c in cols if any(c in r.cells for r in results)] or list(COLUMNS)
    header = ["workload", *used, "parity"]
    rows = []
    for r in results:
        rows.append([f"{r.workload}: {r.case}", *[cell_text(r, c) for c in used], r.parity])
    return header, rows


def text_table(results: Sequence[CaseResult]) -> str:
    """A fixed-width table for the terminal."""
    header, rows = table_rows(results)
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(header)
    ]
    widths = [min(w, 48) for w in widths]

    def line(cells):
        return "  ".join(c[:w].ljust(w) for c, w in zip(cells, widths, strict=True))

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    return "\n".join(out)


def markdown_table(results: Sequence[CaseResult]) -> str:
    """The same table in Markdown."""
    header, rows = table_rows(results)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(out)


def to_json(results: Sequence[CaseResult], meta: dict) -> dict:
    """results.json content."""
    return {
        **meta,
        "cases": [
            {
                "workload": r.workload,
                "case": r.case,
                "parity": r.parity,
                "flops": r.flops,
                "note": r.note,
                "cells": {c: cell.as_dict() for c, cell in r.cells.items()},
                **({"extra": r.extra} if r.extra else {}),
            }
            for r in results
        ],
    }


def charts_unavailable() -> str | None:
    """Why charts cannot be drawn (matplotlib missing or broken), or None when they can."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        return f"matplotlib is not installed ({e}); `pip install 'duograd[bench]'`"
    return None


def write_report(
    results: Sequence[CaseResult], meta: dict, out_dir: str, notes: Sequence[str]
) -> dict:
    """Write results.json, report.md and the charts; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    jpath = os.path.join(out_dir, "results.json")
    with open(jpath, "w") as f:
        json.dump(to_json(results, meta), f, indent=2)
    charts = write_charts(results, out_dir)
    m = meta["machine"]
    lines = [
        "# duograd bench",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}, Python {m['python']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v) + ".",
        "Threads: " + ", ".join(f"{k} {v}" for k, v in meta["threads"].items()) + ".",
        *([cpu_path.summary(meta["code_path"]) + "."] if "code_path" in meta else []),
        "",
        "Cells: median time per step over interleaved rounds after a warm-up, and in brackets the "
        "ratio to duograd eager (or to the case's named baseline, e.g. numpy for kernels; "
        "below 1 is faster). Parity compares duograd graph and eager "
        "results from fresh programs after the same steps: `bitwise` means identical bits.",
        "",
        markdown_table(results),
        "",
    ]
    lines += [f"- {n}" for n in notes]
    figures = [(r, col, f) for r in results for col, f in r.extra.items()]
    if figures:  # untimed cases (e.g. soak): every figure they reported
        lines += ["", "## Figures", ""]
        for r, col, f in figures:
            lines.append(f"- {r.workload}: {r.case} [{col}]: `{json.dumps(f, sort_keys=True)}`")
    if charts:
        lines += ["", "## Charts", ""] + [
            f"![{os.path.basename(p)}]({os.path.basename(p)})" for p in charts
        ]
    else:
        lines += [
            "",
            "Charts were skipped: matplotlib is not installed (`pip install 'duograd[bench]'`).",
        ]
    mpath = os.path.join(out_dir, "report.md")
    with open(mpath, "w") as f:
        f.write("\n".join(lines) + "\n")
    return {
        "json": jpath,
        "markdown": mpath,
        "charts": charts,
        "charts_skipped": charts_unavailable(),
    }
