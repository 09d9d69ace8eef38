"""What running real TF1 programs unchanged turned up, checked against real TensorFlow
(compat.v1, graph mode), values and gradients: concat's gradient when the batch length is known
only when run, tf.div_no_nan, tf.contrib.seq2seq.sequence_loss, and the contrib import paths."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

R = np.random.RandomState(21)
TOL = {"rtol": 2e-5, "atol": 2e-6}
LOSS_WEIGHTS = R.uniform(-1, 1, 64).astype(np.float32)


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _run(tf, build, feeds):
    """Build with placeholders of unknown batch length; return (outputs, input gradients)."""
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.float32, [None, *a.shape[1:]]) for a in feeds]
        out = build(tf, *phs)
        weights = tf.constant(LOSS_WEIGHTS)
        flat = tf.reshape(out, [-1])
        loss = tf.reduce_sum(flat * weights[: int(np.prod(_static_size(out, feeds)))])
        grads = tf.gradients(loss, phs)
        with tf.Session() as sess:
            return sess.run([out, grads], dict(zip(phs, feeds, strict=True)))


def _static_size(_out, feeds):
    return [sum(len(a) for a in feeds), *feeds[0].shape[1:]]


def test_concat_gradient_with_run_time_batch_length(ref):
    a = R.uniform(-1, 1, (3, 4)).astype(np.float32)
    b = R.uniform(-1, 1, (5, 4)).astype(np.float32)

    def build(tf, x, y):
        return tf.concat([x * 2.0, tf.tanh(y)], axis=0)

    ours = _run(dg, build, [a, b])
    theirs = _run(ref, build, [a, b])
    np.testing.assert_allclose(ours[0], theirs[0], **TOL)
    for g, h in zip(ours[1], theirs[1], strict=True):
        assert g.shape == h.shape and g.dtype == h.dtype
        np.testing.assert_allclose(g, h, **TOL)


def test_concat_of_gan_logits_trains_both_branches(ref):
    """The DCGAN idiom: discriminator logits of real and fake batches joined on axis 0."""
    real = R.uniform(-1, 1, (4, 3)).astype(np.float32)
    init = R.uniform(-1, 1, (3, 2)).astype(np.float32)
    results = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, 3])
            z = tf.placeholder(tf.float32, [None, 3])
            w = tf.Variable(init)
            logits = tf.concat([tf.matmul(x, w), tf.matmul(z * 0.5, w)], axis=0)
            labels = tf.placeholder(tf.int32, [None])
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits, labels=labels)
            )
            (gw,) = tf.gradients(loss, [w])
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                feed = {x: real, z: real[::-1], labels: [1, 1, 1, 1, 0, 0, 0, 0]}
                results.append(sess.run([loss, gw], feed))
    np.testing.assert_allclose(results[0][0], results[1][0], **TOL)
    np.testing.assert_allclose(results[0][1], results[1][1], **TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_div_no_nan_matches_tf(ref, dtype):
    x = np.array([1.5, -2.0, 3.0, 0.0, 4.0], dtype)
    y = np.array([0.5, 0.0, -1.5, 0.0, 2.0], dtype)
    results = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            a, b = tf.constant(x), tf.constant(y)
            out = tf.div_no_nan(a, b)
            out2 = tf.math.divide_no_nan(a * 2.0, b)
            ga, gb = tf.gradients(tf.reduce_sum(out * np.arange(5, dtype=dtype)), [a, b])
            with tf.Session() as sess:
                results.append(sess.run([out, out2, ga, gb]))
    for mine, theirs in zip(*results, strict=True):
        assert mine.dtype == theirs.dtype
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def _reference_sequence_loss(tf, logits, targets, weights, avg_t, avg_b, sum_t, sum_b):
    """TF 1.15's tf.contrib.seq2seq.sequence_loss, written with real TF ops (TF 2 has no
    contrib)."""
    classes = logits.shape[2]
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.reshape(targets, [-1]), logits=tf.reshape(logits, [-1, classes])
    ) * tf.reshape(weights, [-1])
    if avg_t and avg_b:
        return tf.div_no_nan(tf.reduce_sum(ce), tf.reduce_sum(weights))
    if sum_t and sum_b:
        return tf.div_no_nan(tf.reduce_sum(ce), tf.count_nonzero(weights, dtype=weights.dtype))
    ce = tf.reshape(ce, tf.shape(logits)[0:2])
    if avg_t or avg_b:
        axis = [0] if avg_b else [1]
        return tf.div_no_nan(tf.reduce_sum(ce, axis=axis), tf.reduce_sum(weights, axis=axis))
    if sum_t or sum_b:
        axis = [0] if sum_b else [1]
        nonzero = tf.count_nonzero(weights, axis=axis, dtype=weights.dtype)
        return tf.div_no_nan(tf.reduce_sum(ce, axis=axis), nonzero)
    return ce


@pytest.mark.parametrize(
    "avg_t,avg_b,sum_t,sum_b",
    [
        (True, True, False, False),
        (True, False, False, False),
        (False, True, False, False),
        (False, False, True, True),
        (False, False, True, False),
        (False, False, False, True),
        (False, False, False, False),
    ],
)
def test_sequence_loss_matches_tf_formula(ref, avg_t, avg_b, sum_t, sum_b):
    logits = R.uniform(-2, 2, (3, 5, 4)).astype(np.float32)
    targets = R.randint(0, 4, (3, 5)).astype(np.int32)
    weights = (R.rand(3, 5) > 0.3).astype(np.float32)
    weights[2] = 0.0  # a sequence with no weight at all: div_no_nan gives 0, not NaN
    flags = dict(
        average_across_timesteps=avg_t,
        average_across_batch=avg_b,
        sum_over_timesteps=sum_t,
        sum_over_batch=sum_b,
    )
    with dg.Graph().as_default():
        lg = dg.constant(logits)
        out = dg.contrib.seq2seq.sequence_loss(
            lg, dg.constant(targets), dg.constant(weights), **flags
        )
        (g,) = dg.gradients(dg.reduce_sum(out * 1.5), [lg])
        with dg.Session() as sess:
            ours = sess.run([out, g])
    with ref.Graph().as_default():
        lg = ref.constant(logits)
        out = _reference_sequence_loss(
            ref, lg, ref.constant(targets), ref.constant(weights), avg_t, avg_b, sum_t, sum_b
        )
        (g,) = ref.gradients(ref.reduce_sum(out * 1.5), [lg])
        with ref.Session() as sess:
            theirs = sess.run([out, g])
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.shape == other.shape and mine.dtype == other.dtype
        assert np.all(np.isfinite(mine))
        np.testing.assert_allclose(mine, other, **TOL)


def test_sequence_loss_refuses_conflicting_flags_and_wrong_rank():
    lg = dg.zeros([2, 3, 4])
    with pytest.raises(ValueError, match="average_across_timesteps and sum_over_timesteps"):
        dg.contrib.seq2seq.sequence_loss(
            lg, dg.zeros([2, 3], dg.int32), dg.ones([2, 3]), sum_over_timesteps=True
        )
    with pytest.raises(ValueError, match="rank 3"):
        dg.contrib.seq2seq.sequence_loss(dg.zeros([2, 4]), dg.zeros([2], dg.int32), dg.ones([2]))


def test_contrib_namespaces_import_by_dotted_name():
    from duograd.frontends.graph.contrib import layers, rnn, seq2seq

    assert rnn.BasicLSTMCell is dg.nn.rnn_cell.BasicLSTMCell
    assert rnn.static_rnn is dg.contrib.rnn.static_rnn
    assert layers.flatten is dg.contrib.layers.flatten
    assert seq2seq.sequence_loss is dg.contrib.seq2seq.sequence_loss
    import duograd.frontends.graph.contrib.rnn as rnn_again

    assert rnn_again is rnn


def test_whole_float_labels_feed_an_int_placeholder_as_tf_casts_them(ref):
    """aymericdamien's DCGAN feeds np.ones / np.zeros (float64) into tf.int32 placeholders."""
    labels = np.concatenate([np.ones([3]), np.zeros([3])])
    results = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            y = tf.placeholder(tf.int32, shape=[None])
            doubled = y * 2
            with tf.Session() as sess:
                results.append(sess.run(doubled, {y: labels}))
    assert results[0].dtype == results[1].dtype == np.int32
    assert results[0].tolist() == results[1].tolist()


def test_fractional_float_feed_to_an_int_placeholder_is_refused():
    with dg.Graph().as_default():
        y = dg.placeholder(dg.int32, shape=[None])
        with dg.Session() as sess:
            with pytest.raises(TypeError, match="Cannot feed value of dtype float64"):
                sess.run(y * 2, {y: np.array([1.0, 0.5])})
            with pytest.raises(TypeError, match="Cannot feed value of dtype float64"):
                sess.run(y * 2, {y: np.array([1.0, np.nan])})
            assert sess.run(y * 2, {y: np.array([2.0])}).tolist() == [4]
