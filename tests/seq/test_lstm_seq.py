"""The sequence-level LSTM: bits vs the cell-by-cell composition, oracles, lengths, parity.

Forward values and the gradients of the input, initial state, weights and biases are the bits
of the op-by-op cell composition (same kernels, same order per step; the weight and bias
gradients are the per-step products and sums added in the reverse sweep's order).
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import functional as CF
from duograd.core import recurrent as R
from duograd.core.errors import ShapeError
from duograd.core.primitives.rnn_seq import lstm_seq

RNG = np.random.default_rng(7)
T, B, I, H = 6, 3, 4, 5


def _data(dt=np.float32, layout="torch"):
    x = RNG.standard_normal((T, B, I)).astype(dt)
    h0, c0 = (RNG.standard_normal((B, H)).astype(dt) for _ in range(2))
    if layout == "torch":
        shapes = [(4 * H, I), (4 * H, H), (4 * H,), (4 * H,)]
    else:
        shapes = [(I + H, 4 * H), (4 * H,)]
    params = [(RNG.standard_normal(s) * 0.5).astype(dt) for s in shapes]
    return [x, h0, c0] + params


def _run(arrays, fused, layout="torch", fb=0.0, lengths=None, reverse=False):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    x, h0, c0, params = ts[0], ts[1], ts[2], tuple(ts[3:])
    if fused:
        out, hn, cn = R.lstm_layer(x, h0, c0, params, layout, fb, reverse, lengths)
    else:

        def step(xt, st):
            h, c = CF.lstm_cell(xt, st[0], st[1], params, layout, fb)
            return h, (h, c)

        out, (hn, cn) = CF.rnn_unroll(step, x, (h0, c0), reverse=reverse)
    w = np.linspace(0.5, 1.5, out.numel()).reshape(out.shape).astype(arrays[0].dtype)
    loss = (out * out * torch.tensor(w)).sum() + (hn * 2.0).sum() + (cn * cn).sum()
    loss.backward()
    return [out.detach().numpy(), hn.detach().numpy(), cn.detach().numpy()] + [
        t.grad.numpy() for t in ts
    ]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_torch_layout_bits_of_the_cell_composition(reverse, dt):
    arrays = _data(dt)
    got, want = _run(arrays, True, reverse=reverse), _run(arrays, False, reverse=reverse)
    names = ["out", "h_n", "c_n", "dx", "dh0", "dc0", "dw_ih", "dw_hh", "db_ih", "db_hh"]
    for name, a, b in zip(names, got, want, strict=True):
        assert a.dtype == b.dtype == dt
        assert np.array_equal(a, b), f"{name} differs"


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_tf_layout_bits_of_the_cell_composition(reverse, dt):
    """TF's cell multiplies concat([x, h]) by one kernel: one chain over in + H per gate. The
    sequence form runs the input part up front and continues each chain per step, so every
    value and gradient is the composition's."""
    arrays = _data(dt, layout="tf")
    got = _run(arrays, True, "tf", 1.0, reverse=reverse)
    want = _run(arrays, False, "tf", 1.0, reverse=reverse)
    names = ["out", "h_n", "c_n", "dx", "dh0", "dc0", "dkernel", "dbias"]
    for name, a, b in zip(names, got, want, strict=True):
        assert a.dtype == b.dtype == dt
        assert np.array_equal(a, b), f"{name} differs"


