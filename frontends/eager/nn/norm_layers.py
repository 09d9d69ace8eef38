"""``torch.nn`` GroupNorm / InstanceNorm, ``F.group_norm`` / ``instance_norm`` / ``normalize``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import norms
from ..tensor import Tensor
from .conv import _np_dtype
from .module import Module
from .parameter import Parameter


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each group of channels of (N, C, *) with its own mean and (biased) variance."""
    return norms.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each (sample, channel) plane of (N, C, *) over its spatial dims."""
    if not use_input_stats or running_mean is not None or running_var is not None:
        raise NotImplementedError(
            "instance_norm with running statistics (track_running_stats=True) is not provided; "
            "use the default track_running_stats=False"
        )
    if input.dim() < 3 or math.prod(input.shape[2:]) <= 1:
        raise ValueError(
            "instance_norm: expected more than 1 spatial element per (sample, channel), got "
            f"input of shape {tuple(input.shape)} (N, C, *spatial)"
        )
    return norms.group_norm(input, int(input.shape[1]), weight, bias, eps)


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    n = input.norm(p, dim=dim, keepdim=True).clamp_min(eps)
    return input / n.expand_as(input)


class GroupNorm(Module):
    """Group normalisation over (N, C, *) with a per-channel affine map."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups, num_channels, eps, affine,
        )  # fmt: skip
        dt = _np_dtype(dtype)
        if affine:
            self.weight = Parameter(Tensor._make(np.ones(num_channels, dt)))
            self.bias = Parameter(Tensor._make(np.zeros(num_channels, dt)))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        """Normalised input."""
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """Groups, channels and options."""
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(Module):
    """Instance normalisation of (N, C, *) inputs (expected rank in `_ranks`)."""

    _ranks: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if track_running_stats:
            raise NotImplementedError(
                f"{type(self).__name__}(track_running_stats=True) is not provided; use the "
                "default track_running_stats=False"
            )
        self.num_features, self.eps, self.momentum, self.affine = (
            num_features, eps, momentum, affine,
        )  # fmt: skip
        self.track_running_stats = False
        dt = _np_dtype(dtype)
        if affine:
            self.weight = Parameter(Tensor._make(np.ones(num_features, dt)))
            self.bias = Parameter(Tensor._make(np.zeros(num_features, dt)))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        """Normalised input."""
        if input.dim() not in self._ranks:
            raise ValueError(
                f"{type(self).__name__}: expected a {self._ranks[-1]}-D (batched) input, got "
                f"shape {list(input.shape)}"
            )
        if input.dim() == self._ranks[0]:  # unbatched (C, *): one sample
            return self.forward(input.unsqueeze(0)).squeeze(0)
        return instance_norm(input, None, None, self.weight, self.bias, eps=self.eps)

    def extra_repr(self) -> str:
        """Features and options."""
        return f"{self.num_features}, eps={self.eps}, affine={self.affine}"


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L)."""

    _ranks = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W)."""

    _ranks = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W)."""

    _ranks = (4, 5)


__all__ = [
    "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "group_norm",
    "instance_norm", "normalize",
]  # fmt: skip
