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
    """Normalise each (sample, channel) plane of (N, C, *) over its spatial dims; with running
    statistics, update them from the batch (use_input_stats) or normalise with them."""
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: running_mean and running_var must be given when "
                "use_input_stats is False"
            )
        from .functional import batch_norm

        return batch_norm(input, running_mean, running_var, weight, bias, False, 0.0, eps)
    if input.dim() < 3 or math.prod(input.shape[2:]) <= 1:
        raise ValueError(
            "instance_norm: expected more than 1 spatial element per (sample, channel), got "
            f"input of shape {tuple(input.shape)} (N, C, *spatial)"
        )
    y = norms.group_norm(input, int(input.shape[1]), weight, bias, eps)
    if running_mean is not None and running_var is not None:
        _update_instance_running(input, running_mean, running_var, momentum)
    return y


def _update_instance_running(
    input: Tensor, running_mean: Tensor, running_var: Tensor, momentum: float
) -> None:
    """running = (1 - m) * running + m * the batch average of the per-sample statistics (the
    variance unbiased over each plane), as torch's instance_norm updates them."""
    from ..grad_mode import no_grad

    with no_grad():
        x = input.detach().to(running_mean.dtype)
        dims = tuple(range(2, x.dim()))
        mean = x.mean(dims).mean(0)
        var = x.var(dims).mean(0)  # unbiased, the default
        running_mean.copy_(running_mean * (1.0 - momentum) + mean * momentum)
        running_var.copy_(running_var * (1.0 - momentum) + var * momentum)


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
        *,
        bias: bool = True,
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
            if bias:
                self.bias = Parameter(Tensor._make(np.zeros(num_channels, dt)))
            else:
                self.register_parameter("bias", None)
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
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum, self.affine = (
            num_features, eps, momentum, affine,
        )  # fmt: skip
        self.track_running_stats = track_running_stats
        dt = _np_dtype(dtype)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(np.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor._make(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked", Tensor._make(np.zeros((), np.int64)))
        else:
            self.running_mean = self.running_var = None
        if affine:
            self.weight = Parameter(Tensor._make(np.ones(num_features, dt)))
            if bias:
                self.bias = Parameter(Tensor._make(np.zeros(num_features, dt)))
            else:
                self.register_parameter("bias", None)
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
        use_input_stats = self.training or not self.track_running_stats
        return instance_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias,
            use_input_stats, self.momentum if self.momentum is not None else 0.0, self.eps,
        )  # fmt: skip

    def extra_repr(self) -> str:
        """Features and options."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


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
