"""`tf.clip_by_global_norm`, `tf.clip_by_norm` and `tf.global_norm`, with TF's formulas.

global_norm = sqrt(2 * sum_i l2_loss(t_i)); clipped t_i = t_i * clip_norm * min(1 / global_norm,
1 / clip_norm). (PyTorch's clip_grad_norm_ has its own formula, so the two styles' clipped
gradients agree only to rounding; a parity program clips in one convention.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import functional as F
from ...core import ops
from ...core.ir import Value
from .graph import graph_of
from .math_ops import _tensor


def _scalar_like(value: Any, like: Any) -> Any:
    if isinstance(value, Value):
        return value if value.dtype == like.dtype else ops.cast(value, like.dtype)
    arr = np.asarray(value, dtype=like.dtype.np_dtype if hasattr(like.dtype, "np_dtype") else None)
    if arr.ndim == 0:
        return ops.scalar(float(arr), like)
    return arr.astype(np.dtype(like.dtype), copy=False)  # broadcast as TF's formula does


def global_norm(t_list: Any, name: str | None = None) -> Any:
    """sqrt(sum of squares of every entry of every tensor in t_list), None entries skipped."""
    ts = [_tensor(t) for t in t_list if t is not None]
    if not ts:
        raise ValueError("global_norm: t_list holds no tensors")
    g = graph_of(ts)

    def build():
        half = ops.sum(ops.stack([F.l2_loss(t) for t in ts], 0))
        return ops.sqrt(ops.mul(half, ops.scalar(2, half)))

    return g.build_op("GlobalNorm", name, build, default="global_norm")


def clip_by_global_norm(
    t_list: Any, clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple:
    """(t_list scaled so their joint norm is at most clip_norm, the joint norm before clipping)."""
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else _tensor(use_norm)
    g = norm.graph

    def scale():
        one = ops.scalar(1, norm)
        clip = _scalar_like(clip_norm, norm)
        return ops.mul(clip, ops.minimum(ops.div(one, norm), ops.div(one, clip)))

    with g.name_scope(name or "clip_by_global_norm"):
        factor = g.build_op("Mul", None, scale, default="scale")
        out = [
            None if t is None else ops.mul(_tensor(t), ops.cast(factor, _tensor(t).dtype))
            for t in t_list
        ]
    return out, norm


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Any:
    """t * clip_norm / max(||t||, clip_norm), the norm over `axes` (all by default)."""
    x = _tensor(t)

    def build():
        ax = None if axes is None else tuple(int(a) for a in axes)
        l2sum = ops.sum(ops.square(x), ax, keepdims=True)
        pos = ops.greater(l2sum, ops.scalar(0, l2sum))
        safe = ops.where(pos, l2sum, ops.scalar(1, l2sum))
        l2norm = ops.where(pos, ops.sqrt(safe), l2sum)
        # a negative clip_norm counts as 0, as TF's clamps it
        clip = ops.maximum(_scalar_like(clip_norm, x), ops.scalar(0, x))
        out = ops.div(ops.mul(x, clip), ops.maximum(l2norm, clip))
        # TF sets the result's shape to t's: a clip_norm that broadcasts t larger is refused
        if None not in tuple(x.shape) and None not in tuple(out.shape):
            if tuple(out.shape) != tuple(x.shape):
                raise ValueError(
                    f"clip_by_norm: shapes {tuple(x.shape)} and {tuple(out.shape)} are "
                    "incompatible (clip_norm must not broadcast t to a larger shape)"
                )
        return out

    return x.graph.build_op("ClipByNorm", name, build, default="clip_by_norm")


__all__ = ["clip_by_global_norm", "clip_by_norm", "global_norm"]
