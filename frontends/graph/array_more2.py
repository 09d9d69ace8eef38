"""More TF1 array and math names, composed of existing ops (so gradients come with them):
`unsorted_segment_max/min`, `meshgrid`, `tensordot`, `depth_to_space`, `space_to_depth`,
`linspace`, `diag`, `diag_part`, `sort`, `argsort`, `repeat`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import domain
from ...core.primitives.bounds import index_bounds
from . import array_ops as A
from . import dtypes as tfd
from . import math_ops as M
from .convert import convert_to_tensor
from .math_ops import _tensor, known_rank
from .tensor import Tensor


def _static(x: Tensor, op: str, what: str = "shape") -> list:
    dims = list(x.shape)
    if any(d is None for d in dims):
        raise ValueError(f"{op}: the {what} of {x} must be known when the graph is built")
    return dims


def _npdt(x: Tensor) -> np.dtype:
    return tfd.as_dtype(x.dtype).np_dtype


def _segment_extreme(data, segment_ids, num_segments, name, op: str, largest: bool) -> Tensor:
    x, ids = _tensor(data), _tensor(segment_ids)
    known_rank(op, x, ids)
    if isinstance(num_segments, Tensor):
        raise TypeError(f"{op}: num_segments must be a Python int here")
    if len(ids.shape) != 1:
        raise ValueError(f"{op}: segment_ids must be 1-D here, got {ids}")
    k = int(num_segments)
    rest = _static(x, op)[1:] if len(x.shape) > 1 else []
    dt = _npdt(x)
    info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
    # an empty segment gives the lowest (highest) value of the dtype, as TF's does
    fill = info.min if largest else info.max
    with x.graph.name_scope(name or op):
        # ids >= num_segments are refused, as TF (each call, each run); a negative id matches no
        # segment, so its row is dropped
        ids = index_bounds(ids, op, "segment_ids", (k,), low=None)
        hit = M.equal(A.expand_dims(ids, 1), np.arange(k, dtype=_npdt(ids)))  # [N, K]
        hit = A.reshape(hit, [-1, k] + [1] * len(rest))
        picked = A.where(hit, A.expand_dims(x, 1), np.asarray(fill, dt))  # [N, K, ...]
        return (M.reduce_max if largest else M.reduce_min)(picked, 0)


def unsorted_segment_max(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """out[k] = max of the rows data[i] with segment_ids[i] == k (lowest value if none)."""
    return _segment_extreme(data, segment_ids, num_segments, name, "unsorted_segment_max", True)


def unsorted_segment_min(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """out[k] = min of the rows data[i] with segment_ids[i] == k (highest value if none)."""
    return _segment_extreme(data, segment_ids, num_segments, name, "unsorted_segment_min", False)


def meshgrid(*args: Any, **kwargs: Any) -> list:
    """Coordinate grids from 1-D tensors; indexing 'xy' (default) swaps the first two axes."""
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"meshgrid: unexpected arguments {sorted(kwargs)}")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [_tensor(a) for a in args]
    if not xs:
        return []
    sizes = [_static(A.reshape(x, [-1]), "meshgrid")[0] for x in xs]
    n = len(xs)
    full = list(sizes)
    if indexing == "xy" and n > 1:
        full[0], full[1] = full[1], full[0]
    out = []
    with xs[0].graph.name_scope(name or "meshgrid"):
        for i, x in enumerate(xs):
            pos = i
            if indexing == "xy" and n > 1 and i < 2:
                pos = 1 - i
            shape = [1] * n
            shape[pos] = sizes[i]
            out.append(M.broadcast_to(A.reshape(x, shape), full))
    return out


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Sum over the given axes of a and b (an int N: a's last N with b's first N)."""
    x, y = _tensor(a), _tensor(b)
    known_rank("tensordot", x, y)
    sx, sy = _static(x, "tensordot"), _static(y, "tensordot")
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > min(len(sx), len(sy)):
            raise ValueError(f"tensordot: axes={n} does not fit {x} and {y}")
        ax, ay = list(range(len(sx) - n, len(sx))), list(range(n))
    else:
        ax, ay = axes
        ax = [ax] if isinstance(ax, (int, np.integer)) else list(ax)
        ay = [ay] if isinstance(ay, (int, np.integer)) else list(ay)
        for axs, sh, t in ((ax, sx, x), (ay, sy, y)):
            if axs and not sh:
                raise ValueError(f"tensordot: axes {axs} name dims of the scalar {t}")
        # an axis out of range is an error, never wrapped onto another axis
        ax = [domain.check_dim("tensordot", int(i), len(sx), "axes") for i in ax]
        ay = [domain.check_dim("tensordot", int(i), len(sy), "axes") for i in ay]
    if len(ax) != len(ay) or any(sx[i] != sy[j] for i, j in zip(ax, ay, strict=False)):
        raise ValueError(f"tensordot: axes {ax} of {x} and {ay} of {y} must match in size")
    fx = [i for i in range(len(sx)) if i not in ax]
    fy = [j for j in range(len(sy)) if j not in ay]
    kx = int(np.prod([sx[i] for i in ax])) if ax else 1
    with x.graph.name_scope(name or "Tensordot"):
        xm = A.reshape(A.transpose(x, fx + ax), [-1, kx])
        ym = A.reshape(A.transpose(y, ay + fy), [kx, -1])
        return A.reshape(M.matmul(xm, ym), [sx[i] for i in fx] + [sy[j] for j in fy])


