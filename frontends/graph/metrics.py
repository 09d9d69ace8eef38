"""`tf.metrics`: streaming metrics kept in local variables. Each returns (value, update_op):
run update_op on every batch, read value at the end; `tf.local_variables_initializer()`
resets them. Same variables, collections and formulas as TF1's."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import array_ops as A
from . import math_ops as M
from .convert import convert_to_tensor
from .graph import GraphKeys, get_default_graph
from .variable_scope import variable_scope
from .variables import Variable

METRIC_VARIABLES = "metric_variables"
if not hasattr(GraphKeys, "METRIC_VARIABLES"):
    GraphKeys.METRIC_VARIABLES = METRIC_VARIABLES


def metric_variable(shape: Any, dtype: Any, validate_shape: bool = True, name: Any = None):
    """A zero-initialised local variable in the LOCAL_VARIABLES and METRIC_VARIABLES
    collections (not trained, not saved)."""
    zeros = np.zeros(shape, dtype=getattr(dtype, "np_dtype", dtype))
    return Variable(
        zeros, trainable=False, collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES],
        validate_shape=validate_shape, name=name,
    )  # fmt: skip


def _t(x: Any) -> Any:
    return convert_to_tensor(x)


def _f32(x: Any) -> Any:
    return M.cast(_t(x), np.float32)


def _collect(names: Any, value: Any) -> None:
    if names:
        get_default_graph().add_to_collections(names, value)


def _div_no_nan(a: Any, b: Any, name: str | None = None) -> Any:
    """a / b, and 0 where b is 0."""
    nz = M.not_equal(b, 0.0)
    return A.where(nz, M.truediv(a, A.where(nz, b, A.ones_like(b))), A.zeros_like(a), name=name)


def _weights(weights: Any, like: Any) -> Any:
    """Weights cast to float32 and broadcast to the shape of `like`."""
    w = _f32(weights)
    return M.multiply(w, A.ones_like(like))


def _squeeze_last(x: Any, other: Any) -> Any:
    """Drop a trailing size-1 axis when `x` has one more axis than `other` (TF's
    remove_squeezable_dimensions)."""
    if x.ndim == other.ndim + 1 and x.shape[-1] == 1:
        return A.squeeze(x, [-1])
    return x


def _finish(value, update, metrics_collections, updates_collections):
    _collect(metrics_collections, value)
    _collect(updates_collections, update)
    return value, update


def mean(
    values: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The (weighted) mean of every value seen: total / count."""
    with variable_scope(name, "mean", [values, weights]):
        values = _f32(values)
        total = metric_variable([], np.float32, name="total")
        count = metric_variable([], np.float32, name="count")
        if weights is None:
            num = M.cast(A.size(values), np.float32)
        else:
            w = _weights(weights, values)
            values = M.multiply(values, w)
            num = M.reduce_sum(w)
        up_total = total.assign_add(M.reduce_sum(values))
        up_count = count.assign_add(num)
        value = _div_no_nan(total, M.maximum(count, 0.0), name="value")
        update = _div_no_nan(up_total, M.maximum(up_count, 0.0), name="update_op")
    return _finish(value, update, metrics_collections, updates_collections)


