"""Sequence-level GRU and plain-RNN primitives: a whole layer over time and its fused backward.

``gru_seq(x, h0, wx, wh, bx, bh, lengths)`` runs PyTorch's GRU over time-major x (T, B, in):
r, z = sigmoid(x W_x{r,z} + b_x + h W_h{r,z} + b_h), n = tanh(x W_xn + b_xn + r * (h W_hn +
b_hn)), h' = (1 - z) * n + z * h, with wx (in, 3H), wh (H, 3H) holding the r, z, n blocks.
``rnn_seq(..., nonlinearity, layout)`` runs h' = act(x wx + bx + h wh + bh) (tanh or relu); in
layout "tf" (TF's cell: one product over [x, h]) the pre-activation is bx + ([x, h] [wx; wh] + bh),
each element one chain over the in + H terms. Both return
the packed result of `kernels.rnn_seq_gru` (outputs, carried h, what backward needs); callers
slice it (`core.recurrent`). ``gru_seq_grad`` / ``rnn_seq_grad`` are their VJPs as one
primitive each: a flat array of every operand's gradient.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import rnn_seq_gru as KG
from . import rules
from .registry import AVal, Primitive, bind, register
from .shaping import getitem, reshape, transpose

NONLINEARITIES = ("tanh", "relu")


def _cell_of(op: str, nonlinearity: str | None) -> str:
    if op == "gru_seq":
        return "gru"
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"{op}: nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}"
        )
    return nonlinearity


def _check(op: str, cell: str, x, h0, wx, wh, bx, bh, lengths) -> tuple:
    rules.require_float(op, x)
    rules.same_dtype(op, x, h0, wx, wh, bx, bh)
    g = KG.GATES[cell]
    shapes = [tuple(a.shape) for a in (x, h0, wx, wh, bx, bh, lengths)]
    if len(shapes[0]) != 3 or len(shapes[1]) != 2 or len(shapes[2]) != 2:
        raise ShapeError(
            f"{op}: x must be (T, B, in), h0 (B, H), wx (in, {g}H), wh (H, {g}H); got "
            + ", ".join(fmt_shape(s) for s in shapes)
        )
    t, b, n_in = shapes[0]
    h = shapes[1][1]
    gh = None if h is None else g * h
    want = [(t, b, n_in), (b, h), (n_in, gh), (h, gh), (gh,), (gh,), (b,)]
    names = ("x", "h0", "wx", "wh", "bx", "bh", "lengths")
    for name, s, w in zip(names, shapes, want, strict=True):
        ok = len(s) == len(w) and all(
            a is None or c is None or a == c for a, c in zip(s, w, strict=True)
        )
        if not ok:
            raise ShapeError(
                f"{op}: {name} has shape {fmt_shape(s)}, expected {fmt_shape(w)} for x "
                f"{fmt_shape(shapes[0])} and h0 {fmt_shape(shapes[1])}"
            )
    if np.dtype(lengths.dtype).kind not in "iu":
        raise TypeError(f"{op}: lengths must be integers, got {np.dtype(lengths.dtype)}")
    return t, b, n_in, h


def _rule(op: str):
    def rule(x, h0, wx, wh, bx, bh, lengths, nonlinearity=None, layout=None) -> AVal:
        cell = _cell_of(op, nonlinearity)
        t, b, _, h = _check(op, cell, x, h0, wx, wh, bx, bh, lengths)
        return AVal((t, b, None if h is None else KG.PACK[cell] * h), np.dtype(x.dtype))

    return rule


def _grad_rule(op: str):
    def rule(gy, y, x, h0, wx, wh, lengths, nonlinearity=None) -> AVal:
        t, b, n_in = x.shape
        h = h0.shape[-1]
        cell = _cell_of(op, nonlinearity)
        dims = (t, b, n_in, h)  # the batch may be unknown (graph placeholders)
        n = None if None in dims else KG.grad_size(cell, t, b, n_in, h)
        return AVal((n,), np.dtype(x.dtype))

    return rule


def _vjp(op: str):
    def vjp(gy, y, x, h0, wx, wh, bx, bh, lengths, wants, nonlinearity=None, layout=None):
        cell = _cell_of(op, nonlinearity)
        g = KG.GATES[cell]
        flat = _grad(op, gy, y, x, h0, wx, wh, lengths, nonlinearity)
        t, n_in, h = x.shape[0], x.shape[-1], h0.shape[-1]
        parts, start = [], 0
        for s in ((n_in, g * h), (h, g * h), (g * h,), (g * h,)):  # static sizes first
            n = int(np.prod(s))
            parts.append(reshape(getitem(flat, (slice(start, start + n),)), s))
            start += n
        dwx, dwh, dbx, dbh = parts
        rows = reshape(getitem(flat, (slice(start, None),)), (-1, h + t * n_in))
        dh0 = getitem(rows, (slice(None), slice(0, h)))
        dx = transpose(
            reshape(getitem(rows, (slice(None), slice(h, None))), (-1, t, n_in)), (1, 0, 2)
        )
        grads = (dx, dh0, dwx, dwh, dbx, dbh, None)
        return tuple(gr if w else None for gr, w in zip(grads, wants, strict=True))

    return vjp


# ---- numpy references (float64, step by step, independent of the kernels) --------------------


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _act(cell, a):
    return np.tanh(a) if cell == "tanh" else np.maximum(a, 0.0)


def _reference(op: str):
    def ref(x, h0, wx, wh, bx, bh, lengths, nonlinearity=None, layout=None):
        cell = _cell_of(op, nonlinearity)
        t_len, b, _ = x.shape
        h = h0.shape[-1]
        y = np.zeros((t_len, b, KG.PACK[cell] * h))
        hs = h0.astype(np.float64)
        for t in range(t_len):
            xp, hp = x[t] @ wx + bx, hs @ wh + bh
            if cell == "gru":
                ar, az = xp[:, :h] + hp[:, :h], xp[:, h : 2 * h] + hp[:, h : 2 * h]
                xn, hn = xp[:, 2 * h :], hp[:, 2 * h :]
                z = _sig(az)
                h_new = (1 - z) * np.tanh(xn + _sig(ar) * hn) + z * hs
                saved = [ar, az, xn, hn]
            else:
                a = xp + hp
                h_new, saved = _act(cell, a), [a]
            live = (lengths > t)[:, None]
            hs = np.where(live, h_new, hs)
            y[t] = np.concatenate([np.where(live, h_new, 0.0), hs, *saved], -1)
        return y.astype(x.dtype)

    return ref


def _reference_grad(op: str):
    def ref(gy, y, x, h0, wx, wh, lengths, nonlinearity=None):
        cell = _cell_of(op, nonlinearity)
        t_len, b, n_in = x.shape
        h = h0.shape[-1]
        g = KG.GATES[cell]
        f64 = np.float64
        gy, y, x, h0, wx, wh = (np.asarray(a, f64) for a in (gy, y, x, h0, wx, wh))
        dgx, dgh = np.zeros((t_len, b, g * h)), np.zeros((t_len, b, g * h))
        dh = np.zeros((b, h))
        for t in range(t_len - 1, -1, -1):
            live = (lengths > t)[:, None]
            hprev = y[t - 1, :, h : 2 * h] if t else h0
            dcar = dh + gy[t, :, h : 2 * h]
            gtot = dcar + gy[t, :, :h]
            if cell == "gru":
                ar, az, xn, hn = (y[t, :, k * h : (k + 1) * h] for k in range(2, 6))
                r, z = _sig(ar), _sig(az)
                n = np.tanh(xn + r * hn)
                dan = gtot * (1 - z) * (1 - n * n)
                daz = gtot * (hprev - n) * z * (1 - z)
                dar = dan * hn * r * (1 - r)
                gx = np.concatenate([dar, daz, dan], -1)
                gh = np.concatenate([dar, daz, dan * r], -1)
                direct = gtot * z
                gx = np.where(live, gx, 0.0) + np.concatenate(
                    [gy[t, :, 2 * h : 4 * h], gy[t, :, 4 * h : 5 * h]], -1
                )
                gh = np.where(live, gh, 0.0) + np.concatenate(
                    [gy[t, :, 2 * h : 4 * h], gy[t, :, 5 * h : 6 * h]], -1
                )
            else:
                a = y[t, :, 2 * h : 3 * h]
                da = gtot * ((1 - np.tanh(a) ** 2) if cell == "tanh" else (a > 0))
                gx = gh = np.where(live, da, 0.0) + gy[t, :, 2 * h : 3 * h]
                direct = np.zeros((b, h))
            dh = gh @ wh.T + np.where(live, direct, dcar)
            dgx[t], dgh[t] = gx, gh
        hp = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0).reshape(-1, h)
        gx2, gh2 = dgx.reshape(-1, g * h), dgh.reshape(-1, g * h)
        dx = (gx2 @ wx.T).reshape(t_len, b, n_in).transpose(1, 0, 2).reshape(b, -1)
        rows = np.concatenate([dh, dx], 1)
        flat = [(x.reshape(-1, n_in).T @ gx2).ravel(), (hp.T @ gh2).ravel(), gx2.sum(0)]
        return np.concatenate(flat + [gh2.sum(0), rows.ravel()]).astype(np.dtype(x.dtype))

    return ref


def _declare(op: str) -> tuple[Primitive, Primitive]:
    def impl(x, h0, wx, wh, bx, bh, lengths, nonlinearity=None, layout=None):
        cell = _cell_of(op, nonlinearity)
        return KG.forward(cell, x, h0, wx, wh, bx, bh, lengths, layout == "tf")

    def grad_impl(gy, y, x, h0, wx, wh, lengths, nonlinearity=None):
        return KG.backward(_cell_of(op, nonlinearity), gy, y, x, h0, wx, wh, lengths)

    fwd = register(
        Primitive(
            op,
            impl=impl,
            shape_rule=_rule(op),
            vjp=_vjp(op),
            reference=_reference(op),
            nondiff=(6,),
        )
    )
    bwd = register(
        Primitive(
            f"{op}_grad",
            impl=grad_impl,
            shape_rule=_grad_rule(op),
            reference=_reference_grad(op),
            nondiff=tuple(range(7)),
            derivative_of=op,
        )
    )
    return fwd, bwd


GRU_SEQ, GRU_SEQ_GRAD = _declare("gru_seq")
RNN_SEQ, RNN_SEQ_GRAD = _declare("rnn_seq")
_GRAD_OF = {"gru_seq": GRU_SEQ_GRAD, "rnn_seq": RNN_SEQ_GRAD}


def _grad(op, gy, y, x, h0, wx, wh, lengths, nonlinearity):
    params = {} if op == "gru_seq" else {"nonlinearity": nonlinearity}
    return bind(_GRAD_OF[op], gy, y, x, h0, wx, wh, lengths, **params)


def gru_seq(x, h0, wx, wh, bx, bh, lengths):
    """The packed (T, B, 6H) GRU over time-major x (see the module docstring)."""
    return bind(GRU_SEQ, x, h0, wx, wh, bx, bh, lengths)


def rnn_seq(x, h0, wx, wh, bx, bh, lengths, nonlinearity: str = "tanh", layout: str = "torch"):
    """The packed (T, B, 3H) plain RNN over time-major x (see the module docstring)."""
    _cell_of("rnn_seq", nonlinearity)
    if layout not in ("torch", "tf"):
        raise ValueError(f"rnn_seq: layout must be 'torch' or 'tf', got {layout!r}")
    return bind(RNN_SEQ, x, h0, wx, wh, bx, bh, lengths, nonlinearity=nonlinearity, layout=layout)
