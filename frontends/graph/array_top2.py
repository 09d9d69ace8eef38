"""More TF1 array names: searchsorted, unravel_index, histogram_fixed_width(_bins),
confusion_matrix, bincount, extract_image_patches, IndexedSlices, unique(_with_counts) and
setdiff1d (the compositions live in core/tf_array_more.py)."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import ops
from ...core import tf_array_more as C
from . import dtypes as tfd
from .array_top import get_static_value
from .convert import convert_to_tensor
from .math_ops import _tensor, known_rank
from .tensor import Tensor


def _static_int(v: Any, op: str, what: str) -> int:
    if isinstance(v, Tensor):
        value = get_static_value(v)
        if value is None:
            raise NotImplementedError(f"{op}: {what} must be known when the graph is built here")
        v = value
    return int(np.asarray(v))


def searchsorted(
    sorted_sequence: Any, values: Any, side: str = "left", out_type: Any = tfd.int32,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Where each value would go in its row of sorted_sequence (last axis) to keep it sorted."""
    seq, val = _tensor(sorted_sequence), _tensor(values)
    known_rank("searchsorted", seq, val)
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if seq.dtype != val.dtype:
        raise TypeError(f"searchsorted: sorted_sequence {seq} and values {val} differ in dtype")
    if len(seq.shape) != len(val.shape) or len(seq.shape) == 0:
        raise ValueError(
            f"searchsorted: sorted_sequence {seq} and values {val} must have the same rank >= 1"
        )
    dt = tfd.as_dtype(out_type).np_dtype
    return seq.graph.build_op(
        "SearchSorted", name, lambda: ops.cast(C.searchsorted(seq, val, side), dt)
    )


def unravel_index(indices: Any, dims: Any, name: str | None = None) -> Tensor:
    """The coordinates of flat row-major `indices` in an array of shape `dims`."""
    idx = _tensor(indices)
    known_rank("unravel_index", idx)
    shape = get_static_value(dims) if isinstance(dims, Tensor) else np.asarray(dims)
    if shape is None:
        raise NotImplementedError("unravel_index: dims must be known when the graph is built")
    d = [int(v) for v in np.asarray(shape).reshape(-1)]
    if any(v <= 0 for v in d):
        raise ValueError(f"unravel_index: dims must be positive, got {d}")
    from ...core.primitives.bounds import index_bounds

    def build():
        checked = index_bounds(idx, "unravel_index", "indices", (int(np.prod(d)),), low=0)
        return C.unravel_index(checked, d)

    return idx.graph.build_op("UnravelIndex", name, build)


def _range_pair(values: Tensor, value_range: Any) -> tuple:
    r = value_range if isinstance(value_range, Tensor) else convert_to_tensor(
        np.asarray(value_range, tfd.as_dtype(values.dtype).np_dtype))  # fmt: skip
    if r.dtype != values.dtype:
        raise TypeError(f"histogram: value_range {r} must have the dtype of values {values}")
    if r.shape.ndims is not None and tuple(r.shape.as_list()) not in ((2,), (None,)):
        raise ValueError(f"histogram: value_range must be a [2] tensor (low, high), got {r}")
    return r[0], r[1]


