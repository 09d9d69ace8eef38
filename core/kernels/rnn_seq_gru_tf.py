"""Whole-sequence GRU in TF's layout: forward over all steps and backward through time.

TF's GRUCell: r, u = sigmoid(concat([x, h]) K_g + b_g), c = tanh(concat([x, r * h]) K_c + b_c),
h' = u * h + (1 - u) * c. Each product with a concatenation is one fma chain over its k axis,
the x rows of the kernel first, then the h (or r * h) rows. Here the x part of every step is one
matmul over all steps (each element's chain over the x rows, exactly as far as the concatenated
product gets through them) and each step continues those very chains over the h rows
(`continue_chains`), so the pre-activations are the op-by-op composition's bits. The
elementwise steps are the templates of the standalone ops (`rnn_seq_cells`), and backward sums
each cotangent in the order the composition's reverse sweep does, so outputs, the final state
and the gradients of x and h0 are the composition's bits; the weight and bias gradients are
the per-step products and sums added in the sweep's order (`rnn_seq_wgrad`), its bits too.

The packed result (T, B, 6H) holds per step the output h (zero past a row's length), the carried
h, the gate pre-activations (r, u), the candidate pre-activation and r * h.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import rnn_seq_cells as KC
from . import rnn_seq_wgrad as WG
from .matmul import _JIT_OFF, matmul
from .matmul_ukernel import fma
from .rnn_seq_matmul import read_only, threads_for

PACK = 6

# The step's arithmetic as the composition writes it (core.functional.gru_cell, layout "tf").
_STEPS: dict[str, dict] = {
    "tfgru_gate": {  # r = sigmoid(gate r pre-activation); r * h feeds the candidate product
        "inputs": {"pk": (None, None, "ar", None, None, None), "hs": ("hv",)},
        "steps": [("r", "sigmoid", ("ar",)), ("rhv", "mul", ("r", "hv"))],
        "outputs": {"rho": ("rhv",)},
    },
    "tfgru_out": {
        "inputs": {"pk": (None, None, None, "au", "ac", None), "hs": ("hv",)},
        "steps": [
            ("u", "sigmoid", ("au",)),
            ("c", "tanh", ("ac",)),
            ("p1", "mul", ("u", "hv")),
            ("omu", "sub", ("one", "u")),
            ("p2", "mul", ("omu", "c")),
            ("y", "add", ("p1", "p2")),
        ],  # fmt: skip
        "outputs": {"hno": ("y",)},
    },
    # reverse sweep of tfgru_out for the cotangent g of h' (mul: g * other, sub: neg(g) for
    # the subtrahend; u's two cotangents are two terms, whose order cannot matter)
    "tfgru_bwd_out": {
        "inputs": {"pk": (None, None, None, "au", "ac", None), "gh": ("g",), "hs": ("hv",)},
        "steps": [
            ("u", "sigmoid", ("au",)),
            ("c", "tanh", ("ac",)),
            ("omu", "sub", ("one", "u")),
            ("gomu", "mul", ("g", "c")),
            ("gc", "mul", ("g", "omu")),
            ("gua", "mul", ("g", "hv")),
            ("gd", "mul", ("g", "u")),
            ("gub", "neg", ("gomu",)),
            ("gu", "add", ("gub", "gua")),
            ("gac", "tanh_grad", ("c", "gc")),
            ("gau", "sigmoid_grad", ("u", "gu")),
        ],  # fmt: skip
        "outputs": {"dc": ("gac",), "dg": (None, "gau"), "dd": ("gd",)},
    },
    "tfgru_bwd_gate": {  # then r * h, for the cotangent q of r * h
        "inputs": {"pk": (None, None, "ar", None, None, None), "dq": ("q",), "hs": ("hv",)},
        "steps": [
            ("r", "sigmoid", ("ar",)),
            ("gr", "mul", ("q", "hv")),
            ("ghr", "mul", ("q", "r")),
            ("gar", "sigmoid_grad", ("r", "gr")),
        ],  # fmt: skip
        "outputs": {"dgo": ("gar", None), "dr": ("ghr",)},
    },
}
KC.KERNELS.update(_STEPS)


@njit(cache=True)
def _continue(a, b, c):
    for i in range(a.shape[0]):
        ci = c[i]
        for k in range(a.shape[1]):
            x = a[i, k]
            bk = b[k]
            for j in range(c.shape[1]):
                ci[j] = fma(x, bk[j], ci[j])


def continue_chains(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """c[i, j] <- the chain acc = fma(a[i, k], b[k, j], acc) over k in order, from acc = c[i, j]:
    the rest of a product whose first rows of b were the start of the same chains."""
    if a.shape[1] and c.size:
        _continue(np.ascontiguousarray(a), np.ascontiguousarray(b), c)
    return c


def _lengths(lengths) -> np.ndarray:
    return read_only(np.asarray(lengths, np.int64))


def _split(kernel: np.ndarray, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    return np.ascontiguousarray(kernel[:n_in]), np.ascontiguousarray(kernel[n_in:])


def forward(x, h0, kg, bg, kc, bc, lengths) -> np.ndarray:
    """Packed (T, B, 6H) result of the layer over time-major x (T, B, in)."""
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    dt = x.dtype
    y = np.empty((t_len, b, PACK * h), dt)
    if t_len == 0 or b == 0:
        return y
    kgx, kgh = _split(kg, n_in)
    kcx, kch = _split(kc, n_in)
    x2 = np.ascontiguousarray(x).reshape(t_len * b, n_in)
    xg = matmul(x2, kgx).reshape(t_len, b, 2 * h)  # each chain through the x rows
    xc = matmul(x2, kcx).reshape(t_len, b, h)
    if not _JIT_OFF and h:
        from . import rnn_seq_gru_tf_loop as GL

        GL.kernels(dt)[0](xg, xc, read_only(kgh, False), read_only(kch, False), read_only(bg),
                          read_only(bc), read_only(h0, False), _lengths(lengths), y, h)  # fmt: skip
        return y
    hs = np.ascontiguousarray(h0)
    full = bool(np.all(lengths >= t_len))
    zero = np.zeros((), dt)
    hn = np.empty((b, h), dt)
    for t in range(t_len):
        yt = y[t]
        yt[:, 2 * h : 4 * h] = continue_chains(hs, kgh, xg[t].copy()) + bg
        rh = yt[:, 5 * h :]
        KC.run("tfgru_gate", h, yt, hs, rh)
        yt[:, 4 * h : 5 * h] = continue_chains(rh, kch, xc[t].copy()) + bc
        KC.run("tfgru_out", h, yt, hs, hn)
        if full:
            yt[:, :h] = hn
            yt[:, h : 2 * h] = hn
        else:
            live = (lengths > t)[:, None]
            yt[:, :h] = np.where(live, hn, zero)
            yt[:, h : 2 * h] = np.where(live, hn, hs)
        hs = np.ascontiguousarray(yt[:, h : 2 * h])
    return y


def grad_size(t_len: int, b: int, n_in: int, h: int) -> int:
    """Length of the flat gradient of `backward`."""
    return (n_in + h) * 3 * h + 3 * h + b * (h + t_len * n_in)


def backward(gy, y, x, h0, kg, kc, lengths) -> np.ndarray:
    """Flat gradients [dkg, dbg, dkc, dbc, then per batch row (dh0, dx of every step)] of the
    packed forward for its cotangent gy."""
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    dt = x.dtype
    dag = np.zeros((t_len, b, 2 * h), dt)  # cotangents of the gate pre-activations
    dac = np.zeros((t_len, b, h), dt)  # of the candidate pre-activation
    # the next step's uses of h, in the order the reverse sweep meets them: u * h, r * h, then
    # the gate product (the last made, the first reached)
    use_u, use_r, mat = (np.zeros((b, h), dt) for _ in range(3))
    kgh = np.ascontiguousarray(kg[n_in:])
    kch = np.ascontiguousarray(kc[n_in:])
    full = bool(np.all(lengths >= t_len))
    zero = np.zeros((), dt)
    car_live = gy[:, :, h : 2 * h].any(axis=(1, 2)) if t_len else []
    saved_live = bool(gy[:, :, 2 * h :].any())
    steps = range(t_len - 1, -1, -1)
    if not _JIT_OFF and h and b and t_len:
        from . import rnn_seq_gru_tf_loop as GL

        init = np.zeros((b, PACK * h), dt)
        init[:, h : 2 * h] = h0
        GL.kernels(dt)[1](
            read_only(y, False), read_only(gy, False), read_only(init, False), _lengths(lengths),
            read_only(car_live), saved_live, read_only(kgh.T), read_only(kch.T), dag,
            read_only(dag), dac, read_only(dac), use_u, use_r, mat, h, threads_for(b, h, 2 * h),
            np.zeros(1, np.int64), np.zeros(1, np.int64),
        )  # fmt: skip
        steps = ()  # the compiled loop ran them
    for t in steps:
        gout, gcar = gy[t, :, :h], gy[t, :, h : 2 * h]
        dh_tot = ((gout + use_u) + use_r) + mat
        if car_live[t]:
            dh_tot = dh_tot + gcar
        passing = None if full else ((use_u + use_r) + mat) + gcar
        yt = y[t]
        hprev = np.ascontiguousarray(y[t - 1, :, h : 2 * h]) if t else h0
        live = None if full else (lengths > t)[:, None]
        # a stopped row's h' is not used: only its saved columns' cotangents enter the cell
        g_in = dh_tot if full else np.where(live, dh_tot, zero)
        new_u, new_r = np.empty((b, h), dt), np.empty((b, h), dt)
        KC.run("tfgru_bwd_out", h, yt, g_in, hprev, dac[t], dag[t], new_u)
        if saved_live:  # the saved pre-activations and r * h are outputs too
            dac[t] += gy[t, :, 4 * h : 5 * h]
        drh = matmul(dac[t], kch, transpose_b=True)
        if saved_live:
            drh = drh + gy[t, :, 5 * h :]
        KC.run("tfgru_bwd_gate", h, yt, drh, hprev, dag[t], new_r)
        if saved_live:
            dag[t] += gy[t, :, 2 * h : 4 * h]
        if not full:  # and its state passes through unchanged
            new_u = np.where(live, new_u, passing)
        mat = matmul(dag[t], kgh, transpose_b=True)
        use_u, use_r = new_u, new_r
    dh0 = (use_u + use_r) + mat
    dag2 = dag.reshape(t_len * b, 2 * h)
    dac2 = dac.reshape(t_len * b, h)
    # x_t meets the candidate product last: its cotangent first (two terms: order-free)
    dx = matmul(dac2, np.ascontiguousarray(kc[:n_in]), transpose_b=True) + matmul(
        dag2, np.ascontiguousarray(kg[:n_in]), transpose_b=True
    )
    # each kernel meets concat([x, h]) (or [x, r * h]) at every step: its gradient is the
    # per-step products summed as the reverse sweep sums them (rnn_seq_wgrad)
    h_prev = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0)
    dkg = WG.weight_grad(np.concatenate([x, h_prev], 2), dag)
    dkc = WG.weight_grad(np.concatenate([x, y[:, :, 5 * h :]], 2), dac)
    dbg, dbc = WG.bias_grad(dag), WG.bias_grad(dac)
    rows = np.concatenate([dh0, dx.reshape(t_len, b, n_in).transpose(1, 0, 2).reshape(b, -1)], 1)
    return np.concatenate([dkg.ravel(), dbg, dkc.ravel(), dbc, rows.ravel()])
