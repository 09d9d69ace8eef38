"""More of `tf.nn` / `tf.math`: activations, 1-D and transposed/depthwise convolutions, 1-D
pooling, LRN and normalising helpers, each a composition of core operations."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import functional as F
from ...core import ops
from ...core.primitives.depthwise import depthwise_conv2d as depthwise_conv2d_op
from .graph import graph_of
from .math_ops import _tensor, known_rank
from .nn import _hw_pair, _padding, avg_pool, conv2d, max_pool
from .tensor import Tensor


def _s(v: float, x: Any) -> np.ndarray:
    return ops.scalar(v, x)


def _act(type_name: str, fn, features: Any, name: str | None) -> Tensor:
    x = _tensor(features)
    return x.graph.build_op(type_name, name, lambda: fn(x))


# ---- activations -------------------------------------------------------------------------------


def relu6(features: Any, name: str | None = None) -> Tensor:
    """min(max(x, 0), 6)."""
    return _act("Relu6", lambda x: ops.minimum(ops.relu(x), _s(6, x)), features, name)


def _elu(x):
    return ops.where(
        ops.greater(x, _s(0, x)), x, ops.sub(ops.exp(ops.minimum(x, _s(0, x))), _s(1, x))
    )


def elu(features: Any, name: str | None = None) -> Tensor:
    """x if x > 0 else exp(x) - 1."""
    return _act("Elu", _elu, features, name)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(features: Any, name: str | None = None) -> Tensor:
    """scale * (x if x > 0 else alpha * (exp(x) - 1))."""

    def fn(x):
        neg = ops.mul(_s(_SELU_ALPHA, x), ops.sub(ops.exp(ops.minimum(x, _s(0, x))), _s(1, x)))
        return ops.mul(_s(_SELU_SCALE, x), ops.where(ops.greater(x, _s(0, x)), x, neg))

    return _act("Selu", fn, features, name)


def _softplus(x):
    # max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|. The max and -|x| are selects on
    # x >= 0 (not relu / abs), so the gradient at exactly 0 is sigmoid(0) = 0.5, as TF's
    nonneg = ops.greater_equal(x, _s(0, x))
    pos, nabs = ops.where(nonneg, x, _s(0, x)), ops.where(nonneg, ops.neg(x), x)
    return ops.add(pos, ops.log(ops.add(_s(1, x), ops.exp(nabs))))


def softplus(features: Any, name: str | None = None) -> Tensor:
    """log(1 + exp(x)), computed stably."""
    return _act("Softplus", _softplus, features, name)


def softsign(features: Any, name: str | None = None) -> Tensor:
    """x / (1 + |x|)."""
    return _act("Softsign", lambda x: ops.div(x, ops.add(_s(1, x), ops.abs(x))), features, name)


def swish(features: Any, name: str | None = None) -> Tensor:
    """x * sigmoid(x) (SiLU)."""
    return _act("Swish", lambda x: ops.mul(x, ops.sigmoid(x)), features, name)


def log_sigmoid(x: Any, name: str | None = None) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x)."""
    return _act("LogSigmoid", lambda v: ops.neg(_softplus(ops.neg(v))), x, name)


def crelu(features: Any, name: str | None = None, axis: int = -1) -> Tensor:
    """concat([relu(x), relu(-x)], axis)."""
    x = _tensor(features)
    known_rank("crelu", x)
    return _act("CRelu", lambda v: ops.concat([ops.relu(v), ops.relu(ops.neg(v))], axis), x, name)


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Tensor:
    """x * Phi(x) with the tanh approximation (TF's approximate=True formula)."""
    if not approximate:
        raise NotImplementedError(
            "tf.nn.gelu(approximate=False) needs erf, which duograd lacks; pass approximate=True"
        )

    def fn(x):
        inner = ops.mul(
            _s(0.7978845608028654, x), ops.add(x, ops.mul(_s(0.044715, x), ops.pow(x, _s(3, x))))
        )
        return ops.mul(ops.mul(_s(0.5, x), x), ops.add(_s(1, x), ops.tanh(inner)))

    return _act("Gelu", fn, features, name)


# ---- math --------------------------------------------------------------------------------------


def log1p(x: Any, name: str | None = None) -> Tensor:
    """log(1 + x)."""
    return _act("Log1p", lambda v: ops.log(ops.add(_s(1, v), v)), x, name)


def expm1(x: Any, name: str | None = None) -> Tensor:
    """exp(x) - 1."""
    return _act("Expm1", lambda v: ops.sub(ops.exp(v), _s(1, v)), x, name)


