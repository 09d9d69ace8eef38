"""The `duograd` command: `duograd bench [--quick] [--only NAMES] [--out DIR] [--no-oracles]`."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

from . import coverage, peers
from .machine import describe
from .report import text_table, write_report
from .runner import FULL, QUICK, CaseResult, parity, run_once, time_case
from .workload import COLUMNS, Workload

BROKEN: dict[str, str] = {}  # workload files that failed to import, with the error


def discover() -> dict[str, Workload]:
    """Every workload defined under benchmarks/workloads/, by name (broken files are noted)."""
    from . import workloads

    found: dict[str, Workload] = {}
    for info in sorted(pkgutil.iter_modules(workloads.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        try:
            mod = importlib.import_module(f"{workloads.__name__}.{info.name}")
        except Exception as e:  # one broken workload file never stops the others
            BROKEN[info.name] = f"{type(e).__name__}: {e}"
            continue
        wl = getattr(mod, "WORKLOAD", None)
        if isinstance(wl, Workload):
            found[wl.name] = wl
    return found


class Progress:
    """A one-line progress display on a terminal, plain lines elsewhere."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()

    def show(self, label: str, detail: str = "") -> None:
        """Update the current line."""
        elapsed = time.perf_counter() - self.start
        text = f"[{self.done + 1}/{self.total} {elapsed:5.1f}s] {label} {detail}"
        if self.tty:
            sys.stderr.write("\r\033[K" + text[:150])
            sys.stderr.flush()
        elif not detail:
            sys.stderr.write(text + "\n")

    def finish(self) -> None:
        """Clear the line."""
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def bench(args: argparse.Namespace) -> int:
    """Run the selected workloads and write the report."""
    available = discover()
    if args.list:
        for name, wl in available.items():
            print(f"{name:12s} {wl.description}")
        return 0
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in available]
        if unknown:
            print(
                f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(available)}",
                file=sys.stderr,
            )
            return 2
    else:
        names = [n for n, wl in available.items() if wl.in_quick]
    columns = ["graph", "eager"]
    notes = [f"workload file {name}.py could not be loaded: {err}" for name, err in BROKEN.items()]
    if not args.no_oracles:
        if peers.torch() is not None:
            columns.append("torch")
        else:
            notes.append(f"torch column empty: {peers.why_missing('torch')}")
        if peers.tf1() is not None:
            columns.append("tf1")
        else:
            notes.append(f"tf1 column empty: {peers.why_missing('tf1')}")
    else:
        notes.append("peers skipped (--no-oracles)")
    settings = QUICK if args.quick else FULL
    cases = []
    for name in names:
        wl = available[name]
        try:
            for case in wl.cases(args.quick):
                cases.append((wl, case))
        except Exception as e:
            cr = CaseResult(name, "(setup)", note=f"{type(e).__name__}: {e}")
            cr.parity = f"setup failed: {type(e).__name__}: {e}"
            cases.append((wl, None))
            notes.append(f"{name}: could not list its cases: {type(e).__name__}: {e}")
    progress = Progress(len(cases))
    results: list[CaseResult] = []
    for wl, case in cases:
        if case is None:
            continue
        label = f"{wl.name}: {case.name}"
        progress.show(label)
        extra_cols = [c for c in case.impls if c not in COLUMNS]
        cols = [c for c in columns if c in case.impls] + extra_cols
        show = lambda d, label=label: progress.show(label, d)  # noqa: E731
        cells = time_case(case, cols, settings, show) if wl.timed else run_once(case, cols, show)
        progress.show(label, "parity")
        results.append(
            CaseResult(
                wl.name,
                case.name,
                cells,
                parity(case),
                case.flops,
                case.note,
                case.baseline,
                extra=dict(case.extra),
            )
        )
        progress.done += 1
    progress.finish()
    print(text_table(results))
    meta = describe(peers.versions())
    meta["settings"] = {
        "quick": bool(args.quick),
        "rounds": settings.rounds,
        "round_seconds": settings.round_seconds,
    }
    notes += [f"{r.workload}: {r.case}: {r.note}" for r in results if r.note]
    paths = write_report(results, meta, args.out, notes)
    print(f"\nreport: {paths['markdown']}  data: {paths['json']}  charts: {len(paths['charts'])}")
    for n in notes:
        print(f"note: {n}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `duograd` command."""
    parser = argparse.ArgumentParser(prog="duograd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="run both styles (and real PyTorch/TF) side by side")
    b.add_argument("--quick", action="store_true", help="fewer, shorter rounds (< 2 minutes)")
    b.add_argument("--only", default="", help="comma-separated workload names (see --list)")
    b.add_argument("--out", default="bench-report", help="report folder (default bench-report)")
    b.add_argument("--no-oracles", action="store_true", help="skip real PyTorch and TensorFlow")
    b.add_argument("--list", action="store_true", help="list the workloads and exit")
    coverage.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "coverage":
        return args.run(args)
    if args.command == "bench":
        return bench(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
