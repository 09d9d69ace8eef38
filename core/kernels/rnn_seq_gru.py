"""Whole-sequence GRU and plain RNN (tanh / relu): forward over all steps and backward through time.

As for the LSTM (`kernels.rnn_seq`): the input projection of every step is one matmul, the
recurrence one hidden matmul plus one fused cell kernel (`kernels.rnn_seq_cells`) per step, and
backward runs one fused cell-gradient kernel per step, the input gradient as one matmul over
all steps and the weight and bias gradients with the composition's arithmetic
(`rnn_seq_wgrad`). Rows past their sequence's length keep their state and output zeros. The
hidden state's cotangent is summed in the order the op-by-op reverse sweep sums it
(the step's output, then the next step's direct use, then the next step's hidden matmul), so
the input and initial-state gradients have the composition's bits.

The packed result (T, B, P*H) holds per step the output h (zero past a row's length), the
carried h and what backward needs: the GRU (P = 6) its r and z pre-activations and the two n
halves (x W_in + b_in, h W_hn + b_hn); the RNN (P = 3) its pre-activation.
"""

from __future__ import annotations

import numpy as np

from ..primitives.linalg import matmul
from . import rnn_seq_cells as KC
from . import rnn_seq_cells_loop as CL
from . import rnn_seq_wgrad as WG
from .matmul import _JIT_OFF
from .rnn_seq_matmul import joint_chain, read_only, threads_for

GATES = {"gru": 3, "tanh": 1, "relu": 1}
PACK = {"gru": 6, "tanh": 3, "relu": 3}


def forward(cell: str, x, h0, wx, wh, bx, bh, lengths, joint: bool = False) -> np.ndarray:
    """Packed (T, B, P*H) result of the layer over time-major x (T, B, in); with joint (the
    plain RNN in TF's layout) each pre-activation is bx + ([x, h] [wx; wh] + bh), the product
    one chain over the in + H terms as TF's cell computes it."""
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    g = GATES[cell]
    y = np.empty((t_len, b, PACK[cell] * h), x.dtype)
    if t_len == 0 or b == 0:
        return y
    joint = bool(joint)
    if joint and cell == "gru":
        raise ValueError("rnn_seq_gru.forward: the joint product is for the plain RNN only")
    xp = matmul(np.ascontiguousarray(x).reshape(t_len * b, n_in), wx)
    xp = (xp if joint else xp + bx).reshape(t_len, b, g * h)
    if _JIT_OFF or h == 0:
        return _forward_steps(cell, y, xp, h0, wh, bh, lengths, bx if joint else None)
    init = _init(h0, PACK[cell])
    hp = np.empty((b, g * h), x.dtype)
    CL.kernels(cell, x.dtype)[0](xp, read_only(bh), read_only(wh), init, read_only(init),
                                 _lengths(lengths), y, read_only(y), hp, h,
                                 threads_for(b, g * h, h), *_offsets(), joint,
                                 read_only(bx))  # fmt: skip
    return y


def _init(h0: np.ndarray, pack: int) -> np.ndarray:
    """h0 laid out as a packed row (where a step's carried h sits), for the compiled loops."""
    b, h = h0.shape
    init = np.zeros((b, pack * h), h0.dtype)
    init[:, h : 2 * h] = h0
    return init


def _lengths(lengths) -> np.ndarray:
    return read_only(np.asarray(lengths, np.int64))


def _offsets() -> tuple[np.ndarray, np.ndarray]:
    """Scratch batch offsets for the per-step products."""
    return np.zeros(1, np.int64), np.zeros(1, np.int64)


def _forward_steps(cell: str, y, xp, h0, wh, bh, lengths, joint_bx=None) -> np.ndarray:
    """The forward step by step from the input projections xp, into y (what the compiled loop
    reproduces bit for bit; run when the JIT is off). With joint_bx (the joint product) xp
    holds the chains over the input terms, without bias, and joint_bx is the input term."""
    t_len = xp.shape[0]
    h = h0.shape[-1]
    hs = np.ascontiguousarray(h0)
    full = bool(np.all(lengths >= t_len))
    zero = np.zeros((), xp.dtype)
    for t in range(t_len):
        if joint_bx is None:
            hp, xt = matmul(hs, wh) + bh, xp[t]
        else:
            bxt = np.ascontiguousarray(np.broadcast_to(joint_bx, xp[t].shape))
            hp, xt = joint_chain(xp[t], hs, wh) + bh, bxt
        yt = y[t]
        if cell == "gru":
            KC.run("gru_fwd", h, xt, hp, hs, yt)
        else:
            KC.run(f"{cell}_fwd", h, xt, hp, yt)
        h_new = yt[:, h : 2 * h]
        if full:
            yt[:, :h] = h_new
        else:
            live = (lengths > t)[:, None]
            yt[:, :h] = np.where(live, h_new, zero)
            yt[:, h : 2 * h] = np.where(live, h_new, hs)
        hs = np.ascontiguousarray(yt[:, h : 2 * h])
    return y


def grad_size(cell: str, t_len: int, b: int, n_in: int, h: int) -> int:
    """Length of the flat gradient of `backward`."""
    g = GATES[cell]
    return g * h * (n_in + h + 2) + b * (h + t_len * n_in)


