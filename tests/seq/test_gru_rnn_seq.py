"""The sequence-level GRU and plain RNN: bits vs the cell composition, oracles, lengths, parity.

In float32 and float64, forward values and the gradients of the input, the initial state, the
weights and the biases are the bits of the op-by-op cell composition (the standalone sigmoid and
tanh ops and the sequence kernels expand the same templates; the weight and bias gradients are
the per-step products and sums added in the reverse sweep's order).
"""

from __future__ import annotations

import os

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import functional as CF
from duograd.core import recurrent as R
from duograd.core.errors import ShapeError
from duograd.core.primitives.rnn_seq_cells import gru_seq, rnn_seq
from duograd.frontends.eager.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF's rnn_cell classes need it

RNG = np.random.default_rng(5)
T, B, I, H = 6, 3, 4, 5
MODES = [("gru", 3), ("tanh", 1), ("relu", 1)]


def _data(g, dt=np.float32, layout="torch"):
    x = RNG.standard_normal((T, B, I)).astype(dt)
    h0 = RNG.standard_normal((B, H)).astype(dt)
    if layout == "torch":
        shapes = [(g * H, I), (g * H, H), (g * H,), (g * H,)]
    else:
        shapes = [(I + H, g * H), (g * H,)]
    return [x, h0] + [(RNG.standard_normal(s) * 0.5).astype(dt) for s in shapes]


def _layer(mode, x, h0, params, layout="torch", reverse=False, lengths=None):
    if mode == "gru":
        return R.gru_layer(x, h0, params, layout, reverse, lengths)
    return R.rnn_layer(x, h0, params, layout, mode, reverse, lengths)


def _cells(mode, x, h0, params, layout="torch", reverse=False):
    def step(xt, h):
        if mode == "gru":
            h = CF.gru_cell(xt, h, params, layout)
        else:
            h = CF.rnn_tanh_cell(xt, h, params, layout, mode)
        return h, h

    return CF.rnn_unroll(step, x, h0, reverse=reverse)


