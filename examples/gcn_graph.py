"""A two-layer graph convolutional network in the TF1 style, on a synthetic citation graph.

The normalised adjacency is a `tf.SparseTensor`; each layer is
`tf.sparse_tensor_dense_matmul(adj, x @ W) + b`, trained full-batch with Adam on the labelled
nodes (PyTorch's epsilon placement). Same data, start and updates as gcn_eager.py: the same bits.
"""

import _common
import duograd.frontends.graph as tf
import numpy as np
from _citation_data import citation_graph, gcn_init
from _progress import Progress

HIDDEN = 16


def train(steps: int, quiet: bool = False):
    """Train; return (parameters, final loss, accuracy on the unlabelled nodes)."""
    feats, labels, idx, vals, mask = citation_graph()
    n = len(labels)
    graph = tf.Graph()
    with graph.as_default():
        adj = tf.SparseTensor(idx.T, vals, [n, n])
        x = tf.constant(feats)
        train_idx = tf.constant(np.flatnonzero(mask))
        w1, b1, w2, b2 = (
            tf.Variable(p, name=name)
            for p, name in zip(gcn_init(feats.shape[1], HIDDEN, int(labels.max()) + 1),
                               ("w1", "b1", "w2", "b2"), strict=True)
        )  # fmt: skip
        h = tf.nn.relu(tf.sparse_tensor_dense_matmul(adj, tf.matmul(x, w1)) + b1)
        logits = tf.sparse_tensor_dense_matmul(adj, tf.matmul(h, w2)) + b2
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.gather(tf.constant(labels), train_idx),
                logits=tf.gather(logits, train_idx),
            )
        )
        # eps_mode="torch": PyTorch's epsilon placement, so both styles run the same update
        step_op = tf.train.AdamOptimizer(0.01, eps_mode="torch").minimize(loss)
        pred = tf.argmax(logits, 1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            value = None
            progress = Progress(steps, quiet)
            for step in range(steps):
                _, value = sess.run([step_op, loss])
                progress.update(step, float(value))
            got = sess.run(pred)
            params = sess.run([w1, b1, w2, b2])
    acc = float((got[~mask] == labels[~mask]).mean())
    return params, float(value), acc


if __name__ == "__main__":
    args = _common.parse(__doc__, 100)
    params, loss, acc = train(args.steps, args.quiet)
    print(f"graph: loss {loss:.4f}, accuracy on unlabelled nodes {acc:.3f}")
