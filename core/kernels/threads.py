"""Parallel kernels called from several Python threads: safe whatever threading layer numba uses.

numba runs ``parallel=True`` kernels on one of three threading layers, chosen at the first
parallel launch: tbb, omp (both accept launches from several threads at once) or workqueue, the
fallback when neither tbb nor an OpenMP runtime can be loaded, which aborts the whole process
("Concurrent access has been detected") when two threads launch parallel kernels at the same
time. A numba kernel releases the GIL while its parallel region runs, so this happens as soon
as two threads of a user program (say, two `Session.run` calls) run large enough operations.

When the layer in use (or the one numba will pick) is workqueue, `guard` makes every parallel
kernel of duograd take one process-wide lock around its launch, so launches take turns instead
of crashing; the kernels' results do not change. With tbb or omp nothing is touched and the
parallel kernels run concurrently at full speed.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import threading
from types import ModuleType
from typing import Any

from numba.core import config
from numba.core.registry import CPUDispatcher

_LOCK = threading.RLock()
_SAFE = ("tbb", "omp")


class SerialisedDispatcher(CPUDispatcher):
    """A parallel kernel whose launches from several Python threads take turns."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return super().__call__(*args, **kwargs)


def _loadable(layer: str) -> bool:
    """Whether numba could load this threading layer (the check numba itself makes)."""
    try:
        if layer == "tbb":
            from numba.np.ufunc.parallel import _check_tbb_version_compatible

            _check_tbb_version_compatible()
            from numba.np.ufunc import tbbpool  # noqa: F401
        elif layer == "omp":
            from numba.np.ufunc import omppool  # noqa: F401
    except ImportError:
        return False
    return True


def layer() -> str:
    """The threading layer numba uses, or the one it will pick at the first parallel launch."""
    try:
        import numba

        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet: predict numba's choice
        pass
    wanted = str(config.THREADING_LAYER).lower()
    if wanted in ("tbb", "omp", "workqueue"):
        return wanted
    if wanted in ("safe", "threadsafe"):
        return "threadsafe"  # tbb or omp, or numba refuses to run parallel code at all
    if wanted == "forksafe":
        order = ["tbb", "workqueue"] if sys.platform.startswith("linux") else ["tbb", "omp"]
    else:
        order = list(config.THREADING_LAYER_PRIORITY)
    for name in order:
        if name == "workqueue" or _loadable(name):
            return name
    return "workqueue"


def needs_serialising() -> bool:
    """True when concurrent parallel launches would crash (the workqueue layer)."""
    if config.DISABLE_JIT:
        return False
    return layer() == "workqueue"


def guard(module: ModuleType) -> int:
    """Serialise the parallel kernels of `module` if the threading layer needs it; how many."""
    if not needs_serialising():
        return 0
    count = 0
    for value in list(vars(module).values()):
        if type(value) is CPUDispatcher and value.targetoptions.get("parallel"):
            value.__class__ = SerialisedDispatcher
            count += 1
    return count


def guard_loaded() -> int:
    """Import every kernel module of duograd, then `guard` them all (static and generated)."""
    if not needs_serialising():
        return 0
    # some kernel modules are only imported by the frontends (e.g. the optimizer updates):
    # import them now, so none escapes the guard (importing compiles nothing)
    from . import __path__ as package_path

    for info in pkgutil.iter_modules(package_path):
        importlib.import_module(f"{__package__}.{info.name}")
    names = [
        n
        for n in list(sys.modules)
        if n.startswith("duograd.core.kernels.") or n.startswith("duograd._generated.")
    ]
    return sum(guard(sys.modules[n]) for n in names if sys.modules.get(n) is not None)
