"""More pooling and convolution: ``avg_pool3d``, 3-D adaptive pooling, the ``*_with_indices``
forms, ``lp_pool1d/2d/3d``, ``fractional_max_pool2d/3d``, ``conv_transpose3d``, ``conv_tbc``,
and their modules. Values come from core ops (window gathers, reductions, conv3d); numpy only
works out window positions and the integer indices."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import adaptive_pool as AP
from ....core import ops
from .. import _convert as C
from .. import creation as _cr
from ..tensor import Tensor
from . import functional as F
from .conv3d import conv3d
from .extra_layers import _ConvTransposeNd
from .functional_more2 import _tuple, _windows
from .module import Module

# ---- average pooling in 3-D --------------------------------------------------------------------


def _valid_counts(size: int, out: int, k: int, s: int, p: int) -> np.ndarray:
    """How many of each output window's k positions fall inside the unpadded input."""
    start = np.arange(out) * s - p
    return np.clip(start + k, 0, size) - np.clip(start, 0, size)


def avg_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Window means over the last three dims of (N, C, D, H, W) or (C, D, H, W) input."""
    if ceil_mode:
        raise NotImplementedError("avg_pool3d: ceil_mode=True is not provided; use ceil_mode=False")
    x = C.floating(input)
    if x.dim() not in (4, 5):
        raise RuntimeError(
            f"avg_pool3d: expected a 4-D or 5-D input, got shape {tuple(input.shape)}"
        )
    w, out, (k, s, p, _d) = _windows("avg_pool3d", x, 3, kernel_size, stride, padding, 1, 0.0)
    total = ops.sum(w, (-1,))
    if divisor_override:
        return total / float(divisor_override)
    if count_include_pad or not any(p):
        return total / float(np.prod(k))
    size = tuple(x.shape[-3:])
    counts = [_valid_counts(size[i], out[i], k[i], s[i], p[i]) for i in range(3)]
    grid = counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None, :]
    return total / Tensor._make(grid.astype(x._data.dtype))


class AvgPool3d(Module):
    """avg_pool3d as a module."""

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
        count_include_pad: bool = True, divisor_override: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """Window means."""
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)  # fmt: skip

    def extra_repr(self) -> str:
        """Options."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


# ---- adaptive pooling in 3-D, with indices -----------------------------------------------------


def _adaptive_indices(x: Tensor, out: tuple[int, ...]) -> Tensor:
    """torch's flat spatial index of each adaptive region's first maximum."""
    nd = len(out)
    data = x._data
    size = data.shape[-nd:]
    lead = data.shape[:-nd]
    flat = data.reshape(lead + (-1,))
    idx = np.zeros(lead + out, np.int64)
    for pos in np.ndindex(*out):
        ranges = [AP.regions(size[i], out[i])[pos[i]] for i in range(nd)]
        grids = np.meshgrid(*[np.arange(a, b) for a, b in ranges], indexing="ij")
        cand = np.ravel_multi_index(tuple(g.reshape(-1) for g in grids), size)
        vals = flat[..., cand]
        nan = np.isnan(vals)
        pick = np.where(nan.any(-1), nan.argmax(-1), vals.argmax(-1))
        idx[(Ellipsis,) + pos] = cand[pick]
    return Tensor._make(idx)


def _adaptive_max(nd: int, input: Tensor, output_size: Any, return_indices: bool):
    x = C.floating(input)
    vals = AP.adaptive_pool(x, output_size, nd, "max")
    if not return_indices:
        return vals
    return vals, _adaptive_indices(x, tuple(int(s) for s in vals.shape[-nd:]))


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive average pooling over the last three dims."""
    return AP.adaptive_pool(C.floating(input), output_size, 3, "avg")


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False):
    """Adaptive max pooling over the last three dims (and torch's flat indices)."""
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True):
    """adaptive_max_pool1d with its indices."""
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True):
    """adaptive_max_pool2d with its indices."""
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True):
    """adaptive_max_pool3d with its indices."""
    return _adaptive_max(3, input, output_size, True)