def histogram_fixed_width_bins(
    values: Any, value_range: Any, nbins: int = 100, dtype: Any = tfd.int32,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """The bin of each value for nbins equal bins on value_range (outliers: the end bins)."""
    v = _tensor(values)
    n = _static_int(nbins, "histogram_fixed_width_bins", "nbins")
    if n < 1:
        raise ValueError(f"histogram_fixed_width_bins: nbins must be positive, got {n}")
    lo, hi = _range_pair(v, value_range)
    dt = tfd.as_dtype(dtype).np_dtype
    return v.graph.build_op(
        "HistogramFixedWidthBins", name,
        lambda: ops.cast(C.histogram_bins(v, lo, hi, n), dt),
    )  # fmt: skip


def histogram_fixed_width(
    values: Any, value_range: Any, nbins: int = 100, dtype: Any = tfd.int32,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """How many values fall in each of nbins equal bins on value_range (outliers: end bins)."""
    v = _tensor(values)
    n = _static_int(nbins, "histogram_fixed_width", "nbins")
    if n < 1:
        raise ValueError(f"histogram_fixed_width: nbins must be positive, got {n}")
    lo, hi = _range_pair(v, value_range)
    dt = tfd.as_dtype(dtype).np_dtype
    return v.graph.build_op(
        "HistogramFixedWidth", name,
        lambda: C.count_values(C.histogram_bins(v, lo, hi, n), n, dtype=dt),
    )  # fmt: skip


def confusion_matrix(
    labels: Any, predictions: Any, num_classes: Any = None, dtype: Any = tfd.int32,
    name: str | None = None, weights: Any = None,
) -> Tensor:  # fmt: skip
    """[num_classes, num_classes] counts (or summed weights) of (label, prediction) pairs."""
    lab, pred = _tensor(labels), _tensor(predictions)
    known_rank("confusion_matrix", lab, pred)
    if num_classes is None:
        raise NotImplementedError(
            "confusion_matrix: pass num_classes (the number of classes is not inferred from "
            "the values here)"
        )
    k = _static_int(num_classes, "confusion_matrix", "num_classes")
    dt = tfd.as_dtype(dtype)
    w = None if weights is None else convert_to_tensor(weights, dtype=dt)
    from ...core.primitives.bounds import index_bounds

    def build():
        a = ops.cast(index_bounds(lab, "confusion_matrix", "labels", (k,), low=0), np.int64)
        b = ops.cast(index_bounds(pred, "confusion_matrix", "predictions", (k,), low=0), np.int64)
        pair = ops.add(ops.mul(a, np.int64(k)), b)
        counts = C.count_values(pair, k * k, w, dt.np_dtype)
        return ops.reshape(ops.cast(counts, dt.np_dtype), (k, k))

    return lab.graph.build_op("ConfusionMatrix", name, build)


def bincount(
    arr: Any, weights: Any = None, minlength: Any = None, maxlength: Any = None,
    dtype: Any = tfd.int32, name: str | None = None,
) -> Tensor:  # fmt: skip
    """out[k] = how many entries of arr equal k (or the sum of their weights); the length must
    be fixed by minlength == maxlength (or arr be a constant)."""
    a = _tensor(arr)
    if not tfd.as_dtype(a.dtype).is_integer:
        raise TypeError(f"bincount: arr must hold int32 values, got {a}")
    for what, bound in (("minlength", minlength), ("maxlength", maxlength)):
        if bound is not None and not 0 <= int(bound) < 2**31:
            raise ValueError(f"bincount: {what} must be in [0, 2**31), got {bound}")
    if minlength is not None and maxlength is not None and int(minlength) == int(maxlength):
        n = int(minlength)
    elif get_static_value(a) is not None:
        value = np.asarray(get_static_value(a))
        if value.size and value.min() < 0:
            raise ValueError(f"bincount: arr must be non-negative, got {int(value.min())}")
        n = max(int(value.max()) + 1 if value.size else 0, int(minlength or 0))
        n = min(n, int(maxlength)) if maxlength is not None else n
    else:
        raise NotImplementedError(
            "bincount: the output length depends on the values; pass minlength == maxlength"
        )
    dt = tfd.as_dtype(dtype)
    w = None if weights is None else convert_to_tensor(weights, dtype=dt)
    return a.graph.build_op("Bincount", name, lambda: C.count_values(a, n, w, dt.np_dtype))


def extract_image_patches(
    images: Any, ksizes: Any = None, strides: Any = None, rates: Any = None,
    padding: Any = None, name: str | None = None, sizes: Any = None,
) -> Tensor:  # fmt: skip
    """[B, H, W, C] -> [B, oh, ow, kh * kw * C]: the window around each output pixel."""
    x = _tensor(images)
    known_rank("extract_image_patches", x)
    k = ksizes if ksizes is not None else sizes
    if len(x.shape) != 4:
        raise ValueError(f"extract_image_patches: images must be [B, H, W, C], got {x}")
    for what, v in (("ksizes", k), ("strides", strides), ("rates", rates)):
        if v is None or len(v) != 4 or int(v[0]) != 1 or int(v[3]) != 1:
            raise ValueError(f"extract_image_patches: {what} must be [1, a, b, 1], got {v}")
    if padding not in ("VALID", "SAME"):
        raise ValueError(f"extract_image_patches: padding must be VALID or SAME, got {padding}")
    ks, ss, rs = (tuple(int(d) for d in v[1:3]) for v in (k, strides, rates))
    return x.graph.build_op(
        "ExtractImagePatches", name, lambda: C.extract_patches(x, ks, ss, rs, padding)
    )


class IndexedSlices:
    """A sparse set of rows of a tensor: values[i] is row indices[i] of a dense tensor of shape
    dense_shape (repeated rows add up when made dense)."""

    def __init__(self, values: Any, indices: Any, dense_shape: Any = None) -> None:
        self.values, self.indices, self.dense_shape = values, indices, dense_shape

    @property
    def dtype(self) -> Any:
        """The dtype of the values."""
        return self.values.dtype

    @property
    def graph(self) -> Any:
        """The graph of the values."""
        return self.values.graph

    @property
    def name(self) -> str:
        """The name of the values."""
        return self.values.name

    def __repr__(self) -> str:
        return (
            f"IndexedSlices(indices={self.indices}, values={self.values}, "
            f"dense_shape={self.dense_shape})"
        )


def _dense(value: IndexedSlices, dtype: Any = None, name: Any = None, as_ref: bool = False):
    from .nn_more2 import unsorted_segment_sum

    values = _tensor(value.values)
    if value.dense_shape is None:
        raise ValueError(f"{value} has no dense_shape: it cannot be made a dense tensor")
    shape = get_static_value(value.dense_shape) if isinstance(value.dense_shape, Tensor) else (
        np.asarray(value.dense_shape))  # fmt: skip
    if shape is None:
        raise NotImplementedError("IndexedSlices: dense_shape must be known at build time here")
    return unsorted_segment_sum(values, value.indices, int(np.asarray(shape).reshape(-1)[0]))


def attach(tf: types.ModuleType) -> list:
    """Add the names to tf (and tf.math, tf.image) where missing; return the new names."""
    here = globals()
    added = []
    for n in (
        "searchsorted", "unravel_index", "histogram_fixed_width", "histogram_fixed_width_bins",
        "confusion_matrix", "bincount", "extract_image_patches", "IndexedSlices",
    ):  # fmt: skip
        if not hasattr(tf, n):
            setattr(tf, n, here[n])
            added.append(n)
    for n in ("confusion_matrix", "bincount"):
        if not hasattr(tf.math, n):
            setattr(tf.math, n, here[n])
    if not hasattr(tf.image, "extract_image_patches"):
        tf.image.extract_image_patches = extract_image_patches
    tf.register_tensor_conversion_function(IndexedSlices, _dense)
    return added + _attach_sets(tf)


class UniqueResult(tuple):
    """(y, idx), also readable by name."""

    @property
    def y(self) -> Tensor:
        """The distinct values."""
        return self[0]

    @property
    def idx(self) -> Tensor:
        """Where each input value sits in y."""
        return self[1]


class UniqueWithCountsResult(UniqueResult):
    """(y, idx, count), also readable by name."""

    @property
    def count(self) -> Tensor:
        """How often each value of y occurs."""
        return self[2]


def unique(x: Any, out_idx: Any = tfd.int32, name: str | None = None) -> UniqueResult:
    """(y, idx): the distinct values of 1-D x in order of first appearance, and for each x[i]
    its position in y (x's length must be known; y's is known when run)."""
    t = _tensor(x)
    known_rank("unique", t)
    dt = tfd.as_dtype(out_idx).np_dtype
    y, idx, _ = t.graph.build_op("Unique", name, lambda: C.unique(t, dt))
    return UniqueResult((y, idx))


def unique_with_counts(
    x: Any, out_idx: Any = tfd.int32, name: str | None = None
) -> UniqueWithCountsResult:
    """(y, idx, count): unique, and how often each value of y occurs."""
    t = _tensor(x)
    known_rank("unique_with_counts", t)
    dt = tfd.as_dtype(out_idx).np_dtype
    out = t.graph.build_op("UniqueWithCounts", name, lambda: C.unique(t, dt))
    return UniqueWithCountsResult(out)


def setdiff1d(
    x: Any, y: Any, index_dtype: Any = tfd.int32, name: str | None = None
) -> UniqueResult:  # noqa: E501
    """(out, idx): the entries of 1-D x that are not in y, in order, and their positions in x."""
    a, b = _tensor(x), _tensor(y)
    known_rank("setdiff1d", a, b)
    if len(a.shape) != 1 or len(b.shape) != 1:
        raise ValueError(f"setdiff1d: x {a} and y {b} must both be of rank 1")
    if a.dtype != b.dtype:
        raise TypeError(f"setdiff1d: x {a} and y {b} must share their dtype")
    dt = tfd.as_dtype(index_dtype).np_dtype
    return UniqueResult(a.graph.build_op("ListDiff", name, lambda: C.setdiff1d(a, b, dt)))


def _attach_sets(tf: types.ModuleType) -> list:
    added = []
    for n, fn in (("unique", unique), ("unique_with_counts", unique_with_counts),
                  ("setdiff1d", setdiff1d)):  # fmt: skip
        if not hasattr(tf, n):
            setattr(tf, n, fn)
            added.append(n)
    return added
