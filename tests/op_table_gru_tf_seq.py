"""Op-table rows of the TF-layout GRU sequence primitive (gru_tf_seq) and its VJP."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample

# (T, B, in, H, lengths or None)
CASES = [(3, 2, 2, 2, None), (4, 3, 3, 2, [4, 2, 1]), (1, 1, 2, 3, None)]


def _operands(rng, dt, t, b, n_in, h, lengths):
    def r(*shape, scale=1.0):
        return rng.uniform(-scale, scale, size=shape).astype(dt)

    lens = np.full(b, t, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    return (r(t, b, n_in), r(b, h), r(n_in + h, 2 * h, scale=0.7), r(2 * h, scale=0.5),
            r(n_in + h, h, scale=0.7), r(h, scale=0.5), lens)  # fmt: skip


def _seq(rng, dt):
    return [Sample(_operands(rng, dt, *c), {}) for c in CASES]


def _seq_grad(rng, dt):
    from duograd.core.primitives.rnn_seq_gru_tf import gru_tf_seq

    out = []
    for c in CASES:
        x, h0, kg, bg, kc, bc, lens = _operands(rng, dt, *c)
        y = gru_tf_seq(x, h0, kg, bg, kc, bc, lens)
        gy = rng.standard_normal(y.shape).astype(dt)
        out.append(Sample((gy, y, x, h0, kg, kc, lens), {}))
    return out


ROWS_EXTRA: list[OpRow] = [
    OpRow("gru_tf_seq", _seq, rtol32=2e-5),
    OpRow("gru_tf_seq_grad", _seq_grad, grad=False, rtol32=2e-4),
]
