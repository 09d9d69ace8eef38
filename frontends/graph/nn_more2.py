"""More TF1 names real programs use: `tf.unsorted_segment_sum`, `tf.nn.atrous_conv2d`,
`tf.nn.convolution`, `tf.nn.fused_batch_norm`, `tf.train.load_variable` and
`tf.train.replica_device_setter`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ops
from ...core.primitives.bounds import index_bounds
from ...core.primitives.nn import scatter_add_like
from . import dtypes as tfd
from . import math_ops as M
from . import nn
from .math_ops import _tensor, known_rank
from .tensor import Tensor


def unsorted_segment_sum(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """out[k] = sum of the rows data[i] with segment_ids[i] == k, for k < num_segments."""
    x, ids = _tensor(data), _tensor(segment_ids)
    known_rank("unsorted_segment_sum", x, ids)
    if isinstance(num_segments, Tensor):
        raise TypeError("unsorted_segment_sum: num_segments must be a Python int here")
    if len(ids.shape) != 1:
        raise ValueError(f"unsorted_segment_sum: segment_ids must be 1-D here, got {ids}")
    if len(x.shape) == 0:  # TF: data must be at least rank 1 (a row per segment id)
        raise ValueError(f"unsorted_segment_sum: data must be at least rank 1, got {x}")
    rest = tuple(x.shape[1:])
    if any(d is None for d in rest):
        raise ValueError(f"unsorted_segment_sum: the dims after the first of {x} must be known")
    n = int(num_segments)
    like = np.zeros((n, *rest), tfd.as_dtype(x.dtype).np_dtype)

    def build():
        # ids >= num_segments are refused (each call, each run); negative ids drop their row
        checked = index_bounds(ids, "unsorted_segment_sum", "segment_ids", (n,), low=None)
        zero = np.zeros((), np.dtype(ids.dtype))
        keep = ops.greater_equal(checked, zero)
        rows = ops.reshape(keep, (-1,) + (1,) * len(rest))
        data = ops.where(rows, x, np.zeros((), like.dtype))
        return scatter_add_like(data, like, ops.where(keep, checked, zero), 0)

    return x.graph.build_op("UnsortedSegmentSum", name, build)


def atrous_conv2d(
    value: Any, filters: Any, rate: int, padding: str, name: str | None = None
) -> Tensor:
    """conv2d with the filter dilated by `rate` (stride 1)."""
    r = int(rate)
    if r < 1:
        raise ValueError(f"atrous_conv2d: rate must be >= 1, got {rate}")
    return nn.conv2d(value, filters, [1, 1, 1, 1], padding, dilations=[1, r, r, 1], name=name)


def convolution(
    input: Any, filter: Any = None, padding: str = "VALID", strides: Any = None,  # noqa: A002
    dilation_rate: Any = None, name: str | None = None, data_format: Any = None,
    filters: Any = None, dilations: Any = None,
) -> Tensor:  # fmt: skip
    """N-D convolution dispatched on the input's rank: 1-D (NWC) and 2-D (NHWC) here."""
    from .nn_extra import conv1d

    x = _tensor(input)
    known_rank("convolution", x)
    w = filter if filter is not None else filters
    rate = dilation_rate if dilation_rate is not None else dilations
    nd = len(x.shape) - 2
    if nd == 2:
        s = [1, 1] if strides is None else list(np.broadcast_to(strides, (2,)))
        d = [1, 1] if rate is None else list(np.broadcast_to(rate, (2,)))
        return nn.conv2d(x, w, [1, *s, 1], padding, dilations=[1, *d, 1], name=name)
    if nd == 1:
        if rate is not None and int(np.ravel(rate)[0]) != 1:
            raise NotImplementedError("tf.nn.convolution: dilated 1-D convolution is not provided")
        s = 1 if strides is None else int(np.ravel(strides)[0])
        return conv1d(x, w, s, padding, name=name)
    raise NotImplementedError(
        f"tf.nn.convolution: {nd}-D convolution is not provided; 1-D and 2-D are"
    )


