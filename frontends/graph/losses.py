"""`tf.losses`: reduced losses built on `core.functional`, added to the LOSSES collection.

With the default weights (1.0) the reduction is the mean over all elements, computed by the
core's mean, which is what PyTorch-style losses with reduction="mean" compute too.
"""

from __future__ import annotations

from typing import Any

from ...core import functional as F
from ...core import ops
from ...core.ir import Value
from . import convert
from .graph import GraphKeys, get_default_graph, graph_of
from .math_ops import _tensor, add_n, known_rank
from .tensor import Tensor


class Reduction:
    """How a loss reduces its per-element values."""

    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple:
        """Every reduction."""
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_BY_NONZERO_WEIGHTS)


def _weighted(per: Any, weights: Any, reduction: str) -> Any:
    """Core ops reducing `per` with TF's weighted reductions (plain mean for weight 1)."""
    if reduction not in Reduction.all():
        raise ValueError(f"unknown reduction {reduction!r}; use one of {Reduction.all()}")
    unit = not isinstance(weights, Value) and float(weights) == 1.0
    if unit:
        if reduction in (
            Reduction.SUM_BY_NONZERO_WEIGHTS,
            Reduction.SUM_OVER_BATCH_SIZE,
            Reduction.MEAN,
        ):
            return ops.mean(per)
        return ops.sum(per) if reduction == Reduction.SUM else per
    w = weights if isinstance(weights, Value) else ops.scalar(float(weights), per)
    weighted = ops.mul(per, w)
    if reduction == Reduction.NONE:
        return weighted
    total = ops.sum(weighted)
    if reduction == Reduction.SUM:
        return total
    wb = ops.broadcast_like(w, per) if tuple(w.shape) != tuple(per.shape) else w
    if reduction == Reduction.MEAN:
        return ops.div(total, ops.sum(wb))
    if reduction == Reduction.SUM_OVER_BATCH_SIZE:
        return ops.div(total, ops.count_like(per, tuple(range(len(per.shape)))))
    present = ops.sum(ops.cast(ops.not_equal(wb, ops.scalar(0, wb)), per.dtype))
    return ops.div(total, present)


def _finish(loss: Tensor, loss_collection: Any) -> Tensor:
    if loss_collection:
        loss.graph.add_to_collection(loss_collection, loss)
    return loss


def _pair(op: str, labels: Any, predictions: Any) -> tuple:
    p = _tensor(predictions)
    g = graph_of(p, labels)
    y = labels if isinstance(labels, Value) else convert.operand(labels, p, g, "labels")
    if y.dtype != p.dtype:
        raise TypeError(f"{op}: labels {y} must have the dtype of predictions {p}")
    if not y.shape.is_compatible_with(p.shape):
        raise ValueError(
            f"{op}: labels shape {y.shape} and predictions shape {p.shape} must match "
            "(reshape one of them; broadcasting them would silently change the loss)"
        )
    return g, y, p


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Mean of (predictions - labels) ** 2 (core.functional.mse for unit weights)."""
    g, y, p = _pair("mean_squared_error", labels, predictions)

    def build():
        return _weighted(F.mse(p, y, reduction="none"), weights, reduction)

    return _finish(
        g.build_op("MeanSquaredError", scope, build, default="mean_squared_error"), loss_collection
    )


def absolute_difference(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Mean of |predictions - labels| (core.functional.l1)."""
    g, y, p = _pair("absolute_difference", labels, predictions)

    def build():
        return _weighted(F.l1(p, y, reduction="none"), weights, reduction)

    return _finish(
        g.build_op("AbsoluteDifference", scope, build, default="absolute_difference"),
        loss_collection,
    )


def softmax_cross_entropy(
    onehot_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Mean softmax cross-entropy against one-hot (or soft) labels; no gradient into labels."""
    z = _tensor(logits)
    known_rank("softmax_cross_entropy", z)
    g, y, _ = _pair("softmax_cross_entropy", onehot_labels, z)

    def build():
        target = ops.stop_gradient(y)
        if label_smoothing:
            k = z.shape[-1]
            target = ops.add(
                ops.mul(target, ops.scalar(1 - label_smoothing, z)),
                ops.scalar(label_smoothing / k, z),
            )
        return _weighted(F.cross_entropy_with_probs(z, target), weights, reduction)

    return _finish(
        g.build_op("SoftmaxCrossEntropy", scope, build, default="softmax_cross_entropy_loss"),
        loss_collection,
    )


def sparse_softmax_cross_entropy(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Mean cross-entropy against integer class labels (as PyTorch's CrossEntropyLoss)."""
    z = _tensor(logits)
    known_rank("sparse_softmax_cross_entropy", z)
    g = graph_of(z, labels)
    y = (
        labels
        if isinstance(labels, Value)
        else g.constant(convert.to_array(labels, convert.infer_dtype(labels), "labels"))
    )

    def build():
        return _weighted(F.cross_entropy_with_labels(z, y), weights, reduction)

    return _finish(
        g.build_op(
            "SparseSoftmaxCrossEntropy", scope, build, default="sparse_softmax_cross_entropy_loss"
        ),
        loss_collection,
    )


def sigmoid_cross_entropy(
    multi_class_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Mean sigmoid cross-entropy with logits."""
    g, y, z = _pair("sigmoid_cross_entropy", multi_class_labels, logits)

    def build():
        target = y
        if label_smoothing:
            target = ops.add(
                ops.mul(y, ops.scalar(1 - label_smoothing, z)), ops.scalar(0.5 * label_smoothing, z)
            )
        return _weighted(F.sigmoid_cross_entropy_with_logits(z, target), weights, reduction)

    return _finish(
        g.build_op("SigmoidCrossEntropy", scope, build, default="sigmoid_cross_entropy_loss"),
        loss_collection,
    )


def log_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    epsilon: float = 1e-7,
    scope: Any = None,
    loss_collection: Any = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Mean of -t log(p + eps) - (1 - t) log(1 - p + eps)."""
    g, y, p = _pair("log_loss", labels, predictions)

    def build():
        eps = ops.scalar(epsilon, p)
        one = ops.scalar(1, p)
        per = ops.sub(
            ops.neg(ops.mul(y, ops.log(ops.add(p, eps)))),
            ops.mul(ops.sub(one, y), ops.log(ops.add(ops.sub(one, p), eps))),
        )
        return _weighted(per, weights, reduction)

    return _finish(g.build_op("LogLoss", scope, build, default="log_loss"), loss_collection)


def add_loss(loss: Tensor, loss_collection: Any = GraphKeys.LOSSES) -> None:
    """Add a loss to the collection."""
    if loss_collection:
        loss.graph.add_to_collection(loss_collection, loss)


def get_losses(scope: Any = None, loss_collection: Any = GraphKeys.LOSSES) -> list:
    """The losses in the collection."""
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope: Any = None) -> list:
    """The regularization losses."""
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope: Any = None, name: str = "total_regularization_loss") -> Tensor:
    """The sum of the regularization losses (0.0 if none)."""
    losses = get_regularization_losses(scope)
    if not losses:
        return convert.constant(0.0, name=name)
    return add_n(losses, name=name)


def get_total_loss(
    add_regularization_losses: bool = True, name: str = "total_loss", scope: Any = None
) -> Tensor:
    """The sum of the losses (and the regularization losses)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("No losses found: build a loss with tf.losses first")
    return add_n(losses, name=name)
