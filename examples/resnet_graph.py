"""A ResNet-8 on scikit-learn's digits upscaled to 32x32x3, in the TF1 style.

Run: python examples/resnet_graph.py [--epochs N] [--batch B]. Needs scikit-learn (the examples
extra). The same network, weights and batches as resnet_eager.py, on NHWC data: both end with
bit-identical weights. Accuracy uses batch statistics over the whole test set.
"""

import time

import _model_data as data
import duograd.frontends.graph as tf
import numpy as np
from duograd.benchmarks.workloads import resnet
from resnet_eager import parse


def _nhwc(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def train(epochs=2, batch=64, steps=None, quiet=False, lr=0.05) -> dict:
    """SGD with momentum; return losses, test accuracy, seconds per epoch and the weights."""
    x_train, y_train, x_test, y_test = data.digits_32x32x3()
    x_train, x_test = _nhwc(x_train), _nhwc(x_test)
    graph = tf.Graph()
    with graph.as_default():
        px = tf.placeholder(tf.float32, [None, 32, 32, 3])
        py = tf.placeholder(tf.int64, [None])
        logits, variables = resnet.graph_logits(tf, px, resnet.init_params(), training=True)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=py, logits=logits)
        )
        train_op = tf.train.MomentumOptimizer(lr, 0.9).minimize(loss)
        pred = tf.argmax(logits, 1)
        sess = tf.Session(graph=graph)
        sess.run(tf.global_variables_initializer())
    per_epoch = len(y_train) // batch
    total = epochs * per_epoch if steps is None else min(steps, epochs * per_epoch)
    losses, epoch_s, t0 = [], [], time.perf_counter()
    progress = data.Progress(total, quiet)
    for step, idx in enumerate(data.batches(len(y_train), batch, total)):
        _, value = sess.run([train_op, loss], {px: x_train[idx], py: y_train[idx]})
        losses.append(float(value))
        if (step + 1) % per_epoch == 0 or step + 1 == total:
            epoch_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
        progress.update(step, losses[-1])
    predicted = sess.run(pred, {px: x_test})
    weights = {f"p{i}": w for i, w in enumerate(resnet._graph_read(sess.run(variables)))}
    weights = {k: np.ascontiguousarray(v) for k, v in weights.items()}
    return {"losses": losses, "accuracy": float(np.mean(predicted == y_test)),
            "weights": weights, "epoch_seconds": epoch_s}  # fmt: skip


def main(argv=None) -> dict:
    """Parse the options, train, print accuracy and time per epoch."""
    a = parse(argv)
    r = train(a.epochs, a.batch, a.steps, a.quiet)
    print(f"graph ResNet-8: final loss {r['losses'][-1]:.4f}, test accuracy {r['accuracy']:.4f}, "
          f"{np.mean(r['epoch_seconds']):.1f}s per epoch")  # fmt: skip
    return r


if __name__ == "__main__":
    main()
