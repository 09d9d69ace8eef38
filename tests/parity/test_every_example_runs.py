"""Every program in examples/ runs as a script at a small size (all take --steps N)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_there_are_examples():
    assert len(SCRIPTS) >= 6


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs(script):
    out = subprocess.run(
        [sys.executable, str(script), "--steps", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=EXAMPLES,
    )
    if out.returncode != 0 and "pip install 'duograd[examples]'" in out.stderr + out.stdout:
        pytest.skip("needs the optional examples extra (scikit-learn)")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stdout.strip(), "an example should say what it did"
