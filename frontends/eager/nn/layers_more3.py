"""Shape and other layers: ``pixel_shuffle`` / ``pixel_unshuffle``, ``channel_shuffle``,
``bilinear``, ``fold``, ``dropout1d`` / ``dropout3d``, ``alpha_dropout``,
``feature_alpha_dropout``, ``upsample_nearest`` / ``upsample_bilinear``, ``F.pad``'s reflect /
replicate / circular modes, and their modules (``Unflatten``, the padding modules, ...)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import init as core_init
from ....core import ops
from ....core import shuffle_pad as SP
from .. import creation as _cr
from ..tensor import Tensor
from . import functional as F
from .conv import _np_dtype
from .module import Module
from .parameter import Parameter

# ---- shuffles ----------------------------------------------------------------------------------


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r)."""
    return SP.pixel_shuffle(input, int(upscale_factor))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    return SP.pixel_unshuffle(input, int(downscale_factor))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of `groups` groups (ShuffleNet)."""
    return SP.channel_shuffle(input, int(groups))


# ---- padding modes -----------------------------------------------------------------------------


def pad_modes(input: Tensor, pad: Any, mode: str) -> Tensor:
    """F.pad with mode 'reflect', 'replicate' or 'circular' (the last len(pad) // 2 dims)."""
    pad = [int(p) for p in pad]
    n = len(pad) // 2
    if len(pad) % 2 or n == 0 or n > 3 or input.dim() not in (n + 1, n + 2):
        raise NotImplementedError(
            f"F.pad(mode={mode!r}): padding the last {n} dim(s) needs a {n + 1}-D or {n + 2}-D "
            f"input (pad of even length 2, 4 or 6), got input shape {tuple(input.shape)} and "
            f"pad {pad}"
        )
    x = input
    # reflect pads the lowest dim first, as tf.pad(mode='REFLECT') does: the same bits both ways
    order = range(n - 1, -1, -1) if mode == "reflect" else range(n)
    for i in order:
        dim = input.dim() - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        size = x.shape[dim]
        if before < 0 or after < 0:
            raise NotImplementedError(
                f"F.pad(mode={mode!r}): negative padding {pad} is only provided for mode 'constant'"
            )
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(
                f"F.pad(mode='reflect'): padding ({before}, {after}) should be less than the "
                f"input's size {size} in dim {dim}"
            )
        if mode == "circular" and (before > size or after > size):
            raise ValueError(
                f"F.pad(mode='circular'): padding ({before}, {after}) should be at most the "
                f"input's size {size} in dim {dim}"
            )
        if size == 0:
            raise RuntimeError(f"F.pad(mode={mode!r}): dim {dim} of the input is empty")
        if before or after:
            x = SP.pad_index(x, dim, before, after, mode)
    return x


def _pad_tuple(padding: Any, n: int) -> tuple[int, ...]:
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 * n:
            raise ValueError(f"padding must be an int or {2 * n} ints, got {padding!r}")
        return tuple(int(p) for p in padding)
    return (int(padding),) * (2 * n)


def _pad_module(name: str, mode: str, n: int, with_value: bool = False):
    class Pad(Module):
        def __init__(self, padding: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__()
            self.padding = _pad_tuple(padding, n)
            if with_value:
                value = args[0] if args else kwargs.pop("value", 0.0)
                self.value = float(value)

        def forward(self, input: Tensor) -> Tensor:
            """The padded input."""
            if mode == "constant":
                return F.pad(input, self.padding, "constant", getattr(self, "value", 0.0))
            return F.pad(input, self.padding, mode)

        def extra_repr(self) -> str:
            """Padding (and value)."""
            return f"{self.padding}" + (f", value={self.value}" if with_value else "")

    Pad.__name__ = Pad.__qualname__ = name
    Pad.__doc__ = f"Pad the last {n} dim(s) ({mode})."
    return Pad


ReflectionPad1d = _pad_module("ReflectionPad1d", "reflect", 1)
ReflectionPad2d = _pad_module("ReflectionPad2d", "reflect", 2)
ReflectionPad3d = _pad_module("ReflectionPad3d", "reflect", 3)
ReplicationPad1d = _pad_module("ReplicationPad1d", "replicate", 1)
ReplicationPad2d = _pad_module("ReplicationPad2d", "replicate", 2)
ReplicationPad3d = _pad_module("ReplicationPad3d", "replicate", 3)
CircularPad1d = _pad_module("CircularPad1d", "circular", 1)
CircularPad2d = _pad_module("CircularPad2d", "circular", 2)
CircularPad3d = _pad_module("CircularPad3d", "circular", 3)
ZeroPad3d = _pad_module("ZeroPad3d", "constant", 3)
ConstantPad3d = _pad_module("ConstantPad3d", "constant", 3, with_value=True)


# ---- bilinear ----------------------------------------------------------------------------------


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """y_o = x1^T W_o x2 + b_o, with weight (out, in1, in2) and inputs (*, in1), (*, in2)."""
    o, i1, i2 = (int(s) for s in weight.shape)
    if input1.shape[-1] != i1 or input2.shape[-1] != i2:
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} / input2 {tuple(input2.shape)} must end in "
            f"{i1} / {i2} features to match weight {tuple(weight.shape)}"
        )
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} must share "
            "their leading dims"
        )
    lead = tuple(input1.shape[:-1])
    a = input1.reshape(-1, i1)
    b = input2.reshape(-1, i2)
    w = weight.permute(1, 0, 2).reshape(i1, o * i2)
    y = ((a @ w).reshape(-1, o, i2) * b.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, o)


