"""Where a training step's time goes: wall time per primitive kernel, the rest as "other".

Every registered primitive's kernel entries (impl, fast, fast_params) are wrapped with a timer
before the program is built, so both the eager dispatch and a graph plan's kernels are counted;
code that runs no primitive kernel (fused elementwise kernels of the graph passes, the tape,
Python dispatch, the optimizer's update kernels) lands in "other". Usage:

    python -m duograd.benchmarks.profile_step [eager|graph] [steps]
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict

_TOTALS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])


def _timed(name: str, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            cell = _TOTALS[name]
            cell[0] += time.perf_counter() - t0
            cell[1] += 1

    return wrapper


def instrument() -> None:
    """Wrap every primitive's kernel entries with a timer (once per process)."""
    from ..core.primitives.registry import REGISTRY

    for name, prim in REGISTRY.items():
        for attr in ("impl", "fast", "fast_params"):
            fn = getattr(prim, attr)
            if fn is not None and not getattr(fn, "_profiled", False):
                w = _timed(name, fn)
                w._profiled = True  # type: ignore[attr-defined]
                setattr(prim, attr, w)


def profile(build, module, steps: int = 5) -> list[tuple[str, float, float]]:
    """[(primitive or 'other', ms per step, calls per step)] of `steps` steps after a warm-up."""
    import duograd.core.primitives  # noqa: F401  (fills the registry)

    instrument()
    step = build(module)
    step()
    step()
    _TOTALS.clear()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    wall = (time.perf_counter() - t0) / steps
    rows = [(k, v[0] / steps * 1e3, v[1] / steps) for k, v in _TOTALS.items()]
    rows.sort(key=lambda r: -r[1])
    rows.append(("other", wall * 1e3 - sum(r[1] for r in rows), 0.0))
    rows.append(("TOTAL step", wall * 1e3, 0.0))
    return rows


def main(argv: list[str]) -> int:
    """Print the per-primitive profile of the resnet workload's training step."""
    from . import programs
    from .workloads import resnet

    style = argv[0] if argv else "eager"
    steps = int(argv[1]) if len(argv) > 1 else 5
    if style == "eager":
        rows = profile(resnet._eager_train, programs.eager_module(), steps)
    else:
        rows = profile(resnet._graph_train, programs.graph_module(), steps)
    print(f"resnet training step, {style}, {steps} steps: ms per step by primitive")
    for name, ms, calls in rows:
        print(f"  {name:28s} {ms:9.2f} ms  {calls:6.0f} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
