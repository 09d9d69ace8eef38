"""A small classifier in the TF1 style: synthetic blobs, two dense layers, Adam, accuracy.

Everything is seeded (the data with numpy, the weights with tf.set_random_seed), so each run
prints the same falling loss and rising accuracy.

    python examples/graph_classifier.py --steps 200
"""

from __future__ import annotations

import argparse

import duograd.frontends.graph as tf
import numpy as np

CLASSES, FEATURES = 3, 4


def make_data(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around three centres: float32 features and int64 labels."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLASSES, FEATURES)) * 2.5
    labels = rng.integers(0, CLASSES, n)
    x = centres[labels] + rng.standard_normal((n, FEATURES))
    return x.astype(np.float32), labels.astype(np.int64)


def main(argv: list[str] | None = None) -> tuple[list[float], float]:
    """Train for `--steps` minibatch steps; return the logged losses and the final accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="training steps")
    parser.add_argument("--batch", type=int, default=32, help="minibatch size")
    args = parser.parse_args(argv)

    x_data, y_data = make_data()
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, FEATURES], name="x")
        y = tf.placeholder(tf.int64, [None], name="y")
        hidden = tf.layers.dense(x, 16, activation=tf.nn.relu, name="hidden")
        logits = tf.layers.dense(hidden, CLASSES, name="logits")
        with tf.name_scope("loss"):
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        with tf.name_scope("accuracy"):
            correct = tf.equal(tf.argmax(logits, 1), y)
            accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        global_step = tf.train.get_or_create_global_step()
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
        init = tf.global_variables_initializer()
    graph.finalize()  # nothing is added while training

    rng = np.random.default_rng(1)
    losses = []
    every = max(1, args.steps // 8)
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        for _ in range(args.steps):
            idx = rng.integers(0, len(x_data), args.batch)
            _, value, step = sess.run(
                [train_op, loss, global_step], {x: x_data[idx], y: y_data[idx]}
            )
            if step % every == 0 or step == args.steps:
                acc = sess.run(accuracy, {x: x_data, y: y_data})
                losses.append(float(value))
                print(f"step {step:4d}  loss {value:.4f}  accuracy {acc:.3f}")
        final_acc = float(sess.run(accuracy, {x: x_data, y: y_data}))
    print(f"final accuracy {final_acc:.3f}")
    return losses, final_acc


if __name__ == "__main__":
    main()
