"""2-D convolution primitives (no groups): conv2d, its input and filter gradients, padding helper.

Layouts: data NCHW (PyTorch) or NHWC (TF); filters OIHW (PyTorch) or HWIO (TF). Padding is
(top, bottom, left, right), or "SAME"/"VALID" (TF's rules, see kernels/conv_geometry), kept as a
string in a node only while a spatial size is unknown. Both gradients are primitives with
their own VJPs, so a graph builds them as nodes and second derivatives exist. All layouts give
bit-identical numbers for the same data (see kernels/conv).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..kernels import conv as CK
from ..kernels import conv_geometry as geo
from . import rules
from .registry import AVal, Primitive, bind, register

# ---- parameters and shapes ----------------------------------------------------------------


def conv_padding(padding, in_hw, kernel_hw, stride=1, dilation=1) -> tuple | str:
    """(top, bottom, left, right) for PyTorch-style ints/pairs or TF's "SAME"/"VALID".

    "SAME" needs the input's spatial size; while it is unknown (None) the string is returned
    and resolved when the kernel runs.
    """
    st = geo.pair(stride, "stride", "conv_padding")
    dl = geo.pair(dilation, "dilation", "conv_padding")
    k = tuple(kernel_hw)
    return geo.resolve_padding(padding, tuple(in_hw), k, st, dl, "conv_padding")


def _hw(shape: tuple, data_format: str) -> tuple:
    return (shape[2], shape[3]) if data_format == "NCHW" else (shape[1], shape[2])


def _channels(shape: tuple, data_format: str):
    return shape[1] if data_format == "NCHW" else shape[3]


def _check(op, x, w, stride, padding, dilation, data_format, filter_format) -> tuple:
    """Validate a convolution's operands; return (output shape, padding) in data_format."""
    geo.check_layout(data_format, op)
    geo.check_filter_layout(filter_format, op)
    xs, ws = tuple(x.shape), tuple(w.shape)
    if len(xs) != 4:
        raise ShapeError(f"{op}: the input must be 4-D ({data_format}), got shape {fmt_shape(xs)}")
    if len(ws) != 4:
        raise ShapeError(
            f"{op}: the filter must be 4-D ({filter_format}), got shape {fmt_shape(ws)}"
        )
    o, cw, kh, kw = CK.oihw(ws, filter_format)
    cx = _channels(xs, data_format)
    if cx is not None and cw is not None and cx != cw:
        raise ShapeError(
            f"{op}: the input {fmt_shape(xs)} ({data_format}) has {cx} channels but the filter "
            f"{fmt_shape(ws)} ({filter_format}) expects {cw}; grouped convolution is not "
            "supported, so the filter's input channels must equal the input's"
        )
    st = geo.pair(stride, "stride", op)
    dl = geo.pair(dilation, "dilation", op)
    what = f"input {fmt_shape(xs)} ({data_format}) and filter {fmt_shape(ws)} ({filter_format})"
    oh, ow, pads = geo.output_hw(op, _hw(xs, data_format), (kh, kw), st, dl, padding, what)
    n = xs[0]
    out = (n, o, oh, ow) if data_format == "NCHW" else (n, oh, ow, o)
    return out, pads


# Verdicts of the shape rules for fully known shapes (a model calls each layer with the same
# shapes every step; the checks cost more than a batch-1 layer's kernel). Failures are never
# stored, so a bad call raises every time.
_RULES: dict = {}


def _conv_rule(x, w, stride, padding, dilation, data_format, filter_format) -> AVal:
    key = ("conv2d", x.shape, w.shape, x.dtype, w.dtype, stride, padding, dilation,
           data_format, filter_format)  # fmt: skip
    try:
        hit = _RULES.get(key)
    except TypeError:  # unhashable params (lists): no caching
        hit = key = None
    if hit is not None:
        return hit
    dt = rules.same_dtype("conv2d", x, w)
    rules.require_float("conv2d", x)
    out, _ = _check("conv2d", x, w, stride, padding, dilation, data_format, filter_format)
    verdict = AVal(out, dt)
    if key is not None and None not in out:
        rules.remember(_RULES, key, verdict)
    return verdict


def _same_shape(op: str, what: str, got: tuple, want: tuple) -> None:
    if len(got) != len(want) or any(
        a is not None and b is not None and a != b for a, b in zip(got, want, strict=True)
    ):
        raise ShapeError(f"{op}: {what} has shape {fmt_shape(got)}, expected {fmt_shape(want)}")


def _input_grad_rule(g, w, like_x, stride, padding, dilation, data_format, filter_format):
    op = "conv2d_input_grad"
    dt = rules.same_dtype(op, g, w)
    rules.require_float(op, g)
    out, _ = _check(op, like_x, w, stride, padding, dilation, data_format, filter_format)
    _same_shape(op, "the output gradient", tuple(g.shape), out)
    return AVal(tuple(like_x.shape), dt)