def test_float64_finite_differences_with_lengths_and_reverse():
    arrays = _data(np.float64)
    lengths = np.array([6, 3, 1])
    grads = _run(arrays, True, lengths=lengths, reverse=True)[3:]

    def loss(vals):
        x, h0, c0, *p = vals
        out, hn, cn = R.lstm_layer(x, h0, c0, tuple(p), "torch", 0.0, True, lengths)
        w = np.linspace(0.5, 1.5, out.size).reshape(out.shape)
        return float(np.sum(out * out * w) + np.sum(hn * 2.0) + np.sum(cn * cn))

    eps = 1e-6
    for k in (0, 1, 3, 5):  # x, h0, w_ih, b_ih
        num = np.zeros(arrays[k].size)
        for j in range(0, arrays[k].size, max(1, arrays[k].size // 15)):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k].reshape(-1)[j] += eps
            minus[k].reshape(-1)[j] -= eps
            num[j] = (loss(plus) - loss(minus)) / (2 * eps)
            assert abs(grads[k].reshape(-1)[j] - num[j]) < 1e-6 * (1 + abs(num[j]))


def test_lengths_stop_each_row():
    """Outputs past a row's length are zero; the final state is that of its last valid step."""
    arrays = _data()
    lengths = np.array([6, 2, 4])
    full = _run(arrays, True)
    out, hn, cn = _run(arrays, True, lengths=lengths)[:3]
    for b, n in enumerate(lengths):
        short = _run([arrays[0][:n, b : b + 1], arrays[1][b : b + 1], arrays[2][b : b + 1]]
                     + arrays[3:], True)  # fmt: skip
        assert np.array_equal(out[:n, b], short[0][:, 0])
        assert np.all(out[n:, b] == 0)
        assert np.array_equal(hn[b], short[1][0]) and np.array_equal(cn[b], short[2][0])
    assert np.array_equal(full[0][:, 0], out[:, 0])


def _graph_lstm(x, layout, lengths, values):
    with tf.Graph().as_default() as g:
        xp = tf.placeholder(tf.float32, [None, *x.shape[1:]])
        cell = tf.nn.rnn_cell.LSTMCell(H, layout=layout)
        seq = None if lengths is None else tf.constant(lengths)
        out, st = tf.nn.dynamic_rnn(cell, xp, sequence_length=seq, dtype=tf.float32)
        variables = tf.trainable_variables()
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(st.h * 2.0) + tf.reduce_sum(st.c * st.c)
        grads = tf.gradients(loss, [xp] + variables)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for v, a in zip(variables, values, strict=True):
                v.load(a, s)
            got = s.run([out, st.h, st.c] + grads, {xp: x})
        n_nodes = len(g.nodes)
    return got, n_nodes


@pytest.mark.parametrize("lengths", [None, [6, 2, 5]])
def test_graph_dynamic_rnn_bitwise_equal_to_eager(lengths):
    x, h0, c0, *params = _data()
    h0[:] = 0
    c0[:] = 0
    got, _ = _graph_lstm(x.transpose(1, 0, 2).copy(), "torch", lengths, params)
    lens = None if lengths is None else np.asarray(lengths)
    ts = [torch.tensor(a, requires_grad=True) for a in [x] + params]
    out, hn, cn = R.lstm_layer(ts[0], torch.tensor(h0), torch.tensor(c0), tuple(ts[1:]),
                               "torch", 0.0, False, lens)  # fmt: skip
    ((out * out).sum() + (hn * 2.0).sum() + (cn * cn).sum()).backward()
    want = [out.detach().numpy().transpose(1, 0, 2), hn.detach().numpy(), cn.detach().numpy()]
    want += [ts[0].grad.numpy().transpose(1, 0, 2)] + [t.grad.numpy() for t in ts[1:]]
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def _graph_hand_cells(x, values, optimize):
    """The LSTM as TF1 users write it by hand: per step the two gate products and the cell as
    separate tf.sigmoid / tf.tanh / * / + ops (the graph passes fuse them unless told not to)."""
    with tf.Graph().as_default():
        xp = tf.placeholder(tf.float32, [None, *x.shape[1:]])
        w_ih, w_hh, b_ih, b_hh = (tf.Variable(v) for v in values)
        h = c = tf.zeros([x.shape[0], H])
        outs = []
        for xt in tf.unstack(xp, axis=1):
            gates = (tf.matmul(xt, w_ih, transpose_b=True) + b_ih) + (
                tf.matmul(h, w_hh, transpose_b=True) + b_hh
            )
            i, f, g, o = tf.split(gates, 4, axis=1)
            f = f + 0.0  # the forget bias, added as the cell adds it
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            h = tf.sigmoid(o) * tf.tanh(c)
            outs.append(h)
        out = tf.stack(outs, axis=1)
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(h * 2.0) + tf.reduce_sum(c * c)
        grads = tf.gradients(loss, [xp, w_ih, w_hh, b_ih, b_hh])
        with tf.Session(optimize=optimize) as s:
            s.run(tf.global_variables_initializer())
            return s.run([out, h, c] + grads, {xp: x})


@pytest.mark.parametrize("optimize", [True, False])
def test_graph_hand_written_float32_cells_give_the_sequence_bits(optimize):
    """float32 tf.sigmoid / tf.tanh (fused by the graph passes or not) are the sequence
    kernels' own: values, final state and every gradient are dynamic_rnn's bits."""
    x, *_, w_ih, w_hh, b_ih, b_hh = _data()
    x = x.transpose(1, 0, 2).copy()
    params = [w_ih, w_hh, b_ih, b_hh]
    want, _ = _graph_lstm(x, "torch", None, params)
    got = _graph_hand_cells(x, params, optimize)
    names = ["out", "h", "c", "dx", "dw_ih", "dw_hh", "db_ih", "db_hh"]
    for name, a, b in zip(names, got, want, strict=True):
        assert a.dtype == np.float32
        assert np.array_equal(a, b), name


def test_graph_size_does_not_grow_with_t():
    """The graph of an LSTM over T steps (and its gradient) has the same number of nodes for
    any T: one sequence primitive, not ~15 nodes per step."""
    x6 = np.zeros((2, 6, I), np.float32)
    x24 = np.zeros((2, 24, I), np.float32)
    vals = [p for p in _data(layout="tf")[3:]]
    assert _graph_lstm(x6, "tf", None, vals)[1] == _graph_lstm(x24, "tf", None, vals)[1]


def test_nn_lstm_matches_real_torch():
    real = pytest.importorskip("torch")
    real.manual_seed(0)
    ref = real.nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True)
    mine = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True)
    mine.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    x = RNG.standard_normal((B, T, I)).astype(np.float32)
    xr = real.tensor(x, requires_grad=True)
    out_r, (h_r, c_r) = ref(xr)
    (out_r.square().sum() + h_r.sum() + c_r.square().sum()).backward()
    xm = torch.tensor(x, requires_grad=True)
    out_m, (h_m, c_m) = mine(xm)
    ((out_m * out_m).sum() + h_m.sum() + (c_m * c_m).sum()).backward()
    for a, b in [(out_m, out_r), (h_m, h_r), (c_m, c_r)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xm.grad.numpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    named = dict(ref.named_parameters())
    for name, p in mine.named_parameters():
        assert p.grad.numpy().dtype == np.float32
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)  # fmt: skip


