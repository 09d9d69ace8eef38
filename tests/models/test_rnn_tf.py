"""tf.nn.rnn_cell cells with tf.nn.dynamic_rnn / static_rnn / bidirectional_dynamic_rnn against
TF1's own cells run by real TensorFlow: variable names, outputs, final states and gradients,
given the same variable values; plus gradient clipping against TF's clip ops."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest
from oracle_check import assert_matches

# TF's own TF1 cells warn that they are deprecated each time one is made
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")
TOL = dict(rtol=1e-5, atol=3e-6)
X = np.random.default_rng(3).standard_normal((3, 4, 5)).astype(np.float32)


def _flat(state):
    if isinstance(state, tuple):
        return [t for s in state for t in _flat(s)]
    return [state]


def _build(tf, cells, make_cell, how):
    """The same TF1 program for either module: returns (graph, x, fetches, variables)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 5])
        cell = make_cell(cells)
        if how == "static":
            outs, state = tf.nn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float32)
            out = tf.stack(outs, 1)
        elif how == "bidirectional":
            (fw, bw), state = tf.nn.bidirectional_dynamic_rnn(
                cell, make_cell(cells), x, dtype=tf.float32
            )
            out = tf.concat([fw, bw], 2)
        elif how == "time_major":
            out, state = tf.nn.dynamic_rnn(
                cell, tf.transpose(x, [1, 0, 2]), dtype=tf.float32, time_major=True
            )
        elif how == "lengths":
            out, state = tf.nn.dynamic_rnn(
                cell, x, sequence_length=tf.constant([4, 1, 3]), dtype=tf.float32
            )
        else:
            out, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        finals = _flat(state)
        loss = tf.reduce_sum(out * out)
        for i, s in enumerate(finals):
            loss = loss + tf.reduce_sum(s) * float(i + 2)
        variables = tf.trainable_variables()
        grads = tf.gradients(loss, variables + [x])
    return graph, x, [out] + finals + grads, variables


def _run_both(real_tf, tf_cells, make_cell, how):
    g1, x1, f1, v1 = _build(real_tf, tf_cells, make_cell, how)
    g2, x2, f2, v2 = _build(dg, dg.nn.rnn_cell, make_cell, how)
    assert [v.name for v in v1] == [v.name for v in v2]
    with real_tf.Session(graph=g1) as sess:
        sess.run(real_tf.global_variables_initializer())
        values = sess.run(v1)
        want = sess.run(f1, {x1: X})
    with dg.Session(graph=g2) as sess:
        sess.run(dg.global_variables_initializer())
        for v, a in zip(v2, values, strict=True):
            v.load(a, sess)
        got = sess.run(f2, {x2: X})
    return want, got


CELLS = {
    "basic_lstm": lambda m: m.BasicLSTMCell(6),
    "lstm_forget0": lambda m: m.LSTMCell(6, forget_bias=0.0),
    "lstm_concat_state": lambda m: m.BasicLSTMCell(6, state_is_tuple=False),
    "gru": lambda m: m.GRUCell(6),
    "basic_rnn": lambda m: m.BasicRNNCell(6),
    "multi_lstm_gru": lambda m: m.MultiRNNCell([m.LSTMCell(6), m.GRUCell(3)]),
}
CASES = [(c, "dynamic") for c in CELLS] + [
    ("basic_lstm", "static"), ("gru", "static"), ("lstm_forget0", "time_major"),
    ("basic_lstm", "lengths"), ("gru", "bidirectional"),
]  # fmt: skip


@pytest.mark.parametrize("cell,how", CASES, ids=[f"{c}-{h}" for c, h in CASES])
def test_cells_and_loops_match_tensorflow(real_tf, tf_cells, cell, how):
    want, got = _run_both(real_tf, tf_cells, CELLS[cell], how)
    for i, (a, b) in enumerate(zip(want, got, strict=True)):
        assert_matches(b, a, err_msg=f"fetch {i}", **TOL)