def _filter_grad_rule(x, g, like_w, stride, padding, dilation, data_format, filter_format):
    op = "conv2d_filter_grad"
    dt = rules.same_dtype(op, x, g)
    rules.require_float(op, x)
    out, _ = _check(op, x, like_w, stride, padding, dilation, data_format, filter_format)
    _same_shape(op, "the output gradient", tuple(g.shape), out)
    return AVal(tuple(like_w.shape), dt)


# ---- the public operations ----------------------------------------------------------------


_PARAMS: dict = {}


def _params(op, x, w_hw, stride, padding, dilation, data_format, filter_format) -> dict:
    """The bind params of a convolution (stride, padding resolved to four ints, ...); checked
    once per (shape, arguments) and then looked up."""
    key = (op, tuple(x.shape), w_hw, stride, padding, dilation, data_format, filter_format)
    try:
        hit = _PARAMS.get(key)
    except TypeError:  # unhashable arguments (lists): no caching
        return _make_params(op, x, w_hw, stride, padding, dilation, data_format, filter_format)
    if hit is None:
        hit = _make_params(op, x, w_hw, stride, padding, dilation, data_format, filter_format)
        if None not in key[1]:
            rules.remember(_PARAMS, key, hit)
    return dict(hit)


def _make_params(op, x, w_hw, stride, padding, dilation, data_format, filter_format) -> dict:
    geo.check_layout(data_format, op)
    geo.check_filter_layout(filter_format, op)
    st = geo.pair(stride, "stride", op)
    dl = geo.pair(dilation, "dilation", op)
    pads = geo.resolve_padding(padding, _hw(tuple(x.shape), data_format), w_hw, st, dl, op)
    return dict(
        stride=st, padding=pads, dilation=dl, data_format=data_format, filter_format=filter_format
    )


def conv2d(
    x,
    w,
    stride=1,
    padding=0,
    dilation=1,
    data_format: str = "NCHW",
    filter_format: str = "OIHW",
    groups: int = 1,
):
    """2-D cross-correlation of x (NCHW or NHWC) with filters w (OIHW or HWIO), no bias.

    stride and dilation are ints or (h, w) pairs; padding is an int, (h, w), (top, bottom,
    left, right), ((top, bottom), (left, right)) or "SAME"/"VALID".
    """
    if groups != 1:
        raise ValueError(f"conv2d: groups={groups} is not supported; only groups=1 is")
    geo.check_filter_layout(filter_format, "conv2d")
    if len(w.shape) != 4:
        raise ShapeError(
            f"conv2d: the filter must be 4-D ({filter_format}), got shape {fmt_shape(w.shape)}"
        )
    k_hw = CK.oihw(tuple(w.shape), filter_format)[2:]
    if len(x.shape) != 4:
        raise ShapeError(
            f"conv2d: the input must be 4-D ({data_format}), got shape {fmt_shape(x.shape)}"
        )
    p = _params("conv2d", x, k_hw, stride, padding, dilation, data_format, filter_format)
    return bind(CONV2D, x, w, **p)


def conv2d_input_grad(g, w, like_x, stride, padding, dilation, data_format, filter_format):
    """The VJP of conv2d w.r.t. its input (shaped like `like_x`) for output gradient g."""
    return bind(
        CONV2D_INPUT_GRAD,
        g,
        w,
        like_x,
        stride=stride,
        padding=padding,
        dilation=dilation,
        data_format=data_format,
        filter_format=filter_format,
    )


def conv2d_filter_grad(x, g, like_w, stride, padding, dilation, data_format, filter_format):
    """The VJP of conv2d w.r.t. its filter (shaped like `like_w`) for output gradient g."""
    return bind(
        CONV2D_FILTER_GRAD,
        x,
        g,
        like_w,
        stride=stride,
        padding=padding,
        dilation=dilation,
        data_format=data_format,
        filter_format=filter_format,
    )


# ---- VJP rules (linear in each operand) ----------------------------------------------------


def _conv_vjp(g, out, x, w, wants, **p):
    return (
        conv2d_input_grad(g, w, x, **p) if wants[0] else None,
        conv2d_filter_grad(x, g, w, **p) if wants[1] else None,
    )


def _input_grad_vjp(gg, out, g, w, like_x, wants, **p):
    # input_grad(g, w) = A_w^T g: its VJP w.r.t. g is conv2d(gg, w), w.r.t. w filter_grad(gg, g)
    return (
        bind(CONV2D, gg, w, **p) if wants[0] else None,
        conv2d_filter_grad(gg, g, w, **p) if wants[1] else None,
        None,
    )


def _filter_grad_vjp(gg, out, x, g, like_w, wants, **p):
    return (
        conv2d_input_grad(g, gg, x, **p) if wants[0] else None,
        bind(CONV2D, x, gg, **p) if wants[1] else None,
        None,
    )


