"""With CI=true a skipped oracle test fails; elsewhere it skips, saying why."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))

PROGRAM = """
import pytest

def test_oracle():
    pytest.importorskip("an_oracle_that_is_not_installed")

def test_other_skip():
    pytest.skip("runs compiled code only")
"""

MODULE = """
import pytest
pytest.importorskip("an_oracle_that_is_not_installed")

def test_never_collected():
    pass
"""


def _run(tmp_path, ci: str, *files: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {TESTS!r})\n"
        "from ci_strict import pytest_make_collect_report, pytest_runtest_makereport\n"
    )
    (tmp_path / "test_a.py").write_text(PROGRAM)
    (tmp_path / "test_b.py").write_text(MODULE)
    env = dict(os.environ, CI=ci)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *files],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def test_in_ci_an_oracle_skip_fails(tmp_path):
    out = _run(tmp_path, "true", "test_a.py")
    assert out.returncode != 0
    assert "1 failed, 1 skipped" in out.stdout  # the other skip stays a skip
    assert "an oracle test may not skip" in out.stdout
    out = _run(tmp_path, "true", "test_b.py")  # a module skipped at import
    assert out.returncode != 0
    assert "1 error" in out.stdout and "an oracle test may not skip" in out.stdout


@pytest.mark.parametrize("ci", ["", "false"])
def test_elsewhere_an_oracle_test_skips_saying_why(tmp_path, ci):
    out = _run(tmp_path, ci, "test_a.py", "test_b.py")
    assert out.returncode == 0, out.stdout
    assert "3 skipped" in out.stdout
    assert "could not import 'an_oracle_that_is_not_installed'" in out.stdout
