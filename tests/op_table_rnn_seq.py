"""Op-table rows of the sequence-level LSTM (lstm_seq) and its fused backward (lstm_seq_grad)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample

# (T, B, in, H, lengths or None, layout, forget_bias)
CASES = [
    (3, 2, 2, 2, None, "torch", 0.0),
    (4, 3, 3, 2, [4, 2, 1], "tf", 1.0),
    (1, 1, 2, 3, None, "tf", 0.0),
]


def _operands(rng, dt, t, b, n_in, h, lengths):
    def r(*shape, scale=1.0):
        return (rng.uniform(-scale, scale, size=shape)).astype(dt)

    lens = np.full(b, t, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    return (r(t, b, n_in), r(b, h), r(b, h), r(n_in, 4 * h, scale=0.7), r(h, 4 * h, scale=0.7),
            r(4 * h, scale=0.5), r(4 * h, scale=0.5), lens)  # fmt: skip


def _seq(rng, dt):
    out = []
    for t, b, n_in, h, lengths, layout, fb in CASES:
        args = _operands(rng, dt, t, b, n_in, h, lengths)
        out.append(Sample(args, {"forget_bias": fb, "layout": layout}))
    return out


def _seq_grad(rng, dt):
    from duograd.core.primitives.rnn_seq import lstm_seq

    out = []
    for t, b, n_in, h, lengths, layout, fb in CASES:
        x, h0, c0, wx, wh, bx, bh, lens = _operands(rng, dt, t, b, n_in, h, lengths)
        y = lstm_seq(x, h0, c0, wx, wh, bx, bh, lens, fb, layout)
        gy = rng.standard_normal(y.shape).astype(dt)
        args = (gy, y, x, h0, c0, wx, wh, lens)
        out.append(Sample(args, {"forget_bias": fb, "layout": layout}))
    return out


ROWS_EXTRA: list[OpRow] = [
    OpRow("lstm_seq", _seq, rtol32=2e-5),
    OpRow("lstm_seq_grad", _seq_grad, grad=False, rtol32=2e-4),
]


# GRU and plain RNN: (T, B, in, H, lengths or None, nonlinearity or None for the GRU)
CELL_CASES = [
    (3, 2, 2, 2, None, None),
    (4, 3, 3, 2, [4, 2, 1], None),
    (3, 2, 2, 3, [3, 1], "tanh"),
    (2, 2, 3, 2, None, "relu"),
]


def _cell_operands(rng, dt, t, b, n_in, h, lengths, g):
    def r(*shape, scale=1.0):
        return (rng.uniform(-scale, scale, size=shape)).astype(dt)

    lens = np.full(b, t, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    return (r(t, b, n_in), r(b, h), r(n_in, g * h, scale=0.7), r(h, g * h, scale=0.7),
            r(g * h, scale=0.5), r(g * h, scale=0.5), lens)  # fmt: skip


def _cells(gru: bool):
    def samples(rng, dt):
        out = []
        for t, b, n_in, h, lengths, act in CELL_CASES:
            if (act is None) != gru:
                continue
            args = _cell_operands(rng, dt, t, b, n_in, h, lengths, 3 if gru else 1)
            out.append(Sample(args, {} if gru else {"nonlinearity": act}))
            if not gru:  # TF's layout: one chain over [x, h], then bh, then bx
                args = _cell_operands(rng, dt, t, b, n_in, h, lengths, 1)
                out.append(Sample(args, {"nonlinearity": act, "layout": "tf"}))
        return out

    return samples


def _cells_grad(gru: bool):
    def samples(rng, dt):
        from duograd.core.primitives.rnn_seq_cells import gru_seq, rnn_seq

        out = []
        for t, b, n_in, h, lengths, act in CELL_CASES:
            if (act is None) != gru:
                continue
            x, h0, wx, wh, bx, bh, lens = _cell_operands(
                rng, dt, t, b, n_in, h, lengths, 3 if gru else 1
            )
            if gru:
                y = gru_seq(x, h0, wx, wh, bx, bh, lens)
            else:
                y = rnn_seq(x, h0, wx, wh, bx, bh, lens, act)
            gy = rng.standard_normal(y.shape).astype(dt)
            out.append(Sample((gy, y, x, h0, wx, wh, lens), {} if gru else {"nonlinearity": act}))
        return out

    return samples


ROWS_EXTRA += [
    OpRow("gru_seq", _cells(True), rtol32=2e-5),
    OpRow("gru_seq_grad", _cells_grad(True), grad=False, rtol32=2e-4),
    OpRow("rnn_seq", _cells(False), rtol32=2e-5),
    OpRow("rnn_seq_grad", _cells_grad(False), grad=False, rtol32=2e-4),
]