def backward(cell: str, gy, y, x, h0, wx, wh, lengths) -> np.ndarray:
    """Flat gradients [dwx, dwh, dbx, dbh, then per batch row (dh0, dx of every step)] of the
    packed forward for its cotangent gy (weights first: their sizes never depend on the batch)."""
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    g = GATES[cell]
    dt = x.dtype
    dgx = np.zeros((t_len, b, g * h), dt)
    dgh = np.zeros((t_len, b, g * h), dt) if cell == "gru" else dgx
    direct = np.zeros((b, h), dt)  # the next step's direct use of h (the GRU's z * h)
    mat = np.zeros((b, h), dt)  # the next step's hidden matmul
    # callers slice the outputs and the last carried state: the other cotangents are zeros,
    # and adding them per step would only cost time (skipped when a whole column block is zero)
    car_live = gy[:, :, h : 2 * h].any(axis=(1, 2)) if t_len else np.zeros(0, bool)
    saved_live = bool(gy[:, :, 2 * h :].any())
    if _JIT_OFF or h == 0 or b == 0 or t_len == 0:
        _backward_steps(cell, dgx, dgh, direct, mat, gy, y, h0, wh, lengths, car_live,
                        saved_live)  # fmt: skip
    else:
        CL.kernels(cell, dt)[1](
            read_only(y, False), read_only(gy, False), read_only(_init(h0, PACK[cell]), False),
            _lengths(lengths), read_only(car_live), saved_live, read_only(wh.T), dgx, dgh,
            read_only(dgh), direct, mat, np.zeros((b, h), dt), np.empty((b, h), dt), h,
            threads_for(b, h, g * h), *_offsets(),
        )  # fmt: skip
    dh0 = direct + mat
    dgx2 = dgx.reshape(t_len * b, g * h)
    h_prev = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0)
    dx = matmul(dgx2, wx, transpose_b=True)
    # the weight and bias gradients summed over steps as the composition's reverse sweep sums
    # its per-step products and sums (rnn_seq_wgrad)
    if dgh is dgx:  # the plain RNN: both weights meet one cotangent, one pass over [x, h]
        dw = WG.weight_grad(np.concatenate([x, h_prev], 2), dgx)
        dwx, dwh = dw[:n_in], dw[n_in:]
        dbx = WG.bias_grad(dgx)
        dbh = dbx
    else:
        dwx = WG.weight_grad(x, dgx)
        dwh = WG.weight_grad(h_prev, dgh)
        dbx, dbh = WG.bias_grad(dgx), WG.bias_grad(dgh)
    rows = np.concatenate([dh0, dx.reshape(t_len, b, n_in).transpose(1, 0, 2).reshape(b, -1)], 1)
    return np.concatenate([dwx.ravel(), dwh.ravel(), dbx, dbh, rows.ravel()])


def _backward_steps(
    cell, dgx, dgh, direct_out, mat_out, gy, y, h0, wh, lengths, car_live, saved_live
) -> None:
    """Backward through time step by step: cotangents of the x and h pre-activations into
    dgx, dgh; h0's cotangent is left as direct_out + mat_out (both start at zero)."""
    t_len, b = dgx.shape[:2]
    h = h0.shape[-1]
    dt = dgx.dtype
    direct, mat = direct_out.copy(), mat_out.copy()
    dd = np.zeros((b, h), dt)
    full = bool(np.all(lengths >= t_len))
    zero = np.zeros((), dt)
    for t in range(t_len - 1, -1, -1):
        gout, gcar = gy[t, :, :h], gy[t, :, h : 2 * h]
        dh_tot = (gout + direct) + mat
        if car_live[t]:
            dh_tot = dh_tot + gcar
        # a stopped row's state passes through unchanged (before the kernel reuses `direct`)
        passing = None if full else (direct + mat) + gcar
        yt = y[t]
        if cell == "gru":
            hprev = np.ascontiguousarray(y[t - 1, :, h : 2 * h]) if t else h0
            KC.run("gru_bwd", h, yt, dh_tot, hprev, dgx[t], dgh[t], dd)
        else:
            KC.run(f"{cell}_bwd", h, yt, dh_tot, dgx[t])
        if not full:
            live = (lengths > t)[:, None]
            dgx[t] = np.where(live, dgx[t], zero)
            if cell == "gru":
                dgh[t] = np.where(live, dgh[t], zero)
                dd = np.where(live, dd, passing)
            else:
                dd = np.where(live, zero, passing)
        # the saved columns are outputs too
        if saved_live and cell == "gru":
            dgx[t, :, : 2 * h] += gy[t, :, 2 * h : 4 * h]
            dgx[t, :, 2 * h :] += gy[t, :, 4 * h : 5 * h]
            dgh[t, :, : 2 * h] += gy[t, :, 2 * h : 4 * h]
            dgh[t, :, 2 * h :] += gy[t, :, 5 * h : 6 * h]
        elif saved_live:
            dgx[t] += gy[t, :, 2 * h : 3 * h]
        mat = matmul(dgh[t], wh, transpose_b=True)
        if cell == "gru" or not full:
            direct, dd = dd, direct  # the next step's kernel writes into the spent buffer
    direct_out[...] = direct
    mat_out[...] = mat
