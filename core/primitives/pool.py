"""2-D pooling primitives: max and average pooling with their gradients (NCHW or NHWC).

Padding is (top, bottom, left, right) or "SAME"/"VALID" (TF's rules). Max pooling pads with
-inf and sends each window's gradient to the window's first maximum in row-major scan order
(PyTorch's and TF's CPU rule); average pooling divides by the full window
(count_include_pad=True, PyTorch's default) or by the real elements only (False: TF, and
PyTorch's count_include_pad=False). Both layouts give bit-identical numbers.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import conv_geometry as geo
from ..kernels import pool as PK
from . import rules
from .registry import AVal, Primitive, bind, register


def _hw(shape: tuple, data_format: str) -> tuple:
    return (shape[2], shape[3]) if data_format == "NCHW" else (shape[1], shape[2])


def _check(op: str, x, ksize, stride, padding, data_format) -> tuple:
    """Validate a pooling call; return the output shape in data_format."""
    geo.check_layout(data_format, op)
    xs = tuple(x.shape)
    if len(xs) != 4:
        raise ShapeError(f"{op}: the input must be 4-D ({data_format}), got shape {fmt_shape(xs)}")
    k = geo.pair(ksize, "kernel size", op)
    st = geo.pair(stride, "stride", op)
    pads = geo.normalize_padding(padding, op)
    if not isinstance(pads, str) and (max(pads[:2]) >= k[0] or max(pads[2:]) >= k[1]):
        raise ValueError(
            f"{op}: padding {pads} must be smaller than the window {k} on every side "
            "(a window made only of padding has no value)"
        )
    what = f"input {fmt_shape(xs)} ({data_format}) and window {k}"
    oh, ow, _ = geo.output_hw(op, _hw(xs, data_format), k, st, (1, 1), padding, what)
    n = xs[0]
    c = xs[1] if data_format == "NCHW" else xs[3]
    return (n, c, oh, ow) if data_format == "NCHW" else (n, oh, ow, c)


def _same(op: str, what: str, got: tuple, want: tuple) -> None:
    if len(got) != len(want) or any(
        a is not None and b is not None and a != b for a, b in zip(got, want, strict=True)
    ):
        raise ShapeError(f"{op}: {what} has shape {fmt_shape(got)}, expected {fmt_shape(want)}")


def _pool_rule(op: str):
    def rule(x, ksize, stride, padding, data_format, **extra) -> AVal:
        rules.require_float(op, x)
        return AVal(_check(op, x, ksize, stride, padding, data_format), np.dtype(x.dtype))

    return rule


def _max_grad_rule(op: str, out_like_x: bool):
    def rule(x, v, ksize, stride, padding, data_format) -> AVal:
        dt = rules.same_dtype(op, x, v)
        rules.require_float(op, x)
        out = _check(op, x, ksize, stride, padding, data_format)
        want, what = (out, "the output gradient") if out_like_x else (tuple(x.shape), "v")
        _same(op, what, tuple(v.shape), want)
        return AVal(tuple(x.shape) if out_like_x else out, dt)

    return rule


def _avg_grad_rule(g, like_x, ksize, stride, padding, data_format, count_include_pad) -> AVal:
    op = "avg_pool2d_grad"
    dt = rules.same_dtype(op, g, like_x)
    rules.require_float(op, g)
    out = _check(op, like_x, ksize, stride, padding, data_format)
    _same(op, "the output gradient", tuple(g.shape), out)
    return AVal(tuple(like_x.shape), dt)


# ---- the public operations ----------------------------------------------------------------


def _params(op, x, ksize, stride, padding, data_format) -> dict:
    geo.check_layout(data_format, op)
    if len(x.shape) != 4:
        raise ShapeError(
            f"{op}: the input must be 4-D ({data_format}), got shape {fmt_shape(x.shape)}"
        )
    k = geo.pair(ksize, "kernel size", op)
    st = k if stride is None else geo.pair(stride, "stride", op)
    pads = geo.resolve_padding(padding, _hw(tuple(x.shape), data_format), k, st, (1, 1), op)
    return dict(ksize=k, stride=st, padding=pads, data_format=data_format)


def max_pool2d(x, ksize, stride=None, padding=0, data_format: str = "NCHW"):
    """Window maxima; stride defaults to the window size (PyTorch), padding counts as -inf."""
    return bind(MAX_POOL2D, x, **_params("max_pool2d", x, ksize, stride, padding, data_format))


def avg_pool2d(
    x, ksize, stride=None, padding=0, data_format: str = "NCHW", count_include_pad: bool = True
):
    """Window means; count_include_pad=False divides by the real elements only (TF's rule)."""
    p = _params("avg_pool2d", x, ksize, stride, padding, data_format)
    return bind(AVG_POOL2D, x, count_include_pad=bool(count_include_pad), **p)


def max_pool2d_grad(x, g, ksize, stride, padding, data_format):
    """The VJP of max_pool2d w.r.t. x: g of each window added at its first maximum."""
    return bind(
        MAX_POOL2D_GRAD, x, g, ksize=ksize, stride=stride, padding=padding, data_format=data_format
    )


def max_pool2d_pick(x, v, ksize, stride, padding, data_format):
    """For each window of x, the entry of v (shaped like x) at the window's first maximum."""
    return bind(
        MAX_POOL2D_PICK, x, v, ksize=ksize, stride=stride, padding=padding, data_format=data_format
    )


def avg_pool2d_grad(g, like_x, ksize, stride, padding, data_format, count_include_pad):
    """The VJP of avg_pool2d w.r.t. its input (shaped like `like_x`)."""
    return bind(
        AVG_POOL2D_GRAD,
        g,
        like_x,
        ksize=ksize,
        stride=stride,
        padding=padding,
        data_format=data_format,
        count_include_pad=count_include_pad,
    )


# ---- numpy references -----------------------------------------------------------------------


def _windows(x, ksize, stride, padding, data_format, fill):
    """Padded NCHW float64 copy of x, the resolved padding and the output size."""
    xt = np.asarray(x, np.float64)
    xt = xt if data_format == "NCHW" else xt.transpose(0, 3, 1, 2)
    h, w = xt.shape[2:]
    pads = geo.resolve_padding(padding, (h, w), ksize, stride, (1, 1), "ref")
    xp = np.pad(xt, ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3])), constant_values=fill)
    oh = (h + pads[0] + pads[1] - ksize[0]) // stride[0] + 1
    ow = (w + pads[2] + pads[3] - ksize[1]) // stride[1] + 1
    return xp, pads, oh, ow


