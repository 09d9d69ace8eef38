"""The compiled time loops of the sequence layers give the bits of the step-by-step forms.

`kernels.rnn_seq` (LSTM), `kernels.rnn_seq_gru` (GRU, plain RNN) and `kernels.rnn_seq_gru_tf`
(TF-layout GRU) run each direction's time loop as one compiled function (`rnn_seq_lstm_loop`,
`rnn_seq_cells_loop`, `rnn_seq_gru_tf_loop`); the step-by-step Python forms they replace stay as
the JIT-off path. These tests compare the two bit for bit:
both dtypes, both LSTM layouts, variable lengths (a zero length included), cotangents with
zero column blocks (the loops must keep the step-by-step code's skipped additions), and the
per-step product run serially and split over threads.
"""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import rnn_seq as KS
from duograd.core.kernels import rnn_seq_gru as KG
from duograd.core.kernels import rnn_seq_gru_tf as KT
from duograd.core.kernels import rnn_seq_wgrad as WG
from duograd.core.primitives.linalg import matmul

SHAPES = [  # (T, B, in, H, lengths)
    (5, 4, 3, 7, [5, 3, 0, 5]),
    (6, 9, 5, 16, [6] * 9),
    (4, 16, 6, 64, [4] * 8 + [2] * 8),  # B * 4H * H reaches the threaded product's size
]


@pytest.fixture(params=[1, 2], ids=["serial", "threads"])
def threads(request, monkeypatch):
    """Pin the per-step product's thread count (the bits must not depend on it)."""
    n = request.param
    monkeypatch.setattr(KS, "threads_for", lambda m, nn, k: n)
    monkeypatch.setattr(KG, "threads_for", lambda m, nn, k: n)
    return n


def _data(rng, dt, t, b, n_in, h, g):
    def r(*s, scale=1.0):
        return (rng.standard_normal(s) * scale).astype(dt)

    return (r(t, b, n_in), r(b, h), r(n_in, g * h, scale=0.3), r(h, g * h, scale=0.3),
            r(g * h), r(g * h))  # fmt: skip


