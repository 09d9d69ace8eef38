"""More ``torch.nn`` modules: 1-D convolution and pooling, activations, robust losses,
``DataParallel`` (one CPU device: it runs the wrapped module) and the old ``Container``."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ....core import init as core_init
from ..tensor import Tensor
from . import functional_extra as FX
from .conv import _check_groups, _np_dtype
from .loss import _Loss
from .module import Module
from .parameter import Parameter
from .pool_modules import _MaxPoolNd

Container = Module  # PyTorch's pre-1.0 name for a module with children


def _one(v: Any) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


class Conv1d(Module):
    """1-D convolution with (O, C, k) weights, initialised as PyTorch's Conv1d."""

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
            raise NotImplementedError("Conv1d: only padding_mode='zeros' is supported")
        _check_groups("Conv1d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (_one(kernel_size),)
        self.stride, self.dilation = (_one(stride),), (_one(dilation),)
        self.padding = padding if isinstance(padding, str) else (_one(padding),)
        dt = _np_dtype(dtype)
        shape = (out_channels, in_channels // groups, self.kernel_size[0])
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
        pad = self.padding if isinstance(self.padding, str) else self.padding[0]
        return FX.conv1d(
            input, self.weight, self.bias, self.stride[0], pad, self.dilation[0], self.groups
        )

    def extra_repr(self) -> str:
        """Channels, kernel and stride."""
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling."""

    _pool = staticmethod(FX.max_pool1d)


class AvgPool1d(Module):
    """1-D average pooling."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        """Window means."""
        return FX.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad)  # fmt: skip


class GELU(Module):
    """x * Phi(x), exact or tanh-approximated."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """The activation."""
        return FX.gelu(input, self.approximate)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        """The activation."""
        return FX.softplus(input, self.beta, self.threshold)


class ELU(Module):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        """The activation."""
        return FX.elu(input, self.alpha)


class Hardtanh(Module):
    """x clamped to [min_val, max_val]."""

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__()
        # min_value / max_value: the old keyword names, which torch still accepts (and warns)
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated, use `min_val` instead",
                          FutureWarning, stacklevel=2)  # fmt: skip
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated, use `max_val` instead",
                          FutureWarning, stacklevel=2)  # fmt: skip
            max_val = max_value
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val {max_val} must be greater than min_val {min_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input: Tensor) -> Tensor:
        """The activation."""
        return FX.hardtanh(input, self.min_val, self.max_val)


def _simple(name: str, fn: Any, doc: str) -> type:
    def __init__(self, inplace: bool = False) -> None:
        Module.__init__(self)

    def forward(self, input: Tensor) -> Tensor:
        return fn(input)

    forward.__doc__ = "The activation."
    return type(name, (Module,), {"__init__": __init__, "forward": forward, "__doc__": doc})


SELU = _simple("SELU", FX.selu, "scale * elu(x, alpha) with the self-normalising constants.")
SiLU = _simple("SiLU", FX.silu, "x * sigmoid(x).")
ReLU6 = _simple("ReLU6", FX.relu6, "x clamped to [0, 6].")
Softsign = _simple("Softsign", FX.softsign, "x / (1 + |x|).")
LogSigmoid = _simple("LogSigmoid", FX.logsigmoid, "log(sigmoid(x)).")


class SmoothL1Loss(_Loss):
    """Quadratic below beta, linear above."""

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss."""
        return FX.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below delta, linear (scaled by delta) above."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss."""
        return FX.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class DataParallel(Module):
    """Runs the wrapped module: with one CPU device there is nothing to split or gather."""

    def __init__(
        self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0
    ) -> None:
        super().__init__()
        self.module = module

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The wrapped module's output."""
        return self.module(*inputs, **kwargs)


def data_parallel(
    module: Module,
    inputs: Any,
    device_ids: Any = None,
    output_device: Any = None,
    dim: int = 0,
    module_kwargs: Any = None,
) -> Any:
    """``module(inputs)`` (one CPU device)."""
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    return module(*args, **(module_kwargs or {}))


__all__ = [
    "AvgPool1d", "Container", "Conv1d", "DataParallel", "ELU", "GELU", "Hardtanh", "HuberLoss",
    "LogSigmoid", "MaxPool1d", "ReLU6", "SELU", "SiLU", "SmoothL1Loss", "Softplus", "Softsign",
]  # fmt: skip


class _ConvTransposeNd(Module):
    """Shared constructor of ConvTranspose1d/2d: weight (C_in, C_out, *k), PyTorch's init."""

    _dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        if groups != 1 or padding_mode != "zeros":
            raise NotImplementedError(
                f"{type(self).__name__}: only groups=1 and padding_mode='zeros'"
            )
        k = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * self._dims
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, tuple(k)
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.dilation = dilation
        dt = _np_dtype(dtype)
        self.weight = Parameter(Tensor._make(np.zeros((in_channels, out_channels, *k), dt)))
        if bias:
            self.bias = Parameter(Tensor._make(np.zeros((out_channels,), dt)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming uniform (a = sqrt(5)); fan_in is C_out * k (the weight's dim 1), as PyTorch."""
        shape = tuple(self.weight.shape)
        dt = self.weight._data.dtype
        self.weight._data[...] = core_init.kaiming_uniform(shape, a=math.sqrt(5), dtype=dt)
        if self.bias is not None:
            fan_in = core_init.fans(shape, "out_in")[0]
            self.bias._data[...] = core_init.linear_bias(self.out_channels, fan_in, dt)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution (a.k.a. deconvolution)."""

    def forward(self, input: Tensor) -> Tensor:
        """The transposed convolution plus bias."""
        return FX.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                   self.output_padding, 1, self.dilation)  # fmt: skip


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution."""

    _dims = 1

    def forward(self, input: Tensor) -> Tensor:
        """The transposed convolution plus bias."""
        return FX.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                   self.output_padding, 1, self.dilation)  # fmt: skip


__all__ += ["ConvTranspose1d", "ConvTranspose2d"]