def _layout(a, data_format, dtype):
    a = a if data_format == "NCHW" else a.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(a).astype(dtype)


def _ref_argmax(x, ksize, stride, padding, data_format):
    """Per window, the (row, col) in the padded plane of its first maximum."""
    xp, pads, oh, ow = _windows(x, ksize, stride, padding, data_format, -np.inf)
    n, c = xp.shape[:2]
    at = np.zeros((n, c, oh, ow, 2), np.int64)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0], j * stride[1]
            win = xp[:, :, r0 : r0 + ksize[0], c0 : c0 + ksize[1]].reshape(n, c, -1)
            k = np.argmax(win, axis=-1)  # the first maximum, as the kernels take it
            at[:, :, i, j, 0] = r0 + k // ksize[1]
            at[:, :, i, j, 1] = c0 + k % ksize[1]
    return xp, pads, at


def _ref_max(x, ksize, stride, padding, data_format):
    xp, _, at = _ref_argmax(x, ksize, stride, padding, data_format)
    n, c = np.indices(at.shape[:2])
    out = xp[n[..., None, None], c[..., None, None], at[..., 0], at[..., 1]]
    return _layout(out, data_format, x.dtype)


def _ref_max_grad(x, g, ksize, stride, padding, data_format):
    xp, pads, at = _ref_argmax(x, ksize, stride, padding, data_format)
    gt = np.asarray(g, np.float64)
    gt = gt if data_format == "NCHW" else gt.transpose(0, 3, 1, 2)
    dxp = np.zeros(xp.shape)
    n, c, oh, ow = gt.shape
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    dxp[b, ch, at[b, ch, i, j, 0], at[b, ch, i, j, 1]] += gt[b, ch, i, j]
    dx = dxp[:, :, pads[0] : dxp.shape[2] - pads[1], pads[2] : dxp.shape[3] - pads[3]]
    return _layout(dx, data_format, g.dtype)


def _ref_pick(x, v, ksize, stride, padding, data_format):
    _, pads, at = _ref_argmax(x, ksize, stride, padding, data_format)
    vp, _, _, _ = _windows(v, ksize, stride, padding, data_format, 0.0)
    n, c = np.indices(at.shape[:2])
    out = vp[n[..., None, None], c[..., None, None], at[..., 0], at[..., 1]]
    return _layout(out, data_format, v.dtype)