def fused_batch_norm(
    x: Any, scale: Any, offset: Any, mean: Any = None, variance: Any = None,
    epsilon: float = 0.001, data_format: str = "NHWC", is_training: bool = True,
    name: str | None = None, exponential_avg_factor: float = 1.0,
) -> tuple:  # fmt: skip
    """(y, batch mean, batch variance): in training, y normalises with the batch's biased
    variance and the variance returned is the unbiased one (as TF's kernel does); otherwise
    the given mean and variance are used and returned."""
    t = _tensor(x)
    if data_format != "NHWC":
        raise NotImplementedError("tf.nn.fused_batch_norm: only data_format='NHWC' is provided")
    if len(t.shape) != 4:
        raise ValueError(f"fused_batch_norm: x must be 4-D NHWC, got {t}")
    if not is_training:
        if mean is None or variance is None:
            raise ValueError("fused_batch_norm: mean and variance are needed when not training")
        y = nn.batch_normalization(t, mean, variance, offset, scale, epsilon)
        return y, _tensor(mean), _tensor(variance)
    from ...core import functional as F
    from .math_more import reduce_prod

    # the two batch-norm kernels (statistics, normalise) that nn.BatchNorm2d and
    # tf.layers.batch_normalization run, over (n, h, w)
    y, m, v = F.batch_norm_train(t, _tensor(scale), _tensor(offset), float(epsilon), (0, 1, 2))

    n = M.cast(reduce_prod(nn_shape_counts(t)), t.dtype)
    unbiased = M.multiply(v, M.divide(n, M.maximum(M.subtract(n, 1.0), 1.0)))
    # TF's gradient of the fused op reads only dy: the statistics returned carry none
    from .array_ops import stop_gradient

    return y, stop_gradient(m), stop_gradient(unbiased)


def nn_shape_counts(t: Tensor) -> Tensor:
    """The run-time sizes of the batch, height and width axes."""
    from .array_ops import shape

    return shape(t)[:3]


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """The value of variable `name` stored in a checkpoint (a folder's latest, or a prefix)."""
    import os

    from ...core import checkpoint
    from . import checkpoint_bridges, errors
    from .saver import _data_path, latest_checkpoint

    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        path = latest_checkpoint(path) or path
    if checkpoint_bridges.handles(path):
        return checkpoint_bridges.load_checkpoint(path).get_tensor(name)
    stored = checkpoint.load_arrays(_data_path(path)).get("variables", {})
    if name not in stored:
        raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint {path}")
    return np.asarray(stored[name])


def replica_device_setter(*args: Any, **kwargs: Any) -> None:
    """Accepted for compatibility: every op runs in this process on the CPU (tf.device(None))."""
    return None


def _gather_nd_run_time(x: Any, idx: Any, k: int, name: str | None) -> Tensor:
    """gather_nd when some of the first k dims of x are known only when run (picking each
    sequence's last output, `gather_nd(outputs, stack([range(batch), lengths - 1], 1))`): the
    k-tuples linearised with run-time strides, each component checked against its dim."""
    import importlib

    tf = importlib.import_module(__package__)  # the tf namespace (built when this runs)
    with x.graph.name_scope(name or "GatherNd"):
        dims = tf.shape(x, out_type=tf.int64)
        lead = dims[:k]
        i64 = tf.cast(idx, tf.int64)
        inside = tf.reduce_all(tf.logical_and(i64 >= 0, i64 < lead))
        check = tf.debugging.assert_equal(
            inside, True, message=f"gather_nd: an index of indices is outside the first {k} dims"
        )
        with tf.control_dependencies([check]):
            i64 = tf.identity(i64)
        strides, step = [], tf.constant(1, tf.int64)
        for i in reversed(range(k)):
            strides.insert(0, step)
            step = step * lead[i]
        linear = tf.reduce_sum(i64 * tf.stack(strides), axis=-1)
        rest = list(x.shape[k:])
        shape = [-1, *rest] if None not in rest else tf.concat([[-1], dims[k:]], 0)
        return tf.gather(tf.reshape(x, shape), linear)


def gather_nd(params: Any, indices: Any, name: str | None = None, batch_dims: int = 0) -> Tensor:
    """params[indices[..., 0], ..., indices[..., k-1]]: slices picked by k-tuples of indices."""

    x, idx = _tensor(params), _tensor(indices)
    known_rank("gather_nd", x, idx)
    if batch_dims:
        raise NotImplementedError("tf.gather_nd: batch_dims is not provided; use batch_dims=0")
    k = idx.shape[-1] if len(idx.shape) else None
    if k is None or k > len(x.shape) or k < 1:
        raise ValueError(
            f"gather_nd: the last dim of indices {idx} must be known and in [1, rank of {x}]"
        )
    lead = tuple(x.shape[:k])
    if any(d is None for d in lead):
        return _gather_nd_run_time(x, idx, k, name)
    strides = np.cumprod((1, *lead[::-1]))[:-1][::-1].astype(np.int64)

    def build():
        flat = ops.reshape(x, (int(np.prod(lead)), *x.shape[k:])) if k > 1 else x
        # each component inside its dimension (a negative one could land on another entry)
        checked = index_bounds(idx, "gather_nd", "indices", lead, last=True)
        i64 = ops.cast(checked, np.int64)
        linear = ops.sum(ops.mul(i64, strides), (len(idx.shape) - 1,), False)
        return ops.gather(flat, linear, 0)

    return x.graph.build_op("GatherNd", name, build)
