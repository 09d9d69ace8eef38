"""Runs cases side by side: build each column's program, warm up, then time them in rounds.

Columns are timed in interleaved rounds (A B C, A B C, ...) so drift of a shared, noisy machine
hits them alike; each cell reports the median per-step time of its rounds. A column that fails to
build or run gets its error in its cell and never stops the other cells.
"""

from __future__ import annotations

import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from .workload import Case


@dataclass
class Cell:
    """The timing of one column of one case."""

    median_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    number: int = 0
    rounds: int = 0
    error: str | None = None
    absent: str | None = None  # why the case has no program for this column

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class CaseResult:
    """Timings of every column of a case, and its parity verdict."""

    workload: str
    case: str
    cells: dict[str, Cell] = field(default_factory=dict)
    parity: str = ""
    flops: float | None = None
    note: str = ""
    baseline: str = "eager"
    # figures an untimed case reports per column (see `run_once`)
    extra: dict = field(default_factory=dict)


@dataclass
class Settings:
    """How long to measure."""

    rounds: int = 7
    round_seconds: float = 0.05
    warmup_steps: int = 2
    max_number: int = 100_000


QUICK = Settings(rounds=5, round_seconds=0.02, warmup_steps=2)
FULL = Settings(rounds=9, round_seconds=0.1, warmup_steps=3)


def _arrays(result: object) -> list[np.ndarray]:
    if isinstance(result, (list, tuple)):
        out: list[np.ndarray] = []
        for r in result:
            out.extend(_arrays(r))
        return out
    if isinstance(result, dict):
        return [a for k in sorted(result) for a in _arrays(result[k])]
    return [np.asarray(result)]


def compare(a: object, b: object) -> str:
    """'bitwise' when every array is identical to the bit, else the max abs difference.

    Each side must hold at least one non-empty numeric array: two empty results (None, [])
    would otherwise be 'bitwise' without anything having been compared.
    """
    xs, ys = _arrays(a), _arrays(b)
    for side, arrs in (("first", xs), ("second", ys)):
        if not any(x.size and x.dtype != object for x in arrs):
            return f"nothing to compare: the {side} result holds no non-empty array"
    if len(xs) != len(ys):
        return f"differ: {len(xs)} vs {len(ys)} results"
    worst = 0.0
    same = True
    for x, y in zip(xs, ys, strict=True):
        if x.shape != y.shape:
            return f"differ: shapes {x.shape} vs {y.shape}"
        if x.dtype != y.dtype:
            same = False
        if x.tobytes() != y.tobytes():
            same = False
            if x.size:
                d = np.abs(x.astype(np.float64) - y.astype(np.float64))
                worst = max(worst, float(np.nanmax(d)) if np.isfinite(d).any() else float("inf"))
    return "bitwise" if same else f"max |diff| {worst:.3g}"


def _short_error(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg}"[:160]


def parity(case: Case) -> str:
    """Run the graph and eager programs from fresh builds and compare their results."""
    if not case.parity or "graph" not in case.impls or "eager" not in case.impls:
        return str(case.extra.get("parity", ""))  # an untimed case may give its own verdict
    results = []
    cols = ("graph", "eager", "compiled") if "compiled" in case.impls else ("graph", "eager")
    for col in cols:
        try:
            step = case.impls[col]()
            for _ in range(case.parity_steps - 1):
                step()
            # a step may offer `final()`: run one more step and return what parity compares
            results.append(getattr(step, "final", step)())
        except Exception as e:
            return f"{col} failed: {_short_error(e)}"
    verdict = compare(results[0], results[1])
    if len(results) == 3 and verdict == "bitwise":
        other = compare(results[1], results[2])
        if other != "bitwise":
            return f"compiled vs eager: {other}"
    return verdict


def _calibrate(step, target: float, cap: int) -> int:
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        dt = time.perf_counter() - t0
        if dt >= target or number >= cap:
            return number
        number = min(cap, max(number * 2, int(number * target / max(dt, 1e-9) * 1.1)))


def run_once(case: Case, columns: list[str], progress=None) -> dict[str, Cell]:
    """For a workload with timed=False: build and run each column once, no timing rounds.

    What the step returns (a dict of figures) is kept in ``case.extra[column]`` with the step's
    wall time added as "wall_s". A column that fails gets its error in its cell, as when timing.
    """
    cells: dict[str, Cell] = {}
    for col in columns:
        factory = case.impls.get(col)
        if factory is None:
            if col in case.absent:
                cells[col] = Cell(absent=case.absent[col])
            continue
        cell = cells[col] = Cell(number=1, rounds=1)
        try:
            if progress:
                progress(f"running {col}")
            step = factory()
            t0 = time.perf_counter()
            out = step()
            wall = round(time.perf_counter() - t0, 3)
            # no median: an untimed case is not charted or compared as a timing
            case.extra[col] = {**out, "wall_s": wall} if isinstance(out, dict) else {"wall_s": wall}
        except Exception as e:
            cell.error = _short_error(e)
    return cells


def time_case(case: Case, columns: list[str], settings: Settings, progress=None) -> dict[str, Cell]:
    """Build, warm up and time each available column of a case, interleaved by rounds."""
    cells: dict[str, Cell] = {}
    steps = {}
    for col in columns:
        factory = case.impls.get(col)
        if factory is None:
            if col in case.absent:
                cells[col] = Cell(absent=case.absent[col])
            continue
        cell = Cell()
        cells[col] = cell
        try:
            if progress:
                progress(f"building {col}")
            step = factory()
            for _ in range(settings.warmup_steps if case.rounds is None else 1):
                step()
            cell.number = (
                1 if case.rounds else _calibrate(step, settings.round_seconds, settings.max_number)
            )
            steps[col] = step
        except Exception as e:
            cell.error = _short_error(e)
            if "DUOGRAD_BENCH_TRACE" in __import__("os").environ:
                traceback.print_exc(file=sys.stderr)
    times: dict[str, list[float]] = {col: [] for col in steps}
    rounds = case.rounds or settings.rounds
    for r in range(rounds):
        if progress:
            progress(f"round {r + 1}/{rounds}")
        for col, step in list(steps.items()):
            n = cells[col].number
            try:
                if case.settle_s:
                    time.sleep(case.settle_s)
                    step()  # untimed: brings this column's data back into the caches
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                times[col].append((time.perf_counter() - t0) / n)
            except Exception as e:
                cells[col].error = _short_error(e)
                del steps[col]
    for col, ts in times.items():
        cell = cells[col]
        if ts and cell.error is None:
            cell.median_s = statistics.median(ts)
            cell.min_s = min(ts)
            cell.max_s = max(ts)
            cell.rounds = len(ts)
    return cells