class AdaptiveAvgPool3d(Module):
    """adaptive_avg_pool3d as a module."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        """Pooled input."""
        return adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self) -> str:
        """Options."""
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(AdaptiveAvgPool3d):
    """adaptive_max_pool3d as a module."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        """Pooled input (and indices)."""
        return adaptive_max_pool3d(input, self.output_size, self.return_indices)


def _with_indices(n: int):
    def fn(
        input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
        ceil_mode: bool = False, return_indices: bool = True,
    ) -> Any:  # fmt: skip
        op = f"max_pool{n}d_with_indices"
        for what, value, low in (("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                 ("padding", padding, 0), ("dilation", dilation, 1)):  # fmt: skip
            if value is None:
                continue
            values = np.ravel(value)
            if values.size and int(values.min()) < low:
                raise RuntimeError(f"{op}: {what} must be >= {low}, got {value}")
        pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[n - 1]
        return pool(input, kernel_size, stride, padding, dilation, ceil_mode, True)

    fn.__name__ = fn.__qualname__ = f"max_pool{n}d_with_indices"
    fn.__doc__ = f"max_pool{n}d and its flat indices."
    return fn


max_pool1d_with_indices = _with_indices(1)
max_pool2d_with_indices = _with_indices(2)
max_pool3d_with_indices = _with_indices(3)


# ---- power-average pooling ---------------------------------------------------------------------


def _lp(out: Tensor, norm_type: float, count: int) -> Tensor:
    # torch's form: sign(out) * relu(|out|) * count, to the 1 / p (p = 0 has no root: PyTorch
    # itself stops there with Python's ZeroDivisionError)
    if norm_type == 0:
        raise ValueError("lp_pool: norm_type must be nonzero (the result is a 1 / norm_type root)")
    return (out.sign() * F.relu(out.abs())).mul(count) ** (1.0 / norm_type)


def _lp_extreme(pool: Any, x: Tensor, p: float, k: Any, stride: Any, ceil_mode: bool) -> Tensor:
    if p > 0:
        return pool(x.abs(), k, stride, 0, 1, ceil_mode)
    return -pool(-x.abs(), k, stride, 0, 1, ceil_mode)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size: int, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """(sum over each window of x^p) ^ (1/p) over the last dim."""
    if norm_type in (np.inf, -np.inf):  # PyTorch: the largest (or smallest) |x| of each window
        return _lp_extreme(F.max_pool1d, input, norm_type, kernel_size, stride, ceil_mode)
    k = _tuple(kernel_size, 1, "kernel_size", "lp_pool1d")[0]
    out = F.avg_pool1d(input**norm_type, k, stride, 0, ceil_mode)
    return _lp(out, norm_type, k)


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """(sum over each window of x^p) ^ (1/p) over the last two dims."""
    if norm_type in (np.inf, -np.inf):  # PyTorch: the largest (or smallest) |x| of each window
        return _lp_extreme(F.max_pool2d, input, norm_type, kernel_size, stride, ceil_mode)
    kh, kw = _tuple(kernel_size, 2, "kernel_size", "lp_pool2d")
    out = F.avg_pool2d(input**norm_type, (kh, kw), stride, 0, ceil_mode)
    return _lp(out, norm_type, kh * kw)


def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """(sum over each window of x^p) ^ (1/p) over the last three dims."""
    if norm_type in (np.inf, -np.inf):  # PyTorch: the largest (or smallest) |x| of each window
        return _lp_extreme(F.max_pool3d, input, norm_type, kernel_size, stride, ceil_mode)
    k = _tuple(kernel_size, 3, "kernel_size", "lp_pool3d")
    out = avg_pool3d(input**norm_type, k, stride, 0, ceil_mode)
    return _lp(out, norm_type, int(np.prod(k)))


def _lp_module(name: str, fn: Any):
    class LPPool(Module):
        def __init__(
            self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
        ) -> None:
            super().__init__()
            self.norm_type, self.kernel_size = norm_type, kernel_size
            self.stride, self.ceil_mode = stride, ceil_mode

        def forward(self, input: Tensor) -> Tensor:
            """Power-average pooling."""
            return fn(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

        def extra_repr(self) -> str:
            """Options."""
            return (
                f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}"
            )

    LPPool.__name__ = LPPool.__qualname__ = name
    LPPool.__doc__ = f"{fn.__name__} as a module."
    return LPPool


LPPool1d = _lp_module("LPPool1d", lp_pool1d)
LPPool2d = _lp_module("LPPool2d", lp_pool2d)
LPPool3d = _lp_module("LPPool3d", lp_pool3d)


# ---- fractional max pooling --------------------------------------------------------------------


def _intervals(sample: np.ndarray, size: int, out: int, k: int) -> np.ndarray:
    """torch's pseudo-random window starts: int((i + u) * alpha) - int(u * alpha), the last at
    size - k (alpha in the input's precision, as torch computes it)."""
    seq = np.zeros(sample.shape + (out,), np.int64)
    if out > 1:
        dt = sample.dtype.type
        alpha = dt(size - k) / dt(out - 1)
        i = np.arange(out - 1, dtype=sample.dtype)
        seq[..., :-1] = ((i + sample[..., None]) * alpha).astype(np.int64) - (
            sample[..., None] * alpha
        ).astype(np.int64)
    seq[..., -1] = size - k
    return seq


def _fractional(
    nd: int, input: Tensor, kernel_size: Any, output_size: Any, output_ratio: Any,
    return_indices: bool, random_samples: Any,
) -> Any:  # fmt: skip
    op = f"fractional_max_pool{nd}d"
    x = C.floating(input)
    if x.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected a {nd + 1}-D or {nd + 2}-D input, got {tuple(x.shape)}")
    unbatched = x.dim() == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    k = _tuple(kernel_size, nd, "kernel_size", op)
    size = tuple(int(s) for s in x.shape[-nd:])
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
        ratio = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        out = tuple(int(size[i] * float(ratio[i])) for i in range(nd))
    else:
        out = _tuple(output_size, nd, "output_size", op)
    if any(o < 0 for o in out):
        raise RuntimeError(f"{op}: output_size must be non-negative, got {out}")
    if any(o == 0 for o in out):  # an empty output, as PyTorch (no window to place)
        shape = tuple(x.shape[:2]) + out
        vals = Tensor._make(np.zeros(shape, x._data.dtype))
        idx = Tensor._make(np.zeros(shape, np.int64))
        if unbatched:
            vals, idx = vals[0], idx[0]
        return (vals, idx) if return_indices else vals
    for i in range(nd):
        if out[i] + k[i] - 1 > size[i]:
            raise RuntimeError(
                f"{op}: output size {out} with kernel {k} is too large for input size {size}"
            )
    n, c = int(x.shape[0]), int(x.shape[1])
    if random_samples is None:
        samples = _cr.rand(n, c, nd, dtype=x.dtype)._data
    else:
        samples = C.as_tensor_operand(random_samples)._data.astype(x._data.dtype)
        if samples.shape != (n, c, nd):
            raise RuntimeError(f"{op}: _random_samples must have shape {(n, c, nd)}")
    # torch draws the 2-D samples as (w, h); the 3-D ones as (t, h, w)
    order = [1, 0] if nd == 2 else list(range(nd))
    starts = [_intervals(samples[..., order[i]], size[i], out[i], k[i]) for i in range(nd)]
    # flat input position of every (n, c, out..., window...) element
    flat = np.zeros((n, c) + out + k, np.int64)
    stride = 1
    for i in reversed(range(nd)):
        s = starts[i].reshape(
            (n, c) + tuple(out[j] if j == i else 1 for j in range(nd)) + (1,) * nd
        )
        off = np.arange(k[i]).reshape(
            (1,) * (2 + nd) + tuple(k[j] if j == i else 1 for j in range(nd))
        )
        flat = flat + (s + off) * stride
        stride *= size[i]
    kk = int(np.prod(k))
    index = flat.reshape(n, c, -1)
    xs = x.reshape(n, c, -1)
    windows = xs.gather(2, Tensor._make(index)).reshape(n, c, *out, kk)
    vals = ops.max(windows, (-1,))
    if unbatched:
        vals = vals[0]
    if not return_indices:
        return vals
    pick = np.argmax(windows._data, axis=-1)
    idx = np.take_along_axis(flat.reshape(n, c, *out, kk), pick[..., None], -1)[..., 0]
    idx_t = Tensor._make(idx[0] if unbatched else idx)
    return vals, idx_t


def fractional_max_pool2d(
    input: Tensor, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
    return_indices: bool = False, _random_samples: Any = None,
) -> Any:  # fmt: skip
    """Max over pseudo-random overlapping windows (Graham, 2014) of the last two dims."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)  # fmt: skip


def fractional_max_pool3d(
    input: Tensor, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
    return_indices: bool = False, _random_samples: Any = None,
) -> Any:  # fmt: skip
    """Max over pseudo-random overlapping windows of the last three dims."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)  # fmt: skip


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = True,
                                       _random_samples: Any = None) -> Any:  # fmt: skip
    """fractional_max_pool2d and its indices."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = True,
                                       _random_samples: Any = None) -> Any:  # fmt: skip
    """fractional_max_pool3d and its indices."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, True, _random_samples)


