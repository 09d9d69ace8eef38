"""Adaptive and global pooling, and ceil-mode window geometry, composed from core operations.

Shared by the eager nn.AdaptiveAvgPool*/AdaptiveMaxPool* / avg_pool2d(ceil_mode) and the graph
frontend's global pooling layers. Adaptive pooling splits each spatial axis of length L into `o`
regions [floor(i*L/o), ceil((i+1)*L/o)) as PyTorch does. Fast paths: an output of 1 is one
mean/max reduction over the spatial axes (the same reduction `reduce_mean` over H and W runs, so
both frontends give the same bits); an evenly dividing output is one pooling window op (2-D);
anything else is reduced region by region along one axis at a time.
"""

from __future__ import annotations

import math

import numpy as np

from . import domain, ops


def regions(length: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive-pooling regions [start, end) of an axis of `length` into `out` cells."""
    return [((i * length) // out, -(-((i + 1) * length) // out)) for i in range(out)]


def _sizes(op: str, shape: tuple, output_size, nd: int) -> tuple[int, ...]:
    """The requested output size per spatial axis (None keeps the input's), validated."""
    if len(shape) not in (nd + 1, nd + 2):
        raise ValueError(
            f"{op}: expected a {nd + 1}-D or {nd + 2}-D input (C, spatial...) or "
            f"(N, C, spatial...), got shape {tuple(shape)}"
        )
    sizes = (output_size,) * nd if isinstance(output_size, int) or output_size is None else None
    sizes = tuple(output_size) if sizes is None else sizes
    if len(sizes) != nd:
        raise ValueError(f"{op}: output_size must have {nd} entries, got {output_size!r}")
    spatial = shape[-nd:]
    out = tuple(int(s) if o is None else int(o) for o, s in zip(sizes, spatial, strict=True))
    if any(o <= 0 for o in out):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    if any(s == 0 for s in spatial):
        raise ValueError(f"{op}: the input's spatial size {tuple(spatial)} has an empty axis")
    return out


def _along(x, axis: int, out: int, reduce):
    """Reduce `axis` of x into `out` regions, each with keepdims, joined back along the axis."""
    length = x.shape[axis]
    if out == length:
        return x
    if out == 1:
        return reduce(x, (axis,))
    pieces = []
    for start, end in regions(length, out):
        index = tuple([slice(None)] * axis + [slice(start, end)])
        pieces.append(reduce(ops.getitem(x, index), (axis,)))
    return ops.concat(pieces, axis)


def _mean(x, axes):
    return ops.mean(x, axes, keepdims=True)


def _max(x, axes):
    return ops.max(x, axes, keepdims=True)


def adaptive_pool(x, output_size, nd: int, kind: str = "avg"):
    """Adaptive average or max pooling over the last `nd` axes of x (channels first)."""
    op = f"adaptive_{kind}_pool{nd}d"
    out = _sizes(op, tuple(x.shape), output_size, nd)
    # the output must fit in memory: a huge size would loop over its windows for ever
    domain.check_memory(op, tuple(x.shape[:-nd]) + tuple(out), x.dtype)
    reduce = _mean if kind == "avg" else _max
    rank = len(x.shape)
    spatial = tuple(range(rank - nd, rank))
    if all(o == 1 for o in out):
        return reduce(x, spatial)
    hw = tuple(x.shape[-nd:])
    even = all(s % o == 0 for s, o in zip(hw, out, strict=True))
    if nd == 2 and rank == 4 and even:
        k = tuple(s // o for s, o in zip(hw, out, strict=True))
        pool = ops.avg_pool2d if kind == "avg" else ops.max_pool2d
        return pool(x, k, k, 0)
    for axis, o in zip(spatial, out, strict=True):
        x = _along(x, axis, o, reduce)
    return x


def global_pool(x, axes, kind: str = "avg", keepdims: bool = False):
    """Mean or max over the spatial `axes` (global average / max pooling)."""
    reduce = ops.mean if kind == "avg" else ops.max
    return reduce(x, tuple(axes), keepdims=keepdims)


def ceil_pads(size: int, k: int, s: int, pad: int) -> tuple[int, int, int]:
    """(output length, extra end padding, padded length) of a ceil-mode window axis, as PyTorch.

    The last window must start inside the input or its left padding, else it is dropped.
    """
    out = math.ceil((size + 2 * pad - k) / s) + 1
    if (out - 1) * s >= size + pad:
        out -= 1
    extra = max(0, (out - 1) * s + k - (size + 2 * pad))
    return out, extra, size + 2 * pad


def avg_pool2d_ceil(x, ksize, stride, padding, count_include_pad: bool):
    """avg_pool2d of NCHW x with ceil_mode=True (PyTorch's divisors at the ragged edge)."""
    kh, kw = ksize
    sh, sw = stride
    ph, pw = padding
    h, w = x.shape[2], x.shape[3]
    oh, eh, lh = ceil_pads(h, kh, sh, ph)
    ow, ew, lw = ceil_pads(w, kw, sw, pw)
    pads = ((ph, ph + eh), (pw, pw + ew))
    if not count_include_pad:
        return ops.avg_pool2d(x, (kh, kw), (sh, sw), pads, count_include_pad=False)
    y = ops.avg_pool2d(x, (kh, kw), (sh, sw), pads, count_include_pad=True)
    # the windows hanging over the end count the symmetric padding but not the ceil overhang
    ch = np.array([min(i * sh + kh, lh) - i * sh for i in range(oh)], np.float64)
    cw = np.array([min(j * sw + kw, lw) - j * sw for j in range(ow)], np.float64)
    if (ch == kh).all() and (cw == kw).all():
        return y
    scale = (kh * kw) / np.outer(ch, cw)
    return ops.mul(y, scale.astype(x.dtype).reshape(1, 1, oh, ow))
