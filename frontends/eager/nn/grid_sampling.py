"""``F.grid_sample`` (4-D input: bilinear or nearest; padding zeros / border / reflection) on the
core's grid_sample primitive, and ``F.affine_grid`` (2-D and 3-D) as a batched matmul of the base
grid with theta, so both are differentiable (to the input, the grid and theta)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core.primitives import grid_sample as _G
from .. import _convert as C
from ..tensor import Tensor


def grid_sample(
    input: Any,
    grid: Any,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample `input` (N, C, H, W) at `grid` (N, H_out, W_out, 2) (x, y in [-1, 1])."""
    x, g = C.floating(input), C.floating(grid)
    if x.dim() == 5:
        raise NotImplementedError(
            "grid_sample: 5-D (volumetric) inputs are not provided; sample each depth slice "
            "with a 4-D input"
        )
    if align_corners is None:
        align_corners = False
    return _G.grid_sample(x, g, mode, padding_mode, bool(align_corners))


def _base(steps: int, align_corners: bool, dt: np.dtype) -> np.ndarray:
    if steps <= 1:
        return np.zeros(max(steps, 0), dt)
    line = np.linspace(-1.0, 1.0, steps).astype(dt)
    return line if align_corners else line * np.asarray((steps - 1) / steps, dt)


def affine_grid(theta: Any, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) of affine maps theta (N, 2, 3), or (N, D, H, W, 3) of
    theta (N, 3, 4), for an output of `size` (N, C, H, W) / (N, C, D, H, W)."""
    t = C.floating(theta)
    size = tuple(int(s) for s in size)
    if align_corners is None:
        align_corners = False
    spatial = size[2:]
    k = len(spatial)
    if len(size) not in (4, 5) or tuple(t.shape) != (size[0], k, k + 1):
        raise ValueError(
            f"affine_grid: expected theta of shape (N, {k}, {k + 1}) for size {size} (4-D or 5-D), "
            f"got theta {tuple(t.shape)}"
        )
    if min(spatial, default=1) <= 0:
        raise ValueError(f"affine_grid: every spatial size must be positive, got {size}")
    dt = t._data.dtype
    # the base grid's last axis: x (width), y (height)[, z (depth)], then 1
    axes = [_base(n, align_corners, dt) for n in reversed(spatial)]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # x varies along the last spatial dim
    base = np.stack([*mesh, np.ones(spatial, dt)], axis=-1).reshape(1, -1, k + 1)
    grid = Tensor._make(np.ascontiguousarray(base)) @ t.transpose(1, 2)
    return grid.reshape(size[0], *spatial, k)


__all__ = ["affine_grid", "grid_sample"]
