"""Where a training step's time goes: wall time per primitive kernel, the rest as "other".

Every registered primitive's kernel entries (impl, fast, fast_params) are wrapped with a timer
before the program is built, so both the eager dispatch and a graph plan's kernels are counted;
so are the three convolution kernels themselves (a graph plan's fused conv + epilogue steps
call them without the primitive) and the optimizers' update kernels. Code that runs none of
these (fused elementwise kernels of the graph passes, the tape, Python dispatch) lands in
"other". The second table groups the same times by layer kind (conv forward, conv backward
data / weight, BatchNorm, ReLU, pooling, optimizer, residual adds and the rest). Usage:

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


# Kernel-module functions timed by themselves: (module, function, timer name).
_KERNELS = (
    ("conv", "conv2d", "kernel conv2d"),
    ("conv", "conv2d_input_grad", "kernel conv2d_input_grad"),
    ("conv", "conv2d_filter_grad", "kernel conv2d_filter_grad"),
    ("update", "sgd_", "optimizer update"),
    ("update", "momentum_", "optimizer update"),
    ("update", "adam_", "optimizer update"),
    ("update", "rmsprop_", "optimizer update"),
)
# Layer kind of each timer; the conv primitives are left out (their kernels are timed
# directly, which also covers the fused steps that skip the primitive).
KINDS = {
    "kernel conv2d": "conv forward",
    "kernel conv2d_input_grad": "conv backward data",
    "kernel conv2d_filter_grad": "conv backward weight",
    "optimizer update": "optimizer",
    "relu": "ReLU",
    "relu_grad": "ReLU",
    "mean": "pooling (global mean)",
    "max_pool2d": "pooling",
    "avg_pool2d": "pooling",
    "add": "adds (residual, BN grads)",
}
_SKIP = ("conv2d", "conv2d_input_grad", "conv2d_filter_grad")


def kind_of(name: str) -> str | None:
    """The layer kind a timer's time counts under (None: counted elsewhere)."""
    if name in _SKIP:
        return None
    if name.startswith("batch_norm"):
        return "BatchNorm"
    return KINDS.get(name, "other kernels")


def instrument() -> None:
    """Wrap every primitive's kernel entries, the conv kernels and the optimizers' update
    kernels with a timer (once per process)."""
    import importlib

    from ..core.primitives.registry import REGISTRY

    for name, prim in REGISTRY.items():
        for attr in ("impl", "fast", "fast_params"):
            fn = getattr(prim, attr)
            if fn is not None and not getattr(fn, "_profiled", False):
                w = _timed(name, fn)
                w._profiled = True  # type: ignore[attr-defined]
                setattr(prim, attr, w)
    for module, attr, name in _KERNELS:
        mod = importlib.import_module(f"duograd.core.kernels.{module}")
        fn = getattr(mod, attr)
        if not getattr(fn, "_profiled", False):
            w = _timed(name, fn)
            w._profiled = True  # type: ignore[attr-defined]
            setattr(mod, attr, w)


def by_kind(rows: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    """[(layer kind, ms per step, share of the step)] from `profile`'s rows."""
    total = next(ms for name, ms, _ in rows if name == "TOTAL step")
    kinds: dict[str, float] = defaultdict(float)
    for name, ms, _ in rows:
        if name == "TOTAL step":
            continue
        if name == "other":
            kinds["other (dispatch, tape, fused elementwise)"] += ms
            continue
        kind = kind_of(name)
        if kind is not None:
            kinds[kind] += ms
    out = sorted(((k, ms, ms / total) for k, ms in kinds.items()), key=lambda r: -r[1])
    return out + [("TOTAL step", total, 1.0)]


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
    counted = sum(r[1] for r in rows if r[0] not in _SKIP)  # conv time is in the kernel rows
    rows.append(("other", wall * 1e3 - counted, 0.0))
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
    print("by layer kind:")
    for kind, ms, share in by_kind(rows):
        print(f"  {kind:42s} {ms:9.2f} ms  {share:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
