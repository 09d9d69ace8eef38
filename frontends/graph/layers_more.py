"""More of `tf.layers`: conv1d, conv2d_transpose and the 1-D poolings (channels_last)."""

from __future__ import annotations

from typing import Any

from ...core import ops
from . import init_ops
from . import nn_extra as NX
from .layers import _pair
from .math_ops import _tensor, known_rank
from .tensor import Tensor
from .variable_scope import get_variable, variable_scope


def _channels_last(op: str, data_format: str) -> None:
    if data_format != "channels_last":
        raise NotImplementedError(f"{op}: only data_format='channels_last' is supported")


def _kernel_and_bias(x, kshape, filters, use_bias, kinit, binit, kreg, breg, trainable):
    kernel = get_variable(
        "kernel", kshape, dtype=x.dtype, initializer=kinit or init_ops.GlorotUniform(),
        regularizer=kreg, trainable=trainable,
    )  # fmt: skip
    bias = None
    if use_bias:
        bias = get_variable(
            "bias", (int(filters),), dtype=x.dtype, initializer=binit or init_ops.Zeros(),
            regularizer=breg, trainable=trainable,
        )  # fmt: skip
    return kernel, bias


def _finish(y: Tensor, bias: Any, activation: Any) -> Tensor:
    if bias is not None:
        y = y.graph.build_op("BiasAdd", None, lambda: ops.add(y, bias))
    return activation(y) if activation is not None else y


def conv1d(
    inputs: Any, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
    data_format: str = "channels_last", dilation_rate: Any = 1, activation: Any = None,
    use_bias: bool = True, kernel_initializer: Any = None, bias_initializer: Any = None,
    kernel_regularizer: Any = None, bias_regularizer: Any = None,
    activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
    trainable: bool = True, name: str | None = None, reuse: Any = None,
) -> Tensor:  # fmt: skip
    """A 1-D convolution layer over (batch, width, channels): kernel (k, in, filters)."""
    _channels_last("conv1d", data_format)
    x = _tensor(inputs)
    known_rank("conv1d", x)
    if len(x.shape) != 3 or x.shape[2] is None:
        raise ValueError(
            f"conv1d: inputs must be 3-D (batch, width, channels) with known channels, got {x}"
        )
    k = _pair(kernel_size)[0]
    with variable_scope(name, default_name="conv1d", reuse=reuse):
        kernel, bias = _kernel_and_bias(
            x, (k, int(x.shape[2]), int(filters)), filters, use_bias, kernel_initializer,
            bias_initializer, kernel_regularizer, bias_regularizer, trainable,
        )  # fmt: skip
        y = NX.conv1d(
            x, kernel, _pair(strides)[0], padding.upper(), dilations=_pair(dilation_rate)[0]
        )
        return _finish(y, bias, activation)


def conv2d_transpose(
    inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
    data_format: str = "channels_last", activation: Any = None, use_bias: bool = True,
    kernel_initializer: Any = None, bias_initializer: Any = None, kernel_regularizer: Any = None,
    bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
    bias_constraint: Any = None, trainable: bool = True, name: str | None = None,
    reuse: Any = None,
) -> Tensor:  # fmt: skip
    """A transposed 2-D convolution layer: kernel (kh, kw, filters, in)."""
    _channels_last("conv2d_transpose", data_format)
    x = _tensor(inputs)
    known_rank("conv2d_transpose", x)
    if len(x.shape) != 4 or any(d is None for d in x.shape[1:]):
        raise ValueError(f"conv2d_transpose: inputs must be 4-D NHWC with known H, W, C, got {x}")
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(strides)
    pad = padding.upper()
    h, w, cin = (int(d) for d in x.shape[1:])

    def out_len(n, k, s):
        return n * s if pad == "SAME" else (n - 1) * s + k

    batch = x.shape[0]
    with variable_scope(name, default_name="conv2d_transpose", reuse=reuse):
        kernel, bias = _kernel_and_bias(
            x, (kh, kw, int(filters), cin), filters, use_bias, kernel_initializer,
            bias_initializer, kernel_regularizer, bias_regularizer, trainable,
        )  # fmt: skip
        shape = (
            None if batch is None else int(batch),
            out_len(h, kh, sh),
            out_len(w, kw, sw),
            int(filters),
        )
        y = NX.conv2d_transpose(x, kernel, shape, [1, sh, sw, 1], pad)
        return _finish(y, bias, activation)


def max_pooling1d(
    inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
    data_format: str = "channels_last", name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window maxima over the width of (batch, width, channels)."""
    _channels_last("max_pooling1d", data_format)
    return NX.max_pool1d(inputs, _pair(pool_size)[0], _pair(strides)[0], padding.upper(), name=name)


def average_pooling1d(
    inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
    data_format: str = "channels_last", name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window means over the width of (batch, width, channels), padding not counted."""
    _channels_last("average_pooling1d", data_format)
    return NX.avg_pool1d(inputs, _pair(pool_size)[0], _pair(strides)[0], padding.upper(), name=name)
