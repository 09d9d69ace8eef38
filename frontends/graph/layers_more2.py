"""More `tf.layers` (channels_last): conv3d / Conv3D (kernel, bias), and separable_conv2d /
separable_conv1d / SeparableConv2D / SeparableConv1D, a depthwise then a 1x1 pointwise
convolution with TF's variables (depthwise_kernel, pointwise_kernel, bias)."""

from __future__ import annotations

from typing import Any

from . import array_ops as A
from . import init_ops
from . import nn_extra as NX
from .layer_classes import _layer_class
from .layers import _pair
from .layers_more import _channels_last, _finish
from .math_ops import _tensor, known_rank
from .tensor import Tensor
from .variable_scope import get_variable, variable_scope


def _kernels(x, dshape, pshape, filters, use_bias, inits, regs, trainable) -> tuple:
    dinit, pinit, binit = inits
    dreg, preg, breg = regs
    dk = get_variable(
        "depthwise_kernel", dshape, dtype=x.dtype,
        initializer=dinit or init_ops.GlorotUniform(), regularizer=dreg, trainable=trainable,
    )  # fmt: skip
    pk = get_variable(
        "pointwise_kernel", pshape, dtype=x.dtype,
        initializer=pinit or init_ops.GlorotUniform(), regularizer=preg, trainable=trainable,
    )  # fmt: skip
    bias = None
    if use_bias:
        bias = get_variable(
            "bias", (int(filters),), dtype=x.dtype, initializer=binit or init_ops.Zeros(),
            regularizer=breg, trainable=trainable,
        )  # fmt: skip
    return dk, pk, bias


def separable_conv2d(
    inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
    data_format: str = "channels_last", dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
    activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = None,
    pointwise_initializer: Any = None, bias_initializer: Any = None,
    depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
    bias_regularizer: Any = None, activity_regularizer: Any = None,
    depthwise_constraint: Any = None, pointwise_constraint: Any = None,
    bias_constraint: Any = None, trainable: bool = True, name: str | None = None,
    reuse: Any = None,
) -> Tensor:  # fmt: skip
    """A depthwise (kh, kw, in, depth_multiplier) then pointwise (1, 1, in*dm, filters)
    convolution layer over NHWC inputs."""
    _channels_last("separable_conv2d", data_format)
    x = _tensor(inputs)
    known_rank("separable_conv2d", x)
    if len(x.shape) != 4 or x.shape[3] is None:
        raise ValueError(f"separable_conv2d: inputs must be 4-D NHWC with known channels, got {x}")
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(strides)
    cin, dm = int(x.shape[3]), int(depth_multiplier)
    with variable_scope(name, default_name="separable_conv2d", reuse=reuse):
        dk, pk, bias = _kernels(
            x, (kh, kw, cin, dm), (1, 1, cin * dm, int(filters)), filters, use_bias,
            (depthwise_initializer, pointwise_initializer, bias_initializer),
            (depthwise_regularizer, pointwise_regularizer, bias_regularizer), trainable,
        )  # fmt: skip
        y = NX.separable_conv2d(
            x, dk, pk, [1, sh, sw, 1], padding.upper(), rate=list(_pair(dilation_rate))
        )
        return _finish(y, bias, activation)


def separable_conv1d(
    inputs: Any, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
    data_format: str = "channels_last", dilation_rate: Any = 1, depth_multiplier: int = 1,
    activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = None,
    pointwise_initializer: Any = None, bias_initializer: Any = None,
    depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
    bias_regularizer: Any = None, activity_regularizer: Any = None,
    depthwise_constraint: Any = None, pointwise_constraint: Any = None,
    bias_constraint: Any = None, trainable: bool = True, name: str | None = None,
    reuse: Any = None,
) -> Tensor:  # fmt: skip
    """The 1-D form over (batch, width, channels): depthwise (k, in, dm), pointwise
    (1, in*dm, filters), run as the 2-D one on a height of 1."""
    _channels_last("separable_conv1d", data_format)
    x = _tensor(inputs)
    known_rank("separable_conv1d", x)
    if len(x.shape) != 3 or x.shape[2] is None:
        raise ValueError(f"separable_conv1d: inputs must be 3-D NWC with known channels, got {x}")
    k, s, r = _pair(kernel_size)[0], _pair(strides)[0], _pair(dilation_rate)[0]
    cin, dm = int(x.shape[2]), int(depth_multiplier)
    with variable_scope(name, default_name="separable_conv1d", reuse=reuse):
        dk, pk, bias = _kernels(
            x, (k, cin, dm), (1, cin * dm, int(filters)), filters, use_bias,
            (depthwise_initializer, pointwise_initializer, bias_initializer),
            (depthwise_regularizer, pointwise_regularizer, bias_regularizer), trainable,
        )  # fmt: skip
        y = NX.separable_conv2d(
            A.expand_dims(x, 1), A.expand_dims(dk, 0), A.expand_dims(pk, 0), [1, 1, s, 1],
            padding.upper(), rate=[1, r],
        )  # fmt: skip
        return _finish(A.squeeze(y, [1]), bias, activation)


