"""A small CNN on scikit-learn's 8x8 digits in the TF1 style (tf.layers, NHWC, a Session).

Run: python examples/cnn_digits_graph.py [--steps N]. Needs scikit-learn (the examples extra).
The twin of cnn_digits_eager.py: it loads the same initial weights (the conv kernels transposed
from PyTorch's OIHW to TF's HWIO), computes in TF's NHWC layout, and transposes to NCHW before
flattening so the dense layer sees PyTorch's (C, H, W) order; with eps_mode="torch" Adam the
losses and final weights are bit-identical to the eager run.
"""

import _model_data as data
import duograd.frontends.graph as tf
import numpy as np


def build(batch_shape=None):
    """The network on an NHWC placeholder; returns (x, logits, {pytorch name: variable})."""
    x = tf.placeholder(tf.float32, [batch_shape, 8, 8, 1], name="x")
    h = tf.layers.conv2d(x, 16, 3, padding="same", activation=tf.nn.relu, name="conv1")
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.conv2d(h, 32, 3, padding="same", activation=tf.nn.relu, name="conv2")
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.flatten(tf.transpose(h, [0, 3, 1, 2]))  # (C, H, W) order, as PyTorch's
    logits = tf.layers.dense(h, 10, name="fc", kernel_layout="out_in")
    names = {"conv1/kernel:0": "conv1.weight", "conv1/bias:0": "conv1.bias",
             "conv2/kernel:0": "conv2.weight", "conv2/bias:0": "conv2.bias",
             "fc/kernel:0": "fc.weight", "fc/bias:0": "fc.bias"}  # fmt: skip
    return x, logits, {names[v.name]: v for v in tf.trainable_variables()}


def _to_tf(name: str, value: np.ndarray) -> np.ndarray:
    """PyTorch's OIHW conv weights as TF's HWIO kernels; everything else as is."""
    return value.transpose(2, 3, 1, 0) if value.ndim == 4 else value


def train(steps: int, quiet: bool = False, batch: int = 64, lr: float = 0.005) -> dict:
    """Train with Adam (PyTorch's epsilon placement) on the eager twin's batches."""
    x_train, y_train, x_test, y_test = data.digits()
    to_nhwc = (0, 2, 3, 1)
    x_train, x_test = x_train.transpose(to_nhwc).copy(), x_test.transpose(to_nhwc).copy()
    init = data.cnn_init()
    graph = tf.Graph()
    with graph.as_default():
        x, logits, params = build()
        y = tf.placeholder(tf.int64, [None], name="y")
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        train_op = tf.train.AdamOptimizer(lr, eps_mode="torch").minimize(loss)
        predict = tf.argmax(logits, 1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for name, var in params.items():
                var.load(_to_tf(name, init[name]), sess)
            progress = data.Progress(steps, quiet)
            losses = []
            for step, idx in enumerate(data.batches(len(y_train), batch, steps)):
                _, value = sess.run([train_op, loss], {x: x_train[idx], y: y_train[idx]})
                losses.append(float(value))
                progress.update(step, losses[-1])
            acc = np.mean(sess.run(predict, {x: x_test}) == y_test)
            values = sess.run(list(params.values()))
            weights = {n: v.transpose(3, 2, 0, 1) if v.ndim == 4 else v
                       for n, v in zip(params, values, strict=True)}  # fmt: skip
    return {"losses": losses, "accuracy": float(acc), "weights": weights,
            "seconds": progress.elapsed()}  # fmt: skip


def main(argv=None) -> dict:
    """Parse --steps/--quiet, train, print the result."""
    args = data.parse(__doc__.splitlines()[0], 400, argv)
    result = train(args.steps, args.quiet)
    print(f"graph CNN: final loss {result['losses'][-1]:.4f}, test accuracy "
          f"{result['accuracy']:.4f} ({result['seconds']:.1f}s)")  # fmt: skip
    return result


if __name__ == "__main__":
    main()
