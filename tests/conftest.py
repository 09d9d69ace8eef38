"""Shared test set-up: the op table is importable from every test folder."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

# Before anything imports numba: kernels compile at LLVM level 1 unless NUMBA_OPT is set
# (tests/compile_level.py says why the bits are the same and where the level-1 caches live).
from compile_level import use_test_compile_level  # noqa: E402

use_test_compile_level()

# CI=true: a skipped oracle test fails the run (tests/ci_strict.py)
from ci_strict import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402, F401

# serial-vs-parallel and concurrency tests: two threads, adaptive count off (parallel_threads.py)
from parallel_threads import parallel_threads  # noqa: E402, F401
