"""More of `tf.nn`: the convolution backprop names (conv2d_backprop_input / filter, the depthwise
ones, conv1d_transpose, conv_transpose, atrous_conv2d_transpose, depthwise_conv2d_native), the
generic and v2 pools, silu / relu_layer, the moment helpers (sufficient_statistics,
normalize_moments, weighted_moments) and the replica loss scalers (compute_average_loss,
scale_regularization_loss). Each is a composition of core operations.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import domain, ops
from ...core.primitives.depthwise import (
    depthwise_conv2d_filter_grad,
    depthwise_conv2d_input_grad,
)
from . import math_ops as M
from .array_ops import expand_dims, squeeze, zeros_like
from .graph import graph_of
from .math_more import reduce_prod
from .math_ops import _tensor, known_rank
from .nn import _hw_pair, _padding, avg_pool, max_pool, relu
from .nn_extra import conv2d_transpose, depthwise_conv2d, xw_plus_b
from .pool3d import avg_pool3d, conv3d_transpose, max_pool3d
from .realprog_surface import div_no_nan
from .tensor import Tensor


def _static_shape(op: str, shape: Any, rank: int, what: str) -> tuple:
    if isinstance(shape, Tensor):
        value = shape.node.params.get("value") if shape.node.kind.lower() == "const" else None
        if value is None:
            raise NotImplementedError(
                f"tf.nn.{op}: {what} must be known when the graph is built (a list of ints or a "
                f"constant), got the run-time tensor {shape}"
            )
        shape = value
    dims = tuple(int(d) for d in np.asarray(shape).reshape(-1))
    if len(dims) != rank:
        raise ValueError(f"tf.nn.{op}: {what} must have {rank} entries, got {list(dims)}")
    return dims


def conv2d_backprop_input(
    input_sizes: Any, filter: Any = None, out_backprop: Any = None, strides: Any = None,  # noqa: A002
    padding: Any = None, use_cudnn_on_gpu: bool = True, data_format: str = "NHWC",
    dilations: Any = None, name: str | None = None, filters: Any = None,
) -> Tensor:  # fmt: skip
    """The gradient of conv2d w.r.t. its input, shaped `input_sizes` (static)."""
    sizes = _static_shape("conv2d_backprop_input", input_sizes, 4, "input_sizes")
    w = filter if filter is not None else filters
    return conv2d_transpose(out_backprop, w, list(sizes), strides, padding, data_format, name,
                            dilations=dilations)  # fmt: skip


def conv2d_backprop_filter(
    input: Any, filter_sizes: Any, out_backprop: Any, strides: Any, padding: Any,  # noqa: A002
    use_cudnn_on_gpu: bool = True, data_format: str = "NHWC", dilations: Any = None,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """The gradient of conv2d w.r.t. its HWIO filter, shaped `filter_sizes` (static)."""
    sizes = _static_shape("conv2d_backprop_filter", filter_sizes, 4, "filter_sizes")
    x, g = _tensor(input), _tensor(out_backprop)
    known_rank("conv2d_backprop_filter", x, g)
    st = _hw_pair(strides, "strides", data_format)
    dl = _hw_pair(dilations if dilations is not None else 1, "dilations", data_format)
    pad = _padding(padding, data_format)
    like = np.zeros(sizes, x.dtype.np_dtype)
    return graph_of(x, g).build_op(
        "Conv2DBackpropFilter", name,
        lambda: ops.conv2d_filter_grad(x, g, like, st, pad, dl, data_format, "HWIO"),
    )  # fmt: skip


def _depthwise_args(strides, padding, data_format, dilations) -> tuple:
    st = _hw_pair(strides, "strides", data_format)
    dl = _hw_pair(dilations if dilations is not None else 1, "dilations", data_format)
    return st, _padding(padding, data_format), dl


def depthwise_conv2d_native(
    input: Any, filter: Any, strides: Any, padding: Any, data_format: str = "NHWC",  # noqa: A002
    dilations: Any = None, name: str | None = None,
) -> Tensor:  # fmt: skip
    """depthwise_conv2d with TF's raw-op argument order (strides as [1, h, w, 1])."""
    return depthwise_conv2d(input, filter, strides, padding, None, name, data_format, dilations)


def depthwise_conv2d_backprop_input(
    input_sizes: Any, filter: Any, out_backprop: Any, strides: Any, padding: Any,  # noqa: A002
    data_format: str = "NHWC", dilations: Any = None, name: str | None = None,
) -> Tensor:  # fmt: skip
    """The gradient of depthwise_conv2d w.r.t. its input, shaped `input_sizes` (static)."""
    sizes = _static_shape("depthwise_conv2d_backprop_input", input_sizes, 4, "input_sizes")
    w, g = _tensor(filter), _tensor(out_backprop)
    st, pad, dl = _depthwise_args(strides, padding, data_format, dilations)
    like = np.zeros(sizes, w.dtype.np_dtype)
    p = {"stride": st, "padding": pad, "dilation": dl, "data_format": data_format,
         "filter_format": "HWCM"}  # fmt: skip
    return graph_of(w, g).build_op(
        "DepthwiseConv2dNativeBackpropInput", name,
        lambda: depthwise_conv2d_input_grad(g, w, like, **p),
    )  # fmt: skip


