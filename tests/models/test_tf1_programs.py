"""Whole TF1 programs (tests/models/tf1_programs.py) run with only the import line changed:
under duograd's graph frontend, and the same source under real `tensorflow.compat.v1`, with
comparable results."""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pytest
from tf1_programs import PROGRAMS

DUOGRAD = "import duograd.frontends.graph as tf\n"
REAL = "import tensorflow.compat.v1 as tf\ntf.disable_eager_execution()\n"


def run_program(header: str, program: str, tmp: str) -> dict:
    """Execute one program (a fresh default graph) and return its variables."""
    scope: dict = {
        "np": np,
        "os": os,
        "ckpt_dir": os.path.join(tmp, "ckpt"),
        "log_dir": os.path.join(tmp, "logs"),
    }
    os.makedirs(scope["ckpt_dir"], exist_ok=True)
    os.makedirs(scope["log_dir"], exist_ok=True)
    exec(compile(header + "tf.reset_default_graph()\n", "<header>", "exec"), scope)
    exec(compile(textwrap.dedent(program), "<program>", "exec"), scope)
    return scope


@pytest.fixture(scope="module")
def real_tf():
    """Real TensorFlow, with Keras 2 for tf.layers."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    tf = pytest.importorskip("tensorflow")
    pytest.importorskip("tf_keras", reason="tf.layers under TF 2.16+ needs Keras 2 (tf-keras)")
    return tf


def _check(kind: str, ours: dict, theirs: dict | None) -> None:
    for scope in (ours, theirs) if theirs is not None else (ours,):
        first, result = float(scope["first"]), float(scope["result"])
        assert np.isfinite(first) and np.isfinite(result)
        if kind in ("learns", "close"):
            assert result < 0.9 * first, (first, result)
    if theirs is None:
        return
    if kind == "close":
        for k in ("first", "result"):
            np.testing.assert_allclose(float(ours[k]), float(theirs[k]), rtol=2e-3, atol=1e-5)
    else:  # different random streams: within a quarter of the starting loss of each other
        a, b = float(ours["result"]), float(theirs["result"])
        scale = max(float(ours["first"]), float(theirs["first"]))
        assert abs(a - b) <= 0.25 * scale, (a, b, scale)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_runs_unchanged_and_matches_real_tf(name, tmp_path, real_tf):
    program, kind = PROGRAMS[name]
    ours = run_program(DUOGRAD, program, str(tmp_path / "ours"))
    theirs = run_program(REAL, program, str(tmp_path / "theirs"))
    _check(kind, ours, theirs)
