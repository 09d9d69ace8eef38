"""tf.metrics against real TensorFlow (compat.v1, graph mode): streamed over several batches
with update ops, read, reset by tf.local_variables_initializer; variable names and
collections too."""

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

R = np.random.RandomState(21)
N = 12
LABELS = [R.randint(0, 2, N) for _ in range(3)]
PROBS = [R.uniform(0, 1, N).astype(np.float32) for _ in range(3)]
CLS_L = [R.randint(0, 4, N) for _ in range(3)]
CLS_P = [np.where(R.uniform(size=N) < 0.6, lab, R.randint(0, 4, N)) for lab in CLS_L]
WEIGHTS = [R.uniform(0, 2, N).astype(np.float32) for _ in range(3)]
VALS = [R.uniform(-2, 2, (N, 2)).astype(np.float32) for _ in range(3)]


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _metrics(tf, lab, prob, cl, cp, w, v):
    m = tf.metrics
    pred = tf.cast(prob > 0.5, tf.int64)
    return {
        "accuracy": m.accuracy(lab, pred),
        "accuracy_w": m.accuracy(lab, pred, weights=w),
        "mean": m.mean(v),
        "mean_w": m.mean(v[:, 0], weights=w),
        "mean_tensor": m.mean_tensor(tf.reduce_sum(v, 0)),
        "mse": m.mean_squared_error(v[:, 0], v[:, 1]),
        "mae": m.mean_absolute_error(v[:, 0], v[:, 1], weights=w),
        "rmse": m.root_mean_squared_error(v[:, 0], v[:, 1]),
        "below": m.percentage_below(v, 0.5),
        "precision": m.precision(lab, pred),
        "recall": m.recall(lab, pred, weights=w),
        "tp": m.true_positives(lab, pred),
        "fp": m.false_positives(lab, pred),
        "tn": m.true_negatives(lab, pred),
        "fn": m.false_negatives(lab, pred, weights=w),
        "auc": m.auc(lab, prob),
        "auc_w": m.auc(lab, prob, weights=w, num_thresholds=50),
        "auc_pr": m.auc(lab, prob, curve="PR"),
        "auc_minoring": m.auc(lab, prob, summation_method="minoring", num_thresholds=20),
        "prec_at": m.precision_at_thresholds(lab, prob, [0.25, 0.5, 0.75]),
        "rec_at": m.recall_at_thresholds(lab, prob, [0.25, 0.5, 0.75]),
        "tp_at": m.true_positives_at_thresholds(lab, prob, [0.3, 0.6]),
        "mean_iou": m.mean_iou(cl, cp, 4),
        "mean_iou_w": m.mean_iou(cl, cp, 4, weights=w),
        "per_class": m.mean_per_class_accuracy(cl, cp, 4),
    }


def _stream(tf):
    tf.reset_default_graph()
    lab = tf.placeholder(tf.int64, [None])
    prob = tf.placeholder(tf.float32, [None])
    cl = tf.placeholder(tf.int64, [None])
    cp = tf.placeholder(tf.int64, [None])
    w = tf.placeholder(tf.float32, [None])
    v = tf.placeholder(tf.float32, [None, 2])
    ms = _metrics(tf, lab, prob, cl, cp, w, v)
    values = {k: a for k, (a, _) in ms.items()}
    updates = {k: b for k, (_, b) in ms.items()}
    names = sorted(x.name for x in tf.local_variables())
    out = {"updates": [], "names": names}
    with tf.Session() as s:
        s.run(tf.local_variables_initializer())
        for i in range(3):
            feed = {lab: LABELS[i], prob: PROBS[i], cl: CLS_L[i], cp: CLS_P[i], w: WEIGHTS[i]}
            feed[v] = VALS[i]
            out["updates"].append(s.run(updates, feed))
        out["values"] = s.run(values)
        s.run(tf.local_variables_initializer())
        out["reset"] = s.run(values)
    return out


def test_metrics_stream_like_tf(ref):
    want, got = _stream(ref), _stream(dg)
    assert got["names"] == want["names"]
    for part in ("values", "reset"):
        for k in want[part]:
            w, g = np.asarray(want[part][k]), np.asarray(got[part][k])
            assert g.dtype == w.dtype, (part, k)
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6, err_msg=f"{part} {k}")
    for wu, gu in zip(want["updates"], got["updates"], strict=True):
        for k in wu:
            w, g = np.asarray(wu[k]), np.asarray(gu[k])
            assert g.dtype == w.dtype, k
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6, err_msg=f"update {k}")


def test_metric_collections_and_not_saved(ref):
    for tf in (ref, dg):
        tf.reset_default_graph()
        x = tf.constant([1.0, 2.0])
        acc, up = tf.metrics.mean(x, metrics_collections=["m"], updates_collections=["u"])
        assert tf.get_collection("m") == [acc] and tf.get_collection("u") == [up]
        assert not tf.global_variables() and not tf.trainable_variables()
        assert len(tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)) == 2


def test_missing_metric_names_say_so():
    with pytest.raises(NotImplementedError, match="tf.metrics.no_such_metric"):
        dg.metrics.no_such_metric  # noqa: B018
