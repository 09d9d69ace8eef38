"""`tf.losses.compute_weighted_loss` and `tf.losses.mean_pairwise_squared_error`, with TF1's
float32 arithmetic (losses and weights are cast to float32; compute_weighted_loss casts the
result back to the input's dtype, mean_pairwise_squared_error returns float32), as compositions
of graph ops."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from . import math_ops as M
from .array_ops import ones_like, where, zeros_like
from .graph import GraphKeys
from .losses import Reduction
from .math_ops import _tensor
from .realprog_surface import div_no_nan
from .tensor import Tensor


def _num_present(losses: Tensor, weights: Tensor, per_batch: bool) -> Tensor:
    """How many elements of `losses` have a non-zero weight (per batch row, or in all)."""
    present = where(M.equal(weights, 0.0), zeros_like(weights), ones_like(weights))
    present = M.add(present, zeros_like(losses))  # broadcast to the losses' shape
    axes = list(range(1, len(losses.shape))) if per_batch else None
    if per_batch:
        return M.reduce_sum(present, axes, keepdims=True) if axes else present
    return M.reduce_sum(present)


def compute_weighted_loss(
    losses: Any, weights: Any = 1.0, scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:  # fmt: skip
    """losses * weights reduced by `reduction` (TF1's rules), added to `loss_collection`."""
    if reduction not in Reduction.all():
        raise ValueError(f"compute_weighted_loss: invalid reduction {reduction!r}; use one of "
                         f"{Reduction.all()}")  # fmt: skip
    x = _tensor(losses)
    if not x.dtype.is_floating:
        raise TypeError(f"compute_weighted_loss: losses must be float, got {x}")
    with x.graph.name_scope(scope or "weighted_loss"):
        per = M.cast(x, np.float32)
        w = M.cast(_tensor(weights), np.float32)
        weighted = M.multiply(per, w)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = M.reduce_sum(weighted)
            if reduction == Reduction.MEAN:
                loss = div_no_nan(loss, M.reduce_sum(M.multiply(ones_like(per), w)))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                loss = div_no_nan(loss, _num_present(per, w, False))
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = div_no_nan(loss, M.cast(M.reduce_sum(ones_like(per)), np.float32))
        loss = M.cast(loss, x.dtype)
    if loss_collection:
        loss.graph.add_to_collection(loss_collection, loss)
    return loss


def mean_pairwise_squared_error(
    labels: Any, predictions: Any, weights: Any = 1.0, scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
) -> Tensor:  # fmt: skip
    """Mean over pairs (i, j) within each example of ((p_i - p_j) - (l_i - l_j))^2, weighted."""
    p, y = _tensor(predictions), _tensor(labels)
    if not p.shape.is_compatible_with(y.shape):
        raise ValueError(
            f"mean_pairwise_squared_error: labels {y.shape} and predictions {p.shape} must have "
            "one shape"
        )
    if len(p.shape) < 2:
        raise ValueError(
            f"mean_pairwise_squared_error: predictions need a batch axis and at least one more, "
            f"got {p}"
        )
    with p.graph.name_scope(scope or "mean_pairwise_squared_error"):
        diffs = M.subtract(M.cast(p, np.float32), M.cast(y, np.float32))
        w = M.cast(_tensor(weights), np.float32)
        axes = list(range(1, len(p.shape)))
        n = _num_present(diffs, w, True)
        sum_sq = M.reduce_sum(M.square(diffs), axes, keepdims=True)
        term1 = M.multiply(2.0, div_no_nan(sum_sq, M.maximum(M.subtract(n, 1.0), 0.0)))
        sum_diff = M.reduce_sum(diffs, axes, keepdims=True)
        pairs = M.maximum(M.multiply(n, M.subtract(n, 1.0)), 0.0)
        term2 = M.multiply(2.0, div_no_nan(M.square(sum_diff), pairs))
        loss = M.reduce_sum(M.multiply(M.subtract(term1, term2), w))
        # as TF1: the result stays float32 whatever the inputs' dtype
        loss = where(M.greater(M.reduce_sum(n), 0.0), loss, zeros_like(loss))
    if loss_collection:
        loss.graph.add_to_collection(loss_collection, loss)
    return loss


def attach(tf: types.ModuleType) -> None:
    """Put the names on tf.losses."""
    tf.losses.compute_weighted_loss = compute_weighted_loss
    tf.losses.mean_pairwise_squared_error = mean_pairwise_squared_error
