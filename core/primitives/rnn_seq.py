"""Sequence-level LSTM primitives: a whole layer over time and its fused backward through time.

``lstm_seq(x, h0, c0, wx, wh, bx, bh, lengths)`` runs an LSTM over time-major x (T, B, in) with
gates = (x wx + bx) + (h wh + bh) (wx (in, 4H), wh (H, 4H)), the gate blocks ordered as `layout`
says; in layout "tf" (TF's cells: one product over [x, h]) gates = bx + ([x, h] [wx; wh] + bh),
each element one chain over the in + H terms. It returns the packed (T, B, 7H) result of
`kernels.rnn_seq` (outputs, carried h and c, gate pre-activations). Callers slice it
(`core.recurrent`).
``lstm_seq_grad`` is its VJP as one primitive: a flat array of every operand's gradient.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import rnn as K
from ..kernels import rnn_seq as KS
from . import rules
from .registry import AVal, Primitive, bind, register
from .shaping import getitem, reshape, transpose


def _check(x, h0, c0, wx, wh, bx, bh, lengths, layout) -> tuple:
    op = "lstm_seq"
    if layout not in K.ORDERS:
        raise ValueError(f"{op}: layout must be one of {tuple(K.ORDERS)}, got {layout!r}")
    rules.require_float(op, x)
    rules.same_dtype(op, x, h0, c0, wx, wh, bx, bh)
    shapes = [tuple(a.shape) for a in (x, h0, c0, wx, wh, bx, bh, lengths)]
    if len(shapes[0]) != 3 or len(shapes[1]) != 2 or len(shapes[3]) != 2:
        raise ShapeError(
            f"{op}: x must be (T, B, in), h0/c0 (B, H), wx (in, 4H), wh (H, 4H); got "
            + ", ".join(fmt_shape(s) for s in shapes)
        )
    t, b, n_in = shapes[0]
    h = shapes[1][1]
    want = [(t, b, n_in), (b, h), (b, h), (n_in, 4 * h if h else None), (h, 4 * h if h else None)]
    want += [(4 * h if h else None,), (4 * h if h else None,), (b,)]
    names = ("x", "h0", "c0", "wx", "wh", "bx", "bh", "lengths")
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


def _rule(x, h0, c0, wx, wh, bx, bh, lengths, forget_bias, layout) -> AVal:
    t, b, _, h = _check(x, h0, c0, wx, wh, bx, bh, lengths, layout)
    return AVal((t, b, None if h is None else KS.PACK * h), np.dtype(x.dtype))


def _grad_rule(gy, y, x, h0, c0, wx, wh, lengths, forget_bias, layout) -> AVal:
    t, b, n_in = x.shape
    h = h0.shape[-1]
    dims = (t, b, n_in, h)  # the batch part may be unknown (graph placeholders)
    n = None if None in dims else b * (2 * h + t * n_in) + 4 * h * (n_in + h + 1)
    return AVal((n,), np.dtype(x.dtype))


def _vjp(gy, y, x, h0, c0, wx, wh, bx, bh, lengths, wants, forget_bias, layout):
    flat = lstm_seq_grad(gy, y, x, h0, c0, wx, wh, lengths, forget_bias, layout)
    t, n_in, h = x.shape[0], x.shape[-1], h0.shape[-1]
    parts, start = [], 0
    for s in ((n_in, 4 * h), (h, 4 * h), (4 * h,)):  # static sizes first
        n = int(np.prod(s))
        parts.append(reshape(getitem(flat, (slice(start, start + n),)), s))
        start += n
    dwx, dwh, db = parts
    rows = reshape(getitem(flat, (slice(start, None),)), (-1, 2 * h + t * n_in))
    dh0 = getitem(rows, (slice(None), slice(0, h)))
    dc0 = getitem(rows, (slice(None), slice(h, 2 * h)))
    dx = transpose(
        reshape(getitem(rows, (slice(None), slice(2 * h, None))), (-1, t, n_in)), (1, 0, 2)
    )
    grads = (dx, dh0, dc0, dwx, dwh, db, db, None)
    return tuple(g if w else None for g, w in zip(grads, wants, strict=True))


def _reference(x, h0, c0, wx, wh, bx, bh, lengths, forget_bias, layout):
    """Step by step in float64 with numpy (independent of the kernels)."""
    from .rnn import _blocks, _sig

    t_len, b, _ = x.shape
    h = h0.shape[-1]
    y = np.zeros((t_len, b, KS.PACK * h))
    hs, cs = h0.astype(np.float64), c0.astype(np.float64)
    for t in range(t_len):
        gates = (x[t] @ wx + bx) + (hs @ wh + bh)
        i, f, g, o = _blocks(gates, layout)
        c_new = _sig(f + forget_bias) * cs + _sig(i) * np.tanh(g)
        h_new = _sig(o) * np.tanh(c_new)
        live = (lengths > t)[:, None]
        hs, cs = np.where(live, h_new, hs), np.where(live, c_new, cs)
        y[t] = np.concatenate([np.where(live, h_new, 0.0), hs, cs, gates], -1)
    return y.astype(x.dtype)


def _reference_grad(gy, y, x, h0, c0, wx, wh, lengths, forget_bias, layout):
    """Backward through time step by step in float64 with numpy, packed as the kernel packs."""
    from .rnn import _blocks, _sig

    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    f64, out_dt = np.float64, np.dtype(x.dtype)
    gy, y, x, h0, c0, wx, wh = (np.asarray(a, f64) for a in (gy, y, x, h0, c0, wx, wh))
    dwx, dwh, db = np.zeros_like(wx), np.zeros_like(wh), np.zeros(4 * h)
    dx = np.zeros_like(x)
    dh, dc = np.zeros((b, h)), np.zeros((b, h))
    order = K.ORDERS[layout]
    for t in range(t_len - 1, -1, -1):
        gates, c_t = y[t, :, 3 * h :], y[t, :, 2 * h : 3 * h]
        c_prev = y[t - 1, :, 2 * h : 3 * h] if t else c0
        h_prev = y[t - 1, :, h : 2 * h] if t else h0
        live = (lengths > t)[:, None]
        dh = dh + gy[t, :, h : 2 * h]
        dc = dc + gy[t, :, 2 * h : 3 * h]
        dh_tot = dh + gy[t, :, :h]
        i, f, g, o = _blocks(gates, layout)
        si, sf, tg, so = _sig(i), _sig(f + forget_bias), np.tanh(g), _sig(o)
        tc = np.tanh(c_t)
        dc_tot = dc + dh_tot * so * (1 - tc * tc)
        parts = {"i": dc_tot * tg * si * (1 - si), "f": dc_tot * c_prev * sf * (1 - sf),
                 "g": dc_tot * si * (1 - tg * tg), "o": dh_tot * tc * so * (1 - so)}  # fmt: skip
        dg = np.concatenate([parts[k] for k in order], -1)
        dg = np.where(live, dg, 0.0) + gy[t, :, 3 * h :]
        dh_new = dg @ wh.T + np.where(live, 0.0, dh)
        dc = np.where(live, dc_tot * sf, dc)
        dh = dh_new
        dwx += x[t].T @ dg
        dwh += h_prev.T @ dg
        db += dg.sum(0)
        dx[t] = dg @ wx.T
    rows = np.concatenate([dh, dc, dx.transpose(1, 0, 2).reshape(b, t_len * n_in)], 1)
    flat = np.concatenate([dwx.ravel(), dwh.ravel(), db, rows.ravel()])
    return flat.astype(out_dt)


LSTM_SEQ = register(
    Primitive(
        "lstm_seq",
        impl=lambda x, h0, c0, wx, wh, bx, bh, lengths, forget_bias, layout: KS.forward(
            x, h0, c0, wx, wh, bx, bh, lengths, forget_bias, layout
        ),
        shape_rule=_rule,
        vjp=_vjp,
        reference=_reference,
        nondiff=(7,),
    )
)

LSTM_SEQ_GRAD = register(
    Primitive(
        "lstm_seq_grad",
        impl=lambda gy, y, x, h0, c0, wx, wh, lengths, forget_bias, layout: KS.backward(
            gy, y, x, h0, c0, wx, wh, lengths, forget_bias, layout
        ),
        shape_rule=_grad_rule,
        reference=_reference_grad,
        nondiff=tuple(range(8)),
        derivative_of="lstm",
    )
)


def lstm_seq(x, h0, c0, wx, wh, bx, bh, lengths, forget_bias: float = 0.0, layout: str = "torch"):
    """The packed (T, B, 7H) LSTM over time-major x (see the module docstring)."""
    return bind(
        LSTM_SEQ, x, h0, c0, wx, wh, bx, bh, lengths, forget_bias=float(forget_bias), layout=layout
    )


def lstm_seq_grad(gy, y, x, h0, c0, wx, wh, lengths, forget_bias: float, layout: str):
    """Flat [dx, dh0, dc0, dwx, dwh, db] of lstm_seq for the cotangent gy of its packed result."""
    return bind(
        LSTM_SEQ_GRAD, gy, y, x, h0, c0, wx, wh, lengths, forget_bias=forget_bias, layout=layout
    )


from . import rnn_seq_cells  # noqa: E402, F401  (registers the GRU and plain-RNN sequence primitives)
