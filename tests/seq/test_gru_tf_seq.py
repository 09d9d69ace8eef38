"""The TF-layout GRU sequence primitive (gru_tf_seq): the bits of the op-by-op TF GRUCell
composition (values, final state and the gradients of the input, the initial state, both
kernels and both biases), lengths, both styles bitwise, and real TF1 as the oracle."""

from __future__ import annotations

import os

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import functional as CF
from duograd.core import recurrent as R
from duograd.core.errors import ShapeError
from duograd.core.primitives.rnn_seq_gru_tf import gru_tf_seq

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF's rnn_cell classes need it

RNG = np.random.default_rng(15)
T, B, I, H = 6, 3, 4, 5
NAMES = ["out", "h_n", "dx", "dh0", "d gate kernel", "d gate bias", "d cand kernel", "d cand bias"]


def _data(dt=np.float32, t=T, b=B):
    return [RNG.standard_normal((t, b, I)).astype(dt), RNG.standard_normal((b, H)).astype(dt),
            (RNG.standard_normal((I + H, 2 * H)) * 0.5).astype(dt),
            (RNG.standard_normal(2 * H) * 0.5).astype(dt),
            (RNG.standard_normal((I + H, H)) * 0.5).astype(dt),
            (RNG.standard_normal(H) * 0.5).astype(dt)]  # fmt: skip


def _run(arrays, fused, reverse=False, lengths=None):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    x, h0, params = ts[0], ts[1], tuple(ts[2:])
    if fused:
        out, hn = R.gru_layer(x, h0, params, "tf", reverse, lengths)
    else:

        def step(xt, h):
            h = CF.gru_cell(xt, h, params, "tf")
            return h, h

        out, hn = CF.rnn_unroll(step, x, h0, reverse=reverse)
    wt = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(arrays[0].dtype)
    ((out * torch.tensor(wt)).sum() + (hn * hn).sum()).backward()
    return [out.detach().numpy(), hn.detach().numpy()] + [t.grad.numpy() for t in ts]


def _check(got, want, dt):
    for name, a, b in zip(NAMES, got, want, strict=True):
        assert a.dtype == dt, name
        assert np.array_equal(a, b), name


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
def test_bits_of_the_cell_composition(dt, reverse):
    arrays = _data(dt)
    _check(_run(arrays, True, reverse), _run(arrays, False, reverse), dt)


def test_lengths_stop_each_row():
    """Row b with length n: its outputs, final state and gradients are those of the composition
    over its first n steps alone (zeros past its length)."""
    arrays = _data()
    lens = np.array([6, 2, 4])
    got = _run(arrays, True, lengths=lens)
    for b, n in enumerate(lens):
        row = [arrays[0][:n, b : b + 1], arrays[1][b : b + 1], *arrays[2:]]
        want = _run(row, False)
        assert np.array_equal(got[0][:n, b], want[0][:, 0])
        assert not got[0][n:, b].any()
        assert np.array_equal(got[1][b], want[1][0])
        # the loss of the short run weighs its outputs differently: compare the state path
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, hn = R.gru_layer(ts[0], ts[1], tuple(ts[2:]), "tf", False, lens)
    hn.sum().backward()
    for b, n in enumerate(lens):
        rs = [torch.tensor(a, requires_grad=True) for a in
              [arrays[0][:n, b : b + 1], arrays[1][b : b + 1], *arrays[2:]]]  # fmt: skip

        def step(xt, h, rs=rs):
            h = CF.gru_cell(xt, h, tuple(rs[2:]), "tf")
            return h, h

        _, h_b = CF.rnn_unroll(step, rs[0], rs[1])
        h_b.sum().backward()
        assert np.array_equal(ts[0].grad.numpy()[:n, b], rs[0].grad.numpy()[:, 0])
        assert not ts[0].grad.numpy()[n:, b].any()
        assert np.array_equal(ts[1].grad.numpy()[b], rs[1].grad.numpy()[0])


def _graph(make_cell, x, lengths, values, kind="dynamic"):
    with tf.Graph().as_default():
        xp = tf.placeholder(x.dtype, [None, *x.shape[1:]])
        seq = None if lengths is None else tf.constant(lengths)
        if kind == "dynamic":
            out, st = tf.nn.dynamic_rnn(make_cell(), xp, sequence_length=seq, dtype=x.dtype)
        elif kind == "static":
            outs, st = tf.nn.static_rnn(make_cell(), tf.unstack(xp, axis=1),
                                        sequence_length=seq, dtype=x.dtype)  # fmt: skip
            out = tf.stack(outs, axis=1)
        else:
            (fw, bw), (s_fw, s_bw) = tf.nn.bidirectional_dynamic_rnn(
                make_cell(), make_cell(), xp, sequence_length=seq, dtype=x.dtype
            )
            out, st = tf.concat([fw, bw], -1), tf.concat([s_fw, s_bw], -1)
        variables = tf.trainable_variables()
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(st * 2.0)
        grads = tf.gradients(loss, [xp] + variables)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for v, a in zip(variables, values, strict=True):
                v.load(a, s)
            return s.run([out, st] + grads, {xp: x})


