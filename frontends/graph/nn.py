"""`tf.nn`: activations, softmax, the cross-entropy losses, dropout and friends.

The losses and dropout call `core.functional`, the compositions the eager frontend calls too,
so e.g. `tf.nn.sparse_softmax_cross_entropy_with_logits` and PyTorch-style `cross_entropy` run
the same primitives in the same order.
"""

from __future__ import annotations

from typing import Any

from ...core import functional as F
from ...core import ops
from ...core.errors import fmt_shape
from ...core.ir import Value
from ...core.primitives import dynamic as X
from . import convert
from . import dtypes as tfd
from .array_ops import gather
from .graph import graph_of
from .math_ops import _tensor, known_rank
from .math_ops import sigmoid as sigmoid
from .math_ops import tanh as tanh
from .shapes import is_unknown_rank
from .tensor import Tensor


def relu(features: Any, name: str | None = None) -> Tensor:
    """max(x, 0)."""
    x = _tensor(features)
    return x.graph.build_op("Relu", name, lambda: ops.relu(x))


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """x where x > 0 else alpha * x (core.functional.leaky_relu, as the eager frontend)."""
    x = _tensor(features)
    if tfd.as_dtype(x.dtype).is_integer:  # TF computes integer features in float32
        x = x.graph.build_op("Cast", None, lambda: ops.cast(x, tfd.float32.np_dtype))
    return x.graph.build_op("LeakyRelu", name, lambda: F.leaky_relu(x, float(alpha)))


def _axis(axis: Any, dim: Any) -> int:
    a = axis if axis is not None else dim
    return -1 if a is None else int(a)