def _ref_counts(h, w, ksize, stride, pads, oh, ow, count_include_pad):
    ones = np.pad(
        np.ones((h, w)),
        ((pads[0], pads[1]), (pads[2], pads[3])),
        constant_values=1.0 if count_include_pad else 0.0,
    )
    cnt = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0], j * stride[1]
            cnt[i, j] = ones[r0 : r0 + ksize[0], c0 : c0 + ksize[1]].sum()
    return cnt


def _ref_avg(x, ksize, stride, padding, data_format, count_include_pad):
    xp, pads, oh, ow = _windows(x, ksize, stride, padding, data_format, 0.0)
    h, w = xp.shape[2] - pads[0] - pads[1], xp.shape[3] - pads[2] - pads[3]
    out = np.zeros(xp.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0], j * stride[1]
            out[:, :, i, j] = xp[:, :, r0 : r0 + ksize[0], c0 : c0 + ksize[1]].sum(axis=(2, 3))
    out /= _ref_counts(h, w, ksize, stride, pads, oh, ow, count_include_pad)
    return _layout(out, data_format, x.dtype)


def _ref_avg_grad(g, like_x, ksize, stride, padding, data_format, count_include_pad):
    xp, pads, oh, ow = _windows(like_x, ksize, stride, padding, data_format, 0.0)
    h, w = xp.shape[2] - pads[0] - pads[1], xp.shape[3] - pads[2] - pads[3]
    gt = np.asarray(g, np.float64)
    gt = gt if data_format == "NCHW" else gt.transpose(0, 3, 1, 2)
    gt = gt / _ref_counts(h, w, ksize, stride, pads, oh, ow, count_include_pad)
    dxp = np.zeros(xp.shape)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0], j * stride[1]
            dxp[:, :, r0 : r0 + ksize[0], c0 : c0 + ksize[1]] += gt[:, :, i, j, None, None]
    dx = dxp[:, :, pads[0] : pads[0] + h, pads[2] : pads[2] + w]
    return _layout(dx, data_format, g.dtype)


# ---- primitives -------------------------------------------------------------------------------


def _max_vjp(g, out, x, wants, **p):
    return (max_pool2d_grad(x, g, **p),)


def _avg_vjp(g, out, x, wants, count_include_pad, **p):
    return (avg_pool2d_grad(g, x, count_include_pad=count_include_pad, **p),)


MAX_POOL2D = register(
    Primitive(
        "max_pool2d",
        impl=lambda x, **p: PK.max_pool2d(x, **p),
        shape_rule=_pool_rule("max_pool2d"),
        vjp=_max_vjp,
        reference=_ref_max,
    )
)
MAX_POOL2D_GRAD = register(
    Primitive(
        "max_pool2d_grad",
        impl=lambda x, g, **p: PK.max_pool2d_grad(x, g, **p),
        shape_rule=_max_grad_rule("max_pool2d_grad", out_like_x=True),
        # linear in g: its VJP picks the cotangent at each window's maximum
        vjp=lambda gg, out, x, g, wants, **p: (None, max_pool2d_pick(x, gg, **p)),
        reference=_ref_max_grad,
        nondiff=(0,),
    )
)
MAX_POOL2D_PICK = register(
    Primitive(
        "max_pool2d_pick",
        impl=lambda x, v, **p: PK.max_pool2d_pick(x, v, **p),
        shape_rule=_max_grad_rule("max_pool2d_pick", out_like_x=False),
        vjp=lambda gg, out, x, v, wants, **p: (None, max_pool2d_grad(x, gg, **p)),
        reference=_ref_pick,
        nondiff=(0,),
    )
)
AVG_POOL2D = register(
    Primitive(
        "avg_pool2d",
        impl=lambda x, **p: PK.avg_pool2d(x, **p),
        shape_rule=_pool_rule("avg_pool2d"),
        vjp=_avg_vjp,
        reference=_ref_avg,
    )
)
AVG_POOL2D_GRAD = register(
    Primitive(
        "avg_pool2d_grad",
        impl=lambda g, like_x, **p: PK.avg_pool2d_grad(g, like_x.shape, **p),
        shape_rule=_avg_grad_rule,
        vjp=lambda gg, out, g, like_x, wants, count_include_pad, **p: (
            bind(AVG_POOL2D, gg, count_include_pad=count_include_pad, **p),
            None,
        ),
        reference=_ref_avg_grad,
        nondiff=(1,),
        shape_only=(1,),
        shape_from=1,
    )
)