def test_variable_names_and_state_structure():
    x = dg.placeholder(dg.float32, [None, 3, 2])
    cell = dg.nn.rnn_cell.MultiRNNCell([dg.nn.rnn_cell.BasicLSTMCell(4) for _ in range(2)])
    out, state = dg.nn.dynamic_rnn(cell, x, dtype=dg.float32)
    assert [v.name for v in dg.trainable_variables()] == [
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel:0",
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias:0",
        "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/kernel:0",
        "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias:0",
    ]
    assert out.shape.as_list() == [None, 3, 4]
    assert isinstance(state[0], dg.nn.rnn_cell.LSTMStateTuple)
    assert state[1].h.shape.as_list() == [None, 4]
    assert cell.state_size == (dg.nn.rnn_cell.LSTMStateTuple(4, 4),) * 2


def test_torch_layout_cell_variables():
    x = dg.placeholder(dg.float32, [2, 3, 5])
    dg.nn.dynamic_rnn(dg.nn.rnn_cell.GRUCell(4, layout="torch"), x, dtype=dg.float32)
    got = [(v.name, v.shape.as_list()) for v in dg.trainable_variables()]
    assert got == [
        ("rnn/gru_cell/weight_ih:0", [12, 5]), ("rnn/gru_cell/weight_hh:0", [12, 4]),
        ("rnn/gru_cell/bias_ih:0", [12]), ("rnn/gru_cell/bias_hh:0", [12]),
    ]  # fmt: skip


def test_sampling_graph_shares_the_cell(real_tf):
    """A second dynamic_rnn with the same cell object reuses its variables."""
    cell = dg.nn.rnn_cell.LSTMCell(3)
    a, _ = dg.nn.dynamic_rnn(cell, dg.placeholder(dg.float32, [2, 4, 2]), dtype=dg.float32)
    h0 = dg.nn.rnn_cell.LSTMStateTuple(dg.zeros([1, 3]), dg.zeros([1, 3]))
    b, _ = dg.nn.dynamic_rnn(cell, dg.placeholder(dg.float32, [1, 1, 2]), initial_state=h0)
    assert len(dg.trainable_variables()) == 2 and b.shape.as_list() == [1, 1, 3]


def test_errors_name_the_problem():
    cell = dg.nn.rnn_cell.LSTMCell(3)
    # (an unknown time dimension runs as a while loop: tests/graph/test_bidirectional_lengths.py)
    with pytest.raises(ValueError, match="must not be empty"):
        dg.nn.static_rnn(cell, [], dtype=dg.float32)
    with pytest.raises(ValueError, match="3-D"):
        dg.nn.dynamic_rnn(cell, dg.placeholder(dg.float32, [2, 3]), dtype=dg.float32)
    with pytest.raises(ValueError, match="must give a dtype"):
        dg.nn.dynamic_rnn(cell, dg.placeholder(dg.float32, [2, 4, 3]))
    with pytest.raises(NotImplementedError, match="peepholes"):
        dg.nn.rnn_cell.LSTMCell(3, use_peepholes=True)
    with pytest.raises(ValueError, match="layout"):
        dg.nn.rnn_cell.GRUCell(3, layout="keras")


# ---- gradient clipping ------------------------------------------------------------------------


def _clip_program(tf):
    a = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5)
    b = tf.constant(np.array([3.0, -4.0], np.float32))
    small = tf.constant(np.array([0.1, 0.2], np.float32))
    clipped, norm = tf.clip_by_global_norm([a, None, b], 2.0)
    kept, _ = tf.clip_by_global_norm([small], 5.0)
    by_norm = tf.clip_by_norm(a, 1.5, axes=[1])
    fetches = [clipped[0], clipped[2], norm, kept[0], by_norm, tf.global_norm([a, b])]
    with tf.Session() as sess:
        return sess.run(fetches), clipped[1]


def test_clipping_matches_tensorflow(real_tf):
    real_tf.reset_default_graph()
    want, none_ref = _clip_program(real_tf)
    got, none_ours = _clip_program(dg)
    assert none_ref is None and none_ours is None
    for a, b in zip(want, got, strict=True):
        assert_matches(b, a, rtol=1e-6)
