"""Depthwise 2-D convolution primitives: forward, input gradient and filter gradient, one kernel
each (PyTorch's conv2d with groups == in_channels, TF's depthwise_conv2d).

Layouts: data NCHW or NHWC; filters "OIHW" (PyTorch's (C*M, 1, KH, KW)) or "HWCM" (TF's
(KH, KW, C, M)). Output channel c * M + m is filter m of input channel c in both. Padding as
for conv2d: (top, bottom, left, right) or "SAME"/"VALID". Both gradients are primitives with
their own VJPs, so second derivatives exist. All layouts give the same bits (kernels/depthwise).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import conv as CK
from ..kernels import conv_geometry as geo
from ..kernels import depthwise as DK
from . import rules
from .registry import AVal, Primitive, bind, register

FILTER_LAYOUTS = ("OIHW", "HWCM")


def _check_filter_layout(filter_format: str, op: str) -> None:
    if filter_format not in FILTER_LAYOUTS:
        raise ValueError(
            f"{op}: filter_format must be 'OIHW' (PyTorch, (C*M, 1, KH, KW)) or 'HWCM' (TF, "
            f"(KH, KW, C, M)), got {filter_format!r}"
        )


def _filter_parts(op: str, ws: tuple, filter_format: str, c):
    """(KH, KW, M) of a depthwise filter for an input of c channels (None where unknown)."""
    if len(ws) != 4:
        raise ShapeError(
            f"{op}: the filter must be 4-D ({filter_format}), got shape {fmt_shape(ws)}"
        )
    if filter_format == "HWCM":
        kh, kw, cw, m = ws
        if c is not None and cw is not None and cw != c:
            raise ShapeError(
                f"{op}: the input has {c} channels but the filter {fmt_shape(ws)} (HWCM) is for "
                f"{cw}; the filter's third dim must equal the input's channels"
            )
        return kh, kw, m
    cm, one, kh, kw = ws
    if one is not None and one != 1:
        raise ShapeError(
            f"{op}: a depthwise filter (OIHW) has one input channel per group, got shape "
            f"{fmt_shape(ws)}; its second dim must be 1"
        )
    if c is not None and cm is not None and cm % c:
        raise ShapeError(
            f"{op}: the filter's {cm} output channels (shape {fmt_shape(ws)}, OIHW) are not a "
            f"multiple of the input's {c} channels"
        )
    return kh, kw, (None if c is None or cm is None else cm // c)


def _check(op, x, w, stride, padding, dilation, data_format, filter_format) -> tuple:
    """Validate a depthwise convolution's operands; return its output shape in data_format."""
    geo.check_layout(data_format, op)
    _check_filter_layout(filter_format, op)
    xs, ws = tuple(x.shape), tuple(w.shape)
    if len(xs) != 4:
        raise ShapeError(f"{op}: the input must be 4-D ({data_format}), got shape {fmt_shape(xs)}")
    n, c, h, wd = CK.nchw(xs, data_format)
    kh, kw, m = _filter_parts(op, ws, filter_format, c)
    st = geo.pair(stride, "stride", op)
    dl = geo.pair(dilation, "dilation", op)
    what = f"input {fmt_shape(xs)} ({data_format}) and filter {fmt_shape(ws)} ({filter_format})"
    oh, ow, _ = geo.output_hw(op, (h, wd), (kh, kw), st, dl, padding, what)
    o = None if c is None or m is None else c * m
    return (n, o, oh, ow) if data_format == "NCHW" else (n, oh, ow, o)


def _same_shape(op: str, what: str, got: tuple, want: tuple) -> None:
    if len(got) != len(want) or any(
        a is not None and b is not None and a != b for a, b in zip(got, want, strict=True)
    ):
        raise ShapeError(f"{op}: {what} has shape {fmt_shape(got)}, expected {fmt_shape(want)}")


def _rule(x, w, stride, padding, dilation, data_format, filter_format) -> AVal:
    op = "depthwise_conv2d"
    dt = rules.same_dtype(op, x, w)
    rules.require_float(op, x)
    return AVal(_check(op, x, w, stride, padding, dilation, data_format, filter_format), dt)


def _input_grad_rule(g, w, like_x, stride, padding, dilation, data_format, filter_format):
    op = "depthwise_conv2d_input_grad"
    dt = rules.same_dtype(op, g, w)
    rules.require_float(op, g)
    out = _check(op, like_x, w, stride, padding, dilation, data_format, filter_format)
    _same_shape(op, "the output gradient", tuple(g.shape), out)
    return AVal(tuple(like_x.shape), dt)


