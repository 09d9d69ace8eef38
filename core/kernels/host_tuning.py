"""What importing duograd changes in the host process, and the one switch that turns it all off.

Three process-wide settings, each kept for a measured reason (README, "What importing duograd
changes in your process"): glibc malloc thresholds (allocator.py), a bounded OpenMP spin for
numba's threading layer (kernels/__init__.py) and adaptive thread counts from /proc/stat
(cpu_share.py). `DUOGRAD_HOST_TUNING=0` turns all three off; each also has its own switch, and
none overrides a setting the user or another library already made.
"""

from __future__ import annotations

import os

SWITCH = "DUOGRAD_HOST_TUNING"

# what this import actually changed (read by tests and by anyone who wants to know)
APPLIED = {"malloc": False, "openmp_spin": False, "adaptive_threads": False}


def enabled(own_switch: str | None = None) -> bool:
    """False when DUOGRAD_HOST_TUNING=0, or when the setting's own switch is 0."""
    if os.environ.get(SWITCH, "1").strip() == "0":
        return False
    return own_switch is None or os.environ.get(own_switch, "1").strip() != "0"


def applied() -> dict[str, bool]:
    """Which host settings importing duograd changed in this process."""
    return dict(APPLIED)


def library_loaded(soname: str) -> bool:
    """True when the shared library file `soname` (e.g. libgomp.so.1) is mapped in this process."""
    try:
        with open("/proc/self/maps") as fh:
            names = {line.rstrip().rsplit("/", 1)[-1] for line in fh if "/" in line}
    except OSError:
        return False
    # the file mapped is often the fully versioned one (libgomp.so.1.0.0)
    return any(n == soname or n.startswith(soname + ".") for n in names)
