"""``torch.nn.Conv3d`` and ``F.conv3d`` on (N, C, D, H, W) input (core.conv_more does the work)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import conv_more
from ....core import init as core_init
from ..tensor import Tensor
from .conv import _check_groups, _np_dtype
from .module import Module
from .parameter import Parameter


def _triple(v: Any) -> tuple[int, int, int]:
    return (int(v),) * 3 if isinstance(v, int) else tuple(int(a) for a in v)  # type: ignore


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-D convolution of (N, C, D, H, W) input with (O, C, kd, kh, kw) filters, plus bias."""
    if groups != 1:
        raise NotImplementedError(f"conv3d: groups={groups} is not supported; only groups=1 is")
    if input.dim() != 5 or weight.dim() != 5:
        raise RuntimeError(
            f"conv3d: expected 5-D input (N, C, D, H, W) and weight (O, C, kd, kh, kw), got "
            f"input shape {tuple(input.shape)} and weight shape {tuple(weight.shape)}"
        )
    return conv_more.conv3d(input, weight, bias, stride, padding, dilation)


class Conv3d(Module):
    """3-D convolution with (O, C, kd, kh, kw) weights, initialised as PyTorch's Conv3d."""

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
        if padding_mode != "zeros" or groups != 1:
            raise NotImplementedError("Conv3d: only groups=1 and padding_mode='zeros'")
        _check_groups("Conv3d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _triple(kernel_size)
        self.stride, self.dilation = _triple(stride), _triple(dilation)
        self.padding = padding if isinstance(padding, str) else _triple(padding)
        dt = _np_dtype(dtype)
        shape = (out_channels, in_channels // groups) + self.kernel_size
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
        return conv3d(input, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        """Channels, kernel and stride."""
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )


__all__ = ["Conv3d"]
