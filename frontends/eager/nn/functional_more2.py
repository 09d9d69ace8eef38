"""More of ``torch.nn.functional``: ``interpolate`` (nearest, linear / bilinear / trilinear),
``unfold`` (im2col), ``max_pool3d`` and max pooling with ``return_indices``, ``max_unpool1d/2d/3d``,
and the margin / Poisson losses; with the modules ``MaxPool3d``, ``MaxUnpool1d/2d/3d``,
``Upsample``, ``Unfold`` and the loss classes.

Each is a composition of core ops: windows and neighbours are read with integer indexing
(`getitem`, whose gradient is the matching scatter-add), maxima are the core's `max`, so the
gradients come from the core's rules.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import domain, ops
from ....core.primitives.scatter_last import scatter_last
from .. import _convert as C
from ..tensor import Tensor
from .module import Module
from .pool_modules import _MaxPoolNd

# ---- windows ------------------------------------------------------------------------------


def _tuple(v: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"{op}: {name} must be an int or {n} ints, got {v!r}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _windows(
    op: str, x: Tensor, n: int, kernel: Any, stride: Any, padding: Any, dilation: Any, fill: float
) -> tuple[Tensor, tuple, tuple]:
    """(windows of shape (*lead, *out, K), out sizes, per-dim (k, s, p, d)) over the last n dims."""
    if not n + 1 <= x.dim() <= n + 2:  # (C, *spatial) or (N, C, *spatial), as PyTorch
        raise ValueError(
            f"{op}: expected an input of {n + 1} or {n + 2} dims, got {tuple(x.shape)}"
        )
    k = _tuple(kernel, n, "kernel_size", op)
    s = k if stride is None or stride == [] else _tuple(stride, n, "stride", op)
    p = _tuple(padding, n, "padding", op)
    d = _tuple(dilation, n, "dilation", op)
    if any(abs(v) > 2**31 - 1 for v in (*k, *s, *p, *d)):  # PyTorch's window sizes are int32
        raise RuntimeError(
            f"{op}: kernel_size {k}, stride {s}, padding {p} or dilation {d} cannot be "
            "converted to int without overflow"
        )
    # each checked before any division by it (a zero kernel or stride was a ZeroDivisionError)
    for what, vals, least in (("kernel size", k, 1), ("stride", s, 1), ("dilation", d, 1),
                              ("padding", p, 0)):  # fmt: skip
        if any(v < least for v in vals):
            raise RuntimeError(
                f"{op}: {what} should be {'greater than zero' if least else 'non-negative'}, "
                f"got {vals}"
            )
    for ki, pi in zip(k, p, strict=True):
        if pi > ki // 2:
            raise ValueError(
                f"{op}: pad should be at most half of effective kernel size, got padding {p} "
                f"for kernel {k}"
            )
    lead = tuple(x.shape[: x.dim() - n])
    size = tuple(x.shape[x.dim() - n :])
    out = tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(n))
    if any(o <= 0 for o in out):
        raise ValueError(
            f"{op}: the input's spatial size {size} is too small for kernel {k} with padding {p} "
            f"and dilation {d} (output size {out})"
        )
    if any(p):
        from .padding_layers import pad as _pad

        flat = [a for pi in reversed(p) for a in (pi, pi)]
        x = _pad(x, flat, value=fill)
    # index arrays shaped (o1, k1, o2, k2, ...) for broadcasting, one per spatial dim
    idx = []
    for i in range(n):
        pos = np.arange(out[i])[:, None] * s[i] + np.arange(k[i])[None, :] * d[i]
        shape = [1] * (2 * n)
        shape[2 * i], shape[2 * i + 1] = out[i], k[i]
        idx.append(pos.reshape(shape))
    w = ops.getitem(x, (Ellipsis, *idx))  # (*lead, o1, k1, o2, k2, ...)
    nl = len(lead)
    perm = (
        tuple(range(nl))
        + tuple(nl + 2 * i for i in range(n))
        + tuple(nl + 2 * i + 1 for i in range(n))
    )
    w = ops.transpose(w, perm)
    w = ops.reshape(w, lead + out + (int(np.prod(k)),))
    return w, out, (k, s, p, d)


def _max_pool(
    op: str,
    n: int,
    input: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    return_indices: bool,
) -> Any:
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported here")
    x = C.floating(input) if not isinstance(input, Tensor) else input
    w, out, (k, s, p, d) = _windows(op, x, n, kernel_size, stride, padding, dilation, -math.inf)
    vals = ops.max(w, axes=(-1,))
    if not return_indices:
        return vals
    # the flat index (over the input's spatial dims) of each window's first maximum
    pick = np.argmax(w._data, axis=-1)
    size = tuple(x.shape[x.dim() - n :])
    kpos = np.unravel_index(pick, k)
    coords = []
    for i in range(n):
        grid = np.arange(out[i]).reshape([out[i] if j == i else 1 for j in range(n)])
        coords.append(grid * s[i] - p[i] + kpos[i] * d[i])
    flat = np.ravel_multi_index(tuple(coords), size, mode="clip")
    return vals, Tensor._make(flat.astype(np.int64))


def max_pool3d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Window maxima over the last three dims of (N, C, D, H, W) (or (C, D, H, W)) input."""
    return _max_pool(
        "max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool_with_indices(
    n: int,
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    """max_pool{n}d with dilation and/or return_indices (torch's flat indices)."""
    domain.nonempty_planes(f"max_pool{n}d", tuple(input.shape), n)
    return _max_pool(
        f"max_pool{n}d", n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _max_unpool(
    op: str,
    n: int,
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
) -> Tensor:
    x = input
    if x.dim() < n + 1:
        raise ValueError(
            f"{op}: input must have at least {n + 1} dims (C and {n} spatial), got shape "
            f"{tuple(x.shape)}"
        )
    k = _tuple(kernel_size, n, "kernel_size", op)
    s = k if stride is None else _tuple(stride, n, "stride", op)
    p = _tuple(padding, n, "padding", op)
    lead = tuple(x.shape[: x.dim() - n])
    size_in = tuple(x.shape[x.dim() - n :])
    if output_size is None:
        size = tuple((size_in[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(n))
    else:
        size = tuple(int(v) for v in tuple(output_size)[-n:])
    if not isinstance(indices, Tensor):
        raise TypeError(f"{op}: indices must be a tensor, got {type(indices).__name__}")
    if indices._data.dtype != np.int64:  # PyTorch's kernel reads int64 only (bool was cast)
        raise RuntimeError(
            f"{op}: elements in indices should be type int64 but got: {indices.dtype}"
        )
    idx = indices._data
    if tuple(idx.shape) != tuple(x.shape):
        raise ValueError(
            f"{op}: indices {tuple(idx.shape)} must have the shape of input {tuple(x.shape)}"
        )
    total = int(np.prod(size))
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())  # the one out of range
        raise ValueError(
            f"{op}: found an invalid max index {bad} for output size {size} (indices must be in "
            f"[0, {total}))"
        )
    m = int(np.prod(lead)) if lead else 1
    flat_x = ops.reshape(x, (m, -1))
    rows = np.broadcast_to(np.arange(m)[:, None], (m, int(np.prod(size_in))))
    like = Tensor._make(np.zeros((m, total), x._data.dtype))
    # a slot several inputs point at keeps the last one's value (PyTorch's CPU kernel), and
    # every input's gradient is its slot's: an overwriting scatter whose VJP is the gather
    placed = scatter_last(flat_x, like, (rows, idx.reshape(m, -1)))
    return ops.reshape(placed, lead + size)


def max_unpool1d(
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The inverse of max_pool1d: each value back at its index, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The inverse of max_pool2d: each value back at its index, zeros elsewhere."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The inverse of max_pool3d: each value back at its index, zeros elsewhere."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


def unfold(
    input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """im2col: sliding (kh, kw) blocks of (N, C, H, W) as columns, (N, C * kh * kw, L)."""
    x = input
    if x.dim() != 4:
        raise ValueError(f"unfold: expected a 4-D (N, C, H, W) input, got {tuple(x.shape)}")
    w, out, (k, *_rest) = _windows("unfold", x, 2, kernel_size, stride, padding, dilation, 0.0)
    nb, ch = x.shape[0], x.shape[1]
    w = ops.transpose(w, (0, 1, 4, 2, 3))  # (N, C, K, oh, ow)
    return ops.reshape(w, (nb, ch * k[0] * k[1], out[0] * out[1]))


# ---- interpolate --------------------------------------------------------------------------


def _positive_sizes(op: str, inp: tuple, out: tuple) -> None:
    if any(o <= 0 for o in out) or any(i <= 0 for i in inp):
        raise RuntimeError(
            f"{op}: Input and output sizes should be greater than 0, but got input {inp} and "
            f"output {out}"
        )


def _sizes(
    op: str, x: Tensor, n: int, size: Any, scale_factor: Any, recompute: Any
) -> tuple[tuple, tuple]:
    """Output sizes and the coordinate scales (in / out, or 1 / scale_factor as torch uses)."""
    inp = tuple(x.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    if size is not None:
        out = _tuple(size, n, "size", op)
        _positive_sizes(op, inp, out)
        return out, tuple(i / o for i, o in zip(inp, out, strict=True))
    sf = scale_factor if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * n
    if len(sf) != n:
        raise ValueError(f"{op}: scale_factor must have {n} entries, got {scale_factor!r}")
    out = tuple(int(math.floor(i * float(f))) for i, f in zip(inp, sf, strict=True))
    _positive_sizes(op, inp, out)
    if recompute:
        return out, tuple(i / o for i, o in zip(inp, out, strict=True))
    return out, tuple(1.0 / float(f) for f in sf)


def _linear_axis(x: Tensor, axis: int, n_in: int, n_out: int, scale: float, align: bool) -> Tensor:
    """Linear interpolation along one axis (two neighbours and their weights)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align:
        src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = (src - i0).astype(x._data.dtype)
    shape = [1] * x.dim()
    shape[axis] = n_out
    key0 = (slice(None),) * axis + (i0,)
    key1 = (slice(None),) * axis + (i1,)
    a, b = ops.getitem(x, key0), ops.getitem(x, key1)
    w1 = Tensor._make(lam.reshape(shape))
    w0 = Tensor._make((1 - lam).reshape(shape))
    return ops.add(ops.mul(a, w0), ops.mul(b, w1))


_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(
    input: Any,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, ...) input: mode 'nearest', 'nearest-exact', 'linear',
    'bilinear', 'trilinear' or 'area'."""
    x = input
    n = x.dim() - 2
    if n < 1:
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input, got {tuple(x.shape)}")
    domain.nonempty_planes("interpolate", tuple(x.shape), n)
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if mode in _LINEAR and _LINEAR[mode] != n:
        raise ValueError(
            f"interpolate: mode {mode!r} expects a {_LINEAR[mode] + 2}-D input, "
            f"got {tuple(x.shape)}"
        )
    if align_corners is not None and mode not in _LINEAR and mode != "bicubic":
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    out, scales = _sizes("interpolate", x, n, size, scale_factor, recompute_scale_factor)
    inp = tuple(x.shape[2:])
    if mode in ("nearest", "nearest-exact"):
        y = x
        for i in range(n):
            dst = np.arange(out[i], dtype=np.float64)
            src = (dst + 0.5) * scales[i] - 0.5 if mode == "nearest-exact" else dst * scales[i]
            src = np.floor(src + (0.5 if mode == "nearest-exact" else 0.0))
            idx = np.clip(src.astype(np.int64), 0, inp[i] - 1)
            y = ops.getitem(y, (slice(None),) * (2 + i) + (idx,))
        return y
    if mode in _LINEAR:
        y = x if x._data.dtype.kind == "f" else C.floating(x)
        for i in range(n):
            y = _linear_axis(y, 2 + i, inp[i], out[i], scales[i], bool(align_corners))
        return y
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

        if n == 1:
            return adaptive_avg_pool1d(x, out)
        if n == 2:
            return adaptive_avg_pool2d(x, out)
    raise NotImplementedError(
        f"interpolate: mode {mode!r} is not provided; use 'nearest', 'linear', 'bilinear', "
        "'trilinear' or 'area'"
    )


def upsample(
    input: Any,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """The old name of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


# ---- losses -------------------------------------------------------------------------------


def _reduce(per: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    if reduction == "none":
        return per
    raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction")


def _check_same(op: str, x: Tensor, y: Tensor) -> None:
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(
            f"{op}: target {tuple(y.shape)} must have the input's shape {tuple(x.shape)}"
        )


def hinge_embedding_loss(
    input: Tensor, target: Tensor, margin: float = 1.0, reduction: str = "mean", **_: Any
) -> Tensor:
    """x where the target is 1, max(0, margin - x) where it is -1."""
    y = target if isinstance(target, Tensor) else Tensor(target)
    zero = Tensor._make(np.zeros((), input._data.dtype))
    m = (margin - input).clamp(min=0)
    per = ops.where(y != 1, m, zero) + ops.where(y != -1, input, zero)
    return _reduce(per, reduction, "hinge_embedding_loss")


def soft_margin_loss(input: Tensor, target: Tensor, reduction: str = "mean", **_: Any) -> Tensor:
    """log(1 + exp(-y x)) per element (targets are 1 or -1)."""
    _check_same("soft_margin_loss", input, target)
    from .functional_extra import softplus

    return _reduce(softplus(-(target * input)), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(
    input: Tensor, target: Tensor, weight: Any = None, reduction: str = "mean", **_: Any
) -> Tensor:
    """The mean over classes of the per-class logistic loss, per sample."""
    _check_same("multilabel_soft_margin_loss", input, target)
    from .functional_extra import logsigmoid

    per = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        per = per * weight
    return _reduce(per.mean(-1), reduction, "multilabel_soft_margin_loss")


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log likelihood: exp(x) - y x (log_input), or x - y log(x + eps)."""
    from ..functions import exp, log

    if log_input:
        per = exp(input) - target * input
    else:
        per = input - target * log(input + eps)
    if full:
        t = target._data
        with np.errstate(divide="ignore", invalid="ignore"):
            st = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        st = np.where(t > 1, st, 0).astype(input._data.dtype)
        per = per + Tensor._make(st)
    return _reduce(per, reduction, "poisson_nll_loss")


def _hinge(z: Tensor) -> Tensor:
    """z where z > 0, else 0: PyTorch's margin kernels add a term only when it is positive, so a
    NaN term adds nothing (clamp would keep the NaN)."""
    return ops.where(z > 0, z, Tensor._make(np.zeros((), z._data.dtype)))


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    reduction: str = "mean",
    **_: Any,
) -> Tensor:
    """sum over i != y of max(0, margin - x[y] + x[i]) ** p, over the classes, per sample."""
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p}")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    y = target._data.reshape(-1).astype(np.int64)
    nc = x.shape[1]
    if target.dim() > 1 or y.shape[0] != x.shape[0]:
        raise RuntimeError(
            f"multi_margin_loss: inconsistent target size {tuple(target.shape)} for input of "
            f"size {tuple(input.shape)}"
        )
    if y.size and (y.min() < 0 or y.max() >= nc):  # numpy would wrap a negative class
        raise RuntimeError(f"multi_margin_loss: target out of range [0, {nc})")
    rows = np.arange(x.shape[0])
    xy = ops.getitem(x, (rows, y)).unsqueeze(1)
    h = _hinge(margin - xy + x)
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * ops.getitem(weight, (y,)).unsqueeze(1)
    others = np.ones(tuple(x.shape), bool)
    others[rows, y] = False
    h = ops.where(Tensor._make(others), h, Tensor._make(np.zeros((), x._data.dtype)))
    per = h.sum(1) / nc
    if input.dim() == 1:
        per = per.squeeze(0)
    return _reduce(per, reduction, "multi_margin_loss")


def multilabel_margin_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", **_: Any
) -> Tensor:
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])), / C;
    each row's targets are its leading non-negative entries (-1 ends them)."""
    if input.dim() not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"multilabel_margin_loss: inconsistent target size {tuple(target.shape)} for input "
            f"of size {tuple(input.shape)} (both (C,) or (N, C))"
        )
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target._data.reshape(x.shape[0], -1)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"multilabel_margin_loss: target must be int64, got {target.dtype}")
    t = t.astype(np.int64)
    if t.size and (t.min() < -1 or t.max() >= x.shape[1]):
        bad = int(t.max() if t.max() >= x.shape[1] else t.min())
        raise RuntimeError(
            f"multilabel_margin_loss: target holds {bad}, out of range [-1, {x.shape[1]})"
        )
    nb, nc = x.shape
    is_t = np.zeros((nb, nc), bool)
    pairs_r, pairs_j = [], []
    for r in range(nb):
        for j in t[r]:
            if j < 0:
                break
            is_t[r, j] = True
            pairs_r.append(r)
            pairs_j.append(j)
    if not pairs_r:
        per = (x * 0).sum(1)
    else:
        pr, pj = np.asarray(pairs_r), np.asarray(pairs_j)
        xj = ops.getitem(x, (pr, pj)).unsqueeze(1)  # (P, 1)
        xr = ops.getitem(x, (pr,))  # (P, C)
        h = _hinge(1 - (xj - xr))
        h = ops.where(Tensor._make(~is_t[pr]), h, Tensor._make(np.zeros((), x._data.dtype)))
        like = Tensor._make(np.zeros((nb,), x._data.dtype))
        per = ops.getitem_grad(h.sum(1), like, (pr,)) / nc
    if input.dim() == 1:
        per = per.squeeze(0)
    return _reduce(per, reduction, "multilabel_margin_loss")


