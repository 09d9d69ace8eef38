"""More of ``torch.nn.functional``: activations, 1-D convolution and pooling, robust losses.

Each is composed of eager tensor operations (so of core ops): gradients come from the shared
rules, with no new kernels.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....core import ops
from .. import _convert as C
from .. import functions as _fn
from .. import surface as _sf
from ..tensor import Tensor
from . import functional as F

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact, with erf) or its tanh approximation (``approximate="tanh"``)."""
    x = C.floating(input)
    if approximate == "none":
        return x * 0.5 * (1.0 + _sf.erf(x / _SQRT_2))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + _fn.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    x = C.floating(input)
    bx = x * beta
    # the exp is taken of min(bx, threshold) so the unused branch never overflows
    cap = threshold if threshold == threshold else math.inf  # NaN: every x takes the log
    soft = _fn.log(1.0 + _fn.exp(_fn.clamp(bx, max=cap))) / beta
    return _fn.where(bx > threshold, x, soft)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    x = C.floating(input)
    neg = alpha * (_fn.exp(_fn.clamp(x, max=0.0)) - 1.0)
    return _fn.where(x > 0, x, neg)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(input, alpha)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    x = C.floating(input)
    return x * _fn.sigmoid(x)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x)."""
    return -softplus(-C.floating(input))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = C.floating(input)
    return x / (1.0 + _fn.abs(x))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:  # PyTorch refuses it (clamp would silently give max_val everywhere)
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        raise RuntimeError("hardtanh: Bool inputs not supported")
    # the bounds take the input's dtype (PyTorch's hardtanh keeps an integer input integer)
    dt = input._data.dtype if isinstance(input, Tensor) else None
    if dt is not None and dt.kind != "f":
        info = np.iinfo(dt)
        for bound in (min_val, max_val):  # as torch: the bound must fit the integer dtype
            if not info.min <= float(bound) <= info.max:  # NaN and inf too
                raise RuntimeError(
                    f"hardtanh: value {bound} cannot be converted to type {dt} without overflow"
                )
        return _fn.clamp(input, np.asarray(min_val).astype(dt), np.asarray(max_val).astype(dt))
    return _fn.clamp(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """x clamped to [0, 6] (hardtanh's, so an integer input stays integer)."""
    return hardtanh(input, 0.0, 6.0)


def _reduce(per: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    if reduction == "none":
        return per
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


def smooth_l1_loss(
    input: Tensor,
    target: Any,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    if not beta >= 0:  # NaN too
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    a, b = F._regression_pair(input, target)
    d = _fn.abs(a - b)
    if beta == 0:
        per = d
    else:
        per = _fn.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(per, F._reduction(size_average, reduce, reduction), "smooth_l1_loss")


def huber_loss(
    input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (times an element `weight`;
    torch's weighted 'mean' is the plain mean of the weighted terms)."""
    if not delta > 0:
        raise RuntimeError(
            f"huber_loss does not support non-positive values for delta, got {delta}"
        )
    a, b = F._regression_pair(input, target)
    d = _fn.abs(a - b)
    per = _fn.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        from .weighted_losses import weighted_regression

        return weighted_regression(per, input, weight, reduction, "huber_loss", False)
    return _reduce(per, reduction, "huber_loss")


def _single(v: Any, name: str) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{name}: expected one value for a 1-D operation, got {v!r}")
        return int(v[0])
    return int(v)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution of (N, C, L) input with (O, C, k) filters: a 2-D convolution of height 1."""
    if input.dim() != 3 or weight.dim() != 3:
        raise RuntimeError(
            f"conv1d: expected 3-D input (N, C, L) and weight (O, C, k), got input shape "
            f"{tuple(input.shape)} and weight shape {tuple(weight.shape)}"
        )
    pad = padding if isinstance(padding, str) else (0, _single(padding, "conv1d padding"))
    out = F.conv2d(
        input.unsqueeze(2),
        weight.unsqueeze(2),
        bias,
        (1, _single(stride, "conv1d stride")),
        pad,
        (1, _single(dilation, "conv1d dilation")),
        groups,
    )
    return out.squeeze(2)


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """1-D max pooling over (N, C, L): a 2-D pooling of height 1."""
    if return_indices or dilation not in (1, (1,), [1]):
        from .functional_more2 import max_pool_with_indices

        return max_pool_with_indices(
            1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
        )
    k = _single(kernel_size, "max_pool1d kernel_size")
    s = k if stride is None else _single(stride, "max_pool1d stride")
    out = F.max_pool2d(input.unsqueeze(2), (1, k), (1, s), (0, _single(padding, "padding")),
                       dilation, ceil_mode, return_indices)  # fmt: skip
    return out.squeeze(2)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over (N, C, L): a 2-D pooling of height 1."""
    k = _single(kernel_size, "avg_pool1d kernel_size")
    s = k if stride is None else _single(stride, "avg_pool1d stride")
    out = F.avg_pool2d(input.unsqueeze(2), (1, k), (1, s), (0, _single(padding, "padding")),
                       ceil_mode, count_include_pad)  # fmt: skip
    return out.squeeze(2)


__all__ = [
    "avg_pool1d", "conv1d", "elu", "gelu", "hardtanh", "huber_loss", "logsigmoid", "max_pool1d",
    "relu6", "selu", "silu", "smooth_l1_loss", "softplus", "softsign",
]  # fmt: skip


def _two(v: Any, name: str) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name}: expected an int or a pair, got {v!r}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 2-D convolution: the input-gradient of the conv2d it undoes, with weight
    (C_in, C_out, kh, kw); output_padding adds rows/columns at the bottom/right."""
    if groups != 1:
        raise NotImplementedError(f"conv_transpose2d: groups={groups}; only groups=1 is supported")
    if input.dim() != 4 or weight.dim() != 4 or input.shape[1] != weight.shape[0]:
        raise RuntimeError(
            f"conv_transpose2d: expected input (N, C_in, H, W) and weight (C_in, C_out, kh, kw), "
            f"got input shape {tuple(input.shape)} and weight shape {tuple(weight.shape)}"
        )
    (sh, sw), (ph, pw) = _two(stride, "stride"), _two(padding, "padding")
    (oh, ow), (dh, dw) = _two(output_padding, "output_padding"), _two(dilation, "dilation")
    if oh >= max(sh, dh) or ow >= max(sw, dw):
        raise ValueError(
            f"conv_transpose2d: output_padding {(oh, ow)} must be smaller than stride "
            f"{(sh, sw)} or dilation {(dh, dw)}"
        )
    n, _, h, w = input.shape
    kh, kw = weight.shape[2], weight.shape[3]
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    wo = (w - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    like = np.zeros((n, weight.shape[1], ho, wo), dtype=input._data.dtype)
    y = ops.conv2d_input_grad(input, weight, like, (sh, sw), (ph, ph, pw, pw), (dh, dw),
                              "NCHW", "OIHW")  # fmt: skip
    if bias is None:
        return y
    return y + bias.reshape(1, -1, 1, 1)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 1-D convolution over (N, C_in, L) with weight (C_in, C_out, k)."""
    out = conv_transpose2d(
        input.unsqueeze(2),
        weight.unsqueeze(2),
        bias,
        (1, _single(stride, "stride")),
        (0, _single(padding, "padding")),
        (0, _single(output_padding, "output_padding")),
        groups,
        (1, _single(dilation, "dilation")),
    )
    return out.squeeze(2)


__all__ += ["conv_transpose1d", "conv_transpose2d"]