@pytest.mark.parametrize(
    "kind,lengths",
    [("dynamic", None), ("dynamic", [6, 2, 5]), ("static", None), ("static", [6, 2, 5]),
     ("bidirectional", None)],  # bidirectional_dynamic_rnn takes no sequence_length
)  # fmt: skip
def test_default_gru_cell_in_the_graph_is_the_eager_bits(kind, lengths):
    x, h0, *params = _data()
    xb = x.transpose(1, 0, 2).copy()
    values = params * (2 if kind == "bidirectional" else 1)
    got = _graph(lambda: tf.nn.rnn_cell.GRUCell(H), xb, lengths, values, kind)
    lens = None if lengths is None else np.asarray(lengths)
    ts = [torch.tensor(a, requires_grad=True) for a in [x] + values]
    zero = torch.tensor(np.zeros_like(h0))
    out, hn = R.gru_layer(ts[0], zero, tuple(ts[1:5]), "tf", False, lens)
    if kind == "bidirectional":
        out_b, hn_b = R.gru_layer(ts[0], zero, tuple(ts[5:9]), "tf", True, lens)
        out, hn = torch.cat([out, out_b], -1), torch.cat([hn, hn_b], -1)
    ((out * out).sum() + (hn * 2.0).sum()).backward()
    want = [out.detach().numpy().transpose(1, 0, 2), hn.detach().numpy()]
    want += [ts[0].grad.numpy().transpose(1, 0, 2)] + [t.grad.numpy() for t in ts[1:]]
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def test_the_graph_runs_the_sequence_primitive():
    from duograd.core.primitives.rnn_seq_gru_tf import GRU_TF_SEQ

    seen = []
    real = GRU_TF_SEQ.impl

    def spy(*a, **kw):
        seen.append(a[0].shape)
        return real(*a, **kw)

    GRU_TF_SEQ.impl = spy
    try:
        x, _, *params = _data()
        _graph(lambda: tf.nn.rnn_cell.GRUCell(H), x.transpose(1, 0, 2).copy(), None, params)
    finally:
        GRU_TF_SEQ.impl = real
    assert seen == [(T, B, I)]


def test_matches_real_tf_gru_cell_with_gradients():
    """Both directions (the existing dynamic_rnn oracle covers sequence_length)."""
    real_tf = pytest.importorskip("tensorflow")
    v1 = real_tf.compat.v1
    x = RNG.standard_normal((B, T, I)).astype(np.float32)
    g = v1.Graph()
    with g.as_default():
        xp = v1.placeholder(real_tf.float32, [None, T, I])
        (fw, bw), (s_fw, s_bw) = v1.nn.bidirectional_dynamic_rnn(
            v1.nn.rnn_cell.GRUCell(H), v1.nn.rnn_cell.GRUCell(H), xp, dtype=real_tf.float32,
        )  # fmt: skip
        out = real_tf.concat([fw, bw], -1)
        variables = v1.trainable_variables()
        loss = real_tf.reduce_sum(out * out) + real_tf.reduce_sum(s_fw) - real_tf.reduce_sum(s_bw)
        grads = v1.gradients(loss, [xp] + variables)
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            values = s.run(variables)
            want = s.run([out, s_fw, s_bw] + grads, {xp: x})
    with tf.Graph().as_default():
        xq = tf.placeholder(tf.float32, [None, T, I])
        (fw, bw), (s_fw, s_bw) = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.GRUCell(H), tf.nn.rnn_cell.GRUCell(H), xq, dtype=tf.float32,
        )  # fmt: skip
        out = tf.concat([fw, bw], -1)
        variables = tf.trainable_variables()
        assert [v.shape for v in variables] == [tuple(a.shape) for a in values]
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(s_fw) - tf.reduce_sum(s_bw)
        grads = tf.gradients(loss, [xq] + variables)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for v, a in zip(variables, values, strict=True):
                v.load(a, s)
            got = s.run([out, s_fw, s_bw] + grads, {xq: x})
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_errors_name_the_op_and_operand():
    x, h0, kg, bg, kc, bc = _data()
    lens = np.full(B, T, np.int64)
    with pytest.raises(ShapeError, match="gru_tf_seq: the candidate kernel has shape"):
        gru_tf_seq(x, h0, kg, bg, kc[:-1], bc, lens)
    with pytest.raises(ShapeError, match="gru_tf_seq: the gate bias has shape"):
        gru_tf_seq(x, h0, kg, bg[:-1], kc, bc, lens)
    with pytest.raises(TypeError, match="gru_tf_seq: lengths must be integers"):
        gru_tf_seq(x, h0, kg, bg, kc, bc, lens.astype(np.float32))


def test_graph_export_of_the_default_gru_cell_runs_in_onnxruntime():
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import io

    from duograd.frontends.graph import onnx as graph_onnx

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [B, T, I], name="seq")
        out, st = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(H), x, sequence_length=[6, 2, 4],
                                    dtype=tf.float32)  # fmt: skip
        init = tf.global_variables_initializer()
    xs = RNG.standard_normal((B, T, I)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run([out, st], {x: xs})
        buf = io.BytesIO()
        graph_onnx.export(sess, [x], [out, st], buf)
    run = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    got = run.run(None, {"seq": xs})
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
