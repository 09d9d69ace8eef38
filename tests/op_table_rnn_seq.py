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