# ---- modules ------------------------------------------------------------------------------


class MaxPool3d(_MaxPoolNd):
    """Window maxima over (N, C, D, H, W)."""

    _pool = staticmethod(max_pool3d)


def _unpool_module(n: int):
    fn = {1: max_unpool1d, 2: max_unpool2d, 3: max_unpool3d}[n]

    class MaxUnpool(Module):
        def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
            super().__init__()
            self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

        def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
            """Values back at their pooling indices."""
            return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    MaxUnpool.__name__ = MaxUnpool.__qualname__ = f"MaxUnpool{n}d"
    MaxUnpool.__doc__ = f"The inverse of MaxPool{n}d (zeros where nothing was the maximum)."
    return MaxUnpool


MaxUnpool1d, MaxUnpool2d, MaxUnpool3d = (_unpool_module(n) for n in (1, 2, 3))


class Upsample(Module):
    """interpolate as a module."""

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Resized input."""
        return interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            self.recompute_scale_factor,
        )


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) with align_corners=True (as torch's)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "bilinear", True)


class Unfold(Module):
    """unfold (im2col) as a module."""

    def __init__(
        self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
    ) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = (
            kernel_size,
            dilation,
            padding,
            stride,
        )

    def forward(self, input: Tensor) -> Tensor:
        """Sliding blocks as columns."""
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)


def _loss_module(name: str, fn: Any, params: dict):
    class Loss(Module):
        def __init__(self, *args: Any, reduction: str = "mean", **kwargs: Any) -> None:
            super().__init__()
            values = dict(params)
            for key, v in zip(params, args, strict=False):
                values[key] = v
            for key in list(kwargs):
                if key in values:
                    values[key] = kwargs.pop(key)
            self.reduction = reduction
            self._kw = values

        def forward(self, input: Tensor, target: Tensor) -> Tensor:
            """The loss."""
            return fn(input, target, **self._kw, reduction=self.reduction)

    Loss.__name__ = Loss.__qualname__ = name
    Loss.__doc__ = f"{fn.__name__} as a module."
    return Loss


HingeEmbeddingLoss = _loss_module("HingeEmbeddingLoss", hinge_embedding_loss, {"margin": 1.0})
SoftMarginLoss = _loss_module("SoftMarginLoss", soft_margin_loss, {})
MultiLabelSoftMarginLoss = _loss_module(
    "MultiLabelSoftMarginLoss", multilabel_soft_margin_loss, {"weight": None}
)
PoissonNLLLoss = _loss_module(
    "PoissonNLLLoss",
    poisson_nll_loss,
    {"log_input": True, "full": False, "size_average": None, "eps": 1e-8},
)
MultiMarginLoss = _loss_module(
    "MultiMarginLoss", multi_margin_loss, {"p": 1, "margin": 1.0, "weight": None}
)
MultiLabelMarginLoss = _loss_module("MultiLabelMarginLoss", multilabel_margin_loss, {})

FUNCTIONS = [
    "hinge_embedding_loss",
    "interpolate",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "poisson_nll_loss",
    "soft_margin_loss",
    "unfold",
    "upsample",
]
MODULES = [
    "HingeEmbeddingLoss",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "PoissonNLLLoss",
    "SoftMarginLoss",
    "Unfold",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]
