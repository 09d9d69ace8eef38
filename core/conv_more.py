"""Grouped / depthwise 2-D convolution and 3-D convolution, composed from the conv2d primitive.

Grouped convolution (PyTorch's `groups=`) splits the input channels into `groups` slices,
convolves each with its own filters and joins the outputs along the channel axis; the gradients
follow from slicing, conv2d's rules and concat. Depthwise convolution (groups == in_channels)
is its own primitive instead (primitives/depthwise: one kernel over all channels). 3-D
convolution is a sum over the filter's depth taps of 2-D convolutions, each on the input's depth
slices folded into the batch, so every tap is one large conv2d (a BLAS-sized problem) rather
than many small ones.
Both frontends call these, so eager and graph give the same bits.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import ops
from .kernels import conv_geometry as geo
from .primitives.depthwise import depthwise_conv2d


def _channel_axis(data_format: str) -> int:
    return 1 if data_format in ("NCHW", "NCDHW") else -1


def _filter_axes(filter_format: str) -> tuple[int, int]:
    """(output-channel axis, input-channel axis) of a 2-D or 3-D filter layout."""
    return (0, 1) if filter_format in ("OIHW", "OIDHW") else (-1, -2)


def _slice(x, axis: int, start: int, stop: int):
    nd = len(x.shape)
    a = axis % nd
    return ops.getitem(x, tuple([slice(None)] * a + [slice(start, stop)]))


def grouped_conv2d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
    data_format: str = "NCHW",
    filter_format: str = "OIHW",
):
    """conv2d with `groups`: the filter holds C/groups input channels and O output channels."""
    groups = int(groups)
    if groups == 1:
        return F.conv2d(x, weight, bias, stride, padding, dilation, data_format, filter_format)
    cax = _channel_axis(data_format)
    oax, iax = _filter_axes(filter_format)
    c, o, ci = x.shape[cax], weight.shape[oax], weight.shape[iax]
    if groups < 1 or c is None or c % groups or o % groups or ci * groups != c:
        raise ValueError(
            f"conv2d: groups={groups} needs input channels ({c}) and output channels ({o}) "
            f"divisible by groups, and filter input channels ({ci}) = input channels / groups; "
            f"got input shape {tuple(x.shape)} ({data_format}) and filter shape "
            f"{tuple(weight.shape)} ({filter_format})"
        )
    if isinstance(padding, str):  # resolve once so every group pads alike
        padding = padding.upper()
    if ci == 1 and groups == c and filter_format == "OIHW":
        # depthwise (one input channel per group): one kernel over all channels
        y = depthwise_conv2d(x, weight, stride, padding, dilation, data_format, "OIHW")
        return y if bias is None else ops.add(y, ops.reshape(bias, _bias_shape(cax)))
    cg, og = c // groups, o // groups
    outs = []
    for g in range(groups):
        xg = _slice(x, cax, g * cg, (g + 1) * cg)
        wg = _slice(weight, oax, g * og, (g + 1) * og)
        outs.append(ops.conv2d(xg, wg, stride, padding, dilation, data_format, filter_format))
    y = ops.concat(outs, cax % len(x.shape))
    if bias is None:
        return y
    return ops.add(y, ops.reshape(bias, _bias_shape(cax)))


def _bias_shape(cax: int) -> tuple:
    return tuple(-1 if i == cax % 4 else 1 for i in range(4))


def depthwise_filter_as_grouped(filter_hwcm):
    """TF's depthwise filter [h, w, C, M] as a grouped HWIO filter [h, w, 1, C*M] (same order)."""
    h, w, c, m = filter_hwcm.shape
    return ops.reshape(filter_hwcm, (h, w, 1, c * m))


def _triple(v, what: str, op: str, minimum: int = 1) -> tuple[int, int, int]:
    vals = (int(v),) * 3 if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)
    if len(vals) != 3 or any(a < minimum for a in vals):
        raise ValueError(f"{op}: {what} must be one int or three ints >= {minimum}, got {v!r}")
    return vals  # type: ignore[return-value]