class Bilinear(Module):
    """bilinear as a module, weight and bias drawn from U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dt = _np_dtype(dtype)
        self.weight = Parameter(
            Tensor._make(np.zeros((out_features, in1_features, in2_features), dt))
        )
        if bias:
            self.bias = Parameter(Tensor._make(np.zeros(out_features, dt)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-1/sqrt(in1), 1/sqrt(in1)) for weight and bias."""
        bound = 1.0 / math.sqrt(self.in1_features)
        for p in (self.weight, self.bias):
            if p is not None:
                p._data[...] = core_init.uniform(tuple(p.shape), bound, p._data.dtype)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        """The bilinear form."""
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        """Sizes."""
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


# ---- fold --------------------------------------------------------------------------------------


def _ints(v: Any, n: int, name: str) -> tuple[int, ...]:
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(f"fold: {name} must be an int or {n} ints, got {v!r}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """col2im: sum the (N, C * kh * kw, L) blocks back into (N, C, H, W) (the adjoint of unfold)."""
    (h, w), (kh, kw) = _ints(output_size, 2, "output_size"), _ints(kernel_size, 2, "kernel_size")
    (dh, dw), (ph, pw) = _ints(dilation, 2, "dilation"), _ints(padding, 2, "padding")
    sh, sw = _ints(stride, 2, "stride")
    for what, vals in (("output_size", (h, w)), ("kernel_size", (kh, kw)),
                       ("dilation", (dh, dw)), ("stride", (sh, sw))):  # fmt: skip
        if min(vals) <= 0:
            raise RuntimeError(f"fold: {what} must be positive, got {vals}")
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    if x.dim() != 3:
        raise RuntimeError(
            f"fold: expected a 2-D or 3-D (N, C * kh * kw, L) input, got {tuple(input.shape)}"
        )
    n, ck, length = (int(s) for s in x.shape)
    hp, wp = h + 2 * ph, w + 2 * pw
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    if ck % (kh * kw) or oh * ow != length or oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"fold: input {tuple(input.shape)} does not match output_size {(h, w)}, kernel "
            f"{(kh, kw)}, dilation {(dh, dw)}, padding {(ph, pw)}, stride {(sh, sw)}: expected "
            f"dim 1 divisible by {kh * kw} and {max(oh, 0) * max(ow, 0)} blocks in dim 2"
        )
    c = ck // (kh * kw)
    # flat padded position of each (ki, kj, bi, bj) entry, in the input's (K, L) order
    rows = np.arange(kh)[:, None, None, None] * dh + np.arange(oh)[None, None, :, None] * sh
    cols = np.arange(kw)[None, :, None, None] * dw + np.arange(ow)[None, None, None, :] * sw
    idx = (rows * wp + cols).reshape(-1).astype(np.int64)
    cols_in = x.reshape(n, c, kh * kw * length)
    canvas = ops.fill_like(ops.getitem(cols_in, (slice(None), slice(None), slice(0, 1))), 0.0)
    canvas = ops.broadcast_to(canvas, (n, c, hp * wp))
    y = ops.scatter_add_like(cols_in, canvas, idx, 2)
    y = ops.reshape(y, (n, c, hp, wp))
    y = ops.getitem(y, (slice(None), slice(None), slice(ph, ph + h), slice(pw, pw + w)))
    return y[0] if unbatched else y


class Fold(Module):
    """fold as a module."""

    def __init__(
        self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
        stride: Any = 1,
    ) -> None:  # fmt: skip
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """Blocks summed back into images."""
        return fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )


# ---- dropout variants --------------------------------------------------------------------------


def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _channel_dropout(op: str, input: Tensor, p: float, training: bool, spatial: int) -> Tensor:
    _check_p(op, p)
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{op}: expected a {spatial + 1}-D or {spatial + 2}-D input, got {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    shape = list(input.shape[: input.dim() - spatial]) + [1] * spatial
    keep = (_cr.rand(*shape, dtype=input.dtype) >= p).to(input.dtype)
    return input * keep / (1.0 - p)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p while training."""
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p while training."""
    return _channel_dropout("dropout3d", input, p, training, 3)


_SELU_ALPHA = 1.7580993408473766  # scale * alpha of SELU: the value dropped units take (negated)


def _alpha(op: str, input: Tensor, p: float, training: bool, feature: bool) -> Tensor:
    _check_p(op, p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    shape = list(input.shape)
    if feature:
        shape = shape[:2] + [1] * (len(shape) - 2)
    keep = (_cr.rand(*shape, dtype=input.dtype) >= p).to(input.dtype)
    a = 1.0 / math.sqrt((_SELU_ALPHA**2 * p + 1) * (1 - p))
    b = (keep - 1.0) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    return input * (keep * a) + b


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout that keeps SELU's zero mean and unit variance (dropped units take -alpha')."""
    return _alpha("alpha_dropout", input, p, training, False)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """alpha_dropout of whole channels."""
    return _alpha("feature_alpha_dropout", input, p, training, True)


def _dropout_module(name: str, fn: Any):
    class Drop(Module):
        def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
            super().__init__()
            _check_p(name, p)
            self.p, self.inplace = p, inplace

        def forward(self, input: Tensor) -> Tensor:
            """Dropout while training, identity in eval mode."""
            return fn(input, self.p, self.training)

        def extra_repr(self) -> str:
            """Options."""
            return f"p={self.p}, inplace={self.inplace}"

    Drop.__name__ = Drop.__qualname__ = name
    Drop.__doc__ = f"{fn.__name__} as a module."
    return Drop


Dropout1d = _dropout_module("Dropout1d", dropout1d)
Dropout3d = _dropout_module("Dropout3d", dropout3d)
AlphaDropout = _dropout_module("AlphaDropout", alpha_dropout)
FeatureAlphaDropout = _dropout_module("FeatureAlphaDropout", feature_alpha_dropout)


# ---- upsample aliases, Unflatten ---------------------------------------------------------------


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """The old name of interpolate(mode='nearest')."""
    return F.interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """The old name of interpolate(mode='bilinear', align_corners=True)."""
    return F.interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size`."""

    def __init__(self, dim: int | str, unflattened_size: Any) -> None:
        super().__init__()
        if isinstance(dim, str):
            raise NotImplementedError("Unflatten: named dims are not provided; pass an int dim")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        """The input with dim `dim` split."""
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        """Options."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _Factor(Module):
    _fn: Any = None
    _arg = ""

    def __init__(self, factor: int) -> None:
        super().__init__()
        setattr(self, self._arg, factor)

    def forward(self, input: Tensor) -> Tensor:
        """The rearranged input."""
        return type(self)._fn(input, getattr(self, self._arg))

    def extra_repr(self) -> str:
        """Options."""
        return f"{self._arg}={getattr(self, self._arg)}"


class PixelShuffle(_Factor):
    """pixel_shuffle as a module."""

    _fn, _arg = staticmethod(pixel_shuffle), "upscale_factor"

    def __init__(self, upscale_factor: int) -> None:
        super().__init__(upscale_factor)


class PixelUnshuffle(_Factor):
    """pixel_unshuffle as a module."""

    _fn, _arg = staticmethod(pixel_unshuffle), "downscale_factor"

    def __init__(self, downscale_factor: int) -> None:
        super().__init__(downscale_factor)


class ChannelShuffle(_Factor):
    """channel_shuffle as a module."""

    _fn, _arg = staticmethod(channel_shuffle), "groups"

    def __init__(self, groups: int) -> None:
        super().__init__(groups)


FUNCTIONS = [
    "alpha_dropout", "bilinear", "channel_shuffle", "dropout1d", "dropout3d",
    "feature_alpha_dropout", "fold", "pixel_shuffle", "pixel_unshuffle", "upsample_bilinear",
    "upsample_nearest",
]  # fmt: skip
MODULES = [
    "AlphaDropout", "Bilinear", "ChannelShuffle", "CircularPad1d", "CircularPad2d",
    "CircularPad3d", "ConstantPad3d", "Dropout1d", "Dropout3d", "FeatureAlphaDropout", "Fold",
    "PixelShuffle", "PixelUnshuffle", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "Unflatten", "ZeroPad3d",
]  # fmt: skip
