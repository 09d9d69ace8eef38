"""The eager examples run (small) and learn."""

from __future__ import annotations

import pathlib
import runpy

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> dict:
    return runpy.run_path(str(EXAMPLES / name), run_name="example")


def test_seed_example_fits_the_line(capsys):
    loss = _load("eager_seed.py")["main"](["--steps", "200"])
    out = capsys.readouterr().out
    assert "epoch    0" in out and "w = " in out
    assert loss < 1e-2


def test_classifier_example_learns(capsys):
    loss, acc = _load("eager_classifier.py")["main"](["--steps", "3"])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch")]
    losses = [float(ln.split("loss")[1].split()[0]) for ln in lines]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert acc > 0.8 and loss == pytest.approx(losses[-1], abs=1e-4)
