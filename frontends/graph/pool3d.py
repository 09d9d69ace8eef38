"""3-D pooling over NDHWC inputs (`tf.nn.max_pool3d` / `avg_pool3d`, `tf.layers.max_pooling3d` /
`average_pooling3d` and their classes), composed of 2-D pooling per depth slice: a 3-D window
is a depth range times a 2-D window, so its max is the max of the slices' 2-D maxima and (the
window's valid cells forming a box) its mean over valid cells is the mean of the slices' 2-D
means. Also `tf.nn.conv3d_transpose`, as the gradient of conv3d with respect to its input."""

from __future__ import annotations

from typing import Any

from . import array_ops as A
from . import math_ops as M
from . import nn
from .layer_classes import _layer_class
from .math_ops import _tensor, known_rank
from .tensor import Tensor


def _three(v: Any, op: str, what: str) -> tuple:
    vals = [int(a) for a in v] if not isinstance(v, int) else [v] * 3
    if len(vals) == 5:
        if vals[0] != 1 or vals[4] != 1:
            raise ValueError(f"{op}: {what} over the batch or channel axis is not supported")
        vals = vals[1:4]
    if len(vals) != 3:
        raise ValueError(f"{op}: {what} must have 3 or 5 entries, got {v!r}")
    return tuple(vals)


def _depth_windows(d: int, k: int, s: int, padding: str) -> list:
    """The valid depth indices of each output position, by TF's VALID / SAME rules."""
    if padding == "VALID":
        n = (d - k) // s + 1
        return [list(range(i * s, i * s + k)) for i in range(max(n, 0))]
    n = -(-d // s)
    before = max((n - 1) * s + k - d, 0) // 2
    return [[j for j in range(i * s - before, i * s - before + k) if 0 <= j < d] for i in range(n)]


def _pool3d(kind: str, value, ksize, strides, padding, data_format, name) -> Tensor:
    op = f"{kind}_pool3d"
    if data_format not in ("NDHWC", "channels_last"):
        raise NotImplementedError(f"{op}: only data_format='NDHWC' is provided")
    x = _tensor(value)
    known_rank(op, x)
    if len(x.shape) != 5 or x.shape[1] is None:
        raise ValueError(f"{op}: input must be 5-D NDHWC with a known depth, got {x}")
    (kd, kh, kw), (sd, sh, sw) = _three(ksize, op, "ksize"), _three(strides, op, "strides")
    pad = padding.upper()
    pool = nn.max_pool if kind == "max" else nn.avg_pool
    with x.graph.name_scope(name or ("MaxPool3D" if kind == "max" else "AvgPool3D")):
        planes = [
            pool(p, [1, kh, kw, 1], [1, sh, sw, 1], pad) for p in A.unstack(x, axis=1)
        ]  # fmt: skip
        outs = []
        for idx in _depth_windows(int(x.shape[1]), kd, sd, pad):
            part = A.stack([planes[j] for j in idx], axis=1)
            red = M.reduce_max if kind == "max" else M.reduce_mean
            outs.append(red(part, 1))
        return A.stack(outs, axis=1)


def max_pool3d(
    input: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NDHWC",  # noqa: A002
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window maxima over depth, height and width."""
    return _pool3d("max", input, ksize, strides, padding, data_format, name)


def avg_pool3d(
    input: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NDHWC",  # noqa: A002
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window means over the valid (unpadded) cells."""
    return _pool3d("avg", input, ksize, strides, padding, data_format, name)


def max_pooling3d(
    inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
    data_format: str = "channels_last", name: str | None = None,
) -> Tensor:  # fmt: skip
    """tf.layers form of max_pool3d."""
    return _pool3d("max", inputs, pool_size, strides, padding, data_format, name)


def average_pooling3d(
    inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
    data_format: str = "channels_last", name: str | None = None,
) -> Tensor:  # fmt: skip
    """tf.layers form of avg_pool3d."""
    return _pool3d("avg", inputs, pool_size, strides, padding, data_format, name)


MaxPooling3D = _layer_class("MaxPooling3D", max_pooling3d, False)
AveragePooling3D = _layer_class("AveragePooling3D", average_pooling3d, False)
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D


def conv3d_transpose(
    value: Any, filter: Any = None, output_shape: Any = None, strides: Any = None,  # noqa: A002
    padding: str = "SAME", data_format: str = "NDHWC", name: str | None = None,
    dilations: Any = None, filters: Any = None, input: Any = None,  # noqa: A002
) -> Tensor:  # fmt: skip
    """The transpose of tf.nn.conv3d (its gradient with respect to the input): NDHWC `value`,
    filter (d, h, w, out_channels, in_channels), a static `output_shape`."""
    from .conv_more import conv3d
    from .gradients import gradients

    if data_format != "NDHWC":
        raise NotImplementedError("conv3d_transpose: only data_format='NDHWC' is provided")
    v = _tensor(value if value is not None else input)
    w = _tensor(filter if filter is not None else filters)
    if isinstance(output_shape, Tensor) or output_shape is None:
        raise NotImplementedError("conv3d_transpose: output_shape must be a list of Python ints")
    shape = [int(d) for d in output_shape]
    with v.graph.name_scope(name or "conv3d_transpose"):
        x = A.zeros(shape, dtype=v.dtype)
        y = conv3d(x, w, strides if strides is not None else 1, padding, dilations=dilations)
        if tuple(y.shape) != tuple(v.shape) and None not in tuple(v.shape):
            raise ValueError(
                f"conv3d_transpose: value has shape {v.shape} but a conv3d of output_shape "
                f"{shape} gives {y.shape}"
            )
        (out,) = gradients(y, x, grad_ys=v)
        return out
