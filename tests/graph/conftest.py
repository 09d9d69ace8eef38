"""Every graph test starts from a fresh default graph and the same random seed."""

import duograd.frontends.graph as tf
import pytest


@pytest.fixture(autouse=True)
def fresh_graph():
    """A new empty default graph (and seed 0) for each test."""
    tf.reset_default_graph()
    tf.set_random_seed(0)
    yield
    tf.reset_default_graph()