def mean_tensor(
    values: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The elementwise (weighted) mean of the tensors seen."""
    with variable_scope(name, "mean", [values, weights]):
        values = _f32(values)
        if not values.shape.is_fully_defined():
            raise ValueError(f"mean_tensor: values must have a static shape, got {values.shape}")
        total = metric_variable(list(values.shape), np.float32, name="total_tensor")
        count = metric_variable(list(values.shape), np.float32, name="count_tensor")
        num = A.ones_like(values)
        if weights is not None:
            w = _weights(weights, values)
            values, num = M.multiply(values, w), M.multiply(num, w)
        up_total = total.assign_add(values)
        up_count = count.assign_add(num)
        value = _div_no_nan(total, M.maximum(count, 0.0), name="value")
        update = _div_no_nan(up_total, M.maximum(up_count, 0.0), name="update_op")
    return _finish(value, update, metrics_collections, updates_collections)


def accuracy(
    labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """How often predictions equal labels."""
    labels, predictions = _t(labels), _t(predictions)
    predictions = _squeeze_last(predictions, labels)
    labels = _squeeze_last(labels, predictions)
    if predictions.dtype != labels.dtype:
        predictions = M.cast(predictions, labels.dtype)
    correct = M.cast(M.equal(predictions, labels), np.float32)
    return mean(correct, weights, metrics_collections, updates_collections, name or "accuracy")


def mean_squared_error(
    labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The mean of (labels - predictions)^2."""
    err = M.squared_difference(_f32(labels), _f32(predictions))
    name = name or "mean_squared_error"
    return mean(err, weights, metrics_collections, updates_collections, name)


def mean_absolute_error(
    labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The mean of |predictions - labels|."""
    err = M.abs(M.subtract(_f32(predictions), _f32(labels)))
    name = name or "mean_absolute_error"
    return mean(err, weights, metrics_collections, updates_collections, name)


def root_mean_squared_error(
    labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The square root of the mean squared error."""
    err = M.squared_difference(_f32(labels), _f32(predictions))
    mse, up = mean(err, weights, None, None, name or "root_mean_squared_error")
    value, update = M.sqrt(mse), M.sqrt(up)
    return _finish(value, update, metrics_collections, updates_collections)


def percentage_below(
    values: Any, threshold: float, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The share of values below `threshold`."""
    below = M.cast(M.less(_t(values), threshold), np.float32)
    return mean(
        below, weights, metrics_collections, updates_collections,
        name or "percentage_below_threshold",
    )  # fmt: skip


# ---- counts of true/false positives/negatives, precision, recall ---------------------------------


def _bools(labels: Any, predictions: Any) -> tuple:
    labels, predictions = _t(labels), _t(predictions)
    predictions = _squeeze_last(predictions, labels)
    labels = _squeeze_last(labels, predictions)
    return M.cast(labels, np.bool_), M.cast(predictions, np.bool_)


def _count(cond: Any, weights: Any, name: str | None, scope: str) -> tuple:
    with variable_scope(name, scope, [cond, weights]):
        var = metric_variable([], np.float32, name="count")
        hits = M.cast(cond, np.float32)
        if weights is not None:
            hits = M.multiply(hits, _weights(weights, hits))
        update = var.assign_add(M.reduce_sum(hits))
        value = A.identity(var)
    return value, update


def _conditions(kind: str, lab: Any, pred: Any) -> Any:
    t, n = M.logical_and, M.logical_not
    return {
        "tp": lambda: t(lab, pred),
        "fp": lambda: t(n(lab), pred),
        "tn": lambda: t(n(lab), n(pred)),
        "fn": lambda: t(lab, n(pred)),
    }[kind]()


def _counter(kind: str, default: str):
    def metric(
        labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
        updates_collections: Any = None, name: str | None = None,
    ) -> tuple:  # fmt: skip
        lab, pred = _bools(labels, predictions)
        value, update = _count(_conditions(kind, lab, pred), weights, name, default)
        return _finish(value, update, metrics_collections, updates_collections)

    metric.__name__ = default
    metric.__doc__ = f"The (weighted) number of {default.replace('_', ' ')}."
    return metric


true_positives = _counter("tp", "true_positives")
false_positives = _counter("fp", "false_positives")
true_negatives = _counter("tn", "true_negatives")
false_negatives = _counter("fn", "false_negatives")


def _ratio(a: Any, b: Any, name: str) -> Any:
    """a / (a + b), 0 when a + b is 0 (TF's precision / recall)."""
    s = M.add(a, b)
    pos = M.greater(s, 0.0)
    return A.where(pos, M.truediv(a, A.where(pos, s, A.ones_like(s))), A.zeros_like(s), name=name)


def precision(
    labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """true positives / (true positives + false positives)."""
    with variable_scope(name, "precision", [predictions, labels, weights]):
        lab, pred = _bools(labels, predictions)
        tp, tp_up = _count(_conditions("tp", lab, pred), weights, None, "true_positives")
        fp, fp_up = _count(_conditions("fp", lab, pred), weights, None, "false_positives")
        value = _ratio(tp, fp, "value")
        update = _ratio(tp_up, fp_up, "update_op")
    return _finish(value, update, metrics_collections, updates_collections)


def recall(
    labels: Any, predictions: Any, weights: Any = None, metrics_collections: Any = None,
    updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """true positives / (true positives + false negatives)."""
    with variable_scope(name, "recall", [predictions, labels, weights]):
        lab, pred = _bools(labels, predictions)
        tp, tp_up = _count(_conditions("tp", lab, pred), weights, None, "true_positives")
        fn, fn_up = _count(_conditions("fn", lab, pred), weights, None, "false_negatives")
        value = _ratio(tp, fn, "value")
        update = _ratio(tp_up, fn_up, "update_op")
    return _finish(value, update, metrics_collections, updates_collections)


# ---- at thresholds: the confusion counts for many thresholds at once; AUC --------------------


def _at_thresholds(labels, predictions, thresholds, weights, kinds) -> tuple[dict, dict]:
    """Local variables [len(thresholds)] counting tp/fn/tn/fp with prediction > threshold."""
    labels, predictions = _t(labels), _f32(predictions)
    predictions = _squeeze_last(predictions, labels)
    labels = _squeeze_last(labels, predictions)
    n_t = len(thresholds)
    pred_row = A.reshape(predictions, [1, -1])
    lab_row = A.reshape(M.cast(labels, np.bool_), [1, -1])
    thresh = convert_to_tensor(np.asarray(thresholds, np.float32).reshape(n_t, 1))
    # [thresholds, predictions] by broadcasting (every condition involves pred_pos)
    pred_pos = M.greater(pred_row, thresh)
    lab_pos = lab_row
    w = None
    if weights is not None:
        w = A.reshape(_weights(weights, predictions), [1, -1])
    values, updates = {}, {}
    names = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
             "fp": "false_positives"}  # fmt: skip
    for k in ("tp", "fn", "tn", "fp"):
        if k not in kinds:
            continue
        hit = M.cast(_conditions(k, lab_pos, pred_pos), np.float32)
        if w is not None:
            hit = M.multiply(hit, w)
        var = metric_variable([n_t], np.float32, name=names[k])
        values[k] = var
        updates[k] = var.assign_add(M.reduce_sum(hit, 1))
    return values, updates


def _auc_thresholds(num_thresholds: int, thresholds: Any) -> list:
    if thresholds is not None:
        return [0.0 - 1e-7] + [float(t) for t in thresholds] + [1.0 + 1e-7]
    eps = 1e-7
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - eps] + inner + [1.0 + eps]


def auc(
    labels: Any, predictions: Any, weights: Any = None, num_thresholds: int = 200,
    metrics_collections: Any = None, updates_collections: Any = None, curve: str = "ROC",
    name: str | None = None, summation_method: str = "trapezoidal", thresholds: Any = None,
) -> tuple:  # fmt: skip
    """The area under the ROC (or PR) curve, from confusion counts at `num_thresholds`
    thresholds spread over [0, 1] (predictions must lie in [0, 1])."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"auc: curve must be 'ROC' or 'PR', got {curve!r}")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
        raise ValueError(f"auc: invalid summation_method {summation_method!r}")
    if curve == "PR" and summation_method == "careful_interpolation":
        raise NotImplementedError(
            "tf.metrics.auc: curve='PR' with summation_method='careful_interpolation' is not "
            "provided by duograd; use summation_method='trapezoidal'"
        )
    with variable_scope(name, "auc", [labels, predictions, weights]):
        th = _auc_thresholds(num_thresholds, thresholds)
        n = len(th)
        vals, ups = _at_thresholds(labels, predictions, th, weights, ("tp", "fn", "tn", "fp"))

        def area(c: dict, name: str) -> Any:
            eps = 1.0e-6
            rec = M.truediv(M.add(c["tp"], eps), M.add(M.add(c["tp"], c["fn"]), eps))
            if curve == "ROC":
                x = M.truediv(c["fp"], M.add(M.add(c["fp"], c["tn"]), eps))
                y = rec
            else:
                x = rec
                y = M.truediv(M.add(c["tp"], eps), M.add(M.add(c["tp"], c["fp"]), eps))
            dx = M.subtract(x[: n - 1], x[1:])
            if summation_method == "minoring":
                h = M.minimum(y[: n - 1], y[1:])
            elif summation_method == "majoring":
                h = M.maximum(y[: n - 1], y[1:])
            else:
                h = M.truediv(M.add(y[: n - 1], y[1:]), 2.0)
            return M.reduce_sum(M.multiply(dx, h), name=name)

        value = area(vals, "value")
        update = area(ups, "update_op")
    return _finish(value, update, metrics_collections, updates_collections)


def _thresholded(kind_names: tuple, default: str):
    def metric(
        labels: Any, predictions: Any, thresholds: Any, weights: Any = None,
        metrics_collections: Any = None, updates_collections: Any = None,
        name: str | None = None,
    ) -> tuple:  # fmt: skip
        with variable_scope(name, default, [predictions, labels, weights]):
            vals, ups = _at_thresholds(labels, predictions, list(thresholds), weights, kind_names)
            if len(kind_names) == 1:
                k = kind_names[0]
                value, update = A.identity(vals[k]), ups[k]
            else:
                a, b = kind_names
                eps = 1e-7
                value = M.truediv(vals[a], M.add(M.add(vals[a], vals[b]), eps), name="value")
                update = M.truediv(ups[a], M.add(M.add(ups[a], ups[b]), eps), name="update_op")
        return _finish(value, update, metrics_collections, updates_collections)

    metric.__name__ = default
    metric.__doc__ = f"{default.replace('_', ' ')}: one value per threshold."
    return metric


true_positives_at_thresholds = _thresholded(("tp",), "true_positives")
false_positives_at_thresholds = _thresholded(("fp",), "false_positives")
true_negatives_at_thresholds = _thresholded(("tn",), "true_negatives")
false_negatives_at_thresholds = _thresholded(("fn",), "false_negatives")
precision_at_thresholds = _thresholded(("tp", "fp"), "precision_at_thresholds")
recall_at_thresholds = _thresholded(("tp", "fn"), "recall_at_thresholds")


# ---- per-class: mean IoU and mean per-class accuracy from a running confusion matrix -----------


def _flat_ids(x: Any) -> Any:
    return A.reshape(M.cast(_t(x), np.int64), [-1])


def mean_iou(
    labels: Any, predictions: Any, num_classes: int, weights: Any = None,
    metrics_collections: Any = None, updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The mean over classes of intersection / union, from a running confusion matrix; the
    update op returns that matrix (float64), as TF's."""
    with variable_scope(name, "mean_iou", [predictions, labels, weights]):
        cm = metric_variable([num_classes, num_classes], np.float64, name="total_confusion_matrix")
        lab, pred = _flat_ids(labels), _flat_ids(predictions)
        rows = A.one_hot(lab, num_classes, dtype=np.float64)
        if weights is not None:
            w = M.cast(A.reshape(_t(weights), [-1]), np.float64)
            rows = M.multiply(rows, A.expand_dims(M.multiply(w, A.ones_like(w)), 1))
        cols = A.one_hot(pred, num_classes, dtype=np.float64)
        update = cm.assign_add(M.matmul(rows, cols, transpose_a=True))

        eye = convert_to_tensor(np.eye(num_classes, dtype=np.float64))
        row_sums = M.cast(M.reduce_sum(cm, 0), np.float32)
        col_sums = M.cast(M.reduce_sum(cm, 1), np.float32)
        diag = M.cast(M.reduce_sum(M.multiply(cm, eye), 1), np.float32)
        den = M.subtract(M.add(row_sums, col_sums), diag)
        valid = M.reduce_sum(M.cast(M.not_equal(den, 0.0), np.float32))
        den = A.where(M.greater(den, 0.0), den, A.ones_like(den))
        iou = M.truediv(diag, den)
        ok = M.greater(valid, 0.0)
        value = A.where(
            ok, M.truediv(M.reduce_sum(iou), A.where(ok, valid, 1.0)), 0.0, name="mean_iou"
        )
    return _finish(value, update, metrics_collections, updates_collections)


def mean_per_class_accuracy(
    labels: Any, predictions: Any, num_classes: int, weights: Any = None,
    metrics_collections: Any = None, updates_collections: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """The mean over classes of each class's accuracy (classes never seen count as 0); the
    update op returns the per-class accuracies."""
    with variable_scope(name, "mean_accuracy", [predictions, labels, weights]):
        lab, pred = _flat_ids(labels), _flat_ids(predictions)
        total = metric_variable([num_classes], np.float32, name="total")
        count = metric_variable([num_classes], np.float32, name="count")
        ones = M.cast(A.ones_like(lab), np.float32)
        correct = M.cast(M.equal(pred, lab), np.float32)
        if weights is not None:
            w = _f32(A.reshape(_t(weights), [-1]))
            ones, correct = M.multiply(ones, w), M.multiply(correct, w)
        onehot = A.one_hot(lab, num_classes, dtype=np.float32)
        up_total = total.assign_add(M.reduce_sum(M.multiply(onehot, A.expand_dims(ones, 1)), 0))
        up_count = count.assign_add(M.reduce_sum(M.multiply(onehot, A.expand_dims(correct, 1)), 0))
        value = M.reduce_mean(_div_no_nan(count, total), name="mean_accuracy")
        # the update op gives the per-class accuracies, as TF's does
        update = _div_no_nan(up_count, up_total, name="update_op")
    return _finish(value, update, metrics_collections, updates_collections)


__all__ = [
    "accuracy", "auc", "false_negatives", "false_negatives_at_thresholds", "false_positives",
    "false_positives_at_thresholds", "mean", "mean_absolute_error", "mean_iou",
    "mean_per_class_accuracy", "mean_squared_error", "mean_tensor", "metric_variable",
    "percentage_below", "precision", "precision_at_thresholds", "recall", "recall_at_thresholds",
    "root_mean_squared_error", "true_negatives", "true_negatives_at_thresholds",
    "true_positives", "true_positives_at_thresholds",
]  # fmt: skip
