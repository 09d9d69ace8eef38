"""The graph-style examples run (small), and the seed's original program is rejected."""

import os
import runpy
import subprocess
import sys

import duograd.frontends.graph as tf
import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def load(name: str) -> dict:
    return runpy.run_path(os.path.join(EXAMPLES, name))


def test_seed_example_runs():
    result = load("graph_seed.py")["main"](["--steps", "2"])
    np.testing.assert_array_equal(result, [4, 10, 18])


def test_the_original_seed_raises_value_error():
    seed = load("graph_seed.py")["seed_as_written"]
    with pytest.raises(ValueError, match="not an element of this graph"):
        seed(tf)


def test_real_tensorflow_rejects_the_original_seed_too():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    v1.disable_eager_execution()
    v1.reset_default_graph()
    seed = load("graph_seed.py")["seed_as_written"]
    # TF reports the same mistake as an empty session graph (RuntimeError) or, when the graph
    # holds other ops, as a fetch that is not an element of it (ValueError)
    with pytest.raises((ValueError, RuntimeError)):
        seed(v1)


def test_classifier_example_learns():
    losses, acc = load("graph_classifier.py")["main"](["--steps", "60"])
    assert losses[-1] < losses[0]
    assert acc > 0.8


def test_examples_run_as_scripts():
    script = os.path.join(EXAMPLES, "graph_classifier.py")
    out = subprocess.run([sys.executable, script, "--steps", "10"], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "final accuracy" in out.stdout
