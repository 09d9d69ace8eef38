"""A whole TF1 program in the everyday style of dynamic decoding code: a GRU-like recurrence
unrolled by tf.while_loop writing its states into a tf.TensorArray, a causal mask from
tf.matrix_band_part over run-time lengths, tf.reverse_sequence of padded batches, and an
Adam-trained readout; run unchanged under duograd and real tensorflow.compat.v1, compared step
by step."""

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

T, B, D, H = 6, 4, 3, 5
R = np.random.RandomState(21)
DATA = R.randn(B, T, D).astype(np.float32)
LENGTHS = np.array([6, 3, 5, 1], np.int32)
TARGET = R.randn(B, H).astype(np.float32)
W0 = (R.randn(D + H, H) * 0.3).astype(np.float32)
U0 = (R.randn(D + H, H) * 0.3).astype(np.float32)
V0 = (R.randn(H, H) * 0.3).astype(np.float32)


def program(tf):
    """The program as a user writes it (only the import differs)."""
    x = tf.placeholder(tf.float32, [None, T, D], name="x")
    lengths = tf.placeholder(tf.int32, [B], name="lengths")
    y = tf.placeholder(tf.float32, [B, H], name="y")
    w = tf.get_variable("w", initializer=W0)
    u = tf.get_variable("u", initializer=U0)
    v = tf.get_variable("v", initializer=V0)

    rev = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
    steps = tf.transpose(rev, [1, 0, 2])[:T]  # time-major, T known
    inputs = tf.TensorArray(tf.float32, size=T).unstack(steps)
    states = tf.TensorArray(tf.float32, size=T, element_shape=[B, H])

    def body(t, h, ta):
        xh = tf.concat([inputs.read(t), h], axis=1)
        z = tf.sigmoid(tf.matmul(xh, w))
        cand = tf.tanh(tf.matmul(xh, u))
        h = z * h + (1.0 - z) * cand
        return t + 1, h, ta.write(t, h)

    _, h_last, states = tf.while_loop(
        lambda t, h, ta: t < T, body, [tf.constant(0), tf.zeros([B, H]), states]
    )
    seq = tf.transpose(states.stack(), [1, 0, 2])  # [B, T, H]
    n = tf.shape(seq)[1]
    mask = tf.matrix_band_part(tf.ones([n, n]), -1, 0)  # causal: step t sees steps <= t
    scores = tf.matmul(seq, seq, transpose_b=True) * mask
    pooled = tf.reduce_mean(tf.matmul(scores, seq), axis=1)
    pred = tf.matmul(pooled + h_last, v)
    loss = tf.reduce_mean(tf.square(pred - y))
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    return x, lengths, y, loss, train


def _train(tf, steps=5):
    with tf.Graph().as_default():
        x, lengths, y, loss, train = program(tf)
        feed = {x: DATA, lengths: LENGTHS, y: TARGET}
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            losses = []
            for _ in range(steps):
                losses.append(s.run([loss, train], feed)[0])
            return np.array(losses)


def test_decoder_program_trains_as_in_tf():
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    ours, theirs = _train(dg), _train(v1)
    np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=1e-5)
    assert ours[-1] < ours[0]