def _triple(v: Any) -> tuple:
    return (int(v),) * 3 if isinstance(v, int) else tuple(int(a) for a in v)


def conv3d(
    inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
    padding: str = "valid", data_format: str = "channels_last", dilation_rate: Any = (1, 1, 1),
    activation: Any = None, use_bias: bool = True, kernel_initializer: Any = None,
    bias_initializer: Any = None, kernel_regularizer: Any = None, bias_regularizer: Any = None,
    activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
    trainable: bool = True, name: str | None = None, reuse: Any = None,
) -> Tensor:  # fmt: skip
    """A 3-D convolution layer over NDHWC inputs: kernel (kd, kh, kw, in, filters)."""
    from .conv_more import conv3d as nn_conv3d
    from .layers_more import _kernel_and_bias

    _channels_last("conv3d", data_format)
    x = _tensor(inputs)
    known_rank("conv3d", x)
    if len(x.shape) != 5 or x.shape[4] is None:
        raise ValueError(f"conv3d: inputs must be 5-D NDHWC with known channels, got {x}")
    k = _triple(kernel_size)
    with variable_scope(name, default_name="conv3d", reuse=reuse):
        kernel, bias = _kernel_and_bias(
            x, (*k, int(x.shape[4]), int(filters)), filters, use_bias, kernel_initializer,
            bias_initializer, kernel_regularizer, bias_regularizer, trainable,
        )  # fmt: skip
        s, r = _triple(strides), _triple(dilation_rate)
        y = nn_conv3d(x, kernel, [1, *s, 1], padding.upper(), dilations=[1, *r, 1])
        return _finish(y, bias, activation)


def conv3d_transpose(
    inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
    padding: str = "valid", data_format: str = "channels_last", activation: Any = None,
    use_bias: bool = True, kernel_initializer: Any = None, bias_initializer: Any = None,
    kernel_regularizer: Any = None, bias_regularizer: Any = None,
    activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
    trainable: bool = True, name: str | None = None, reuse: Any = None,
) -> Tensor:  # fmt: skip
    """A transposed 3-D convolution layer: kernel (kd, kh, kw, filters, in); the batch size
    must be known when the graph is built."""
    from .layers_more import _kernel_and_bias
    from .pool3d import conv3d_transpose as nn_conv3d_transpose

    _channels_last("conv3d_transpose", data_format)
    x = _tensor(inputs)
    known_rank("conv3d_transpose", x)
    if len(x.shape) != 5 or any(d is None for d in x.shape):
        raise ValueError(f"conv3d_transpose: inputs must be 5-D NDHWC of known shape, got {x}")
    k, s, pad = _triple(kernel_size), _triple(strides), padding.upper()
    n, *dhw, cin = (int(d) for d in x.shape)
    out = [
        a * st if pad == "SAME" else (a - 1) * st + kk for a, st, kk in zip(dhw, s, k, strict=True)
    ]
    with variable_scope(name, default_name="conv3d_transpose", reuse=reuse):
        kernel, bias = _kernel_and_bias(
            x, (*k, int(filters), cin), filters, use_bias, kernel_initializer,
            bias_initializer, kernel_regularizer, bias_regularizer, trainable,
        )  # fmt: skip
        y = nn_conv3d_transpose(x, kernel, [n, *out, int(filters)], [1, *s, 1], pad)
        return _finish(y, bias, activation)


Conv3D = _layer_class("Conv3D", conv3d, True)
Conv3DTranspose = _layer_class("Conv3DTranspose", conv3d_transpose, True)
Convolution3DTranspose = Conv3DTranspose
Convolution3D = Conv3D
SeparableConv2D = _layer_class("SeparableConv2D", separable_conv2d, True)
SeparableConv1D = _layer_class("SeparableConv1D", separable_conv1d, True)
SeparableConvolution2D, SeparableConvolution1D = SeparableConv2D, SeparableConv1D

NAMES = [
    "conv3d", "Conv3D", "Convolution3D", "conv3d_transpose", "Conv3DTranspose",
    "Convolution3DTranspose", "separable_conv2d", "separable_conv1d",
    "SeparableConv2D", "SeparableConv1D", "SeparableConvolution2D", "SeparableConvolution1D",
]  # fmt: skip
