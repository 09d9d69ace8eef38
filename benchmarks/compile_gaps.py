"""Where a bench workload's compiled time goes against the graph frontend's (README, "Compiling
eager code", the table of misses).

Run: ``python -m duograd.benchmarks.compile_gaps WORKLOAD [CASE-SUBSTRING] [ROUNDS]``. For each
matching case of ``benchmarks/workloads/WORKLOAD.py`` the graph and compiled programs are built
and warmed up, then timed in interleaved rounds of about 0.25 s: CPU time per call
(``time.process_time``, medians over rounds), split into the time inside plans (``Plan._run``
wrapped; nested plans count once) and the fixed cost around them, plus the plans run per call
and their nodes counted by primitive before the passes (IR) and after them (plan steps).
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from collections import Counter

from ..core.executor import Plan

_RUNS: dict[int, list] = {}  # id(plan) -> [cpu seconds, calls] in the current round
_PLANS: dict[int, Plan] = {}
_DEPTH = [0]
_ORIGINAL = Plan._run


def _timed_run(self: Plan, *args, **kwargs):
    if _DEPTH[0]:  # a plan run inside another (control flow): counted in the outer one
        return _ORIGINAL(self, *args, **kwargs)
    _DEPTH[0] += 1
    t0 = time.process_time()
    try:
        return _ORIGINAL(self, *args, **kwargs)
    finally:
        _DEPTH[0] -= 1
        cell = _RUNS.setdefault(id(self), [0.0, 0])
        cell[0] += time.process_time() - t0
        cell[1] += 1
        _PLANS[id(self)] = self


def counts(plans: list[Plan]) -> tuple[Counter, Counter]:
    """IR nodes by primitive and plan steps by what they run, over `plans`."""
    ir: Counter = Counter()
    steps: Counter = Counter()
    for p in plans:
        for n in p.nodes:
            ir[n.prim.name if n.prim is not None else "(input)"] += 1
        for s in p.steps:
            steps[s.kind if s.kind in ("const", "variable", "fused") else s.what] += 1
    return ir, steps


def _round(step, n: int) -> tuple[float, float, dict]:
    _RUNS.clear()
    t0 = time.process_time()
    for _ in range(n):
        step()
    cpu = (time.process_time() - t0) / n
    inside = sum(c[0] for c in _RUNS.values()) / n
    return cpu, inside, {k: v[1] / n for k, v in _RUNS.items()}


def measure(workload: str, sub: str = "", rounds: int = 5) -> None:
    """Print the split and the counts for each case of `workload` whose name holds `sub`."""
    Plan._run = _timed_run
    try:
        mod = importlib.import_module(f"duograd.benchmarks.workloads.{workload}")
        for case in mod.WORKLOAD.cases(True):
            if sub not in case.name or "graph" not in case.impls or "RSS" in case.name:
                continue
            steps = {}
            for col in ("graph", "compiled"):
                step = case.impls[col]()
                for _ in range(3):
                    step()
                t0 = time.process_time()
                step()
                steps[col] = (step, max(1, int(0.25 / max(time.process_time() - t0, 1e-6))))
            res: dict[str, list] = {c: [] for c in steps}
            for _ in range(rounds):
                for col, (step, n) in steps.items():
                    res[col].append(_round(step, n))
            print("==", case.name)
            cpu = {}
            for col in steps:
                cpu[col] = statistics.median(r[0] for r in res[col])
                inside = statistics.median(r[1] for r in res[col])
                runs = res[col][-1][2]
                ir, st = counts([_PLANS[k] for k in runs])
                print(
                    f"  {col}: CPU/call {cpu[col] * 1e6:.1f} us, in plans {inside * 1e6:.1f} us, "
                    f"around them {(cpu[col] - inside) * 1e6:.1f} us; plans/call "
                    f"{sum(runs.values()):.2f}; IR nodes {sum(ir.values())}, "
                    f"plan steps {sum(st.values())}"
                )
                print("    IR:", dict(ir.most_common()))
                print("    steps:", dict(st.most_common()))
            print(f"  compiled / graph (CPU): {cpu['compiled'] / cpu['graph']:.2f}x")
            sys.stdout.flush()
    finally:
        Plan._run = _ORIGINAL


if __name__ == "__main__":
    a = sys.argv[1:]
    measure(a[0], a[1] if len(a) > 1 else "", int(a[2]) if len(a) > 2 else 5)
