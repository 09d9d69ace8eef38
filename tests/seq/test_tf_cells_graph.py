"""TF1's LSTM and plain RNN cells in graphs: the sequence primitives give the hand-stepped bits.

`dynamic_rnn` / `bidirectional_dynamic_rnn` run a standard BasicLSTMCell, LSTMCell or
BasicRNNCell as one sequence primitive. The same cells with `call` written out as TF1 users
write it (tf.matmul on tf.concat([x, h]) plus the bias, tf.split, tf.sigmoid, tf.tanh, * and +)
are not standard, so the graph steps them op by op, masking rows past their length. Every
output, final state and gradient must be the same bits: forward and reversed directions, with
and without sequence_length, with the graph passes on and off (they fuse the hand-written
elementwise ops).
"""

from __future__ import annotations

import duograd.frontends.graph as tf
import numpy as np
import pytest

B, T, I, H = 3, 6, 4, 5
LSTMStateTuple = tf.nn.rnn_cell.LSTMStateTuple


class _HandLSTM(tf.nn.rnn_cell.BasicLSTMCell):
    def call(self, inputs, state):
        c, h = state
        kernel, bias = self._params
        gates = tf.matmul(tf.concat([inputs, h], 1), kernel) + bias
        i, j, f, o = tf.split(gates, 4, axis=1)
        c = tf.sigmoid(f + 1.0) * c + tf.sigmoid(i) * tf.tanh(j)
        h = tf.sigmoid(o) * tf.tanh(c)
        return h, LSTMStateTuple(c, h)


class _HandLSTMCell(tf.nn.rnn_cell.LSTMCell):
    call = _HandLSTM.call


class _HandRNN(tf.nn.rnn_cell.BasicRNNCell):
    def call(self, inputs, state):
        kernel, bias = self._params
        pre = tf.matmul(tf.concat([inputs, state], 1), kernel) + bias
        h = tf.tanh(pre) if self._act == "tanh" else tf.nn.relu(pre)
        return h, h


CELLS = {  # name: (standard cell, hand-stepped cell, keyword arguments)
    "BasicLSTMCell": (tf.nn.rnn_cell.BasicLSTMCell, _HandLSTM, {}),
    "LSTMCell": (tf.nn.rnn_cell.LSTMCell, _HandLSTMCell, {}),
    "BasicRNNCell": (tf.nn.rnn_cell.BasicRNNCell, _HandRNN, {}),
    "BasicRNNCell-relu": (tf.nn.rnn_cell.BasicRNNCell, _HandRNN, {"activation": tf.nn.relu}),
}


def _leaves(state):
    return list(state) if isinstance(state, tuple) else [state]


def _run(cls, kw, x, lengths, values, optimize):
    """Outputs, final states and the gradients of x and every variable, both directions."""
    with tf.Graph().as_default():
        xp = tf.placeholder(tf.float32, [None, *x.shape[1:]])
        seq = None if lengths is None else tf.constant(lengths)
        (out_fw, out_bw), (st_fw, st_bw) = tf.nn.bidirectional_dynamic_rnn(
            cls(H, **kw), cls(H, **kw), xp, sequence_length=seq, dtype=tf.float32
        )
        states = _leaves(st_fw) + _leaves(st_bw)
        w = np.linspace(0.5, 1.5, B * T * H).reshape(B, T, H).astype(np.float32)
        loss = tf.reduce_sum(out_fw * out_fw * w) + tf.reduce_sum(out_bw * out_bw)
        for k, s in enumerate(states):
            loss = loss + tf.reduce_sum(s * float(k + 2))
        variables = tf.trainable_variables()
        grads = tf.gradients(loss, [xp] + variables)
        with tf.Session(optimize=optimize) as s:
            s.run(tf.global_variables_initializer())
            for v, a in zip(variables, values, strict=True):
                v.load(a, s)
            return s.run([out_fw, out_bw] + states + grads, {xp: x})


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("lengths", [None, [6, 2, 5]], ids=["full", "lengths"])
@pytest.mark.parametrize("name", list(CELLS))
def test_sequence_primitive_gives_the_hand_stepped_bits(name, lengths, optimize):
    std, hand, kw = CELLS[name]
    rng = np.random.default_rng(17)
    x = rng.standard_normal((B, T, I)).astype(np.float32)
    g = 1 if "RNN" in name else 4
    values = [(rng.standard_normal(s) * 0.5).astype(np.float32)
              for s in [(I + H, g * H), (g * H,)] * 2]  # fmt: skip
    got = _run(std, kw, x, lengths, values, optimize)
    want = _run(hand, kw, x, lengths, values, optimize)
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a.dtype == b.dtype == np.float32
        assert np.array_equal(a, b), f"{name}: value {k} differs"