def sin(x: Any, name: str | None = None) -> Tensor:
    """Elementwise sine."""
    return _act("Sin", ops.sin, x, name)


def cos(x: Any, name: str | None = None) -> Tensor:
    """Elementwise cosine."""
    return _act("Cos", ops.cos, x, name)


def is_nan(x: Any, name: str | None = None) -> Tensor:
    """x != x."""
    return _act("IsNan", lambda v: ops.not_equal(v, v), x, name)


def reduce_logsumexp(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None,
    keep_dims: Any = None,
) -> Tensor:  # fmt: skip
    """log(sum(exp(x))) over `axis` (all axes when None), computed stably."""
    x = _tensor(input_tensor)
    known_rank("reduce_logsumexp", x)
    kd = bool(keep_dims if keep_dims is not None else keepdims)
    axes = tuple(range(len(x.shape))) if axis is None else axis
    return x.graph.build_op("ReduceLogSumExp", name, lambda: ops.logsumexp(x, axes, kd))


def reduce_variance(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Population variance over `axis`."""
    x = _tensor(input_tensor)
    known_rank("reduce_variance", x)
    return x.graph.build_op("ReduceVariance", name, lambda: F.var(x, axis, 0, keepdims))


def reduce_std(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Population standard deviation over `axis`."""
    x = _tensor(input_tensor)
    known_rank("reduce_std", x)
    return x.graph.build_op("ReduceStd", name, lambda: ops.sqrt(F.var(x, axis, 0, keepdims)))


def count_nonzero(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, dtype: Any = np.int64,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """The number of non-zero entries over `axis`."""
    from .dtypes import as_dtype

    x = _tensor(input_tensor)
    known_rank("count_nonzero", x)
    axes = tuple(range(len(x.shape))) if axis is None else axis
    dt = as_dtype(dtype).np_dtype

    def fn():
        nz = ops.cast(
            ops.not_equal(
                x, np.zeros((), x.dtype.np_dtype if hasattr(x.dtype, "np_dtype") else x.dtype)
            ),
            dt,
        )
        return ops.sum(nz, axes, keepdims=keepdims)

    return x.graph.build_op("CountNonzero", name, fn)


def l2_normalize(
    x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None
) -> Tensor:
    """x / sqrt(max(sum(x ** 2, axis), epsilon))."""
    v = _tensor(x)
    known_rank("l2_normalize", v)
    if axis is not None and dim is not None:  # as TF: dim is axis's old name, not a second axis
        raise ValueError("l2_normalize: Cannot specify both 'dim' and 'axis'.")
    ax = axis if axis is not None else dim

    def fn():
        ss = ops.sum(ops.square(v), ax, keepdims=True)
        return ops.mul(v, ops.div(_s(1, v), ops.sqrt(ops.maximum(ss, _s(epsilon, v)))))

    return v.graph.build_op("L2Normalize", name, fn)


def xw_plus_b(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """matmul(x, weights) + biases."""
    a, w, b = _tensor(x), _tensor(weights), _tensor(biases)
    for arg, t, rank in (("x", a, 2), ("weights", w, 2), ("biases", b, 1)):
        if t.shape.rank is not None and t.shape.rank != rank:
            raise ValueError(
                f"xw_plus_b: {arg} must have rank {rank}, got shape {t.shape}; "
                "x is [batch, in], weights [in, out], biases [out]"
            )
    g = graph_of(a, w, b)
    return g.build_op("XwPlusB", name, lambda: ops.add(ops.matmul(a, w), b))


# ---- 1-D, transposed and depthwise convolution, 1-D pooling, LRN --------------------------------


def _one(v: Any, what: str) -> int:
    if isinstance(v, int):
        return v
    vals = [int(a) for a in v]
    if len(vals) == 1:
        return vals[0]
    if len(vals) == 3 and vals[0] == 1 and vals[2] == 1:
        return vals[1]
    raise ValueError(f"{what} must be an int, [n] or [1, n, 1], got {list(v)}")


def conv1d(
    value: Any = None, filters: Any = None, stride: Any = 1, padding: str = "VALID",
    use_cudnn_on_gpu: Any = None, data_format: str = "NWC", name: str | None = None,
    input: Any = None, dilations: Any = None,  # noqa: A002
) -> Tensor:  # fmt: skip
    """1-D cross-correlation of NWC input with WIO filters (a conv2d over a height of 1)."""
    if data_format not in ("NWC", "NHWC"):
        raise NotImplementedError(f"conv1d: data_format={data_format!r}; only 'NWC' is supported")
    x = _tensor(value if value is not None else input)
    w = _tensor(filters)
    known_rank("conv1d", x, w)
    s = _one(stride, "conv1d: stride")
    d = 1 if dilations is None else _one(dilations, "conv1d: dilations")
    g = graph_of(x, w)
    with g.name_scope(name or "conv1d"):
        x4 = g.build_op("ExpandDims", None, lambda: ops.expand_dims(x, 1))
        w4 = g.build_op("ExpandDims", None, lambda: ops.expand_dims(w, 0))
        y = conv2d(x4, w4, strides=[1, 1, s, 1], padding=padding, dilations=[1, 1, d, 1])
        return g.build_op("Squeeze", None, lambda: ops.squeeze(y, (1,)))


def _pool1d(pool, value, ksize, strides, padding, data_format, name):
    if data_format not in ("NWC", "NHWC"):
        raise NotImplementedError(f"pool1d: data_format={data_format!r}; only 'NWC' is supported")
    x = _tensor(value)
    known_rank("pool1d", x)
    k, s = _one(ksize, "ksize"), _one(strides, "strides")
    g = x.graph
    with g.name_scope(name or "pool1d"):
        x4 = g.build_op("ExpandDims", None, lambda: ops.expand_dims(x, 1))
        y = pool(x4, [1, 1, k, 1], [1, 1, s, 1], padding)
        return g.build_op("Squeeze", None, lambda: ops.squeeze(y, (1,)))


def max_pool1d(
    input: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NWC",  # noqa: A002
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window maxima over the width of NWC input."""
    return _pool1d(max_pool, input, ksize, strides, padding, data_format, name)


def avg_pool1d(
    input: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NWC",  # noqa: A002
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window means over the width of NWC input (padding not counted)."""
    return _pool1d(avg_pool, input, ksize, strides, padding, data_format, name)


def conv2d_transpose(
    value: Any = None, filter: Any = None, output_shape: Any = None, strides: Any = None,  # noqa: A002
    padding: str = "SAME", data_format: str = "NHWC", name: str | None = None,
    input: Any = None, filters: Any = None, dilations: Any = None,  # noqa: A002
) -> Tensor:  # fmt: skip
    """The gradient of conv2d w.r.t. its input: filters [h, w, out_c, in_c], static output_shape."""
    x = _tensor(value if value is not None else input)
    w = _tensor(filter if filter is not None else filters)
    known_rank("conv2d_transpose", x, w)
    try:
        out_shape = tuple(None if d is None else int(d) for d in output_shape)
    except TypeError as e:
        raise NotImplementedError(
            "conv2d_transpose: output_shape must be a static list of ints (the batch entry may "
            "be None); a tensor computed at run time is not supported"
        ) from e
    if len(out_shape) != 4 or any(d is None for d in out_shape[1:]):
        raise ValueError(f"conv2d_transpose: output_shape must be 4 ints, got {output_shape}")
    st = _hw_pair(strides if strides is not None else 1, "strides", data_format)
    dl = _hw_pair(dilations if dilations is not None else 1, "dilations", data_format)
    pad = _padding(padding, data_format)
    g = graph_of(x, w)
    np_dt = x.dtype.np_dtype if hasattr(x.dtype, "np_dtype") else np.dtype(x.dtype)

    def fn():
        if out_shape[0] is None:
            # the batch is known only when run: zeros shaped (batch of x, rest of output_shape)
            one = ops.fill_like(ops.getitem(x, (slice(None),) + (slice(0, 1),) * 3), 0.0)
            like = ops.add(one, np.zeros((1,) + out_shape[1:], np_dt))
        else:
            like = np.zeros(out_shape, np_dt)
        return ops.conv2d_input_grad(x, w, like, st, pad, dl, data_format, "HWIO")

    return g.build_op("Conv2DBackpropInput", name, fn)


def depthwise_conv2d(
    input: Any, filter: Any, strides: Any, padding: Any, rate: Any = None,  # noqa: A002
    name: str | None = None, data_format: str = "NHWC", dilations: Any = None,
) -> Tensor:  # fmt: skip
    """Each input channel convolved with its own [h, w, 1, multiplier] filters (one kernel)."""
    x, w = _tensor(input), _tensor(filter)
    known_rank("depthwise_conv2d", x, w)
    if x.dtype != w.dtype:
        raise TypeError(f"depthwise_conv2d: input {x} and filter {w} need one dtype")
    d = dilations if dilations is not None else (rate if rate is not None else 1)
    st = _hw_pair(strides if strides is not None else 1, "strides", data_format)
    dl = _hw_pair(d, "dilations", data_format)
    pad = _padding(padding, data_format)
    g = graph_of(x, w)
    return g.build_op(
        "DepthwiseConv2dNative",
        name,
        lambda: depthwise_conv2d_op(x, w, st, pad, dl, data_format, "HWCM"),
    )


def separable_conv2d(
    input: Any, depthwise_filter: Any, pointwise_filter: Any, strides: Any, padding: str,  # noqa: A002
    rate: Any = None, name: str | None = None, data_format: str = "NHWC", dilations: Any = None,
) -> Tensor:  # fmt: skip
    """depthwise_conv2d followed by a 1x1 conv2d with `pointwise_filter`."""
    x = _tensor(input)
    with x.graph.name_scope(name or "separable_conv2d"):
        y = depthwise_conv2d(
            x, depthwise_filter, strides, padding, rate, None, data_format, dilations
        )
        return conv2d(y, pointwise_filter, strides=[1, 1, 1, 1], padding="VALID")


def lrn(
    input: Any, depth_radius: int = 5, bias: float = 1.0, alpha: float = 1.0,  # noqa: A002
    beta: float = 0.5, name: str | None = None,
) -> Tensor:  # fmt: skip
    """x / (bias + alpha * sum of x^2 over the 2r+1 nearest channels) ** beta (last axis)."""
    x = _tensor(input)
    known_rank("lrn", x)
    if len(x.shape) != 4:
        raise ValueError(f"lrn: input must be 4-D (batch, height, width, channels), got {x}")
    c = int(x.shape[-1])
    r = int(depth_radius)

    def fn():
        sq = ops.square(x)
        total = None
        for k in range(-r, r + 1):
            lo, hi = max(0, k), min(c, c + k)  # channels j = i + k that exist
            if lo >= hi:
                continue
            part = ops.getitem(sq, (Ellipsis, slice(lo, hi)))
            pieces = []
            if lo - k > 0:  # outputs i < lo - k have no neighbour at offset k
                pieces.append(ops.fill_like(ops.getitem(sq, (Ellipsis, slice(0, lo - k))), 0.0))
            pieces.append(part)
            tail = c - (hi - k)
            if tail > 0:
                pieces.append(ops.fill_like(ops.getitem(sq, (Ellipsis, slice(0, tail))), 0.0))
            shifted = pieces[0] if len(pieces) == 1 else ops.concat(pieces, -1)
            total = shifted if total is None else ops.add(total, shifted)
        denom = ops.pow(ops.add(_s(bias, x), ops.mul(_s(alpha, x), total)), _s(beta, x))
        return ops.div(x, denom)

    return x.graph.build_op("LRN", name, fn)


def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Tensor:
    """Whether each target's prediction is among the row's k largest (ties count as in)."""
    p = _tensor(predictions)
    t = _tensor(targets)
    known_rank("in_top_k", p)
    if len(p.shape) != 2 or p.shape[1] is None:
        raise ValueError(f"in_top_k: predictions must be 2-D with known classes, got {p}")
    c = int(p.shape[1])
    g = graph_of(p, t)
    from ...core.primitives.runtime_shapes import known_like
    from .array_ops import one_hot

    t = known_like(t, (p.shape[0],), "in_top_k")
    hot = one_hot(t, c, dtype=p.dtype)

    def fn():
        target_val = ops.sum(ops.mul(p, hot), (1,), keepdims=True)
        above = ops.sum(ops.cast(ops.greater(p, target_val), np.int32), (1,))
        # TF says False for a target outside [0, classes) or whose prediction is not finite
        # (x - x == 0 exactly when x is finite)
        flat = ops.reshape(target_val, (-1,))
        ok = ops.mul(
            ops.mul(ops.cast(ops.greater_equal(t, ops.scalar(0, t)), np.int32),
                    ops.cast(ops.less(t, ops.scalar(c, t)), np.int32)),
            ops.cast(ops.equal(ops.sub(flat, flat), ops.scalar(0, flat)), np.int32),
        )  # fmt: skip
        kk = ops.scalar(int(k), above)
        return ops.less(ops.where(ops.equal(ok, ops.scalar(1, ok)), above, kk), kk)

    return g.build_op("InTopKV2", name, fn)
