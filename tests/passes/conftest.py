"""Every pass test starts from a fresh default graph, the same seed and the default options."""

import duograd.frontends.graph as tf
import pytest


@pytest.fixture(autouse=True)
def fresh_graph(monkeypatch):
    """A new empty default graph, seed 0, and no pass switches from the environment."""
    monkeypatch.delenv("DUOGRAD_PASSES", raising=False)
    monkeypatch.delenv("DUOGRAD_VERIFY_PASSES", raising=False)
    tf.reset_default_graph()
    tf.set_random_seed(0)
    yield
    tf.reset_default_graph()
