"""The `duograd` command: `duograd bench [--quick] [--only NAMES] [--out DIR] [--no-oracles]`;
`duograd run -n N script.py [args]` (the script in N processes under mpiexec)."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

from . import coverage, cpu_path, peers
from .machine import describe
from .report import text_table, write_report
from .runner import FULL, QUICK, CaseResult, parity, run_once, time_case
from .workload import COLUMNS, Workload

BROKEN: dict[str, str] = {}  # workload files that failed to import, with the error

# exit codes of `duograd bench` besides 0 (all well) and 2 (bad arguments)
EXIT_PARITY_DIFFERS = 3  # every cell ran, but a graph-vs-eager parity verdict is not bitwise
EXIT_CELL_FAILED = 4  # a cell, a workload's case list or a workload file failed


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
    cpu_path.reexec_if_needed(cpu_path.requested(getattr(args, "cpu", None)), args.argv)
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
    columns = ["graph", "eager", "compiled"]
    notes = [f"workload file {name}.py could not be loaded: {err}" for name, err in BROKEN.items()]
    if not args.no_oracles:
        if peers.torch() is not None:
            columns.append("torch")
        else:
            notes.append(f"torch column empty: {peers.why_missing('torch')}")
        if args.quick and not args.torch_compile:
            notes.append(
                "torch.compile column skipped in --quick: inductor's first compile of one small "
                "function took 112 s on this (loaded) machine; run without --quick or add "
                "--torch-compile"
            )
        elif peers.torch_compile() is not None:
            columns.append("torch.compile")
        else:
            notes.append(f"torch.compile column empty: {peers.why_missing('torch.compile')}")
        if peers.tf1() is not None:
            columns.append("tf1")
        else:
            notes.append(f"tf1 column empty: {peers.why_missing('tf1')}")
    else:
        notes.append("peers skipped (--no-oracles)")
    settings = QUICK if args.quick else FULL
    cases = []
    # rows for what could not even start stay in the table, so a failure is never just a note
    failed_rows = [
        CaseResult(name, "(load)", parity=f"load failed: {err}") for name, err in BROKEN.items()
    ]
    for name in names:
        wl = available[name]
        try:
            for case in wl.cases(args.quick):
                cases.append((wl, case))
        except Exception as e:
            why = f"{type(e).__name__}: {e}"
            failed_rows.append(CaseResult(name, "(setup)", parity=f"setup failed: {why}"))
            notes.append(f"{name}: could not list its cases: {why}")
    progress = Progress(len(cases))
    results: list[CaseResult] = list(failed_rows)
    for wl, case in cases:
        label = f"{wl.name}: {case.name}"
        progress.show(label)
        extra_cols = [c for c in case.impls if c not in COLUMNS]
        cols = [c for c in columns if c in case.impls or c in case.absent] + extra_cols
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
    meta = describe(peers.versions())
    print(cpu_path.summary(meta["code_path"]))
    print(text_table(results))
    meta["settings"] = {
        "quick": bool(args.quick),
        "rounds": settings.rounds,
        "round_seconds": settings.round_seconds,
    }
    notes += [f"{r.workload}: {r.case}: {r.note}" for r in results if r.note]
    paths = write_report(results, meta, args.out, notes)
    print(f"\nreport: {paths['markdown']}  data: {paths['json']}  charts: {len(paths['charts'])}")
    if paths["charts_skipped"]:
        notes.append(f"charts skipped: {paths['charts_skipped']}")
    for n in notes:
        print(f"note: {n}")
    return exit_code(results)


def exit_code(results: list[CaseResult]) -> int:
    """0 when every cell ran and every parity verdict is bitwise; else a distinct code, said why."""
    failed = [
        r
        for r in results
        if r.case in ("(load)", "(setup)") or any(c.error for c in r.cells.values())
    ]
    differ = [r for r in results if r.parity and r.parity != "bitwise"]
    for r in failed:
        print(f"FAILED: {r.workload}: {r.case}", file=sys.stderr)
    for r in differ:
        print(f"PARITY: {r.workload}: {r.case}: {r.parity}", file=sys.stderr)
    if failed:
        return EXIT_CELL_FAILED
    return EXIT_PARITY_DIFFERS if differ else 0


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
    b.add_argument(
        "--torch-compile",
        action="store_true",
        help="time real torch.compile (inductor) beside torch even with --quick (slow first call)",
    )
    b.add_argument(
        "--cpu",
        default=None,
        help="code path: 'host' (default) or an AVX2 CPU such as haswell or znver2 to force the "
        "AVX2 kernels of duograd, numpy and the peers (also $DUOGRAD_BENCH_CPU)",
    )
    r = sub.add_parser("run", help="run a script in N processes under mpiexec (extra `dist`)")
    r.add_argument("-n", "--np", type=int, default=2, help="number of processes (default 2)")
    r.add_argument("script", help="the Python script")
    r.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    coverage.add_parser(sub)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.command == "coverage":
        return args.run(args)
    if args.command == "bench":
        return bench(args)
    if args.command == "run":
        from ..core.distributed.launch import run

        return run(args.np, args.script, args.script_args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