def _filter_grad_rule(x, g, like_w, stride, padding, dilation, data_format, filter_format):
    op = "depthwise_conv2d_filter_grad"
    dt = rules.same_dtype(op, x, g)
    rules.require_float(op, x)
    out = _check(op, x, like_w, stride, padding, dilation, data_format, filter_format)
    _same_shape(op, "the output gradient", tuple(g.shape), out)
    return AVal(tuple(like_w.shape), dt)


# ---- the public operations ----------------------------------------------------------------


def depthwise_conv2d(
    x,
    w,
    stride=1,
    padding=0,
    dilation=1,
    data_format: str = "NCHW",
    filter_format: str = "OIHW",
):
    """Depthwise cross-correlation of x (NCHW or NHWC) with w ((C*M, 1, KH, KW) or
    (KH, KW, C, M)); padding as conv2d's (ints, pairs, 4-tuples or "SAME"/"VALID")."""
    op = "depthwise_conv2d"
    geo.check_layout(data_format, op)
    _check_filter_layout(filter_format, op)
    for what, v in (("input", x), ("filter", w)):
        if len(v.shape) != 4:
            raise ShapeError(f"{op}: the {what} must be 4-D, got shape {fmt_shape(v.shape)}")
    kh, kw = (w.shape[0], w.shape[1]) if filter_format == "HWCM" else (w.shape[2], w.shape[3])
    st = geo.pair(stride, "stride", op)
    dl = geo.pair(dilation, "dilation", op)
    hw = CK.nchw(tuple(x.shape), data_format)[2:]
    pads = geo.resolve_padding(padding, hw, (kh, kw), st, dl, op)
    p = dict(stride=st, padding=pads, dilation=dl, data_format=data_format)
    return bind(DEPTHWISE_CONV2D, x, w, filter_format=filter_format, **p)


def depthwise_conv2d_input_grad(g, w, like_x, **p):
    """The VJP of depthwise_conv2d w.r.t. its input (shaped like `like_x`)."""
    return bind(DEPTHWISE_CONV2D_INPUT_GRAD, g, w, like_x, **p)


def depthwise_conv2d_filter_grad(x, g, like_w, **p):
    """The VJP of depthwise_conv2d w.r.t. its filter (shaped like `like_w`)."""
    return bind(DEPTHWISE_CONV2D_FILTER_GRAD, x, g, like_w, **p)


# ---- VJP rules (linear in each operand) ----------------------------------------------------


def _vjp(g, out, x, w, wants, **p):
    return (
        depthwise_conv2d_input_grad(g, w, x, **p) if wants[0] else None,
        depthwise_conv2d_filter_grad(x, g, w, **p) if wants[1] else None,
    )


def _input_grad_vjp(gg, out, g, w, like_x, wants, **p):
    # input_grad(g, w) = A_w^T g: w.r.t. g it is depthwise(gg, w), w.r.t. w filter_grad(gg, g)
    return (
        bind(DEPTHWISE_CONV2D, gg, w, **p) if wants[0] else None,
        depthwise_conv2d_filter_grad(gg, g, w, **p) if wants[1] else None,
        None,
    )


def _filter_grad_vjp(gg, out, x, g, like_w, wants, **p):
    return (
        depthwise_conv2d_input_grad(g, gg, x, **p) if wants[0] else None,
        bind(DEPTHWISE_CONV2D, x, gg, **p) if wants[1] else None,
        None,
    )


# ---- numpy references (float64 loops over taps) --------------------------------------------


def _ref_parts(x_shape, w, stride, padding, dilation, data_format, filter_format):
    """(N, C, H, W), the filter as float64 (C, M, KH, KW), pads and (OH, OW)."""
    n, c, h, wd = CK.nchw(tuple(x_shape), data_format)
    w64 = np.asarray(w, np.float64)
    if filter_format == "HWCM":
        w64 = np.transpose(w64, (2, 3, 0, 1))
    else:
        w64 = w64.reshape(c, -1, w64.shape[2], w64.shape[3])
    kh, kw = w64.shape[2:]
    pads = geo.resolve_padding(padding, (h, wd), (kh, kw), stride, dilation, "ref")
    oh = (h + pads[0] + pads[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pads[2] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return (n, c, h, wd), w64, pads, (oh, ow)


def _taps(kh, kw, oh, ow, stride, dilation):
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (oh - 1) + 1, stride[0])
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (ow - 1) + 1, stride[1])
            yield i, j, rows, cols


