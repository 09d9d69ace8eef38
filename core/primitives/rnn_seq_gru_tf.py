"""Sequence-level GRU in TF's layout (TF1's GRUCell) and its fused backward through time.

``gru_tf_seq(x, h0, kg, bg, kc, bc, lengths)`` runs r, u = sigmoid(concat([x, h]) kg + bg),
c = tanh(concat([x, r * h]) kc + bc), h' = u * h + (1 - u) * c over time-major x (T, B, in), kg
(in + H, 2H), kc (in + H, H), and returns the packed (T, B, 6H) result of
`kernels.rnn_seq_gru_tf` (outputs, carried h, what backward needs; callers slice it in
`core.recurrent`). ``gru_tf_seq_grad`` is its VJP: a flat array of every operand's gradient.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import rnn_seq_gru_tf as KT
from . import rules
from .registry import AVal, Primitive, bind, register
from .shaping import getitem, reshape, transpose

OP = "gru_tf_seq"


def _fits(s: tuple, w: tuple) -> bool:
    if len(s) != len(w):
        return False
    return all(a is None or c is None or a == c for a, c in zip(s, w, strict=True))


def _check(x, h0, kg, bg, kc, bc, lengths) -> tuple:
    rules.require_float(OP, x)
    rules.same_dtype(OP, x, h0, kg, bg, kc, bc)
    shapes = [tuple(a.shape) for a in (x, h0, kg, bg, kc, bc, lengths)]
    if len(shapes[0]) != 3 or len(shapes[1]) != 2:
        raise ShapeError(
            f"{OP}: x must be (T, B, in) and h0 (B, H); got x {fmt_shape(shapes[0])}, "
            f"h0 {fmt_shape(shapes[1])}"
        )
    t, b, n_in = shapes[0]
    h = shapes[1][1]
    rows = None if n_in is None or h is None else n_in + h
    two = None if h is None else 2 * h
    want = [(t, b, n_in), (b, h), (rows, two), (two,), (rows, h), (h,), (b,)]
    names = ("x", "h0", "gate kernel", "gate bias", "candidate kernel", "candidate bias",
             "lengths")  # fmt: skip
    for name, s, w in zip(names, shapes, want, strict=True):
        if not _fits(s, w):
            raise ShapeError(
                f"{OP}: the {name} has shape {fmt_shape(s)}, expected {fmt_shape(w)} for x "
                f"{fmt_shape(shapes[0])} and h0 {fmt_shape(shapes[1])}"
            )
    if np.dtype(lengths.dtype).kind not in "iu":
        raise TypeError(f"{OP}: lengths must be integers, got {np.dtype(lengths.dtype)}")
    return t, b, n_in, h


def _rule(x, h0, kg, bg, kc, bc, lengths) -> AVal:
    t, b, _, h = _check(x, h0, kg, bg, kc, bc, lengths)
    return AVal((t, b, None if h is None else KT.PACK * h), np.dtype(x.dtype))


def _grad_rule(gy, y, x, h0, kg, kc, lengths) -> AVal:
    t, b, n_in = x.shape
    h = h0.shape[-1]
    dims = (t, b, n_in, h)  # the batch may be unknown (graph placeholders)
    return AVal((None if None in dims else KT.grad_size(t, b, n_in, h),), np.dtype(x.dtype))


def _vjp(gy, y, x, h0, kg, bg, kc, bc, lengths, wants):
    flat = bind(GRU_TF_SEQ_GRAD, gy, y, x, h0, kg, kc, lengths)
    t, n_in, h = x.shape[0], x.shape[-1], h0.shape[-1]
    parts, start = [], 0
    for s in ((n_in + h, 2 * h), (2 * h,), (n_in + h, h), (h,)):  # static sizes first
        n = int(np.prod(s))
        parts.append(reshape(getitem(flat, (slice(start, start + n),)), s))
        start += n
    dkg, dbg, dkc, dbc = parts
    rows = reshape(getitem(flat, (slice(start, None),)), (-1, h + t * n_in))
    dh0 = getitem(rows, (slice(None), slice(0, h)))
    dx = transpose(reshape(getitem(rows, (slice(None), slice(h, None))), (-1, t, n_in)), (1, 0, 2))
    grads = (dx, dh0, dkg, dbg, dkc, dbc, None)
    return tuple(gr if w else None for gr, w in zip(grads, wants, strict=True))


# ---- numpy references (float64, step by step, independent of the kernels) --------------------


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _reference(x, h0, kg, bg, kc, bc, lengths):
    t_len, b, _ = x.shape
    h = h0.shape[-1]
    y = np.zeros((t_len, b, KT.PACK * h))
    hs = h0.astype(np.float64)
    for t in range(t_len):
        ag = np.concatenate([x[t], hs], -1) @ kg + bg
        r, u = _sig(ag[:, :h]), _sig(ag[:, h:])
        rh = r * hs
        ac = np.concatenate([x[t], rh], -1) @ kc + bc
        h_new = u * hs + (1 - u) * np.tanh(ac)
        live = (lengths > t)[:, None]
        hs = np.where(live, h_new, hs)
        y[t] = np.concatenate([np.where(live, h_new, 0.0), hs, ag, ac, rh], -1)
    return y.astype(x.dtype)


def _reference_grad(gy, y, x, h0, kg, kc, lengths):
    t_len, b, n_in = x.shape
    h = h0.shape[-1]
    f64 = np.float64
    gy, y, x, h0, kg, kc = (np.asarray(a, f64) for a in (gy, y, x, h0, kg, kc))
    dag, dac = np.zeros((t_len, b, 2 * h)), np.zeros((t_len, b, h))
    dh = np.zeros((b, h))
    for t in range(t_len - 1, -1, -1):
        live = (lengths > t)[:, None]
        hp = y[t - 1, :, h : 2 * h] if t else h0
        dcar = dh + gy[t, :, h : 2 * h]
        g = np.where(live, dcar + gy[t, :, :h], 0.0)  # a stopped row's h' is not used
        ar, au, ac = y[t, :, 2 * h : 3 * h], y[t, :, 3 * h : 4 * h], y[t, :, 4 * h : 5 * h]
        r, u, c = _sig(ar), _sig(au), np.tanh(ac)
        d_ac = g * (1 - u) * (1 - c * c) + gy[t, :, 4 * h : 5 * h]
        drh = d_ac @ kc[n_in:].T + gy[t, :, 5 * h :]
        d_ar = drh * hp * r * (1 - r)
        d_au = g * (hp - c) * u * (1 - u)
        d_ag = np.concatenate([d_ar, d_au], -1) + gy[t, :, 2 * h : 4 * h]
        dh = d_ag @ kg[n_in:].T + np.where(live, g * u, dcar) + drh * r
        dag[t], dac[t] = d_ag, d_ac
    hprev = np.concatenate([h0[None], y[:-1, :, h : 2 * h]], 0).reshape(-1, h)
    rh = y[:, :, 5 * h :].reshape(-1, h)
    g2, c2, x2 = dag.reshape(-1, 2 * h), dac.reshape(-1, h), x.reshape(-1, n_in)
    dx = (c2 @ kc[:n_in].T + g2 @ kg[:n_in].T).reshape(t_len, b, n_in)
    rows = np.concatenate([dh, dx.transpose(1, 0, 2).reshape(b, -1)], 1)
    flat = [(np.concatenate([x2, hprev], 1).T @ g2).ravel(), g2.sum(0),
            (np.concatenate([x2, rh], 1).T @ c2).ravel(), c2.sum(0), rows.ravel()]  # fmt: skip
    return np.concatenate(flat).astype(np.dtype(x.dtype))


GRU_TF_SEQ = register(
    Primitive(
        OP,
        impl=KT.forward,
        shape_rule=_rule,
        vjp=_vjp,
        reference=_reference,
        nondiff=(6,),
    )
)
GRU_TF_SEQ_GRAD = register(
    Primitive(
        f"{OP}_grad",
        impl=KT.backward,
        shape_rule=_grad_rule,
        reference=_reference_grad,
        nondiff=tuple(range(7)),
        derivative_of=OP,
    )
)


def gru_tf_seq(x, h0, kg, bg, kc, bc, lengths):
    """The packed (T, B, 6H) TF-layout GRU over time-major x (see the module docstring)."""
    return bind(GRU_TF_SEQ, x, h0, kg, bg, kc, bc, lengths)
