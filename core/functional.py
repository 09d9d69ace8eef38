"""Compositions both frontends share (layers and losses), written once with core operations.

Because `nn.CrossEntropyLoss` and `tf.nn.sparse_softmax_cross_entropy_with_logits` +
`reduce_mean` both call `cross_entropy_with_labels` here, they run the very same primitives in
the very same order, which is what bitwise parity between the styles needs.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .primitives.randomness import dropout_mask_like

REDUCTIONS = ("mean", "sum", "none")


def _reduce(per, reduction: str, op: str):
    if reduction == "mean":
        return ops.mean(per)
    if reduction == "sum":
        return ops.sum(per)
    if reduction == "none":
        return per
    raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def linear(x, weight, bias=None, layout: str = "out_in"):
    """x @ W.T + b for PyTorch's (out, in) weights, or x @ W + b for TF's (in, out) kernels."""
    if layout == "out_in":
        y = ops.matmul(x, weight, transpose_b=True)
    elif layout == "in_out":
        y = ops.matmul(x, weight)
    else:
        raise ValueError(f"linear: layout must be 'out_in' or 'in_out', got {layout!r}")
    return y if bias is None else ops.add(y, bias)


def mse(pred, target, reduction: str = "mean"):
    """Mean squared error: reduce((pred - target) ** 2)."""
    return _reduce(ops.square(ops.sub(pred, target)), reduction, "mse_loss")


def l1(pred, target, reduction: str = "mean"):
    """Mean absolute error: reduce(|pred - target|)."""
    return _reduce(ops.abs(ops.sub(pred, target)), reduction, "l1_loss")


def cross_entropy_with_labels(logits, labels, reduction: str = "none"):
    """Softmax cross-entropy against integer class labels: -log_softmax(logits)[label]."""
    per = ops.neg(ops.pick(ops.log_softmax(logits, -1), labels))
    return _reduce(per, reduction, "cross_entropy")


def nll_with_labels(log_probs, labels, reduction: str = "none"):
    """Negative log-likelihood of integer labels given log-probabilities."""
    return _reduce(ops.neg(ops.pick(log_probs, labels)), reduction, "nll_loss")


def cross_entropy_with_probs(logits, probs, reduction: str = "none"):
    """Softmax cross-entropy against a distribution (one-hot or soft labels) on the last axis."""
    per = ops.neg(ops.sum(ops.mul(probs, ops.log_softmax(logits, -1)), -1))
    return _reduce(per, reduction, "cross_entropy")


def binary_cross_entropy(p, target, reduction: str = "mean"):
    """-(t log p + (1 - t) log(1 - p)), logs clamped at -100 as PyTorch does."""
    one = ops.scalar(1, p)
    floor = ops.scalar(-100, p)
    log_p = ops.maximum(ops.log(p), floor)
    log_q = ops.maximum(ops.log(ops.sub(one, p)), floor)
    per = ops.neg(ops.add(ops.mul(target, log_p), ops.mul(ops.sub(one, target), log_q)))
    return _reduce(per, reduction, "binary_cross_entropy")


def sigmoid_cross_entropy_with_logits(logits, target, reduction: str = "none"):
    """max(z, 0) - z t + log(1 + exp(-|z|)): stable for any logit (TF's formula)."""
    zero = ops.scalar(0, logits)
    one = ops.scalar(1, logits)
    per = ops.add(
        ops.sub(ops.maximum(logits, zero), ops.mul(logits, target)),
        ops.log(ops.add(one, ops.exp(ops.neg(ops.abs(logits))))),
    )
    return _reduce(per, reduction, "binary_cross_entropy_with_logits")


def l2_loss(x):
    """sum(x ** 2) / 2 (TF's l2_loss)."""
    return ops.div(ops.sum(ops.square(x)), ops.scalar(2, x))


def dropout(x, p: float, training: bool = True):
    """Zero each entry with probability p and scale the rest by 1 / (1 - p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return ops.mul(x, ops.scalar(0, x))
    return ops.mul(x, dropout_mask_like(x, 1.0 - p))


def one_hot(labels: np.ndarray, depth: int, dtype=np.float32) -> np.ndarray:
    """Integer labels to one-hot rows (a data helper, not differentiable)."""
    labels = np.asarray(labels)
    out = np.zeros(labels.shape + (depth,), dtype=dtype)
    np.put_along_axis(out, labels[..., None].astype(np.int64), 1, -1)
    return out
