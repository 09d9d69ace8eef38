"""TF's layout: one product over [x, h], run as the input part up front and the rest per step.

TF's cells multiply concat([x_t, h]) by one kernel: each gate is one fma chain over the in + H
terms, from 0. The sequence layers compute the input terms of every step in one matmul and go on
with each chain over the hidden terms per step (`rnn_seq_matmul.packed_matmul_from`), so the
gates are that one product's bits. Checked here at shapes that cut the chain at a k block
(`matmul_gemm.KC`) on either side of the seam, with edge tiles, serially and over threads,
and through the LSTM and RNN forward passes.
"""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import rnn_seq as KS
from duograd.core.kernels import rnn_seq_gru as KG
from duograd.core.kernels import rnn_seq_matmul as SM
from duograd.core.kernels.matmul_gemm import KC
from duograd.core.primitives.linalg import matmul

RNG = np.random.default_rng(11)
DTYPES = [np.float32, np.float64]
# (M, K0, K1, N): small; edge tiles; the seam before and after a k block's end; both long
SHAPES = [(3, 4, 5, 20), (13, 7, 33, 65), (9, KC - 3, 40, 48), (20, 30, KC + 5, 17),
          (17, KC + 9, KC - 1, 100), (1, 1, 1, 1)]  # fmt: skip


def _r(*shape, dt):
    return RNG.standard_normal(shape).astype(dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_continued_chain_is_the_one_product(dt, shape):
    m, k0, k1, n = shape
    a0, a1, b0, b1 = _r(m, k0, dt=dt), _r(m, k1, dt=dt), _r(k0, n, dt=dt), _r(k1, n, dt=dt)
    want = matmul(np.concatenate([a0, a1], 1), np.concatenate([b0, b1], 0))
    got = SM.joint_chain(matmul(a0, b0), a1, b1)
    assert got.dtype == dt and got.tobytes() == want.tobytes()
    # the separate sum the layers used to form gives other bits on these data
    if k0 > 3 and k1 > 3:
        assert not np.array_equal(matmul(a0, b0) + matmul(a1, b1), want)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("nthreads", [1, 2, 3])
def test_threads_do_not_change_the_bits(dt, nthreads):
    m, k0, k1, n = 11, 20, KC + 7, 150
    a0, a1, b0, b1 = _r(m, k0, dt=dt), _r(m, k1, dt=dt), _r(k0, n, dt=dt), _r(k1, n, dt=dt)
    want = matmul(np.concatenate([a0, a1], 1), np.concatenate([b0, b1], 0))
    bp = SM.pack_weight(SM.read_only(b1), np.int64(n), np.int64(n), np.int64(k1))
    ap, tmp = SM.packed_scratch(bp, np.int64(m), np.int64(k1))
    c = np.array(matmul(a0, b0), order="C")
    SM.packed_matmul_from(SM.read_only(a1), np.int64(0), np.int64(k1), bp, c.reshape(-1),
                          np.int64(m), np.int64(n), np.int64(k1), ap, tmp, nthreads)  # fmt: skip
    assert c.tobytes() == want.tobytes()


def _gates_want(x, hprev, wx, wh, bx, bh):
    """bx + ([x_t, h_{t-1}] [wx; wh] + bh) per step, the product as one matmul."""
    t, b, n_in = x.shape
    xh = np.concatenate([x, hprev], 2).reshape(t * b, -1)
    prod = matmul(xh, np.concatenate([wx, wh], 0)).reshape(t, b, -1)
    return bx + (prod + bh)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("dims", [(5, 6, 3, 5), (3, 13, KC + 2, 24), (4, 9, 40, 70)], ids=str)
def test_lstm_and_rnn_forwards_are_the_one_product(dt, dims):
    """The saved gate pre-activations of every step (what every output and gradient is
    computed from) are the one product's, plus the bias, in layout "tf"."""
    t, b, n_in, h = dims
    x, h0, c0 = _r(t, b, n_in, dt=dt), _r(b, h, dt=dt), _r(b, h, dt=dt)
    wx, wh = _r(n_in, 4 * h, dt=dt) * 0.2, _r(h, 4 * h, dt=dt) * 0.2
    bx, bh = np.full(4 * h, -0.0, dt), _r(4 * h, dt=dt)
    lengths = np.array([t] * (b - 1) + [1], np.int64)
    y = KS.forward(x, h0, c0, wx, wh, bx, bh, lengths, 1.0, "tf")
    hprev = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0)
    assert y[:, :, 3 * h :].tobytes() == _gates_want(x, hprev, wx, wh, bx, bh).tobytes()
    for cell in ("tanh", "relu"):
        wx1, wh1, bh1 = wx[:, :h], wh[:, :h], bh[:h]
        y = KG.forward(cell, x, h0, wx1, wh1, bx[:h], bh1, lengths, True)
        hprev = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0)
        want = _gates_want(x, hprev, wx1, wh1, bx[:h], bh1)
        assert y[:, :, 2 * h :].tobytes() == want.tobytes(), cell
