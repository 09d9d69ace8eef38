"""One seeded stream: manual_seed and set_random_seed give the same draws in both styles."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest


@pytest.mark.parametrize("seed", [0, 1, 1234])
def test_sequence_of_draws_matches(seed):
    torch.manual_seed(seed)
    eager = [torch.randn(3, 4), torch.rand(2, 5), torch.randn(7), torch.rand(1)]
    eager = [t.numpy() for t in eager]
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        draws = [
            tf.random_normal([3, 4]),
            tf.random_uniform([2, 5]),
            tf.random_normal([7]),
            tf.random_uniform([1]),
        ]
        with tf.Session() as sess:
            values = sess.run(draws)  # one run draws in the order the ops were built
    for e, g in zip(eager, values, strict=True):
        assert e.dtype == g.dtype == np.float32
        assert e.tobytes() == g.tobytes()


def test_each_run_draws_anew_and_reseeding_restarts():
    graph = tf.Graph()
    with graph.as_default():
        r = tf.random_normal([4])
        with tf.Session() as sess:
            tf.set_random_seed(5)
            first, second = sess.run(r), sess.run(r)
            tf.set_random_seed(5)
            again = sess.run(r)
    assert not np.array_equal(first, second)
    assert first.tobytes() == again.tobytes()
    torch.manual_seed(5)
    assert torch.randn(4).numpy().tobytes() == first.tobytes()
