"""A TF1 input pipeline end to end: digits written as TFRecords, read back with
`tf.data.TFRecordDataset`, parsed with `tf.parse_single_example`, shuffled, batched and fed by
an iterator into an MLP trained with Adam (PyTorch's epsilon placement, as the eager twin)."""

import os
import tempfile

import _common
import duograd.frontends.graph as tf
from _digit_records import mlp_init, write_digit_records
from _progress import Progress

BATCH = 64
FEATURES = {
    "pixels": tf.FixedLenFeature([64], tf.float32),
    "label": tf.FixedLenFeature([], tf.int64),
}


def _parse(record):
    example = tf.parse_single_example(record, FEATURES)
    return example["pixels"], example["label"]


def train(steps: int, quiet: bool = False, folder: str | None = None):
    """Write the records, train from them; return (parameters, losses, test accuracy)."""
    folder = folder or tempfile.mkdtemp(prefix="digits-records-")
    path = os.path.join(folder, "digits.tfrecord")
    x_test, y_test = write_digit_records(path)
    n = sum(1 for _ in tf.python_io.tf_record_iterator(path))
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)  # the shuffling order
        # batch before repeat: each epoch ends with its partial batch, as a DataLoader's does
        dataset = tf.data.TFRecordDataset(path).map(_parse).shuffle(n).batch(BATCH).repeat()
        pixels, labels = tf.data.make_one_shot_iterator(dataset).get_next()
        w1, b1, w2, b2 = params = [tf.Variable(v) for v in mlp_init()]

        def logits_of(x):
            h = tf.nn.relu(tf.matmul(x, w1, transpose_b=True) + b1)
            return tf.matmul(h, w2, transpose_b=True) + b2

        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits_of(pixels))
        )
        step = tf.train.AdamOptimizer(0.01, eps_mode="torch").minimize(loss)
        correct = tf.equal(tf.argmax(logits_of(tf.constant(x_test)), 1), tf.constant(y_test))
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            progress = Progress(steps, quiet)
            for i in range(steps):
                losses.append(float(sess.run([step, loss])[1]))
                progress.update(i, losses[-1])
            return sess.run(params), losses, float(sess.run(accuracy))


if __name__ == "__main__":
    args = _common.parse(__doc__, 200)
    params, losses, acc = train(args.steps, args.quiet)
    print(f"graph: loss {losses[-1]:.4f}, test accuracy {acc:.3f}")
