"""The suite compiles kernels at LLVM optimisation level 1 (`NUMBA_OPT=1`) unless told otherwise.

Most of the suite's time on an empty kernel cache is numba compiling kernels, and most of that
is LLVM's level-3 passes: `tests/speech/test_ctc_kernel.py` took 118 s cold at level 3 and 29 s
at level 1, side by side. The bits do not change with the level: no kernel uses `fastmath` and
numba is not built with SVML, so LLVM may not reassociate, contract into FMAs or swap in
approximate math at any level; explicit `fma` and the matmul micro-kernel's intrinsics are
the same calls at every level. What level 1 gives up is some speed, which the suite never
measures; `tests/core/kernels/test_vecmath_simd.py` inspects the level-3 code in a child
process, and `NUMBA_OPT=3 python -m pytest tests` runs everything as users do.

numba's on-disk cache does not record the level, so level-1 kernels are cached in folders of
their own (`opt1` under the usual ones) and a later `duograd bench` never loads them.
"""

from __future__ import annotations

import os
from pathlib import Path

# imports nothing that loads numba, so the level set below still takes effect
from duograd.benchmarks.cpu_path import cache_base

TEST_LEVEL = "1"


def use_test_compile_level() -> None:
    """Set NUMBA_OPT=1 and level-1 cache folders, unless the caller chose a level."""
    if "NUMBA_OPT" in os.environ:
        return
    os.environ["NUMBA_OPT"] = TEST_LEVEL
    base = cache_base() / f"opt{TEST_LEVEL}"
    numba_env = os.environ.get("NUMBA_CACHE_DIR")
    numba_dir = Path(numba_env).expanduser() / f"opt{TEST_LEVEL}" if numba_env else base / "numba"
    os.environ["DUOGRAD_CACHE_DIR"] = str(base)
    os.environ["NUMBA_CACHE_DIR"] = str(numba_dir)
