"""The classic TF1 input pipeline as a whole program: string_input_producer -> TFRecordReader
-> parse_single_example -> (shuffle_)batch -> model -> train with a Coordinator and
start_queue_runners until OutOfRangeError; compared with the same program in real TF1."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

N, D, EPOCHS, BATCH = 40, 4, 3, 8


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two TFRecord files of tf.train.Examples (x: 4 floats, y: one int64 label)."""
    d = tmp_path_factory.mktemp("records")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, D)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)
    paths = []
    for f in range(2):
        path = str(d / f"data{f}.tfrecord")
        with dg.python_io.TFRecordWriter(path) as w:
            for i in range(f * N // 2, (f + 1) * N // 2):
                ex = dg.train.Example(features=dg.train.Features(feature={
                    "x": dg.train.Feature(float_list=dg.train.FloatList(value=x[i].tolist())),
                    "y": dg.train.Feature(int64_list=dg.train.Int64List(value=[int(y[i])])),
                }))  # fmt: skip
                w.write(ex.SerializeToString())
        paths.append(path)
    return paths, x


def _program(tf, paths, shuffle):
    tf.set_random_seed(1)
    queue = tf.train.string_input_producer(paths, num_epochs=EPOCHS, shuffle=False)
    _, record = tf.TFRecordReader().read(queue)
    feats = tf.parse_single_example(record, {
        "x": tf.FixedLenFeature([D], tf.float32), "y": tf.FixedLenFeature([], tf.int64),
    })  # fmt: skip
    if shuffle:
        xb, yb = tf.train.shuffle_batch([feats["x"], feats["y"]], batch_size=BATCH, capacity=50,
                                        min_after_dequeue=10, seed=3)  # fmt: skip
    else:
        xb, yb = tf.train.batch([feats["x"], feats["y"]], batch_size=BATCH)
    # not zero: at logits == 0 the two frameworks' sigmoid cross-entropy gradients differ (a kink)
    w = tf.Variable(tf.fill([D, 1], 0.05))
    b = tf.Variable(tf.fill([1], 0.01))
    logits = tf.reshape(tf.matmul(xb, w) + b, [-1])
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.cast(yb, tf.float32), logits=logits))  # fmt: skip
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    losses, seen = [], []
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        try:
            while not coord.should_stop():
                _, lv, xv = sess.run([train, loss, xb])
                losses.append(lv)
                seen.append(xv)
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads)
        final = sess.run(w)
    return np.array(losses), np.concatenate(seen), final


def _rows(a):
    return a[np.lexsort(a.T[::-1])]


def test_classic_queue_program_trains_over_every_record_like_real_tf(ref, files):
    paths, x = files
    with ref.Graph().as_default():
        t_loss, t_seen, _ = _program(ref, paths, shuffle=True)
    with dg.Graph().as_default():
        o_loss, o_seen, _ = _program(dg, paths, shuffle=True)
    assert len(o_loss) == len(t_loss) == EPOCHS * N // BATCH
    want = _rows(np.concatenate([x] * EPOCHS))
    np.testing.assert_array_equal(_rows(o_seen), want)
    np.testing.assert_array_equal(_rows(t_seen), want)
    assert o_loss[-5:].mean() < o_loss[:5].mean()


def test_classic_queue_program_in_order_matches_real_tf_step_by_step(ref, files):
    paths, _ = files
    with ref.Graph().as_default():
        t_loss, t_seen, t_w = _program(ref, paths, shuffle=False)
    with dg.Graph().as_default():
        o_loss, o_seen, o_w = _program(dg, paths, shuffle=False)
    np.testing.assert_array_equal(o_seen, t_seen)
    np.testing.assert_allclose(o_loss, t_loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o_w, t_w, rtol=1e-5, atol=1e-6)


def _monitored(tf, paths):
    queue = tf.train.string_input_producer(paths, num_epochs=1, shuffle=False)
    _, record = tf.TFRecordReader().read(queue)
    feats = tf.parse_single_example(record, {"x": tf.FixedLenFeature([D], tf.float32)})
    xb = tf.train.batch([feats["x"]], batch_size=BATCH)
    total = tf.reduce_sum(xb)
    out = []
    with tf.train.MonitoredTrainingSession() as sess:
        while not sess.should_stop():
            out.append(sess.run(total))
    return np.array(out)


def test_monitored_training_session_starts_the_queue_runners(ref, files):
    paths, _ = files
    with ref.Graph().as_default():
        theirs = _monitored(ref, paths)
    with dg.Graph().as_default():
        ours = _monitored(dg, paths)
    assert len(ours) == len(theirs) == N // BATCH
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
