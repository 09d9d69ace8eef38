"""What a workload is: named cases, each with one program per column (style or peer).

A workload file in `workloads/` defines `WORKLOAD = Workload(...)`. Its `cases(quick)` returns
`Case`s; each case maps a column name ("graph", "eager", "torch", "tf1", or any extra such as
"numpy") to a factory. A factory builds the program (untimed) and returns a zero-argument
callable that runs one step and returns its result (an array, or a tuple/list of arrays) — the
result is what the parity column compares between the two duograd styles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Step = Callable[[], object]
Factory = Callable[[], Step]

COLUMNS = ("graph", "eager", "compiled", "torch", "torch.compile", "tf1")


@dataclass
class Case:
    """One row of the table: the same computation written for each column."""

    name: str
    impls: dict[str, Factory]
    flops: float | None = None  # per step, to report GFLOP/s
    parity_steps: int = 3  # steps run from a fresh program before comparing graph and eager
    parity: bool = True  # False where the two styles deliberately compute different things
    note: str = ""
    extra: dict = field(default_factory=dict)
    baseline: str = "eager"  # the column the other cells' ratios are taken against
    rounds: int | None = None  # overrides the run's rounds (e.g. slow whole-process cases)
    # seconds of idle before each column's round: multi-threaded BLAS peers keep their worker
    # threads spinning for a while after a call, which would steal the cores from the next column
    settle_s: float = 0.0
    # column -> why the case has no program for it (shown in its cell, never left empty)
    absent: dict[str, str] = field(default_factory=dict)


@dataclass
class Workload:
    """A named family of cases (one small file under workloads/)."""

    name: str
    description: str
    cases: Callable[[bool], list[Case]]
    in_quick: bool = True  # part of `duograd bench --quick` unless named with --only
    timed: bool = True  # False for workloads that report their own figures (e.g. start-up)
