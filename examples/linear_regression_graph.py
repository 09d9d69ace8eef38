"""Linear regression in the TF1 style: fit y = w x + b with GradientDescentOptimizer."""

import _common
import duograd.frontends.graph as tf
from _progress import Progress


def train(steps: int, quiet: bool = False):
    """Fit and return (weight, bias, final loss) as numpy values."""
    x_data, y_data = _common.regression_data()
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 1])
        y = tf.placeholder(tf.float32, [None, 1])
        w = tf.Variable(tf.zeros([1, 1]))  # (out, in), as nn.Linear keeps it
        b = tf.Variable(tf.zeros([1]))
        pred = tf.matmul(x, w, transpose_b=True) + b
        loss = tf.reduce_mean(tf.square(pred - y))
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            feed = {x: x_data, y: y_data}
            progress = Progress(steps, quiet, every=max(1, steps // 5))
            for step in range(steps):
                _, value = sess.run([train_op, loss], feed_dict=feed)
                progress.update(step, float(value))
            wv, bv = sess.run([w, b])
    # `value` is the loss the last step was computed from, as in the eager example
    return wv, bv, float(value)


if __name__ == "__main__":
    args = _common.parse(__doc__, 200)
    w, b, loss = train(args.steps, args.quiet)
    print(f"graph: w = {w.ravel()[0]:.4f}, b = {b[0]:.4f}, loss = {loss:.5f}")
