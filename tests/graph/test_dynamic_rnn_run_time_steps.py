"""`tf.nn.dynamic_rnn` on inputs whose number of steps is known only when run
(`placeholder([None, None, depth])`, as seq2seq programs write): a while loop over the steps,
equal to the unrolled loop up to rounding, and to real TF1's values and gradients."""

import os

import duograd.frontends.graph as dtf
import numpy as np
import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF's rnn_cell classes need it

CELLS = {
    "basic_rnn": lambda tf: tf.nn.rnn_cell.BasicRNNCell(5),
    "basic_lstm_dropout": lambda tf: tf.nn.rnn_cell.DropoutWrapper(
        tf.nn.rnn_cell.BasicLSTMCell(5), output_keep_prob=1.0
    ),
    "gru": lambda tf: tf.nn.rnn_cell.GRUCell(5),
    "multi": lambda tf: tf.nn.rnn_cell.MultiRNNCell(
        [tf.nn.rnn_cell.BasicRNNCell(4), tf.nn.rnn_cell.BasicRNNCell(5)]
    ),
}


@pytest.fixture(scope="module")
def tf1():
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    return v1


X = (np.arange(2 * 6 * 3, dtype=np.float32).reshape(2, 6, 3) % 7 - 3) / 5


def _run(tf, cell_name, steps, lengths=None, time_major=False):
    g = tf.Graph()
    with g.as_default():
        shape = [None, steps, 3] if not time_major else [steps, None, 3]
        x = tf.placeholder(tf.float32, shape)
        with tf.variable_scope("rnn_test", initializer=tf.constant_initializer(0.07)):
            out, state = tf.nn.dynamic_rnn(
                CELLS[cell_name](tf), x, sequence_length=lengths, dtype=tf.float32,
                time_major=time_major,
            )  # fmt: skip
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(tf.nest.flatten(state)[-1])
        grads = tf.gradients(loss, [x] + tf.trainable_variables())
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            feed = X if not time_major else X.transpose(1, 0, 2)
            return sess.run([out, loss, *grads], {x: feed})


@pytest.mark.parametrize("cell_name", sorted(CELLS))
def test_run_time_steps_equal_the_unrolled_loop(cell_name):
    loop = _run(dtf, cell_name, None)
    unrolled = _run(dtf, cell_name, 6)
    # a known step count runs the standard cells as one sequence primitive, and the loop's
    # gradient sums the steps' contributions in its own order: equal to rounding
    for a, b in zip(loop, unrolled, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cell_name", sorted(CELLS))
def test_run_time_steps_match_real_tf(cell_name, tf1):
    ours = _run(dtf, cell_name, None, lengths=[6, 3])
    theirs = _run(tf1, cell_name, None, lengths=[6, 3])
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_time_major_run_time_steps_match_real_tf(tf1):
    ours = _run(dtf, "basic_lstm_dropout", None, time_major=True)
    theirs = _run(tf1, "basic_lstm_dropout", None, time_major=True)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
