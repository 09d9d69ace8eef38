"""Whole-sequence LSTM: forward over all steps and backward through time, in one call each.

The input projection of every step is one matmul; the recurrence then runs one hidden matmul
and the cell's elementwise math per step (in layout "tf" the hidden product goes on with the
chains the input projection started, `rnn_seq_matmul.packed_matmul_from`: TF's one product over
[x, h]), all steps in one compiled loop
(`rnn_seq_lstm_loop`). Backward runs the cell gradient and the hidden matmul per step in one
compiled loop too, and computes the input gradient as one matmul over all steps and both weight
gradients and the bias gradient with the op-by-op composition's arithmetic (`rnn_seq_wgrad`).
Rows past their sequence's length keep their state and output zeros. The step-by-step forms
below (`_forward_steps`, `_backward_steps`: the fused cell kernels of `kernels.rnn` called per
step) are what the compiled loops reproduce bit for bit; they run
when the JIT is off (the matmul micro-kernel has no plain-Python form).

The packed result (T, B, 7H) holds per step: the output h (zero past a row's length), the
carried state h, the carried state c and the gate pre-activations (4H, saved for backward).
"""

from __future__ import annotations

import numpy as np

from ..primitives.linalg import matmul
from . import rnn as K
from . import rnn_seq_lstm_loop as L
from . import rnn_seq_wgrad as WG
from .matmul import _JIT_OFF
from .rnn_seq_matmul import joint_chain, read_only, threads_for

PACK = 7  # columns of H in the packed result: out, h, c, gates (4)


def _loop_args(h0, c0, lengths, forget_bias: float, layout: str) -> tuple:
    """The compiled loops' shared operands: the initial state laid out as a packed row (h0, c0
    where a step's carried h, c sit), the lengths as int64, forget_bias, the gate offsets."""
    b, h = h0.shape
    init = np.zeros((b, PACK * h), h0.dtype)
    init[:, h : 2 * h] = h0
    init[:, 2 * h : 3 * h] = c0
    offs = [K.ORDERS[layout].index(g) * h for g in K._BLOCKS]
    lens = read_only(np.asarray(lengths, np.int64))
    return init, lens, np.full(1, forget_bias, h0.dtype), offs


def _offsets() -> tuple[np.ndarray, np.ndarray]:
    """Scratch batch offsets for the per-step products."""
    return np.zeros(1, np.int64), np.zeros(1, np.int64)


def forward(x, h0, c0, wx, wh, bx, bh, lengths, forget_bias: float, layout: str) -> np.ndarray:
    """Packed (T, B, 7H) result of the LSTM over time-major x (T, B, in)."""
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    dt = x.dtype
    y = np.empty((t_len, b, PACK * h), dt)
    if t_len == 0 or b == 0:
        return y
    joint = layout == "tf"
    xp = matmul(np.ascontiguousarray(x).reshape(t_len * b, n_in), wx)
    if not joint:
        np.add(xp, bx, out=xp)  # in place: the same sum, without a second (T*B, 4H) buffer
    xp = xp.reshape(t_len, b, 4 * h)
    if _JIT_OFF or h == 0:
        return _forward_steps(y, xp, h0, c0, wh, bx, bh, lengths, forget_bias, layout)
    init, lens, fb, offs = _loop_args(h0, c0, lengths, forget_bias, layout)
    hp = np.empty((b, 4 * h), dt)
    L.kernels(dt)[0](xp, read_only(bh), read_only(wh), init, read_only(init), lens, fb, *offs,
                     y, read_only(y), hp, threads_for(b, 4 * h, h), *_offsets(), joint,
                     read_only(bx))  # fmt: skip
    return y


def _forward_steps(
    y, xp, h0, c0, wh, bx, bh, lengths, forget_bias: float, layout: str
) -> np.ndarray:
    """The forward step by step from the input projections xp (in layout "tf" the chains over
    the input terms, without bx), into y."""
    t_len = xp.shape[0]
    h = h0.shape[-1]
    dt = xp.dtype
    hs, cs = np.ascontiguousarray(h0), np.ascontiguousarray(c0)
    full = bool(np.all(lengths >= t_len))
    for t in range(t_len):
        if layout == "tf":
            gates = bx + (joint_chain(xp[t], hs, wh) + bh)
        else:
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
    dgates = np.empty((t_len, b, 4 * h), dt)  # both backward forms write every element
    dh = np.zeros((b, h), dt)
    dc = np.zeros((b, h), dt)
    if _JIT_OFF or h == 0 or b == 0 or t_len == 0:
        _backward_steps(dgates, dh, dc, gy, y, c0, wh, lengths, forget_bias, layout)
    else:
        init, lens, fb, offs = _loop_args(h0, c0, lengths, forget_bias, layout)
        L.kernels(dt)[1](read_only(y, False), read_only(gy, False), read_only(init, False), lens,
                         fb, *offs, read_only(wh.T), dgates, read_only(dgates), dh, dc,
                         np.empty((b, h), dt), threads_for(b, h, 4 * h), *_offsets())  # fmt: skip
    dg2 = dgates.reshape(t_len * b, 4 * h)
    dx = matmul(dg2, wx, transpose_b=True)
    # dwx and dwh in one pass over the rows [x_t, h_{t-1}] of every step: the per-step
    # products summed as the composition's reverse sweep sums them (each row of the result is
    # its own chains, so the rows are dwx's then dwh's, the flat layout returned)
    xh = np.empty((t_len, b, n_in + h), dt)
    xh[:, :, :n_in] = x
    xh[0, :, n_in:] = h0
    xh[1:, :, n_in:] = y[:-1, :, h : 2 * h]
    dw = WG.weight_grad(xh, dgates)
    db = WG.bias_grad(dgates)
    rows = np.concatenate(
        [dh, dc, dx.reshape(t_len, b, n_in).transpose(1, 0, 2).reshape(b, t_len * n_in)], 1
    )
    return np.concatenate([dw.ravel(), db.ravel(), rows.ravel()])


def _backward_steps(dgates, dh_out, dc_out, gy, y, c0, wh, lengths, forget_bias, layout) -> None:
    """Backward through time step by step: gate cotangents into dgates, the initial state's
    cotangents into dh, dc (both start at zero)."""
    t_len = dgates.shape[0]
    h = dh_out.shape[-1]
    dt = dgates.dtype
    dh, dc = dh_out.copy(), dc_out.copy()
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
    dh_out[...] = dh
    dc_out[...] = dc
