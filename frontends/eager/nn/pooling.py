"""``torch.nn`` adaptive pooling: AdaptiveAvgPool1d/2d and AdaptiveMaxPool1d/2d, module and
functional forms (core.adaptive_pool does the arithmetic)."""

from __future__ import annotations

from typing import Any

from ....core import adaptive_pool as AP
from ..tensor import Tensor
from .module import Module


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average over (N, C, L) regions so the length becomes output_size."""
    return AP.adaptive_pool(input, output_size, 1, "avg")


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over (N, C, H, W) regions so the spatial size becomes output_size."""
    return AP.adaptive_pool(input, output_size, 2, "avg")


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Tensor:
    """Maxima over (N, C, L) regions so the length becomes output_size."""
    if return_indices:
        from .pool_more3 import _adaptive_max

        return _adaptive_max(1, input, output_size, True)
    return AP.adaptive_pool(input, output_size, 1, "max")


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Tensor:
    """Maxima over (N, C, H, W) regions so the spatial size becomes output_size."""
    if return_indices:
        from .pool_more3 import _adaptive_max

        return _adaptive_max(2, input, output_size, True)
    return AP.adaptive_pool(input, output_size, 2, "max")


class _Adaptive(Module):
    _fn: Any = None

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        if return_indices:
            if "Max" not in type(self).__name__:
                raise TypeError(f"{type(self).__name__} takes no return_indices")
            self.return_indices = True

    def forward(self, input: Tensor) -> Tensor:
        """Pool to output_size."""
        if getattr(self, "return_indices", False):
            return type(self)._fn(input, self.output_size, True)
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        """output_size=..."""
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_Adaptive):
    """Adaptive average pooling of (N, C, L) to a fixed length."""

    _fn = staticmethod(adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_Adaptive):
    """Adaptive average pooling of (N, C, H, W) to a fixed spatial size (1 = global average)."""

    _fn = staticmethod(adaptive_avg_pool2d)


class AdaptiveMaxPool1d(_Adaptive):
    """Adaptive max pooling of (N, C, L) to a fixed length."""

    _fn = staticmethod(adaptive_max_pool1d)


class AdaptiveMaxPool2d(_Adaptive):
    """Adaptive max pooling of (N, C, H, W) to a fixed spatial size."""

    _fn = staticmethod(adaptive_max_pool2d)


FUNCTIONS = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
             "adaptive_max_pool2d"]  # fmt: skip
__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]
