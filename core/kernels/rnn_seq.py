"""Whole-sequence LSTM: forward over all steps and backward through time, in one call each.

The input projection of every step is one matmul; the recurrence then runs one hidden matmul
and the fused cell kernels (`kernels.rnn`) per step. Backward runs the fused cell-gradient
kernels per step and computes the weight gradients and the input gradient as one matmul each
over all steps. Rows past their sequence's length keep their state and output zeros.

The packed result (T, B, 7H) holds per step: the output h (zero past a row's length), the
carried state h, the carried state c and the gate pre-activations (4H, saved for backward).
"""

from __future__ import annotations

import numpy as np

from ..primitives.linalg import matmul
from . import rnn as K

PACK = 7  # columns of H in the packed result: out, h, c, gates (4)


def forward(x, h0, c0, wx, wh, bx, bh, lengths, forget_bias: float, layout: str) -> np.ndarray:
    """Packed (T, B, 7H) result of the LSTM over time-major x (T, B, in)."""
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    dt = x.dtype
    y = np.empty((t_len, b, PACK * h), dt)
    if t_len == 0 or b == 0:
        return y
    xp = matmul(np.ascontiguousarray(x).reshape(t_len * b, n_in), wx)
    xp = (xp + bx).reshape(t_len, b, 4 * h)
    hs, cs = np.ascontiguousarray(h0), np.ascontiguousarray(c0)
    full = bool(np.all(lengths >= t_len))
    for t in range(t_len):
        gates = xp[t] + (matmul(hs, wh) + bh)
        c_new = K.run("state", gates, (cs,), forget_bias, layout)
        h_new = K.run("output", gates, (c_new,), 0.0, layout)
        out = h_new
        if not full:
            live = (lengths > t)[:, None]
            h_new = np.where(live, h_new, hs)
            c_new = np.where(live, c_new, cs)
            out = np.where(live, out, np.zeros((), dt))
        y[t, :, :h] = out
        y[t, :, h : 2 * h] = h_new
        y[t, :, 2 * h : 3 * h] = c_new
        y[t, :, 3 * h :] = gates
        hs, cs = h_new, c_new
    return y


def backward(gy, y, x, h0, c0, wx, wh, lengths, forget_bias: float, layout: str) -> np.ndarray:
    """Flat gradients [dwx, dwh, db, then per batch row (dh0, dc0, dx of every step)] of the
    packed forward for its cotangent gy (weights first: their sizes never depend on the batch)."""
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    dt = x.dtype
    dgates = np.zeros((t_len, b, 4 * h), dt)
    dh = np.zeros((b, h), dt)
    dc = np.zeros((b, h), dt)
    full = bool(np.all(lengths >= t_len))
    for t in range(t_len - 1, -1, -1):
        gates = np.ascontiguousarray(y[t, :, 3 * h :])
        c_t = np.ascontiguousarray(y[t, :, 2 * h : 3 * h])
        c_prev = np.ascontiguousarray(y[t - 1, :, 2 * h : 3 * h]) if t else c0
        dh = dh + gy[t, :, h : 2 * h]
        dc = dc + gy[t, :, 2 * h : 3 * h]
        dh_tot = dh + gy[t, :, :h]
        dc_tot = dc + K.run("output_grad_c", gates, (c_t, dh_tot), 0.0, layout)
        dg = K.run("output_grad_gates", gates, (c_t, dh_tot), 0.0, layout) + K.run(
            "state_grad_gates", gates, (c_prev, dc_tot), forget_bias, layout
        )
        dc_prev = K.run("state_grad_c", gates, (dc_tot,), forget_bias, layout)
        if not full:
            live = (lengths > t)[:, None]
            dg = np.where(live, dg, np.zeros((), dt))
            dc_prev = np.where(live, dc_prev, dc)
        dg = dg + gy[t, :, 3 * h :]  # the saved gate columns are outputs too
        dh_prev = matmul(dg, wh, transpose_b=True)
        if not full:
            dh_prev = np.where(live, dh_prev, dh_prev + dh)
        dgates[t] = dg
        dh, dc = dh_prev, dc_prev
    dg2 = dgates.reshape(t_len * b, 4 * h)
    x2 = np.ascontiguousarray(x).reshape(t_len * b, n_in)
    h_prev = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0).reshape(t_len * b, h)
    dx = matmul(dg2, wx, transpose_b=True)
    dwx = matmul(x2, dg2, transpose_a=True)
    dwh = matmul(np.ascontiguousarray(h_prev), dg2, transpose_a=True)
    db = dg2.sum(0, dtype=dt) if t_len * b else np.zeros(4 * h, dt)
    rows = np.concatenate(
        [dh, dc, dx.reshape(t_len, b, n_in).transpose(1, 0, 2).reshape(b, t_len * n_in)], 1
    )
    return np.concatenate([dwx.ravel(), dwh.ravel(), db.ravel(), rows.ravel()])
