"""Convolution, pooling and normalisation layers over the core's conv/pool primitives and the
shared batch-norm / layer-norm compositions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import init as core_init
from ..dtype import get_default_dtype, to_dtype
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter
from .pool_modules import _MaxPoolNd


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _np_dtype(dtype: Any) -> np.dtype:
    return (to_dtype(dtype) if dtype is not None else get_default_dtype()).np_dtype


def _check_groups(op: str, in_channels: int, out_channels: int, groups: int) -> None:
    """groups must divide both channel counts (PyTorch's rule)."""
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{op}: groups={groups} must be >= 1 and divide in_channels={in_channels} and "
            f"out_channels={out_channels}"
        )


class Conv2d(Module):
    """2-D convolution with (O, C, kh, kw) weights, initialised as PyTorch's Conv2d."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise NotImplementedError("Conv2d: only padding_mode='zeros' is supported")
        _check_groups("Conv2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size)
        self.stride, self.padding, self.dilation = _pair(stride), padding, _pair(dilation)
        if not isinstance(padding, str):
            self.padding = _pair(padding)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        dt = _np_dtype(dtype)
        self.weight = Parameter(Tensor._make(np.zeros(shape, dt)))
        if bias:
            self.bias = Parameter(Tensor._make(np.zeros((out_channels,), dt)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming uniform (a = sqrt(5)) weights, then U(+-1/sqrt(fan_in)) bias, as PyTorch."""
        shape = tuple(self.weight.shape)
        dt = self.weight._data.dtype
        self.weight._data[...] = core_init.kaiming_uniform(shape, a=math.sqrt(5), dtype=dt)
        if self.bias is not None:
            fan_in = core_init.fans(shape, "out_in")[0]
            self.bias._data[...] = core_init.linear_bias(self.out_channels, fan_in, dt)

    def forward(self, input: Tensor) -> Tensor:
        """The convolution plus bias."""
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        """Channels, kernel, stride (and padding, bias when not the defaults)."""
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0, 0), 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s


class MaxPool2d(_MaxPoolNd):
    """Window maxima (and torch's flat indices with return_indices=True)."""

    _pool = staticmethod(F.max_pool2d)

    def extra_repr(self) -> str:
        """Window, stride, padding."""
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Window means."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad, self.ceil_mode = count_include_pad, ceil_mode
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """Pooled input."""
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad,
            divisor_override=self.divisor_override,
        )

    def extra_repr(self) -> str:
        """Window, stride, padding."""
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class _BatchNorm(Module):
    _dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = _np_dtype(dtype)
        if affine:
            self.weight = Parameter(Tensor._make(np.ones(num_features, dt)))
            if bias:
                self.bias = Parameter(Tensor._make(np.zeros(num_features, dt)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(np.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor._make(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked", Tensor._make(np.zeros((), np.int64)))
        else:
            self.running_mean = self.running_var = None

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Running statistics reset, weight 1, bias 0."""
        self.reset_running_stats()
        if self.affine:
            with no_grad():
                self.weight.fill_(1)
                if self.bias is not None:
                    self.bias.zero_()

    def forward(self, input: Tensor) -> Tensor:
        """Normalised input (batch statistics while training, running ones in eval)."""
        if input.ndim not in self._dims:
            raise ValueError(
                f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in self._dims)} "
                f"input, got {input.ndim}D input of shape {tuple(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): input of shape "
                f"{tuple(input.shape)} has {input.shape[1]} channels in dimension 1, expected "
                f"{self.num_features}; build the layer with num_features={input.shape[1]}"
            )
        use_batch = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        rm = self.running_mean if not use_batch or self.training else None
        rv = self.running_var if not use_batch or self.training else None
        return F.batch_norm(
            input, rm, rv, self.weight, self.bias, use_batch, momentum or 0.0, self.eps
        )

    def extra_repr(self) -> str:
        """Features and options."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input."""

    _dims = (4,)


class LayerNorm(Module):
    """Normalise over the trailing `normalized_shape` dims, with an elementwise affine map."""

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        dt = _np_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(Tensor._make(np.ones(shape, dt)))
            if bias:
                self.bias = Parameter(Tensor._make(np.zeros(shape, dt)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        """Normalised input."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """Shape and options."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
