"""In CI (`CI=true`) an oracle or optional-extra test that skips is a failure.

CI installs every oracle (real PyTorch, real TensorFlow) and every test extra, so a skip there
means an import broke and the comparison silently did not run. Elsewhere such tests still skip,
with pytest's reason (e.g. "could not import 'tensorflow'"). Skips for other reasons (compiled
code under NUMBA_DISABLE_JIT=1, a Python version) stay skips everywhere.
"""

from __future__ import annotations

import os

import pytest

# fragments of the skip reasons given when an oracle or an optional extra is missing
ORACLE_REASONS = ("could not import", "optional", "extra", "TF1 RNN cells")


def strict() -> bool:
    """True when running in CI."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def is_oracle_skip(reason: str) -> bool:
    """True when a skip's reason says an oracle or an optional extra was missing."""
    return any(fragment in reason for fragment in ORACLE_REASONS)


def _harden(report) -> None:
    if not (strict() and report.skipped) or hasattr(report, "wasxfail"):
        return
    lr = report.longrepr
    reason = str(lr[2]) if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
    if is_oracle_skip(reason):
        report.outcome = "failed"
        report.longrepr = f"CI=true: an oracle test may not skip, but it did: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Turn an oracle test's skip into a failure in CI."""
    outcome = yield
    _harden(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped at import (module-level importorskip)."""
    outcome = yield
    _harden(outcome.get_result())