def _nhwc(x: Tensor, op: str, data_format: str) -> list:
    known_rank(op, x)
    if data_format != "NHWC":
        raise NotImplementedError(f"{op}: only data_format='NHWC' is provided, got {data_format!r}")
    if len(x.shape) != 4:
        raise ValueError(f"{op}: input must be 4-D (NHWC), got {x}")
    return list(x.shape)


def depth_to_space(
    input: Any,
    block_size: int,
    name: str | None = None,
    data_format: str = "NHWC",  # noqa: A002
) -> Tensor:
    """Move channel blocks into block_size x block_size spatial tiles (DCR order, as TF)."""
    x = _tensor(input)
    _, h, w, c = _nhwc(x, "depth_to_space", data_format)
    bs = int(block_size)
    if bs < 2 or h is None or w is None or c is None or c % (bs * bs):
        raise ValueError(
            f"depth_to_space: block_size {bs} must be >= 2 and divide the channels of {x} by "
            "its square, with height, width and channels known"
        )
    cc = c // (bs * bs)
    with x.graph.name_scope(name or "DepthToSpace"):
        y = A.reshape(x, [-1, h, w, bs, bs, cc])
        return A.reshape(A.transpose(y, [0, 1, 3, 2, 4, 5]), [-1, h * bs, w * bs, cc])