def _nchw64(a, data_format):
    a = np.asarray(a, np.float64)
    return a if data_format == "NCHW" else np.transpose(a, (0, 3, 1, 2))


def _from_nchw(a, data_format, dtype):
    a = a if data_format == "NCHW" else np.transpose(a, (0, 2, 3, 1))
    return np.ascontiguousarray(a).astype(dtype)


def _ref_forward(x, w, stride, padding, dilation, data_format, filter_format):
    (n, c, h, wd), w64, pads, (oh, ow) = _ref_parts(
        x.shape, w, stride, padding, dilation, data_format, filter_format
    )
    m = w64.shape[1]
    xp = np.pad(_nchw64(x, data_format), ((0, 0), (0, 0), pads[:2], pads[2:]))
    out = np.zeros((n, c, m, oh, ow))
    for i, j, rows, cols in _taps(w64.shape[2], w64.shape[3], oh, ow, stride, dilation):
        out += xp[:, :, None, rows, cols] * w64[None, :, :, i, j, None, None]
    return _from_nchw(out.reshape(n, c * m, oh, ow), data_format, x.dtype)


def _ref_input_grad(g, w, like_x, stride, padding, dilation, data_format, filter_format):
    (n, c, h, wd), w64, pads, (oh, ow) = _ref_parts(
        like_x.shape, w, stride, padding, dilation, data_format, filter_format
    )
    m = w64.shape[1]
    gt = _nchw64(g, data_format).reshape(n, c, m, oh, ow)
    dxp = np.zeros((n, c, h + pads[0] + pads[1], wd + pads[2] + pads[3]))
    for i, j, rows, cols in _taps(w64.shape[2], w64.shape[3], oh, ow, stride, dilation):
        dxp[:, :, rows, cols] += np.einsum("ncmhw,cm->nchw", gt, w64[:, :, i, j])
    dx = dxp[:, :, pads[0] : pads[0] + h, pads[2] : pads[2] + wd]
    return _from_nchw(dx, data_format, g.dtype)


def _ref_filter_grad(x, g, like_w, stride, padding, dilation, data_format, filter_format):
    (n, c, h, wd), w64, pads, (oh, ow) = _ref_parts(
        x.shape, like_w, stride, padding, dilation, data_format, filter_format
    )
    m, kh, kw = w64.shape[1:]
    xp = np.pad(_nchw64(x, data_format), ((0, 0), (0, 0), pads[:2], pads[2:]))
    gt = _nchw64(g, data_format).reshape(n, c, m, oh, ow)
    dw = np.zeros((c, m, kh, kw))
    for i, j, rows, cols in _taps(kh, kw, oh, ow, stride, dilation):
        dw[:, :, i, j] = np.einsum("ncmhw,nchw->cm", gt, xp[:, :, rows, cols])
    if filter_format == "HWCM":
        dw = np.transpose(dw, (2, 3, 0, 1))
    else:
        dw = dw.reshape(c * m, 1, kh, kw)
    return np.ascontiguousarray(dw).astype(x.dtype)


DEPTHWISE_CONV2D = register(
    Primitive(
        "depthwise_conv2d",
        impl=lambda x, w, **p: DK.depthwise_conv2d(x, w, **p),
        shape_rule=_rule,
        vjp=_vjp,
        reference=_ref_forward,
    )
)
DEPTHWISE_CONV2D_INPUT_GRAD = register(
    Primitive(
        "depthwise_conv2d_input_grad",
        impl=lambda g, w, like_x, **p: DK.depthwise_input_grad(g, w, like_x.shape, **p),
        shape_rule=_input_grad_rule,
        vjp=_input_grad_vjp,
        reference=_ref_input_grad,
        nondiff=(2,),
        shape_only=(2,),
    )
)
DEPTHWISE_CONV2D_FILTER_GRAD = register(
    Primitive(
        "depthwise_conv2d_filter_grad",
        impl=lambda x, g, like_w, **p: DK.depthwise_filter_grad(x, g, like_w.shape, **p),
        shape_rule=_filter_grad_rule,
        vjp=_filter_grad_vjp,
        reference=_ref_filter_grad,
        nondiff=(2,),
        shape_only=(2,),
    )
)
