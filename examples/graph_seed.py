"""The seed program made correct, in the TF1 style.

The seed created `a` and `b` in the default graph and multiplied them inside a new Graph that
the Session then ran: `c` landed in the default graph (an op joins the graph of its inputs), so
the session's graph never held it and TensorFlow rejects the run. Here every tensor is built
inside the graph the session runs.

    python examples/graph_seed.py --steps 3
"""

from __future__ import annotations

import argparse

import duograd.frontends.graph as tf
import numpy as np


def seed_as_written(tf_module):
    """The original seed, for a given TF1-style module; it raises (ValueError with duograd)."""
    a = tf_module.constant([1, 2, 3])
    b = tf_module.constant([4, 5, 6])
    graph = tf_module.Graph()
    with graph.as_default():
        c = tf_module.multiply(a, b)
    with tf_module.Session(graph=graph) as sess:
        return sess.run(c)


def main(argv: list[str] | None = None) -> np.ndarray:
    """Build a, b and c = a * b in one graph, run it `--steps` times, return the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1, help="how many times to run c")
    args = parser.parse_args(argv)

    graph = tf.Graph()
    with graph.as_default():
        a = tf.constant([1, 2, 3])
        b = tf.constant([4, 5, 6])
        c = tf.multiply(a, b)
    result = None
    with tf.Session(graph=graph) as sess:
        for _ in range(max(1, args.steps)):
            result = sess.run(c)
    print(result)
    return result


if __name__ == "__main__":
    main()