def _cotangents(rng, y, h, dt):
    gy = rng.standard_normal(y.shape).astype(dt)
    out_only = gy.copy()
    out_only[:, :, h:] = 0  # what a caller slicing the outputs sends
    some_carried = out_only.copy()
    some_carried[-1, :, h : 2 * h] = gy[-1, :, h : 2 * h]  # and the last state
    return {"all": gy, "outputs": out_only, "outputs+last": some_carried}


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["torch", "tf"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"T{s[0]}B{s[1]}H{s[3]}")
def test_lstm_loops_match_steps(threads, dt, layout, shape):
    t, b, n_in, h, lens = shape
    rng = np.random.default_rng(t * 100 + h)
    x, h0, wx, wh, bx, bh = _data(rng, dt, t, b, n_in, h, 4)
    c0 = rng.standard_normal((b, h)).astype(dt)
    lengths = np.array(lens, np.int64)
    fb = 1.0 if layout == "tf" else 0.0
    y = KS.forward(x, h0, c0, wx, wh, bx, bh, lengths, fb, layout)
    xp = matmul(x.reshape(t * b, n_in), wx)
    xp = (xp if layout == "tf" else xp + bx).reshape(t, b, 4 * h)  # "tf": chains go on per step
    want = KS._forward_steps(np.empty_like(y), xp, h0, c0, wh, bx, bh, lengths, fb, layout)
    assert y.tobytes() == want.tobytes()
    for name, gy in _cotangents(rng, y, h, dt).items():
        got = KS.backward(gy, y, x, h0, c0, wx, wh, lengths, fb, layout)
        dg, dh, dc = np.zeros((t, b, 4 * h), dt), np.zeros((b, h), dt), np.zeros((b, h), dt)
        KS._backward_steps(dg, dh, dc, gy, y, c0, wh, lengths, fb, layout)
        n_w = 4 * h * (n_in + h + 1)
        rows = got[n_w:].reshape(b, -1)
        assert rows[:, :h].tobytes() == dh.tobytes(), name
        assert rows[:, h : 2 * h].tobytes() == dc.tobytes(), name
        dx = matmul(dg.reshape(t * b, 4 * h), wx, transpose_b=True).reshape(t, b, n_in)
        assert rows[:, 2 * h :].tobytes() == dx.transpose(1, 0, 2).reshape(b, -1).tobytes()
        # weights and bias: per-step products and sums added in the reverse sweep's order
        h_prev = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0)
        dw = WG.weight_grad_steps(np.concatenate([x, h_prev], 2), dg)
        assert got[: n_w - 4 * h].tobytes() == dw.tobytes(), name
        assert got[n_w - 4 * h : n_w].tobytes() == WG.bias_grad(dg).tobytes(), name


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("cell", ["gru", "tanh", "relu", "tanh_joint", "relu_joint"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"T{s[0]}B{s[1]}H{s[3]}")
def test_gru_rnn_loops_match_steps(threads, dt, cell, shape, monkeypatch):
    t, b, n_in, h, lens = shape
    cell, joint = cell.removesuffix("_joint"), cell.endswith("_joint")  # joint: TF's layout
    g = KG.GATES[cell]
    rng = np.random.default_rng(t * 10 + h + g)
    x, h0, wx, wh, bx, bh = _data(rng, dt, t, b, n_in, h, g)
    lengths = np.array(lens, np.int64)
    y = KG.forward(cell, x, h0, wx, wh, bx, bh, lengths, joint)
    xp = matmul(x.reshape(t * b, n_in), wx)
    xp = (xp if joint else xp + bx).reshape(t, b, g * h)
    want = KG._forward_steps(cell, np.empty_like(y), xp, h0, wh, bh, lengths,
                             bx if joint else None)  # fmt: skip
    assert y.tobytes() == want.tobytes()
    for name, gy in _cotangents(rng, y, h, dt).items():
        got = KG.backward(cell, gy, y, x, h0, wx, wh, lengths)
        with monkeypatch.context() as m:
            m.setattr(KG, "_JIT_OFF", True)  # the step-by-step backward
            ref = KG.backward(cell, gy, y, x, h0, wx, wh, lengths)
        assert got.tobytes() == ref.tobytes(), name


def test_loops_accept_read_only_and_strided_operands():
    """Operands as the graph hands them (read-only, transposed weights) take the loops too."""
    rng = np.random.default_rng(0)
    t, b, n_in, h = 4, 3, 5, 8
    x, h0, wx, wh, bx, bh = _data(rng, np.float32, t, b, n_in, h, 4)
    c0 = np.zeros((b, h), np.float32)
    lengths = np.full(b, t, np.int32)
    wh_f = np.asfortranarray(wh)
    for a in (x, h0, c0, wx, wh_f, bx, bh, lengths):
        a.setflags(write=False)
    y = KS.forward(x, h0, c0, wx, wh_f, bx, bh, lengths, 0.0, "torch")
    assert y.tobytes() == KS.forward(x, h0, c0, wx, wh, bx, bh, lengths, 0.0, "torch").tobytes()
    y.setflags(write=False)
    gy = np.ones_like(y)
    gy.setflags(write=False)
    got = KS.backward(gy, y, x, h0, c0, wx, wh_f, lengths, 0.0, "torch")
    assert got.tobytes() == KS.backward(gy, y, x, h0, c0, wx, wh, lengths, 0.0, "torch").tobytes()
    assert np.all(np.isfinite(got)) and np.any(got != 0)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"T{s[0]}B{s[1]}H{s[3]}")
def test_gru_tf_loops_match_steps(threads, dt, shape, monkeypatch):
    t, b, n_in, h, lens = shape
    rng = np.random.default_rng(t + h)
    x, h0 = (rng.standard_normal(s).astype(dt) for s in ((t, b, n_in), (b, h)))
    kg = (rng.standard_normal((n_in + h, 2 * h)) * 0.3).astype(dt)
    kc = (rng.standard_normal((n_in + h, h)) * 0.3).astype(dt)
    bg, bc = rng.standard_normal(2 * h).astype(dt), rng.standard_normal(h).astype(dt)
    lengths = np.array(lens, np.int64)
    monkeypatch.setattr(KT, "threads_for", lambda m, nn, k: threads)
    y = KT.forward(x, h0, kg, bg, kc, bc, lengths)
    with monkeypatch.context() as m:
        m.setattr(KT, "_JIT_OFF", True)  # the step-by-step forms
        want = KT.forward(x, h0, kg, bg, kc, bc, lengths)
    assert y.tobytes() == want.tobytes()
    for name, gy in _cotangents(rng, y, h, dt).items():
        got = KT.backward(gy, y, x, h0, kg, kc, lengths)
        with monkeypatch.context() as m:
            m.setattr(KT, "_JIT_OFF", True)
            ref = KT.backward(gy, y, x, h0, kg, kc, lengths)
        assert got.tobytes() == ref.tobytes(), name
