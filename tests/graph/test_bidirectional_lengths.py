"""`tf.nn.bidirectional_dynamic_rnn` with `sequence_length` and with a step count known only
when run, and `tf.nn.static_bidirectional_rnn` (also `tf.contrib.rnn.`): values, states and
gradients against real TF1, with the same constant weights."""

import os

import duograd.frontends.graph as dtf
import numpy as np
import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF's rnn_cell classes need it

X = (np.arange(3 * 5 * 2, dtype=np.float32).reshape(3, 5, 2) % 7 - 3) / 4
LENGTHS = [5, 2, 3]


@pytest.fixture(scope="module")
def tf1():
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _dynamic(tf, steps, lengths, cell):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, steps, 2])
        init = tf.constant_initializer(0.1)
        with tf.variable_scope("bi", initializer=init):
            make = {
                "gru": lambda: tf.nn.rnn_cell.GRUCell(3),
                "lstm": lambda: tf.nn.rnn_cell.LSTMCell(3),
            }[cell]  # noqa: E501
            (fw, bw), (sf, sb) = tf.nn.bidirectional_dynamic_rnn(
                make(), make(), x, sequence_length=lengths, dtype=tf.float32
            )
        loss = (
            tf.reduce_sum(fw * fw)
            + tf.reduce_sum(bw * 2.0)
            + tf.reduce_sum(tf.nest.flatten(sb)[-1])
        )
        grads = tf.gradients(loss, [x] + tf.trainable_variables())
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run([fw, bw, *grads], {x: X}), sorted(
                v.name for v in tf.trainable_variables()
            )


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("steps,lengths", [(5, LENGTHS), (None, LENGTHS), (None, None)])
def test_bidirectional_dynamic_rnn_matches_real_tf(tf1, cell, steps, lengths):
    ours, our_names = _dynamic(dtf, steps, lengths, cell)
    theirs, their_names = _dynamic(tf1, steps, lengths, cell)
    assert our_names == their_names
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def _static(tf, lengths, namespace):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 5, 2])
        steps = tf.unstack(x, 5, 1)
        with tf.variable_scope("bi", initializer=tf.constant_initializer(0.1)):
            outs, sf, sb = namespace(tf).static_bidirectional_rnn(
                tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.BasicLSTMCell(3), steps,
                dtype=tf.float32, sequence_length=lengths,
            )  # fmt: skip
        loss = tf.add_n([tf.reduce_sum(o * o) * (i + 1) for i, o in enumerate(outs)])
        grad = tf.gradients(loss, x)[0]
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run([outs[-1], sf.h, sb.h, grad], {x: X})


@pytest.mark.parametrize("lengths", [None, LENGTHS])
def test_static_bidirectional_rnn_matches_real_tf(tf1, lengths):
    ours = _static(dtf, lengths, lambda tf: tf.contrib.rnn)
    theirs = _static(tf1, lengths, lambda tf: tf.nn)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