def softmax(logits: Any, axis: Any = None, name: str | None = None, dim: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (default: the last)."""
    x = _tensor(logits)
    known_rank("softmax", x)
    return x.graph.build_op("Softmax", name, lambda: ops.softmax(x, _axis(axis, dim)))


def log_softmax(logits: Any, axis: Any = None, name: str | None = None, dim: Any = None) -> Tensor:
    """log(softmax(x)) along `axis` (default: the last)."""
    x = _tensor(logits)
    known_rank("log_softmax", x)
    return x.graph.build_op("LogSoftmax", name, lambda: ops.log_softmax(x, _axis(axis, dim)))


def _last_axis(op: str, x: Tensor, axis: int) -> None:
    if axis not in (-1, len(x.shape) - 1):
        raise NotImplementedError(f"{op}: only the last axis is supported as the class axis")


def _ce_operands(op: str, labels: Any, logits: Any) -> tuple:
    if labels is None or logits is None:
        raise ValueError(f"{op}: pass both labels= and logits= (by name)")
    z = _tensor(logits)
    known_rank(op, z)
    g = graph_of(z, labels)
    y = labels if isinstance(labels, Value) else convert.operand(labels, z, g, "labels")
    if y.dtype != z.dtype:
        raise TypeError(f"{op}: labels {y} must have the dtype of logits {z}")
    if not y.shape.is_compatible_with(z.shape):
        raise ValueError(f"{op}: labels shape {y.shape} must match logits shape {z.shape}")
    return g, y, z


def softmax_cross_entropy_with_logits(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: Any = None,
) -> Tensor:
    """Per-example -sum(labels * log_softmax(logits)); no gradient flows into labels (TF1 v1)."""
    g, y, z = _ce_operands("softmax_cross_entropy_with_logits", labels, logits)
    _last_axis("softmax_cross_entropy_with_logits", z, _axis(axis, dim))
    return g.build_op(
        "SoftmaxCrossEntropyWithLogits",
        name,
        lambda: F.cross_entropy_with_probs(z, ops.stop_gradient(y)),
        default="softmax_cross_entropy_with_logits",
    )


def softmax_cross_entropy_with_logits_v2(
    labels: Any = None,
    logits: Any = None,
    axis: Any = None,
    name: str | None = None,
    dim: Any = None,
) -> Tensor:
    """Per-example -sum(labels * log_softmax(logits)); gradients flow into labels too."""
    g, y, z = _ce_operands("softmax_cross_entropy_with_logits_v2", labels, logits)
    _last_axis("softmax_cross_entropy_with_logits_v2", z, _axis(axis, dim))
    return g.build_op(
        "SoftmaxCrossEntropyWithLogits",
        name,
        lambda: F.cross_entropy_with_probs(z, y),
        default="softmax_cross_entropy_with_logits",
    )


def sparse_softmax_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Per-example -log_softmax(logits)[label] for integer class labels."""
    if labels is None or logits is None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits: pass labels= and logits=")
    z = _tensor(logits)
    known_rank("sparse_softmax_cross_entropy_with_logits", z)
    if not tfd.as_dtype(z.dtype).is_floating:
        raise TypeError(
            f"sparse_softmax_cross_entropy_with_logits: logits must be float32 or float64, got {z}"
        )
    g = graph_of(z, labels)
    y = (
        labels
        if isinstance(labels, Value)
        else g.constant(convert.to_array(labels, convert.infer_dtype(labels), "labels"))
    )
    if not tfd.as_dtype(y.dtype).is_integer:
        raise TypeError(
            f"sparse_softmax_cross_entropy_with_logits: labels must be int32 or int64, got {y}"
        )
    from ...core.primitives.runtime_shapes import (
        known_like,  # labels fed from an unshaped placeholder
    )

    if not is_unknown_rank(y.shape) and len(y.shape) != len(z.shape) - 1:
        raise ValueError(
            "sparse_softmax_cross_entropy_with_logits: rank mismatch: the labels "
            f"{fmt_shape(tuple(y.shape))} must have rank {len(z.shape) - 1}, one less than the "
            f"logits {fmt_shape(tuple(z.shape))} (one label per row of scores)"
        )
    y = known_like(y, tuple(z.shape)[:-1], "sparse_softmax_cross_entropy_with_logits")
    return g.build_op(
        "SparseSoftmaxCrossEntropyWithLogits",
        name,
        lambda: F.cross_entropy_with_labels(z, y),
        default="SparseSoftmaxCrossEntropyWithLogits",
    )


def sigmoid_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Per-element max(z, 0) - z * t + log(1 + exp(-|z|))."""
    g, y, z = _ce_operands("sigmoid_cross_entropy_with_logits", labels, logits)
    return g.build_op(
        "SigmoidCrossEntropyWithLogits",
        name,
        lambda: F.sigmoid_cross_entropy_with_logits(z, y),
        default="logistic_loss",
    )


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2."""
    x = _tensor(t)
    return x.graph.build_op("L2Loss", name, lambda: F.l2_loss(x))


def bias_add(value: Any, bias: Any, data_format: Any = None, name: str | None = None) -> Tensor:
    """value + bias, with bias a vector matching the last axis."""
    x = _tensor(value)
    b = _tensor(bias)
    known_rank("bias_add", x, b)
    if len(x.shape) < 2:  # as TF's BiasAdd
        raise ValueError(f"bias_add: value must be at least rank 2, got {x}")
    if len(b.shape) != 1:
        raise ValueError(f"bias_add: bias must be 1-D, got shape {b.shape}")
    if x.shape[-1] is not None and b.shape[0] is not None and x.shape[-1] != b.shape[0]:
        raise ValueError(
            f"bias_add: bias of length {b.shape[0]} does not match the last axis of {x.shape}"
        )
    if x.dtype != b.dtype:
        raise TypeError(f"bias_add: {b} must have the dtype of {x}")
    return graph_of(x, b).build_op("BiasAdd", name, lambda: ops.add(x, b))


def dropout(
    x: Any,
    keep_prob: Any = None,
    noise_shape: Any = None,
    seed: Any = None,
    name: str | None = None,
    rate: Any = None,
) -> Tensor:
    """Zero entries with probability `rate` (= 1 - keep_prob), scale the rest by 1 / keep_prob.

    `keep_prob` may be a tensor (e.g. a placeholder fed 1.0 at test time).
    """
    t = _tensor(x)
    if not tfd.as_dtype(t.dtype).is_floating:  # TF: x will be scaled, so it must be float
        raise ValueError(f"dropout: x must be a floating point tensor, got {t}")
    if noise_shape is not None:
        raise NotImplementedError("dropout: noise_shape is not supported")
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout: give exactly one of keep_prob and rate")
    if isinstance(keep_prob, Value) or isinstance(rate, Value):
        g = graph_of(t, keep_prob, rate)

        def build_dynamic():
            if keep_prob is not None:
                keep = keep_prob
            else:
                keep = ops.sub(ops.scalar(1, rate), rate)
            if keep.dtype != t.dtype:
                keep = ops.cast(keep, t.dtype)
            return ops.mul(t, X.dropout_mask_dynamic(t, keep))

        return g.build_op("Dropout", name, build_dynamic, default="dropout")
    p = float(rate) if rate is not None else 1.0 - float(keep_prob)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1), got {p}")

    def build():
        out = F.dropout(t, p, training=True)
        return ops.identity(out) if out is t else out

    return t.graph.build_op("Dropout", name, build, default="dropout")