def depthwise_conv2d_backprop_filter(
    input: Any, filter_sizes: Any, out_backprop: Any, strides: Any, padding: Any,  # noqa: A002
    data_format: str = "NHWC", dilations: Any = None, name: str | None = None,
) -> Tensor:  # fmt: skip
    """The gradient of depthwise_conv2d w.r.t. its [h, w, c, m] filter (static filter_sizes)."""
    sizes = _static_shape("depthwise_conv2d_backprop_filter", filter_sizes, 4, "filter_sizes")
    x, g = _tensor(input), _tensor(out_backprop)
    st, pad, dl = _depthwise_args(strides, padding, data_format, dilations)
    like = np.zeros(sizes, x.dtype.np_dtype)
    p = {"stride": st, "padding": pad, "dilation": dl, "data_format": data_format,
         "filter_format": "HWCM"}  # fmt: skip
    return graph_of(x, g).build_op(
        "DepthwiseConv2dNativeBackpropFilter", name,
        lambda: depthwise_conv2d_filter_grad(x, g, like, **p),
    )  # fmt: skip


def atrous_conv2d_transpose(
    value: Any, filters: Any, output_shape: Any, rate: int, padding: str,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """The gradient of atrous_conv2d w.r.t. its input (stride 1, the filter dilated by rate)."""
    r = int(rate)
    if r < 1:
        raise ValueError(f"tf.nn.atrous_conv2d_transpose: rate must be >= 1, got {rate}")
    shape = _static_shape("atrous_conv2d_transpose", output_shape, 4, "output_shape")
    return conv2d_transpose(value, filters, list(shape), [1, 1, 1, 1], padding, "NHWC", name,
                            dilations=[1, r, r, 1])  # fmt: skip


def conv1d_transpose(
    input: Any, filters: Any, output_shape: Any, strides: Any, padding: str = "SAME",  # noqa: A002
    data_format: str = "NWC", dilations: Any = None, name: str | None = None,
) -> Tensor:  # fmt: skip
    """The gradient of conv1d w.r.t. its input: filters [w, out_c, in_c], NWC."""
    if data_format != "NWC":
        raise NotImplementedError("tf.nn.conv1d_transpose: only data_format='NWC' is provided")
    x, w = _tensor(input), _tensor(filters)
    known_rank("conv1d_transpose", x, w)
    b, width, c = _static_shape("conv1d_transpose", output_shape, 3, "output_shape")
    s = int(np.ravel(strides)[0]) if not isinstance(strides, int) else strides
    s = int(np.ravel(strides)[1]) if np.size(strides) == 3 else s
    d = 1 if dilations is None else int(np.ravel(dilations)[-2 if np.size(dilations) == 3 else 0])
    with x.graph.name_scope(name or "conv1d_transpose"):
        x4 = expand_dims(x, 1)
        w4 = expand_dims(w, 0)
        y = conv2d_transpose(x4, w4, [b, 1, width, c], [1, 1, s, 1], padding, "NHWC",
                             dilations=[1, 1, d, 1])  # fmt: skip
        return squeeze(y, [1])


def conv_transpose(
    input: Any, filters: Any, output_shape: Any, strides: Any, padding: str = "SAME",  # noqa: A002
    data_format: Any = None, dilations: Any = None, name: str | None = None,
) -> Tensor:  # fmt: skip
    """conv1d/2d/3d_transpose chosen by the rank of `output_shape`."""
    shape = list(
        _static_shape("conv_transpose", output_shape, np.size(output_shape), "output_shape")
    )
    n = len(shape)
    st = np.ravel(strides)
    if n == 3:
        return conv1d_transpose(input, filters, shape, strides, padding, data_format or "NWC",
                                dilations, name)  # fmt: skip
    if n == 4:
        st = [1, *np.broadcast_to(st, 2), 1] if st.size in (1, 2) else list(st)
        return conv2d_transpose(input, filters, shape, [int(v) for v in st], padding,
                                data_format or "NHWC", name, dilations=dilations)  # fmt: skip
    if n == 5:
        if dilations is not None and np.any(np.ravel(dilations) != 1):
            raise NotImplementedError("tf.nn.conv_transpose: dilated 3-D is not provided")
        st = [1, *np.broadcast_to(st, 3), 1] if st.size in (1, 3) else list(st)
        return conv3d_transpose(input, filters, shape, [int(v) for v in st], padding,
                                data_format or "NDHWC", name)  # fmt: skip
    raise ValueError(f"tf.nn.conv_transpose: output_shape must have 3, 4 or 5 entries, got {n}")


def _window(values: Any, nd: int, what: str, op: str) -> list:
    """TF2's ksize/strides: an int, nd ints, or nd + 2 ints with 1 on batch and channels."""
    v = [int(a) for a in np.ravel(values)]
    if len(v) == 1:
        v = v * nd
    if len(v) == nd:
        return [1, *v, 1]
    if len(v) == nd + 2:
        return v
    raise ValueError(f"tf.nn.{op}: {what} must have 1, {nd} or {nd + 2} entries, got {v}")


def _pool_nd(kind: str, op: str, input: Any, ksize: Any, strides: Any, padding: Any,  # noqa: A002
             data_format: Any, name: Any) -> Tensor:  # fmt: skip
    x = _tensor(input)
    known_rank(op, x)
    nd = len(x.shape) - 2
    if nd not in (1, 2, 3):
        raise ValueError(f"tf.nn.{op}: input must be 3-D, 4-D or 5-D, got {x}")
    if data_format is not None and not str(data_format).endswith("C"):
        raise NotImplementedError(f"tf.nn.{op}: only channels-last data_format is provided")
    k, s = _window(ksize, nd, "ksize", op), _window(strides, nd, "strides", op)
    if nd == 3:
        fn = max_pool3d if kind == "max" else avg_pool3d
        return fn(x, k, s, padding, "NDHWC", name)
    fn = max_pool if kind == "max" else avg_pool
    if nd == 2:
        return fn(x, k, s, padding, "NHWC", name)
    with x.graph.name_scope(name or op):
        y = fn(expand_dims(x, 1), [1, 1, k[1], 1], [1, 1, s[1], 1], padding, "NHWC")
        return squeeze(y, [1])


def max_pool_v2(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any = None,  # noqa: A002
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window maxima of N-D channels-last input (TF2's tf.nn.max_pool)."""
    return _pool_nd("max", "max_pool_v2", input, ksize, strides, padding, data_format, name)


def avg_pool_v2(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any = None,  # noqa: A002
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Window means of N-D channels-last input, padding not counted (TF2's tf.nn.avg_pool)."""
    return _pool_nd("avg", "avg_pool_v2", input, ksize, strides, padding, data_format, name)


def pool(
    input: Any, window_shape: Any, pooling_type: str, padding: str = "VALID",  # noqa: A002
    dilation_rate: Any = None, strides: Any = None, name: str | None = None,
    data_format: Any = None, dilations: Any = None,
) -> Tensor:  # fmt: skip
    """N-D "MAX" or "AVG" pooling with `window_shape` and `strides` (default 1)."""
    rate = dilation_rate if dilation_rate is not None else dilations
    if rate is not None and np.any(np.ravel(rate) != 1):
        raise NotImplementedError("tf.nn.pool: dilation_rate other than 1 is not provided")
    kind = str(pooling_type).upper()
    if kind not in ("MAX", "AVG"):
        raise ValueError(f"tf.nn.pool: pooling_type must be 'MAX' or 'AVG', got {pooling_type!r}")
    nd = np.size(window_shape)
    st = [1] * nd if strides is None else strides
    fn = max_pool_v2 if kind == "MAX" else avg_pool_v2
    return fn(input, list(np.ravel(window_shape)), list(np.ravel(st)), padding, data_format, name)


def silu(features: Any, beta: float = 1.0, name: str | None = None) -> Tensor:
    """features * sigmoid(beta * features)."""
    x = _tensor(features)
    if isinstance(beta, (int, float)) and float(beta) == 1.0:
        return x.graph.build_op("Silu", name, lambda: ops.mul(x, ops.sigmoid(x)))
    b = M.cast(_tensor(beta), x.dtype) if isinstance(beta, Tensor) else None
    # as TF: a Python beta becomes a float32 tensor first, then the features' dtype
    bv = b if b is not None else np.asarray(np.float32(beta), x.dtype.np_dtype)
    return graph_of(x, b).build_op("Silu", name, lambda: ops.mul(x, ops.sigmoid(ops.mul(x, bv))))


def relu_layer(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """relu(matmul(x, weights) + biases)."""
    b = _tensor(biases)
    if b.shape.ndims is not None and b.shape.ndims != 1:
        raise ValueError(f"relu_layer: biases must be 1-D, got {b}")
    return relu(xw_plus_b(x, weights, biases), name=name)


def sufficient_statistics(
    x: Any, axes: Any, shift: Any = None, keep_dims: Any = None, name: str | None = None,
    keepdims: Any = None,
) -> tuple:  # fmt: skip
    """(count, sum of x - shift, sum of (x - shift)^2, shift) over `axes`."""
    t = _tensor(x)
    known_rank("sufficient_statistics", t)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = [domain.check_dim_of_array("sufficient_statistics", int(a), len(t.shape), "axes")
            for a in np.ravel(axes)]  # fmt: skip
    with t.graph.name_scope(name or "sufficient_statistics"):
        dims = [t.shape[a] for a in axes]
        if all(d is not None for d in dims):
            count = M.cast(int(np.prod(dims, dtype=np.int64)), t.dtype)
        else:
            from .array_ops import gather, shape

            count = M.cast(reduce_prod(gather(shape(t), axes)), t.dtype)
        v = t if shift is None else M.subtract(t, shift)
        m_ss = M.reduce_sum(v, axes, keepdims=keep)
        v_ss = M.reduce_sum(M.square(v), axes, keepdims=keep)
        return count, m_ss, v_ss, (None if shift is None else _tensor(shift))


def normalize_moments(
    counts: Any, mean_ss: Any, variance_ss: Any, shift: Any, name: str | None = None
) -> tuple:
    """(mean, variance) from sufficient statistics."""
    divisor = M.reciprocal(_tensor(counts))
    shifted_mean = M.multiply(mean_ss, divisor)
    mean = shifted_mean if shift is None else M.add(shifted_mean, shift)
    variance = M.subtract(M.multiply(variance_ss, divisor), M.square(shifted_mean))
    return mean, variance


def weighted_moments(
    x: Any, axes: Any, frequency_weights: Any, name: str | None = None,
    keep_dims: Any = None, keepdims: Any = None,
) -> tuple:  # fmt: skip
    """(mean, variance) of `x` over `axes` with each element counted frequency_weights times."""
    t = _tensor(x)
    known_rank("weighted_moments", t)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = [int(a) for a in np.ravel(axes)]
    with t.graph.name_scope(name or "weighted_moments"):
        w = M.cast(_tensor(frequency_weights), t.dtype)
        weighted_sum = M.reduce_sum(M.multiply(w, t), axes, keepdims=True)
        weights = M.add(w, zeros_like(t))
        total = M.reduce_sum(weights, axes, keepdims=True)
        # as TF: a zero total weight (an empty axis included) gives 0, not NaN
        mean = div_no_nan(weighted_sum, total)
        sq = M.squared_difference(t, mean)
        variance = div_no_nan(M.reduce_sum(M.multiply(w, sq), axes, keepdims=True), total)
        if not keep:
            mean, variance = squeeze(mean, axes), squeeze(variance, axes)
        return mean, variance


def compute_average_loss(
    per_example_loss: Any, sample_weight: Any = None, global_batch_size: Any = None
) -> Tensor:
    """sum(per_example_loss * sample_weight) / global_batch_size (default: the batch; 1 replica)."""
    loss = _tensor(per_example_loss)
    if not loss.dtype.is_floating:
        raise TypeError(f"compute_average_loss: per_example_loss must be float, got {loss}")
    if sample_weight is not None:  # as TF: the weighting is done in float32, then cast back
        f32 = M.multiply(M.cast(loss, np.float32), M.cast(_tensor(sample_weight), np.float32))
        loss = M.cast(f32, loss.dtype)
    if global_batch_size is None:
        if len(loss.shape) == 0:
            batch = M.cast(1, loss.dtype)
        else:
            from .array_ops import shape

            batch = M.cast(shape(loss)[0], loss.dtype)
    else:
        if isinstance(global_batch_size, (int, float)) and global_batch_size <= 0:
            raise ValueError(
                f"compute_average_loss: global_batch_size must be positive, got {global_batch_size}"
            )
        batch = M.cast(_tensor(global_batch_size), loss.dtype)
    return div_no_nan(M.reduce_sum(loss), batch)


def scale_regularization_loss(regularization_loss: Any) -> Tensor:
    """sum(regularization_loss) / the number of replicas (1 here)."""
    return M.reduce_sum(_tensor(regularization_loss))


NAMES = (
    "conv2d_backprop_input conv2d_backprop_filter depthwise_conv2d_native "
    "depthwise_conv2d_backprop_input depthwise_conv2d_backprop_filter atrous_conv2d_transpose "
    "conv1d_transpose conv_transpose max_pool_v2 avg_pool_v2 pool silu relu_layer "
    "sufficient_statistics normalize_moments weighted_moments compute_average_loss "
    "scale_regularization_loss"
).split()


def attach(tf: types.ModuleType) -> None:
    """Put the names on tf.nn (and the raw-op aliases TF1 also exports)."""
    for n in NAMES:
        setattr(tf.nn, n, globals()[n])
    tf.nn.depthwise_conv2d_native_backprop_input = depthwise_conv2d_backprop_input
    tf.nn.depthwise_conv2d_native_backprop_filter = depthwise_conv2d_backprop_filter