def _fractional_module(name: str, nd: int):
    class FractionalMaxPool(Module):
        def __init__(
            self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
            return_indices: bool = False, _random_samples: Any = None,
        ) -> None:  # fmt: skip
            super().__init__()
            if output_size is None and output_ratio is None:
                raise ValueError(
                    f"{name} requires specifying either an output size, or a pooling ratio"
                )
            if output_size is not None and output_ratio is not None:
                raise ValueError("only one of output_size and output_ratio may be specified")
            ratios = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,)
            if output_ratio is not None and not all(0 < float(r) < 1 for r in ratios):
                raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")
            self.kernel_size, self.output_size = kernel_size, output_size
            self.output_ratio, self.return_indices = output_ratio, return_indices
            self._random_samples = _random_samples

        def forward(self, input: Tensor) -> Any:
            """Fractional max pooling (new random windows on each call)."""
            return _fractional(nd, input, self.kernel_size, self.output_size, self.output_ratio,
                               self.return_indices, self._random_samples)  # fmt: skip

    FractionalMaxPool.__name__ = FractionalMaxPool.__qualname__ = name
    FractionalMaxPool.__doc__ = f"fractional_max_pool{nd}d as a module."
    return FractionalMaxPool


FractionalMaxPool2d = _fractional_module("FractionalMaxPool2d", 2)
FractionalMaxPool3d = _fractional_module("FractionalMaxPool3d", 3)