def moments(
    x: Any,
    axes: Any,
    shift: Any = None,
    name: str | None = None,
    keep_dims: Any = None,
    keepdims: Any = None,
) -> tuple:
    """(mean, variance) over `axes`, TF's formula (core.functional.moments)."""
    t = _tensor(x)
    known_rank("moments", t)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = tuple(int(a) for a in axes)
    with t.graph.name_scope(name or "moments"):
        return F.moments(t, axes, keepdims=keep)


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Tensor:
    """x * a + (offset - mean * a) with a = scale / sqrt(variance + eps) (core.functional)."""
    t = _tensor(x)
    known_rank("batch_normalization", t)
    g = graph_of(t, mean, variance, offset, scale)
    stats = [v for v in (mean, variance, offset, scale) if v is not None]
    rank_ok = all(len(v.shape) in (1, len(t.shape)) for v in stats if isinstance(v, Value))
    if not rank_ok:
        raise ValueError(
            "batch_normalization: mean, variance, offset and scale must be per-channel vectors "
            f"(along the last axis) or have the rank of {t}"
        )
    eps = float(variance_epsilon)
    return g.build_op(
        "Batchnorm",
        name,
        lambda: F.batch_norm(t, scale, offset, mean, variance, eps, axis=-1),
        default="batchnorm",
    )


def _hw_pair(values: Any, what: str, data_format: str) -> tuple:
    """TF's 4-entry strides/ksize ([1, h, w, 1] for NHWC) or an int / (h, w) pair."""
    if isinstance(values, int):
        return (values, values)
    v = [int(a) for a in values]
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) == 2:
        return (v[0], v[1])
    if len(v) == 4:
        h, w = (v[1], v[2]) if data_format == "NHWC" else (v[2], v[3])
        batch, chan = (v[0], v[3]) if data_format == "NHWC" else (v[0], v[1])
        if batch != 1 or chan != 1:
            raise ValueError(f"{what} over the batch or channel axis is not supported: {v}")
        return (h, w)
    raise ValueError(f"{what} must have 1, 2 or 4 entries, got {v}")


def _padding(padding: Any, data_format: str) -> Any:
    """ "SAME"/"VALID", or TF's explicit [[0, 0], [top, bottom], [left, right], [0, 0]]."""
    if isinstance(padding, str):
        return padding.upper()
    pads = [tuple(int(a) for a in p) for p in padding]
    if len(pads) == 4:
        h, w = (1, 2) if data_format == "NHWC" else (2, 3)
        return (pads[h], pads[w])
    return tuple(pads)


def conv2d(
    input: Any,  # noqa: A002
    filter: Any = None,  # noqa: A002
    strides: Any = None,
    padding: Any = "VALID",
    use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
    filters: Any = None,
) -> Tensor:
    """2-D cross-correlation of NHWC (or NCHW) input with HWIO filters, as tf.nn.conv2d."""
    x = _tensor(input)
    w = _tensor(filter if filter is not None else filters)
    known_rank("conv2d", x, w)
    if x.dtype != w.dtype:
        raise TypeError(f"conv2d: input {x} and filter {w} need one dtype")
    st = _hw_pair(strides if strides is not None else 1, "strides", data_format)
    dl = _hw_pair(dilations if dilations is not None else 1, "dilations", data_format)
    pad = _padding(padding, data_format)
    g = graph_of(x, w)
    return g.build_op(
        "Conv2D",
        name,
        lambda: F.conv2d(x, w, None, st, pad, dl, data_format=data_format, filter_format="HWIO"),
    )


def _pool(
    kind: str,
    value: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str,
    name: str | None,
) -> Tensor:
    x = _tensor(value)
    known_rank(kind, x)
    k = _hw_pair(ksize, "ksize", data_format)
    st = _hw_pair(strides, "strides", data_format)
    pad = _padding(padding, data_format)
    if kind == "max_pool":
        return x.graph.build_op(
            "MaxPool", name, lambda: ops.max_pool2d(x, k, st, pad, data_format=data_format)
        )
    # TF's average ignores the padding in the count
    return x.graph.build_op(
        "AvgPool",
        name,
        lambda: ops.avg_pool2d(x, k, st, pad, data_format=data_format, count_include_pad=False),
    )


def max_pool(
    value: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,
) -> Tensor:  # noqa: A002
    """Window maxima (NHWC by default): ksize and strides as [1, h, w, 1]."""
    return _pool(
        "max_pool",
        value if value is not None else input,
        ksize,
        strides,
        padding,
        data_format,
        name,
    )


def avg_pool(
    value: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,
) -> Tensor:  # noqa: A002
    """Window means over the real (unpadded) elements, as TF."""
    return _pool(
        "avg_pool",
        value if value is not None else input,
        ksize,
        strides,
        padding,
        data_format,
        name,
    )


max_pool2d = max_pool
avg_pool2d = avg_pool


def embedding_lookup(
    params: Any, ids: Any, partition_strategy: str = "mod", name: str | None = None, **_: Any
) -> Tensor:
    """Rows of `params` at `ids` (a gather on axis 0)."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("embedding_lookup: sharded params are not supported")
        params = params[0]
    return gather(params, ids, name=name or "embedding_lookup")
