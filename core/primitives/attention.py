"""Fused scaled-dot-product attention: one primitive for the forward, one for its VJP.

``sdpa(q, k, v, mask, drop, scale, has_mask, causal, keep)`` is softmax((q * scale) k^T + mask)
v over the last two axes, q (..., L, d), k (..., S, d), v (..., S, dv) with the same batch axes;
`mask` (used when has_mask) broadcasts to (..., L, S), additive or bool (True = masked out);
`causal` adds PyTorch's top-left causal mask instead. With keep < 1 the weights are multiplied
by a dropout mask first: `drop` (bool, (..., L, S), True = kept, drawn by
`attention_dropout_mask` exactly as the composed form's dropout draws) scaled by 1 / keep. One
compiled kernel each way (`kernels.sdpa`, on blocks of query rows in `kernels.sdpa_blocked`
when the shapes fit) reproduces the composed form's arithmetic, so values
and gradients are its bits while no (..., L, S) array of scores exists. ``sdpa_grad`` returns
(N, L*d + S*d + S*dv): per flattened batch entry the gradients of q, k and v.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import sdpa as KA
from ..kernels import sdpa_blocked as KB
from ..random import default_generator
from . import rules
from .registry import AVal, Primitive, bind, register
from .shaping import getitem, reshape


def _same(a, b) -> bool:
    return a is None or b is None or a == b


def _check(q, k, v, mask, has_mask: bool) -> tuple:
    op = "sdpa"
    rules.require_float(op, q)
    rules.same_dtype(op, q, k, v)
    qs, ks, vs = tuple(q.shape), tuple(k.shape), tuple(v.shape)
    ok = len(qs) >= 2 and len(qs) == len(ks) == len(vs)
    ok = ok and all(
        _same(a, b) and _same(a, c) for a, b, c in zip(qs[:-2], ks[:-2], vs[:-2], strict=False)
    )
    ok = ok and _same(qs[-1], ks[-1]) and _same(ks[-2], vs[-2])
    if not ok:
        raise ShapeError(
            f"{op}: expected q (..., L, d), k (..., S, d), v (..., S, dv) with the same batch "
            f"axes, got q {fmt_shape(qs)}, k {fmt_shape(ks)}, v {fmt_shape(vs)}"
        )
    if has_mask:
        ms = tuple(mask.shape)
        want = qs[:-2] + (qs[-2], ks[-2])
        fits = len(ms) <= len(want) and all(
            m is None or w is None or m in (1, w)
            for m, w in zip(ms[::-1], want[::-1], strict=False)
        )
        if not fits:
            raise ShapeError(
                f"{op}: the mask {fmt_shape(ms)} does not broadcast to the scores {fmt_shape(want)}"
            )
        if not (np.dtype(mask.dtype) == np.bool_ or np.dtype(mask.dtype) == np.dtype(q.dtype)):
            raise TypeError(
                f"{op}: the mask must be bool or {np.dtype(q.dtype)}, got {np.dtype(mask.dtype)}"
            )
    return qs, ks, vs


def _check_drop(q, k, drop, keep: float) -> None:
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"sdpa: keep must be in (0, 1], got {keep}")
    if keep < 1.0:
        want = tuple(q.shape[:-1]) + (k.shape[-2],)
        got = tuple(drop.shape)
        fits = len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want, strict=True))
        if not fits or np.dtype(drop.dtype) != np.bool_:
            raise ShapeError(
                f"sdpa: the dropout mask must be bool {fmt_shape(want)}, got "
                f"{np.dtype(drop.dtype)} {fmt_shape(got)} (draw it with attention_dropout_mask)"
            )


def _rule(q, k, v, mask, drop, scale, has_mask, causal, keep) -> AVal:
    qs, _, vs = _check(q, k, v, mask, has_mask)
    _check_drop(q, k, drop, keep)
    return AVal(qs[:-1] + (vs[-1],), np.dtype(q.dtype))


def _grad_rule(g, q, k, v, mask, drop, scale, has_mask, causal, keep) -> AVal:
    qs, ks, vs = _check(q, k, v, mask, has_mask)
    _check_drop(q, k, drop, keep)
    batch = qs[:-2]
    n = None if None in batch else int(np.prod(batch)) if batch else 1
    dims = (qs[-2], qs[-1], ks[-2], vs[-1])
    w = None if None in dims else dims[0] * dims[1] + dims[2] * (dims[1] + dims[3])
    return AVal((n, w), np.dtype(q.dtype))


def _vjp(g, out, q, k, v, mask, drop, wants, scale, has_mask, causal, keep):
    flat = sdpa_grad(g, q, k, v, mask, drop, scale, has_mask, causal, keep)
    length, d = q.shape[-2], q.shape[-1]
    source, dv = k.shape[-2], v.shape[-1]
    cuts = [0, length * d, length * d + source * d, length * d + source * (d + dv)]
    grads = []
    for j, x in enumerate((q, k, v)):
        part = getitem(flat, (slice(None), slice(cuts[j], cuts[j + 1])))
        shape = tuple(-1 if s is None else s for s in x.shape)
        grads.append(reshape(part, shape) if wants[j] else None)
    return (*grads, None, None)


def _dropped(w, drop, keep: float):
    return w if keep >= 1.0 else w * np.where(np.asarray(drop), 1.0 / keep, 0.0)


def _reference(q, k, v, mask, drop, scale, has_mask, causal, keep):
    """The composed form in float64 with numpy."""
    f = np.float64
    s = np.matmul(np.asarray(q, f) * scale, np.swapaxes(np.asarray(k, f), -1, -2))
    if has_mask:
        m = np.asarray(mask)
        s = s + (np.where(m, -np.inf, 0.0) if m.dtype == np.bool_ else m)
    elif causal:
        s = s + KA.causal_additive(s.shape[-2], s.shape[-1], np.dtype(f))
    s = s - s.max(-1, keepdims=True)
    w = np.exp(s)
    w = w / w.sum(-1, keepdims=True)
    return np.matmul(_dropped(w, drop, keep), np.asarray(v, f)).astype(q.dtype)


def _reference_grad(g, q, k, v, mask, drop, scale, has_mask, causal, keep):
    f = np.float64
    q64, k64, v64, g64 = (np.asarray(a, f) for a in (q, k, v, g))
    s = np.matmul(q64 * scale, np.swapaxes(k64, -1, -2))
    if has_mask:
        m = np.asarray(mask)
        s = s + (np.where(m, -np.inf, 0.0) if m.dtype == np.bool_ else m)
    elif causal:
        s = s + KA.causal_additive(s.shape[-2], s.shape[-1], np.dtype(f))
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    gw = _dropped(np.matmul(g64, np.swapaxes(v64, -1, -2)), drop, keep)
    gv = np.matmul(np.swapaxes(_dropped(w, drop, keep), -1, -2), g64)
    gs = w * (gw - (gw * w).sum(-1, keepdims=True))
    gq = np.matmul(gs, k64) * scale
    gk = np.matmul(np.swapaxes(gs, -1, -2), q64 * scale)
    n = gq.reshape(-1, *gq.shape[-2:]).shape[0]
    out = np.concatenate([gq.reshape(n, -1), gk.reshape(n, -1), gv.reshape(n, -1)], 1)
    return out.astype(q.dtype)


SDPA = register(
    Primitive(
        "sdpa",
        impl=lambda q, k, v, mask, drop, scale, has_mask, causal, keep: KB.forward(
            q, k, v, mask, drop, scale, has_mask, causal, keep
        ),
        shape_rule=_rule,
        vjp=_vjp,
        reference=_reference,
        nondiff=(3, 4),
    )
)

SDPA_GRAD = register(
    Primitive(
        "sdpa_grad",
        impl=lambda g, q, k, v, mask, drop, scale, has_mask, causal, keep: KB.backward(
            g, q, k, v, mask, drop, scale, has_mask, causal, keep
        ),
        shape_rule=_grad_rule,
        reference=_reference_grad,
        nondiff=tuple(range(6)),
        derivative_of="scaled_dot_product_attention",
    )
)


def _drop_rule(q, k, keep) -> AVal:
    rules.require_float("attention_dropout_mask", q)
    if len(q.shape) < 2 or len(k.shape) != len(q.shape):
        raise ShapeError(
            f"attention_dropout_mask: expected q (..., L, d) and k (..., S, d), got "
            f"{fmt_shape(tuple(q.shape))} and {fmt_shape(tuple(k.shape))}"
        )
    return AVal(tuple(q.shape[:-1]) + (k.shape[-2],), np.dtype(np.bool_))


def _drop_impl(q, k, keep):
    # the draws of dropout_mask_like on the (..., L, S) weights: same shape, dtype, order
    shape = tuple(q.shape[:-1]) + (k.shape[-2],)
    return default_generator.bernoulli(shape, keep, np.dtype(q.dtype)).astype(np.bool_)


ATTENTION_DROPOUT_MASK = register(
    Primitive(
        "attention_dropout_mask",
        impl=_drop_impl,
        shape_rule=_drop_rule,
        nondiff=(0, 1),
        random=True,
    )
)


def attention_dropout_mask(q, k, keep: float):
    """The kept entries (bool, (..., L, S)) of attention dropout, drawn when the op runs."""
    return bind(ATTENTION_DROPOUT_MASK, q, k, keep=float(keep))


def sdpa(q, k, v, mask=None, scale: float | None = None, causal: bool = False,
         dropout_p: float = 0.0):  # fmt: skip
    """softmax((q * scale) k^T + mask) [dropout] v, one fused kernel (see the module docstring)."""
    if causal and mask is not None:
        raise ValueError("sdpa: give either a mask or causal=True, not both")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"sdpa: dropout_p must be in [0, 1), got {dropout_p}")
    d = q.shape[-1]
    # an empty feature dim: 1 / sqrt(0) is inf, as PyTorch's (the scores are empty sums: 0)
    s = (1.0 / float(np.sqrt(d)) if d else float("inf")) if scale is None else float(scale)
    has = mask is not None
    m = mask if has else np.zeros((), np.dtype(q.dtype))
    keep = 1.0 - float(dropout_p)
    drop = attention_dropout_mask(q, k, keep) if dropout_p else np.zeros((), np.bool_)
    return bind(SDPA, q, k, v, m, drop, scale=s, has_mask=has, causal=bool(causal), keep=keep)


def sdpa_grad(g, q, k, v, mask, drop, scale: float, has_mask: bool, causal: bool, keep: float):
    """Per flattened batch entry [dq, dk, dv] of sdpa for the cotangent g."""
    return bind(SDPA_GRAD, g, q, k, v, mask, drop, scale=scale, has_mask=has_mask,
                causal=causal, keep=keep)  # fmt: skip