def test_shape_errors_name_the_op_and_operand():
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _data()
    lens = np.full(B, T, np.int64)
    with pytest.raises(ShapeError, match="lstm_seq: wh has shape"):
        lstm_seq(x, h0, c0, w_ih.T, w_ih.T, b_ih, b_hh, lens)
    with pytest.raises(TypeError, match="lstm_seq: lengths must be integers"):
        lstm_seq(x, h0, c0, w_ih.T, w_hh.T, b_ih, b_hh, lens.astype(np.float32))


def test_bidirectional_and_static_rnn_bitwise_equal_to_eager():
    """Eager nn.LSTM(bidirectional) against graph bidirectional_dynamic_rnn, and static_rnn
    against dynamic_rnn, with LSTMCell(layout="torch"): the same primitive, the same bits."""
    torch.manual_seed(4)
    model = torch.nn.LSTM(I, H, batch_first=True, bidirectional=True)
    values = [p.detach().numpy().copy() for p in model.parameters()]
    x = RNG.standard_normal((B, T, I)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    out, _ = model(xt)
    (out * out).sum().backward()
    want = [out.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]

    with tf.Graph().as_default():
        xp = tf.placeholder(tf.float32, [None, T, I])
        cells = [tf.nn.rnn_cell.LSTMCell(H, layout="torch") for _ in range(2)]
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(*cells, xp, dtype=tf.float32)
        y = tf.concat([fw, bw], 2)
        variables = tf.trainable_variables()
        grads = tf.gradients(tf.reduce_sum(y * y), [xp] + variables)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for v, a in zip(variables, values, strict=True):
                v.load(a, s)
            got = s.run([y] + grads, {xp: x})
    for a, b in zip(want, got, strict=True):
        assert np.array_equal(a, b)

    def graph(static):
        with tf.Graph().as_default():
            xp = tf.placeholder(tf.float32, [None, T, I])
            cell = tf.nn.rnn_cell.LSTMCell(H, layout="torch")
            if static:
                outs, st = tf.nn.static_rnn(cell, tf.unstack(xp, axis=1), dtype=tf.float32)
                y = tf.stack(outs, 1)
            else:
                y, st = tf.nn.dynamic_rnn(cell, xp, dtype=tf.float32)
            variables = tf.trainable_variables()
            loss = tf.reduce_sum(y * y) + tf.reduce_sum(st.c)
            grads = tf.gradients(loss, [xp] + variables)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                for v, a in zip(variables, values[:4], strict=True):
                    v.load(a, s)
                return s.run([y] + grads, {xp: x})

    for a, b in zip(graph(True), graph(False), strict=True):
        assert np.array_equal(a, b)