# ---- numpy references (float64 loops over taps) --------------------------------------------


def _ref_setup(x_shape, w_shape, stride, padding, dilation, data_format, filter_format):
    n, c, h, wd = CK.nchw(tuple(x_shape), data_format)
    o, _, kh, kw = CK.oihw(tuple(w_shape), filter_format)
    pads = geo.resolve_padding(padding, (h, wd), (kh, kw), stride, dilation, "ref")
    oh = (h + pads[0] + pads[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pads[2] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return (n, c, h, wd), (o, kh, kw), pads, (oh, ow)


def _taps(kh, kw, oh, ow, stride, dilation):
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (oh - 1) + 1, stride[0])
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (ow - 1) + 1, stride[1])
            yield i, j, rows, cols


def _to_nchw(a, data_format):
    return np.asarray(a, np.float64) if data_format == "NCHW" else np.transpose(a, (0, 3, 1, 2))


def _from_nchw(a, data_format, dtype):
    a = a if data_format == "NCHW" else np.transpose(a, (0, 2, 3, 1))
    return np.ascontiguousarray(a).astype(dtype)


def _to_oihw(w, filter_format):
    return np.asarray(w, np.float64) if filter_format == "OIHW" else np.transpose(w, (3, 2, 0, 1))


def _ref_conv(x, w, stride, padding, dilation, data_format, filter_format):
    (n, c, h, wd), (o, kh, kw), pads, (oh, ow) = _ref_setup(
        x.shape, w.shape, stride, padding, dilation, data_format, filter_format
    )
    xp = np.pad(
        _to_nchw(x, data_format).astype(np.float64),
        ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3])),
    )
    wt = _to_oihw(w, filter_format).astype(np.float64)
    out = np.zeros((n, o, oh, ow))
    for i, j, rows, cols in _taps(kh, kw, oh, ow, stride, dilation):
        out += np.einsum("nchw,oc->nohw", xp[:, :, rows, cols], wt[:, :, i, j])
    return _from_nchw(out, data_format, x.dtype)


def _ref_input_grad(g, w, like_x, stride, padding, dilation, data_format, filter_format):
    (n, c, h, wd), (o, kh, kw), pads, (oh, ow) = _ref_setup(
        like_x.shape, w.shape, stride, padding, dilation, data_format, filter_format
    )
    gt = _to_nchw(g, data_format).astype(np.float64)
    wt = _to_oihw(w, filter_format).astype(np.float64)
    dxp = np.zeros((n, c, h + pads[0] + pads[1], wd + pads[2] + pads[3]))
    for i, j, rows, cols in _taps(kh, kw, oh, ow, stride, dilation):
        dxp[:, :, rows, cols] += np.einsum("nohw,oc->nchw", gt, wt[:, :, i, j])
    dx = dxp[:, :, pads[0] : pads[0] + h, pads[2] : pads[2] + wd]
    return _from_nchw(dx, data_format, g.dtype)


def _ref_filter_grad(x, g, like_w, stride, padding, dilation, data_format, filter_format):
    (n, c, h, wd), (o, kh, kw), pads, (oh, ow) = _ref_setup(
        x.shape, like_w.shape, stride, padding, dilation, data_format, filter_format
    )
    xp = np.pad(
        _to_nchw(x, data_format).astype(np.float64),
        ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3])),
    )
    gt = _to_nchw(g, data_format).astype(np.float64)
    dw = np.zeros((o, c, kh, kw))
    for i, j, rows, cols in _taps(kh, kw, oh, ow, stride, dilation):
        dw[:, :, i, j] = np.einsum("nohw,nchw->oc", gt, xp[:, :, rows, cols])
    dw = dw if filter_format == "OIHW" else np.transpose(dw, (2, 3, 1, 0))
    return np.ascontiguousarray(dw).astype(x.dtype)


CONV2D = register(
    Primitive(
        "conv2d",
        impl=lambda x, w, **p: CK.conv2d(x, w, **p),
        shape_rule=_conv_rule,
        vjp=_conv_vjp,
        reference=_ref_conv,
    )
)
CONV2D_INPUT_GRAD = register(
    Primitive(
        "conv2d_input_grad",
        impl=lambda g, w, like_x, **p: CK.conv2d_input_grad(g, w, like_x.shape, **p),
        shape_rule=_input_grad_rule,
        vjp=_input_grad_vjp,
        reference=_ref_input_grad,
        nondiff=(2,),
    )
)
CONV2D_FILTER_GRAD = register(
    Primitive(
        "conv2d_filter_grad",
        impl=lambda x, g, like_w, **p: CK.conv2d_filter_grad(x, g, like_w.shape, **p),
        shape_rule=_filter_grad_rule,
        vjp=_filter_grad_vjp,
        reference=_ref_filter_grad,
        nondiff=(2,),
    )
)
