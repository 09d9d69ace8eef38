"""Layer norm as one primitive forward and one for its VJP (kernels.layernorm).

``layer_norm_fused(x, scale, offset, eps, naxes, has_scale, has_offset)`` normalises x over its
last `naxes` axes (mean and biased variance in one pass), then multiplies by scale and adds
offset, each shaped as those axes (a 0-d placeholder when absent). ``layer_norm_grad`` gives,
in one pass over the cotangent and x, a (rows + 2, D) array: dscale, doffset, then dx with the
normalised axes flattened to D. Nothing but x is kept for the backward: the statistics are
recomputed per row, which costs less than reading them back. Both styles reach this record
through `core.functional.layer_norm`, so eager and graph share its bits.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import layernorm as KL
from . import rules
from .registry import AVal, Primitive, bind, register
from .shaping import getitem, reshape_like

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _split(op: str, x, naxes: int) -> tuple:
    """(rows or None, D or None) of x flattened at its last `naxes` axes, with checks."""
    xs = tuple(x.shape)
    if not isinstance(naxes, (int, np.integer)) or not 1 <= naxes <= len(xs):
        raise ValueError(
            f"{op}: naxes={naxes!r} must count 1 to {len(xs)} trailing axes of an input of "
            f"shape {fmt_shape(xs)}"
        )
    lead, tail = xs[: len(xs) - naxes], xs[len(xs) - naxes :]
    rows = None if None in lead else int(np.prod(lead, dtype=np.int64))
    d = None if None in tail else int(np.prod(tail, dtype=np.int64))
    return rows, d


def _check_param(op: str, what: str, v, x, naxes: int) -> None:
    want = tuple(x.shape)[len(x.shape) - naxes :]
    got = tuple(v.shape)
    fits = len(got) == len(want) and all(
        a is None or b is None or a == b for a, b in zip(got, want, strict=True)
    )
    if not fits:
        raise ShapeError(
            f"{op}: {what} must have the normalised shape {fmt_shape(want)}, got {fmt_shape(got)}"
        )


def _dtype(op: str, x, *others) -> np.dtype:
    dt = rules.require_float(op, x)
    if np.dtype(dt) not in DTYPES:
        raise TypeError(f"{op}: expected float32 or float64, got {np.dtype(dt)}")
    for v in others:
        if np.dtype(v.dtype) != np.dtype(dt):
            raise TypeError(f"{op}: every operand must be {np.dtype(dt)}, got {np.dtype(v.dtype)}")
    return np.dtype(dt)


def _rule(x, scale, offset, eps, naxes, has_scale, has_offset) -> AVal:
    op = "layer_norm_fused"
    dt = _dtype(op, x, *([scale] if has_scale else []), *([offset] if has_offset else []))
    _split(op, x, naxes)
    if has_scale:
        _check_param(op, "the scale", scale, x, naxes)
    if has_offset:
        _check_param(op, "the offset", offset, x, naxes)
    return AVal(tuple(x.shape), dt)


def _grad_rule(g, x, scale, eps, naxes, has_scale) -> AVal:
    op = "layer_norm_grad"
    dt = _dtype(op, x, g, *([scale] if has_scale else []))
    rows, d = _split(op, x, naxes)
    gs, xs = tuple(g.shape), tuple(x.shape)
    if len(gs) != len(xs) or any(
        a is not None and b is not None and a != b for a, b in zip(gs, xs, strict=True)
    ):
        raise ShapeError(f"{op}: the cotangent {fmt_shape(gs)} must have x's shape {fmt_shape(xs)}")
    if has_scale:
        _check_param(op, "the scale", scale, x, naxes)
    return AVal((None if rows is None else rows + 2, d), dt)


def _flat(x, naxes: int) -> np.ndarray:
    a = np.asarray(x)
    d = int(np.prod(a.shape[a.ndim - naxes :], dtype=np.int64))
    rows = int(np.prod(a.shape[: a.ndim - naxes], dtype=np.int64))
    return a.reshape(rows, d)


def _impl(x, scale, offset, eps, naxes, has_scale, has_offset):
    y = KL.forward(
        _flat(x, naxes), scale if has_scale else None, offset if has_offset else None, eps
    )
    return y.reshape(np.shape(x))


def _grad_impl(g, x, scale, eps, naxes, has_scale):
    return KL.backward(_flat(g, naxes), _flat(x, naxes), scale if has_scale else None, eps)


def _vjp(g, out, x, scale, offset, wants, eps, naxes, has_scale, has_offset):
    flat = layer_norm_grad(g, x, scale, eps, naxes, has_scale)
    dx = reshape_like(getitem(flat, (slice(2, None),)), x) if wants[0] else None
    ds = reshape_like(getitem(flat, 0), scale) if wants[1] and has_scale else None
    do = reshape_like(getitem(flat, 1), offset) if wants[2] and has_offset else None
    return dx, ds, do


def _grad_vjp(ct, out, g, x, scale, wants, eps, naxes, has_scale):
    """VJP of layer_norm_grad, written with core operations so higher orders compose.

    Per row, with r = 1/sqrt(var + eps), h = (x - mean) r and J = r (I - 1/D - h h^T / D) the
    (symmetric) Jacobian of h: dscale = sum_rows g h, doffset = sum_rows g, dx = J (scale g).
    For cotangents (cs, co, c) of those three: d/dg = cs h + co + scale J c, d/dscale =
    sum_rows g J c, and d/dx = J (cs g) plus the derivative of c . J(x) u (u = scale g):
    -r^2 [(mean(c u) - mean(c) mean(u) - 3 mean(c h) mean(u h)) h + (c - mean(c)) mean(u h)
    + (u - mean(u)) mean(c h)].
    """
    from .. import ops

    nd = len(x.shape)
    tail_axes = tuple(range(nd - naxes, nd))
    tail = tuple(x.shape[nd - naxes :])

    def row_mean(v):
        return ops.mean(v, tail_axes, keepdims=True)

    def as_tail(v):
        return ops.reshape(v, tail) if None not in tail else reshape_like(v, scale)

    cs, co = as_tail(getitem(ct, 0)), as_tail(getitem(ct, 1))
    c = reshape_like(getitem(ct, (slice(2, None),)), x)
    xc = ops.sub(x, row_mean(x))
    r = ops.div(ops.scalar(1.0, x), ops.sqrt(ops.add(row_mean(ops.square(xc)), ops.scalar(eps, x))))
    h = ops.mul(xc, r)

    def jac(v):  # J v, row by row
        return ops.mul(r, ops.sub(ops.sub(v, row_mean(v)), ops.mul(h, row_mean(ops.mul(v, h)))))

    jc = jac(c)
    dg = dx = ds = None
    if wants[0]:
        dg = ops.add(ops.add(ops.mul(cs, h), co), ops.mul(scale, jc) if has_scale else jc)
    if wants[2] and has_scale:
        ds = ops.sum_like(ops.mul(g, jc), scale)
    if wants[1]:
        u = ops.mul(scale, g) if has_scale else g
        m_c, m_u = row_mean(c), row_mean(u)
        m_ch, m_uh = row_mean(ops.mul(c, h)), row_mean(ops.mul(u, h))
        coef = ops.sub(
            ops.sub(row_mean(ops.mul(c, u)), ops.mul(m_c, m_u)),
            ops.mul(ops.scalar(3.0, x), ops.mul(m_ch, m_uh)),
        )
        inner = ops.add(
            ops.add(ops.mul(coef, h), ops.mul(ops.sub(c, m_c), m_uh)),
            ops.mul(ops.sub(u, m_u), m_ch),
        )
        dx = ops.sub(jac(ops.mul(cs, g)), ops.mul(ops.square(r), inner))
    return dg, dx, ds


def _reference(x, scale, offset, eps, naxes, has_scale, has_offset):
    """The composed form in float64 with numpy."""
    x64 = np.asarray(x, np.float64)
    ax = tuple(range(x64.ndim - naxes, x64.ndim))
    mean = x64.mean(ax, keepdims=True)
    y = (x64 - mean) / np.sqrt(((x64 - mean) ** 2).mean(ax, keepdims=True) + eps)
    if has_scale:
        y = y * np.asarray(scale, np.float64)
    if has_offset:
        y = y + np.asarray(offset, np.float64)
    return y.astype(np.asarray(x).dtype)


def _reference_grad(g, x, scale, eps, naxes, has_scale):
    x2 = _flat(x, naxes).astype(np.float64)
    g2 = _flat(g, naxes).astype(np.float64)
    d = x2.shape[1]
    mean = x2.mean(1, keepdims=True)
    rstd = 1.0 / np.sqrt(((x2 - mean) ** 2).mean(1, keepdims=True) + eps)
    xh = (x2 - mean) * rstd
    gam = np.asarray(scale, np.float64).reshape(d) if has_scale else np.ones(d)
    gy = g2 * gam
    dx = (gy - gy.mean(1, keepdims=True) - xh * (gy * xh).mean(1, keepdims=True)) * rstd
    out = np.concatenate([(g2 * xh).sum(0)[None], g2.sum(0)[None], dx], 0)
    return out.astype(np.asarray(x).dtype)


LAYER_NORM = register(
    Primitive(
        "layer_norm_fused",
        impl=_impl,
        shape_rule=_rule,
        vjp=_vjp,
        reference=_reference,
    )
)

LAYER_NORM_GRAD = register(
    Primitive(
        "layer_norm_grad",
        impl=_grad_impl,
        shape_rule=_grad_rule,
        vjp=_grad_vjp,
        reference=_reference_grad,
    )
)


def layer_norm_fused(x, scale, offset, eps: float, naxes: int):
    """Layer norm of x over its last `naxes` axes; scale/offset shaped as those axes or None."""
    has_s, has_o = scale is not None, offset is not None
    zero = np.zeros((), np.dtype(x.dtype))
    return bind(LAYER_NORM, x, scale if has_s else zero, offset if has_o else zero,
                eps=float(eps), naxes=int(naxes), has_scale=has_s, has_offset=has_o)  # fmt: skip


def layer_norm_grad(g, x, scale, eps: float, naxes: int, has_scale: bool):
    """(rows + 2, D): dscale, doffset and dx of layer_norm_fused for the cotangent g."""
    return bind(LAYER_NORM_GRAD, g, x, scale, eps=float(eps), naxes=int(naxes),
                has_scale=bool(has_scale))  # fmt: skip