# ---- transposed 3-D convolution, conv_tbc ------------------------------------------------------


def _dilate(x: Tensor, axis: int, s: int) -> Tensor:
    """Insert s - 1 zeros between neighbours along `axis`."""
    if s == 1:
        return x
    n = int(x.shape[axis])
    zeros = x.narrow(axis, 0, 1) * 0.0
    pieces = []
    for i in range(n):
        pieces.append(x.narrow(axis, i, 1))
        if i < n - 1:
            pieces.extend([zeros] * (s - 1))
    return ops.concat(pieces, axis)


def conv_transpose3d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
    padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
) -> Tensor:  # fmt: skip
    """Transposed 3-D convolution with weight (C_in, C_out, kd, kh, kw): the input gradient of
    the conv3d it undoes, as a conv3d of the zero-interleaved, padded input with the flipped
    filters."""
    if groups != 1:
        raise NotImplementedError(f"conv_transpose3d: groups={groups}; only groups=1 is provided")
    unbatched = input.dim() == 4
    x = input.unsqueeze(0) if unbatched else input
    if x.dim() != 5 or weight.dim() != 5 or x.shape[1] != weight.shape[0]:
        raise RuntimeError(
            f"conv_transpose3d: expected input (N, C_in, D, H, W) and weight (C_in, C_out, kd, "
            f"kh, kw), got input shape {tuple(input.shape)} and weight {tuple(weight.shape)}"
        )
    s = _tuple(stride, 3, "stride", "conv_transpose3d")
    p = _tuple(padding, 3, "padding", "conv_transpose3d")
    op_ = _tuple(output_padding, 3, "output_padding", "conv_transpose3d")
    d = _tuple(dilation, 3, "dilation", "conv_transpose3d")
    k = tuple(int(v) for v in weight.shape[2:])
    for i in range(3):
        if op_[i] >= max(s[i], d[i]):
            raise ValueError(
                f"conv_transpose3d: output_padding {op_} must be smaller than stride {s} or "
                f"dilation {d}"
            )
    for i in range(3):
        x = _dilate(x, 2 + i, s[i])
    for i in range(3):
        before = d[i] * (k[i] - 1) - p[i]
        after = before + op_[i]
        axis = 2 + i
        if before < 0:
            x = x.narrow(axis, -before, x.shape[axis] + before)
            before = 0
        if after < 0:
            x = x.narrow(axis, 0, x.shape[axis] + after)
            after = 0
        if before or after:
            pads = [0] * 6
            pads[2 * (2 - i)], pads[2 * (2 - i) + 1] = before, after
            x = F.pad(x, pads)
    w = weight.flip((2, 3, 4)).transpose(0, 1)
    y = conv3d(x, w, bias, 1, 0, d)
    return y[0] if unbatched else y


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution."""

    _dims = 3

    def forward(self, input: Tensor) -> Tensor:
        """The transposed convolution plus bias."""
        return conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                self.output_padding, 1, self.dilation)  # fmt: skip


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-D convolution of time-batch-channel input (T, B, C_in) with weight (k, C_in, C_out)."""
    if input.dim() != 3 or weight.dim() != 3 or input.shape[2] != weight.shape[1]:
        raise RuntimeError(
            f"conv_tbc: expected input (T, B, C_in) and weight (k, C_in, C_out), got "
            f"{tuple(input.shape)} and {tuple(weight.shape)}"
        )
    y = F.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, int(pad))
    return y.permute(2, 0, 1)


FUNCTIONS = [
    "adaptive_avg_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool3d", "conv_tbc",
    "conv_transpose3d", "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d", "fractional_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d",
    "lp_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
]  # fmt: skip
MODULES = [
    "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "ConvTranspose3d",
    "FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
]  # fmt: skip
