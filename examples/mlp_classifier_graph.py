"""An MLP classifier in the TF1 style: dense layers, sparse softmax cross-entropy, Adam."""

import _common
import duograd.frontends.graph as tf
import numpy as np
from _progress import Progress
from duograd.core.random import default_generator

SIZES = (4, 32, 3)


def train(steps: int, quiet: bool = False, batch: int = 64, eps_mode: str = "torch"):
    """Train on blobs with the same batches as the eager example; return (params, loss, acc).

    eps_mode="torch" selects PyTorch's epsilon placement in Adam so the two styles run the same
    math (TF's own placement, the default of AdamOptimizer, is eps_mode="tf").
    """
    x_data, y_data = _common.blobs()
    init = _common.mlp_init(SIZES)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, SIZES[0]])
        y = tf.placeholder(tf.int64, [None])
        w1, b1, w2, b2 = (tf.Variable(v) for v in init)
        h = tf.nn.relu(tf.matmul(x, w1, transpose_b=True) + b1)
        logits = tf.matmul(h, w2, transpose_b=True) + b2
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        train_op = tf.train.AdamOptimizer(0.01, eps_mode=eps_mode).minimize(loss)
        correct = tf.equal(tf.argmax(logits, 1), y)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.set_random_seed(0)  # the shuffling order, drawn from the shared stream
            step = 0
            value = None
            progress = Progress(steps, quiet, every=max(1, steps // 5))
            n = len(x_data)
            while step < steps:
                order = default_generator.permutation(n)
                for start in range(0, n, batch):
                    idx = order[start : start + batch]
                    _, value = sess.run([train_op, loss], {x: x_data[idx], y: y_data[idx]})
                    progress.update(step, float(value))
                    step += 1
                    if step == steps:
                        break
            acc = sess.run(accuracy, {x: x_data, y: y_data})
            params = sess.run([w1, b1, w2, b2])
    return params, float(value), float(acc)


if __name__ == "__main__":
    args = _common.parse(__doc__, 100)
    params, loss, acc = train(args.steps, args.quiet)
    print(f"graph: loss {loss:.4f}, train accuracy {acc:.3f}, |W1| {np.abs(params[0]).sum():.4f}")
