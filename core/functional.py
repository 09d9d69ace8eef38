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


def _bound(value, like):
    """A clamp bound: Python numbers become 0-d constants of like's dtype; values pass through."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        return ops.scalar(value, like)
    return value


def clamp(x, lo=None, hi=None):
    """min(max(x, lo), hi); the gradient passes where lo <= x <= hi (ties included, as both do)."""
    if lo is None and hi is None:
        raise ValueError("clamp: at least one of the bounds (min, max) must be given")
    if lo is not None:
        x = ops.maximum(x, _bound(lo, x))
    if hi is not None:
        x = ops.minimum(x, _bound(hi, x))
    return x


def norm(x, p=2, axes=None, keepdims: bool = False):
    """The p-norm over `axes` (None = all): p = 2 (or 'fro'), 1, inf, -inf, 0 or any p > 0."""
    if p in (2, 2.0, "fro"):
        return ops.sqrt(ops.sum(ops.square(x), axes, keepdims))
    if p in (1, 1.0):
        return ops.sum(ops.abs(x), axes, keepdims)
    if p == float("inf"):
        return ops.max(ops.abs(x), axes, keepdims)
    if p == float("-inf"):
        return ops.min(ops.abs(x), axes, keepdims)
    if p in (0, 0.0):
        nonzero = ops.cast(ops.not_equal(x, ops.scalar(0, x)), x.dtype)
        return ops.sum(nonzero, axes, keepdims)
    if isinstance(p, str) or p < 0:
        raise ValueError(f"norm: unsupported order p={p!r}; use 2, 'fro', 1, inf, -inf, 0 or p > 0")
    powered = ops.sum(ops.pow(ops.abs(x), ops.scalar(p, x)), axes, keepdims)
    return ops.pow(powered, ops.scalar(1.0 / p, x))


def var(x, axes=None, correction: int = 1, keepdims: bool = False):
    """Variance over `axes` with `correction` (1 = unbiased as torch.var, 0 = as tf moments)."""
    from .primitives.rules import normalize_axes

    ax = normalize_axes("var", axes, len(x.shape))
    centered = ops.sub(x, ops.mean(x, ax, keepdims=True))
    total = ops.sum(ops.square(centered), ax, keepdims)
    count = ops.count_like(x, ax)
    if correction:
        count = ops.sub(count, ops.scalar(correction, x))
    return ops.div(total, count)


def std(x, axes=None, correction: int = 1, keepdims: bool = False):
    """Standard deviation: sqrt(var(x))."""
    return ops.sqrt(var(x, axes, correction, keepdims))


def leaky_relu(x, negative_slope: float = 0.01):
    """x where x > 0 else negative_slope * x (the gradient at 0 takes the slope, as both do)."""
    zero = ops.scalar(0, x)
    return ops.where(ops.greater(x, zero), x, ops.mul(x, ops.scalar(negative_slope, x)))


# ---- convolution layers and normalisation (shared by nn.Conv2d / tf.nn.conv2d + bias_add,
# nn.BatchNorm / tf.nn.batch_normalization, nn.LayerNorm / keras LayerNormalization) ----------


def _channel_shape(ndim: int, axis: int) -> tuple:
    """(1, ..., -1, ..., 1): a per-channel vector reshaped to broadcast along `axis`."""
    return tuple(-1 if i == axis % ndim else 1 for i in range(ndim))


def conv2d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    data_format: str = "NCHW",
    filter_format: str = "OIHW",
):
    """conv2d (see ops.conv2d) plus a per-output-channel bias, added as a broadcast reshape.

    The bias is reshaped to (1, O, 1, 1) or (1, 1, 1, O), so its gradient is one reduction over
    (n, h, w) in both layouts, which gives the same bits.
    """
    y = ops.conv2d(x, weight, stride, padding, dilation, data_format, filter_format)
    if bias is None:
        return y
    axis = 1 if data_format == "NCHW" else 3
    return ops.add(y, ops.reshape(bias, _channel_shape(4, axis)))


def moments(x, axes, keepdims: bool = False):
    """(mean, variance) over `axes`; the variance is biased (divides by the count), as TF's.

    The variance is mean((x - stop_gradient(mean)) ** 2), TF's formula: the gradient through
    the mean would be a sum of deviations, which is zero.
    """
    from .primitives.rules import normalize_axes

    ax = normalize_axes("moments", axes, len(x.shape))
    mean = ops.mean(x, ax, keepdims=True)
    var = ops.mean(ops.square(ops.sub(x, ops.stop_gradient(mean))), ax, keepdims=True)
    if keepdims:
        return mean, var
    return ops.squeeze(mean, ax), ops.squeeze(var, ax)


def _per_channel(v, x, axis: int):
    """A statistic or affine parameter as an array broadcasting against x along `axis`."""
    if v is None or len(v.shape) == len(x.shape):
        return v
    return ops.reshape(v, _channel_shape(len(x.shape), axis))


def _normalize(x, mean, var, scale, offset, eps: float):
    """x * a + b, a = scale / sqrt(var + eps), b = offset - mean * a (both anchors' CPU form)."""
    a = ops.div(ops.scalar(1, x), ops.sqrt(ops.add(var, ops.scalar(eps, x))))
    if scale is not None:
        a = ops.mul(a, scale)
    b = ops.neg(ops.mul(mean, a)) if offset is None else ops.sub(offset, ops.mul(mean, a))
    return ops.add(ops.mul(x, a), b)


def batch_norm(x, scale, offset, mean, var, eps: float = 1e-5, axis: int = 1):
    """Inference batch norm with given statistics; per-channel vectors lie along `axis`.

    scale/offset may be None; mean, var, scale and offset are (C,) vectors or arrays already
    shaped to broadcast against x.
    """
    return _normalize(
        x,
        _per_channel(mean, x, axis),
        _per_channel(var, x, axis),
        _per_channel(scale, x, axis),
        _per_channel(offset, x, axis),
        eps,
    )


def batch_norm_train(x, scale, offset, eps: float = 1e-5, axes=(0, 2, 3)):
    """Training batch norm: normalise with the batch's statistics over `axes`.

    Returns (y, batch_mean, batch_var) with (C,) statistics, the variance biased (as both
    anchors normalise with); a frontend derives running averages (and PyTorch's unbiased
    running variance) from them. Reducing (0, 2, 3) of NCHW and (0, 1, 2) of NHWC visits the
    same elements in the same (n, h, w) order, so both layouts give the same bits.
    """
    from .primitives.rules import normalize_axes

    ax = normalize_axes("batch_norm", axes, len(x.shape))
    kept = [i for i in range(len(x.shape)) if i not in ax]
    if len(kept) != 1:
        raise ValueError(
            f"batch_norm: axes {tuple(axes)} must leave exactly one channel axis of a "
            f"rank-{len(x.shape)} input, got {len(kept)}"
        )
    mean, var = moments(x, ax, keepdims=True)
    y = _normalize(
        x, mean, var, _per_channel(scale, x, kept[0]), _per_channel(offset, x, kept[0]), eps
    )
    return y, ops.squeeze(mean, ax), ops.squeeze(var, ax)


def layer_norm(x, scale=None, offset=None, eps: float = 1e-5, axes=(-1,)):
    """(x - mean) / sqrt(var + eps) over `axes`, then * scale + offset (each may be None)."""
    mean, var = moments(x, axes, keepdims=True)
    y = ops.div(ops.sub(x, mean), ops.sqrt(ops.add(var, ops.scalar(eps, x))))
    if scale is not None:
        y = ops.mul(y, scale)
    if offset is not None:
        y = ops.add(y, offset)
    return y
