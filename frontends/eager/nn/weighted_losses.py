"""Class and element weights of the torch losses: ``cross_entropy`` / ``nll_loss`` with
``weight`` (and label smoothing on any (N, C, ...) input), ``binary_cross_entropy`` with
``weight``, ``binary_cross_entropy_with_logits`` with ``weight`` and ``pos_weight``. Composed of
eager tensor operations; the weighted mean divides by the summed weights of the counted targets,
as torch's does."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _convert as C
from .. import functions as _fn
from ..tensor import Tensor


def _class_weight(weight: Any, n_classes: int, like: Tensor, op: str) -> Tensor:
    w = C.as_tensor_operand(weight, like=like)
    if tuple(w.shape) != (n_classes,):
        raise RuntimeError(
            f"{op}: weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(w.shape)}"
        )
    return w.to(like.dtype)


def weighted_label_loss(
    log_probs: Tensor,
    target: Any,
    weight: Any,
    reduction: str,
    ignore_index: int,
    smoothing: float,
    op: str,
) -> Tensor:
    """-w[y] log p[y] per target (plus smoothing / C * -sum_c w_c log p_c), classes in dim 1
    (or dim 0 for one unbatched sample); ignored targets count nothing."""
    unbatched = log_probs.dim() == 1
    lp = log_probs.unsqueeze(0) if unbatched else log_probs
    y = C.as_tensor_operand(target)
    if y._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected class-index targets of an integer dtype (long)")
    y_arr = y._data.reshape(1) if unbatched else y._data
    n_classes = int(lp.shape[1])
    if y_arr.shape != tuple(lp.shape[:1]) + tuple(lp.shape[2:]):
        raise ValueError(
            f"{op}: expected target of shape {tuple(lp.shape[:1]) + tuple(lp.shape[2:])} for "
            f"input of shape {tuple(log_probs.shape)}, got {y._data.shape}"
        )
    keep = y_arr != ignore_index
    bad = keep & ((y_arr < 0) | (y_arr >= n_classes))
    if bad.any():
        raise IndexError(
            f"{op}: target {int(y_arr[bad][0])} is out of bounds for {n_classes} classes"
        )
    safe = np.where(keep, y_arr, 0).astype(np.int64)
    classes_last = lp.movedim(1, -1).reshape(-1, n_classes)
    flat = safe.reshape(-1)
    picked = classes_last.gather(1, Tensor._make(flat[:, None])).squeeze(1)
    mask = Tensor._make(keep.reshape(-1).astype(lp._data.dtype))
    if weight is None:
        w_all = None
        w_y = mask
    else:
        w_all = _class_weight(weight, n_classes, lp, op)
        w_y = w_all[Tensor._make(flat)] * mask
    per = -(picked * w_y)
    if smoothing:
        spread = classes_last if w_all is None else classes_last * w_all
        smooth = -spread.sum(1) * mask
        per = per * (1.0 - smoothing) + smooth * (smoothing / n_classes)
    if reduction == "none":
        out = per.reshape(*y_arr.shape)
        return out[0] if unbatched else out
    if reduction == "sum":
        return per.sum()
    if reduction == "mean":
        return per.sum() / w_y.sum()
    raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction")


def _elementwise_weight(weight: Any, like: Tensor) -> Tensor | None:
    if weight is None:
        return None
    return C.as_tensor_operand(weight, like=like).to(like.dtype)


def _reduce(per: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    if reduction == "none":
        return per
    raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction")


def weighted_bce(p: Tensor, t: Tensor, weight: Any, reduction: str) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) * weight, logs clamped at -100."""
    log_p = _fn.clamp(p.log(), min=-100.0)
    log_q = _fn.clamp((1.0 - p).log(), min=-100.0)
    per = -(t * log_p + (1.0 - t) * log_q) * _elementwise_weight(weight, p)
    return _reduce(per, reduction, "binary_cross_entropy")


def weighted_regression(
    per: Tensor, input: Tensor, weight: Any, reduction: str, op: str, by_weight_sum: bool
) -> Tensor:
    """per * weight reduced; 'mean' divides by the summed weights (mse, l1) or by the count
    (huber), as torch's do."""
    w = C.as_tensor_operand(weight, like=per)
    if tuple(w.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Weights and input must have the same size.")
    weighted = per * w.to(per.dtype)
    if reduction == "mean" and by_weight_sum:
        return weighted.sum() / w.to(per.dtype).sum()
    return _reduce(weighted, reduction, op)