def space_to_depth(
    input: Any,
    block_size: int,
    name: str | None = None,
    data_format: str = "NHWC",  # noqa: A002
) -> Tensor:
    """Move block_size x block_size spatial tiles into channels (the inverse of depth_to_space)."""
    x = _tensor(input)
    _, h, w, c = _nhwc(x, "space_to_depth", data_format)
    bs = int(block_size)
    if bs < 2 or h is None or w is None or c is None or h % bs or w % bs:
        raise ValueError(
            f"space_to_depth: block_size {bs} must be >= 2 and divide the height and width of {x}"
        )
    with x.graph.name_scope(name or "SpaceToDepth"):
        y = A.reshape(x, [-1, h // bs, bs, w // bs, bs, c])
        return A.reshape(A.transpose(y, [0, 1, 3, 2, 4, 5]), [-1, h // bs, w // bs, bs * bs * c])


def linspace(start: Any, stop: Any, num: Any, name: str | None = None, axis: int = 0) -> Tensor:
    """num evenly spaced values from start to stop (both included): start + i * step, the last
    one exactly stop, as TF's kernel computes them."""
    if isinstance(num, Tensor):
        raise TypeError("linspace: num must be a Python int here")
    n = int(num)
    if n < 1:
        raise ValueError(f"linspace: num must be positive, got {n}")
    s, e = convert_to_tensor(start), convert_to_tensor(stop)
    if s.dtype != e.dtype:
        raise TypeError(f"linspace: start {s} and stop {e} must have one dtype")
    if len(s.shape) or len(e.shape):
        raise NotImplementedError("linspace: only scalar start and stop are provided")
    if not isinstance(axis, (int, np.integer)) or not -1 <= int(axis) <= 0:
        raise ValueError(
            f"linspace: axis {axis!r} is out of range [-1, 0] for a 1-D result (scalar start "
            "and stop)"
        )
    dt = _npdt(s)
    with s.graph.name_scope(name or "LinSpace"):
        if n == 1:
            return A.reshape(s, [1])
        step = M.truediv(M.subtract(e, s), np.asarray(n - 1, dt))
        head = M.add(s, M.multiply(step, np.arange(n - 1, dtype=dt)))
        return A.concat([head, A.reshape(e, [1])], 0)


lin_space = linspace


def diag(diagonal: Any, name: str | None = None) -> Tensor:
    """A square matrix with `diagonal` (1-D) on its diagonal and zeros elsewhere."""
    d = _tensor(diagonal)
    known_rank("diag", d)
    if len(d.shape) != 1:
        raise NotImplementedError(f"diag: only a 1-D diagonal is provided, got {d}")
    (n,) = _static(d, "diag")
    eye = np.eye(n, dtype=bool)
    with d.graph.name_scope(name or "Diag"):
        return A.where(eye, M.broadcast_to(A.expand_dims(d, 0), [n, n]), np.zeros((), _npdt(d)))


def diag_part(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The diagonal of a square matrix."""
    x = _tensor(input)
    known_rank("diag_part", x)
    if len(x.shape) != 2 or x.shape[0] != x.shape[1] or x.shape[0] is None:
        raise NotImplementedError(f"diag_part: only a square matrix of known size is provided: {x}")
    from .nn_more2 import gather_nd

    n = x.shape[0]
    idx = np.stack([np.arange(n), np.arange(n)], 1).astype(np.int32)
    return gather_nd(x, idx, name=name or "DiagPart")


def _sorted(values: Any, axis: int, direction: str, op: str) -> tuple:
    from .math_more import top_k

    x = _tensor(values)
    known_rank(op, x)
    if not x.shape:
        raise ValueError(f"{op}: input must have rank >= 1, got a scalar {x}")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{op}: direction must be ASCENDING or DESCENDING, got {direction!r}")
    if int(axis) not in (-1, len(x.shape) - 1):
        raise NotImplementedError(f"{op}: only the last axis is provided, got axis={axis}")
    n = x.shape[-1]
    if n is None:
        raise ValueError(f"{op}: the last dimension of {x} must be known")
    if direction == "DESCENDING":
        v, i = top_k(x, n)
        return v, i
    if not tfd.as_dtype(x.dtype).is_floating:
        raise NotImplementedError(f"{op}: ASCENDING order is provided for float tensors only")
    v, i = top_k(M.negative(x), n)  # ties keep the lower index first: a stable order
    return M.negative(v), i


def sort(
    values: Any, axis: int = -1, direction: str = "ASCENDING", name: str | None = None
) -> Tensor:
    """The values sorted along the last axis."""
    return _sorted(values, axis, direction, "sort")[0]


def argsort(
    values: Any, axis: int = -1, direction: str = "ASCENDING", stable: bool = False,
    name: str | None = None,
) -> Tensor:  # fmt: skip
    """Indices that sort the values along the last axis (ties in index order)."""
    return _sorted(values, axis, direction, "argsort")[1]


def repeat(input: Any, repeats: Any, axis: Any = None, name: str | None = None) -> Tensor:  # noqa: A002
    """Each element repeated `repeats` (a Python int) times along `axis` (flattened if None)."""
    x = _tensor(input)
    known_rank("repeat", x)
    if isinstance(repeats, Tensor) or np.ndim(repeats) != 0:
        raise NotImplementedError("repeat: only a single Python int of repeats is provided")
    r = int(repeats)
    with x.graph.name_scope(name or "Repeat"):
        if axis is None:
            x, ax = A.reshape(x, [-1]), 0
        else:
            ax = domain.check_dim("repeat", int(axis), len(x.shape), "axis")
        dims = _static(x, "repeat")
        y = A.expand_dims(x, ax + 1)
        big = dims[: ax + 1] + [r] + dims[ax + 1 :]
        domain.check_memory("repeat", domain.check_sizes("repeat", big, "repeats"), _npdt(x))
        out = dims[:ax] + [dims[ax] * r] + dims[ax + 1 :]
        return A.reshape(M.broadcast_to(y, big), out)


def scatter_nd(indices: Any, updates: Any, shape: Any, name: str | None = None) -> Tensor:
    """Zeros of `shape` (Python ints) with `updates` added at `indices` (the last axis of
    indices indexes the first dims; repeated indices add up, as in TF)."""
    from ...core.primitives.nn import scatter_add_like

    if isinstance(shape, Tensor):
        raise NotImplementedError("scatter_nd: shape must be a list of Python ints here")
    dims = [int(d) for d in shape]
    idx, u = _tensor(indices), _tensor(updates)
    known_rank("scatter_nd", idx, u)
    k = idx.shape[-1] if len(idx.shape) else None
    if k is None or not 1 <= k <= len(dims):
        raise ValueError(
            f"scatter_nd: the last dimension of indices {idx} must be known and between 1 and "
            f"the rank of shape {dims}"
        )
    rest = dims[k:]
    strides = np.cumprod([1] + dims[k - 1 : 0 : -1])[::-1].astype(_npdt(idx))
    like = np.zeros([int(np.prod(dims[:k]))] + rest, _npdt(u))
    with idx.graph.name_scope(name or "ScatterNd"):
        flat = A.reshape(M.reduce_sum(M.multiply(idx, strides), -1), [-1])
        rows = A.reshape(u, [-1] + rest)
        out = idx.graph.build_op("ScatterNd", None, lambda: scatter_add_like(rows, like, flat, 0))
        return A.reshape(out, dims)