def _run(mode, arrays, fused, layout="torch", reverse=False, lengths=None):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    x, h0, params = ts[0], ts[1], tuple(ts[2:])
    if fused:
        out, hn = _layer(mode, x, h0, params, layout, reverse, lengths)
    else:
        out, hn = _cells(mode, x, h0, params, layout, reverse)
    w = np.linspace(0.5, 1.5, out.numel()).reshape(out.shape).astype(arrays[0].dtype)
    ((out * out * torch.tensor(w)).sum() + (hn * 2.0).sum()).backward()
    return [out.detach().numpy(), hn.detach().numpy()] + [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("mode,g", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_against_the_cell_composition(mode, g, reverse, dt):
    arrays = _data(g, dt)
    got, want = (
        _run(mode, arrays, True, reverse=reverse),
        _run(mode, arrays, False, reverse=reverse),
    )
    names = ["out", "h_n", "dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh"]
    for name, a, b in zip(names, got, want, strict=True):
        assert a.dtype == b.dtype == dt
        assert np.array_equal(a, b), f"{mode}: {name} differs"


@pytest.mark.parametrize("mode", ["tanh", "relu"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_tf_layout_rnn_bits_of_the_cell_composition(mode, reverse, dt):
    """TF's BasicRNNCell multiplies concat([x, h]) by one kernel (one chain over in + H); the
    sequence form continues the input part's chains per step: the composition's bits."""
    arrays = _data(1, dt, layout="tf")
    got = _run(mode, arrays, True, "tf", reverse)
    want = _run(mode, arrays, False, "tf", reverse)
    for name, a, b in zip(["out", "h_n", "dx", "dh0", "dkernel", "dbias"], got, want, strict=True):
        assert a.dtype == b.dtype == dt
        assert np.array_equal(a, b), f"{mode}: {name} differs"


@pytest.mark.parametrize("mode,g", MODES)
def test_float64_finite_differences_with_lengths_and_reverse(mode, g):
    arrays = _data(g, np.float64)
    if mode == "relu":  # keep pre-activations away from the kink
        arrays[2] = np.abs(arrays[2]) * 0.3
    lengths = np.array([6, 3, 1])
    grads = _run(mode, arrays, True, reverse=True, lengths=lengths)[2:]

    def loss(vals):
        x, h0, *p = vals
        out, hn = _layer(mode, x, h0, tuple(p), "torch", True, lengths)
        w = np.linspace(0.5, 1.5, out.size).reshape(out.shape)
        return float(np.sum(out * out * w) + np.sum(hn * 2.0))

    eps = 1e-6
    for k in range(len(arrays)):
        for j in range(0, arrays[k].size, max(1, arrays[k].size // 8)):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k].reshape(-1)[j] += eps
            minus[k].reshape(-1)[j] -= eps
            num = (loss(plus) - loss(minus)) / (2 * eps)
            assert abs(grads[k].reshape(-1)[j] - num) < 1e-6 * (1 + abs(num)), (mode, k, j)


@pytest.mark.parametrize("mode,g", MODES)
def test_lengths_stop_each_row(mode, g):
    arrays = _data(g)
    lengths = np.array([6, 2, 4])
    out, hn = _run(mode, arrays, True, lengths=lengths)[:2]
    for b, n in enumerate(lengths):
        sub = [arrays[0][:n, b : b + 1], arrays[1][b : b + 1]] + arrays[2:]
        short = _run(mode, sub, True)
        assert np.array_equal(out[:n, b], short[0][:, 0])
        assert np.all(out[n:, b] == 0)
        assert np.array_equal(hn[b], short[1][0])


def _oracle_module(real, mode, **kw):
    if mode == "gru":
        return real.nn.GRU(I, H, **kw), torch.nn.GRU(I, H, **kw)
    return real.nn.RNN(I, H, nonlinearity=mode, **kw), torch.nn.RNN(I, H, nonlinearity=mode, **kw)


@pytest.mark.parametrize("mode,g", MODES)
def test_nn_modules_match_real_torch(mode, g):
    real = pytest.importorskip("torch")
    real.manual_seed(0)
    ref, mine = _oracle_module(real, mode, num_layers=2, bidirectional=True, batch_first=True)
    mine.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    x = RNG.standard_normal((B, T, I)).astype(np.float32)
    xr = real.tensor(x, requires_grad=True)
    out_r, h_r = ref(xr)
    (out_r.square().sum() + h_r.sum()).backward()
    xm = torch.tensor(x, requires_grad=True)
    out_m, h_m = mine(xm)
    ((out_m * out_m).sum() + h_m.sum()).backward()
    for a, b in [(out_m, out_r), (h_m, h_r)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xm.grad.numpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    named = dict(ref.named_parameters())
    for name, p in mine.named_parameters():
        assert p.grad.numpy().dtype == np.float32
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)  # fmt: skip


@pytest.mark.parametrize("mode", ["gru", "tanh"])
def test_packed_input_matches_real_torch(mode):
    real = pytest.importorskip("torch")
    rnn_utils = pytest.importorskip("torch.nn.utils.rnn")
    real.manual_seed(1)
    ref, mine = _oracle_module(real, mode, num_layers=2, bidirectional=True, batch_first=True)
    mine.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    x = RNG.standard_normal((4, T, I)).astype(np.float32)
    lens = [3, 6, 1, 4]
    h0 = RNG.standard_normal((4, 4, H)).astype(np.float32)
    xr = real.tensor(x, requires_grad=True)
    pr = rnn_utils.pack_padded_sequence(xr, lens, batch_first=True, enforce_sorted=False)
    out_r, h_r = ref(pr, real.tensor(h0))
    pad_r, _ = rnn_utils.pad_packed_sequence(out_r, batch_first=True)
    (pad_r.square().sum() + h_r.sum()).backward()
    xm = torch.tensor(x, requires_grad=True)
    pm = pack_padded_sequence(xm, lens, batch_first=True, enforce_sorted=False)
    out_m, h_m = mine(pm, torch.tensor(h0))
    pad_m, _ = pad_packed_sequence(out_m, batch_first=True)
    ((pad_m * pad_m).sum() + h_m.sum()).backward()
    for a, b in [(pad_m, pad_r), (h_m, h_r)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xm.grad.numpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    named = dict(ref.named_parameters())
    for name, p in mine.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)  # fmt: skip


def _graph_run(cell_fn, x, lengths, values):
    with tf.Graph().as_default() as g:
        xp = tf.placeholder(tf.float32, [None, *x.shape[1:]])
        seq = None if lengths is None else tf.constant(lengths)
        out, st = tf.nn.dynamic_rnn(cell_fn(), xp, sequence_length=seq, dtype=tf.float32)
        variables = tf.trainable_variables()
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(st * 2.0)
        grads = tf.gradients(loss, [xp] + variables)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for v, a in zip(variables, values, strict=True):
                v.load(a, s)
            got = s.run([out, st] + grads, {xp: x})
        return got, len(g.nodes)


@pytest.mark.parametrize("mode,g", MODES)
@pytest.mark.parametrize("lengths", [None, [6, 2, 5]])
def test_graph_dynamic_rnn_bitwise_equal_to_eager(mode, g, lengths):
    x, h0, *params = _data(g)
    if mode == "gru":
        cell_fn = lambda: tf.nn.rnn_cell.GRUCell(H, layout="torch")  # noqa: E731
    else:
        cell_fn = lambda: tf.nn.rnn_cell.BasicRNNCell(H, activation=mode, layout="torch")  # noqa: E731
    got, _ = _graph_run(cell_fn, x.transpose(1, 0, 2).copy(), lengths, params)
    lens = None if lengths is None else np.asarray(lengths)
    ts = [torch.tensor(a, requires_grad=True) for a in [x] + params]
    zero = torch.tensor(np.zeros_like(h0))
    out, hn = _layer(mode, ts[0], zero, tuple(ts[1:]), "torch", False, lens)
    ((out * out).sum() + (hn * 2.0).sum()).backward()
    want = [out.detach().numpy().transpose(1, 0, 2), hn.detach().numpy()]
    want += [ts[0].grad.numpy().transpose(1, 0, 2)] + [t.grad.numpy() for t in ts[1:]]
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def test_graph_size_does_not_grow_with_t():
    vals = _data(1, layout="tf")[2:]
    cell_fn = lambda: tf.nn.rnn_cell.BasicRNNCell(H)  # noqa: E731
    n6 = _graph_run(cell_fn, np.zeros((2, 6, I), np.float32), None, vals)[1]
    n24 = _graph_run(cell_fn, np.zeros((2, 24, I), np.float32), None, vals)[1]
    assert n6 == n24


def test_tf_gru_and_basic_rnn_match_real_tf():
    real_tf = pytest.importorskip("tensorflow")
    v1 = real_tf.compat.v1
    x = RNG.standard_normal((B, T, I)).astype(np.float32)
    lens = [6, 2, 4]
    for make_real, make_mine in [
        (lambda: v1.nn.rnn_cell.BasicRNNCell(H), lambda: tf.nn.rnn_cell.BasicRNNCell(H)),
        (lambda: v1.nn.rnn_cell.GRUCell(H), lambda: tf.nn.rnn_cell.GRUCell(H)),
    ]:
        g = v1.Graph()
        with g.as_default():
            xp = v1.placeholder(real_tf.float32, [None, T, I])
            out, st = v1.nn.dynamic_rnn(
                make_real(), xp, sequence_length=lens, dtype=real_tf.float32
            )
            variables = v1.trainable_variables()
            grads = v1.gradients(real_tf.reduce_sum(out * out) + real_tf.reduce_sum(st), variables)
            with v1.Session() as s:
                s.run(v1.global_variables_initializer())
                values = s.run(variables)
                want = s.run([out, st] + grads, {xp: x})
        with tf.Graph().as_default():
            xq = tf.placeholder(tf.float32, [None, T, I])
            cell = make_mine()
            out, st = tf.nn.dynamic_rnn(
                cell, xq, sequence_length=tf.constant(lens), dtype=tf.float32
            )
            variables = tf.trainable_variables()
            grads = tf.gradients(tf.reduce_sum(out * out) + tf.reduce_sum(st), variables)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                for v, a in zip(variables, values, strict=True):
                    v.load(a, s)
                got = s.run([out, st] + grads, {xq: x})
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_errors_name_the_op_and_operand():
    x, h0, w_ih, w_hh, b_ih, b_hh = _data(3)
    lens = np.full(B, T, np.int64)
    with pytest.raises(ShapeError, match="gru_seq: wh has shape"):
        gru_seq(x, h0, w_ih.T, w_ih.T, b_ih, b_hh, lens)
    with pytest.raises(TypeError, match="gru_seq: lengths must be integers"):
        gru_seq(x, h0, w_ih.T, w_hh.T, b_ih, b_hh, lens.astype(np.float32))
    with pytest.raises(ValueError, match="rnn_seq: nonlinearity"):
        rnn_seq(x, h0, w_ih.T, w_hh.T, b_ih, b_hh, lens, "gelu")