def conv3d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    data_format: str = "NCDHW",
    filter_format: str = "OIDHW",
):
    """3-D cross-correlation: NCDHW + OIDHW (PyTorch) or NDHWC + DHWIO (TF), padding per axis.

    padding: an int, three ints (symmetric), three (before, after) pairs, or "SAME"/"VALID".
    """
    op = "conv3d"
    if data_format not in ("NCDHW", "NDHWC") or filter_format not in ("OIDHW", "DHWIO"):
        raise ValueError(
            f"{op}: layouts NCDHW/OIDHW or NDHWC/DHWIO, got {data_format}/{filter_format}"
        )
    if len(x.shape) != 5 or len(weight.shape) != 5:
        raise ValueError(
            f"{op}: input and filter must be 5-D, got {tuple(x.shape)} and {tuple(weight.shape)}"
        )
    st = _triple(stride, "stride", op)
    dl = _triple(dilation, "dilation", op)
    cf = data_format == "NCDHW"
    # to N, D, C, H, W (channels first per slice) or N, D, H, W, C
    xd = ops.transpose(x, (0, 2, 1, 3, 4)) if cf else x
    d = xd.shape[1]
    if filter_format == "OIDHW":
        kd, kh, kw = weight.shape[2], weight.shape[3], weight.shape[4]
        c_in, c_out = weight.shape[1], weight.shape[0]
    else:
        kd, kh, kw = weight.shape[0], weight.shape[1], weight.shape[2]
        c_in, c_out = weight.shape[3], weight.shape[4]
    c_x = x.shape[1] if cf else x.shape[4]
    if c_x != c_in:
        raise ValueError(
            f"{op}: the input {tuple(x.shape)} ({data_format}) has {c_x} channels but the filter "
            f"{tuple(weight.shape)} ({filter_format}) expects {c_in}"
        )
    in_dhw = tuple(x.shape[2:]) if cf else tuple(x.shape[1:4])
    pads = _pads3(padding, in_dhw, (kd, kh, kw), st, dl, op)
    (pd0, pd1), hw_pad = pads[0], (*pads[1], *pads[2])
    if pd0 or pd1:
        xd = _pad_depth(xd, pd0, pd1)
    dp = d + pd0 + pd1
    od = (dp - dl[0] * (kd - 1) - 1) // st[0] + 1
    if od <= 0:
        raise ValueError(f"{op}: the padded depth {dp} is smaller than the filter's reach")
    fmt2 = "NCHW" if cf else "NHWC"
    ffmt2 = "OIHW" if filter_format == "OIDHW" else "HWIO"
    y = None
    for t in range(kd):
        start = t * dl[0]
        xs = ops.getitem(xd, (slice(None), slice(start, start + (od - 1) * st[0] + 1, st[0])))
        xs = ops.reshape(xs, (-1, *xs.shape[2:]))
        if filter_format == "OIDHW":
            wt = ops.getitem(weight, (slice(None), slice(None), t))
        else:
            wt = ops.getitem(weight, (t,))
        yt = ops.conv2d(xs, wt, st[1:], hw_pad, dl[1:], fmt2, ffmt2)
        y = yt if y is None else ops.add(y, yt)
    y = ops.reshape(y, (-1, od, *y.shape[1:]))
    if cf:
        y = ops.transpose(y, (0, 2, 1, 3, 4))
    if bias is not None:
        shape = (1, c_out, 1, 1, 1) if cf else (1, 1, 1, 1, c_out)
        y = ops.add(y, ops.reshape(bias, shape))
    return y


def _pads3(padding, in_dhw, k, st, dl, op: str) -> list[tuple[int, int]]:
    """[(before, after)] per spatial axis for ints, pairs or TF's SAME/VALID."""
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return [(0, 0)] * 3
        if mode != "SAME":
            raise ValueError(f"{op}: padding must be 'SAME', 'VALID' or ints, got {padding!r}")
        return [
            geo.same_padding_1d(s, kk, ss, dd)
            for s, kk, ss, dd in zip(in_dhw, k, st, dl, strict=True)
        ]
    if isinstance(padding, (int, np.integer)):
        return [(int(padding), int(padding))] * 3
    vals = list(padding)
    if len(vals) != 3:
        raise ValueError(f"{op}: padding must have 3 entries, got {padding!r}")
    out = []
    for v in vals:
        if isinstance(v, (int, np.integer)):
            out.append((int(v), int(v)))
        else:
            a, b = v
            out.append((int(a), int(b)))
    if any(a < 0 or b < 0 for a, b in out):
        raise ValueError(f"{op}: padding must be >= 0, got {padding!r}")
    return out


def _pad_depth(xd, before: int, after: int):
    """Zeros before and after axis 1 of (N, D, ...) data (zeros made like x, so batch may vary)."""
    one = ops.fill_like(ops.getitem(xd, (slice(None), slice(0, 1))), 0.0)
    parts = []
    for k in (before, None, after):
        if k is None:
            parts.append(xd)
        elif k:
            parts.append(ops.concat([one] * k, 1) if k > 1 else one)
    return ops.concat(parts, 1)
