"""Group and instance normalisation, composed of core ops (both frontends call these)."""

from __future__ import annotations

from typing import Any

from . import ops
from .functional import layer_norm


def group_norm(x: Any, groups: int, scale: Any = None, offset: Any = None, eps: float = 1e-5):
    """Normalise (N, C, *) over each group of C // groups channels and the spatial dims, then
    scale and shift per channel (scale / offset are (C,) or None)."""
    shape = tuple(x.shape)
    if len(shape) < 2 or shape[1] % groups:
        raise ValueError(
            f"group_norm: the input's channel dim must divide into {groups} groups; got input "
            f"shape {list(shape)}"
        )
    n = shape[0]
    y = ops.reshape(layer_norm(ops.reshape(x, (n, groups, -1)), None, None, eps, (-1,)), shape)
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    if scale is not None:
        y = ops.mul(y, ops.reshape(scale, per_channel))
    if offset is not None:
        y = ops.add(y, ops.reshape(offset, per_channel))
    return y
