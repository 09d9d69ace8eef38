"""More activations: ``celu``, ``glu``, ``hardshrink``, ``hardsigmoid``, ``mish``, ``rrelu``,
``softmin``, ``softshrink``, ``tanhshrink``, ``threshold``, ``gumbel_softmax``, the in-place
``F.*_`` forms, and their modules.

Each is composed of eager tensor operations (so of core ops); the in-place forms compute out of
place and write back through `inplace.apply`, so autograd sees them as torch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _convert as C
from .. import creation as _cr
from .. import functions as _fn
from .. import inplace as _ip
from ..tensor import Tensor
from . import functional as F
from .module import Module


def _maybe_inplace(input: Tensor, inplace: bool, op: str, fn: Any) -> Tensor:
    """fn(input), written into input when `inplace` (as torch's inplace=True)."""
    if inplace:
        return _ip.apply(input, op, fn)
    return fn(input)


def _cr_expm1(x: Tensor) -> Tensor:
    from ..math_more import expm1

    return expm1(x)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be zero (it divides x)")

    def fn(x: Tensor) -> Tensor:
        x = C.floating(x)
        # expm1, as PyTorch: exp(x / alpha) - 1 rounds to 0 for a huge alpha
        neg = alpha * _cr_expm1(_fn.clamp(x, max=0.0) / alpha)
        return _fn.where(x > 0, x, neg)

    return _maybe_inplace(input, inplace, "celu_", fn)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of `input` along `dim`."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"glu: halving dimension must be even, but dimension {dim} is size {size}"
        )
    a, b = input.chunk(2, dim)
    return a * _fn.sigmoid(b)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    x = C.floating(input)
    # PyTorch's test: 0 inside [-lambd, lambd], x elsewhere (a NaN lambd keeps every x)
    return _fn.where((x >= -lambd) & (x <= lambd), _cr.zeros_like(x), x)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6 (0 below -3, 1 above 3)."""

    def fn(x: Tensor) -> Tensor:
        x = C.floating(x)
        # constants, not x * 0: an infinite x gives 0 or 1, not NaN
        zero, one = _cr.zeros_like(x), _cr.ones_like(x)
        return _fn.where(x <= -3.0, zero, _fn.where(x >= 3.0, one, x / 6.0 + 0.5))

    return _maybe_inplace(input, inplace, "hardsigmoid_", fn)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""

    def fn(x: Tensor) -> Tensor:
        x = C.floating(x)
        return x * _fn.tanh(F.softplus(x))

    return _maybe_inplace(input, inplace, "mish_", fn)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if not 0 <= lambd <= np.finfo(np.float32).max:  # NaN and inf too, as PyTorch
        raise RuntimeError(
            f"softshrink: lambda must be in range [0, {np.finfo(np.float32).max:g}], "
            f"but found {lambd}"
        )
    x = C.floating(input)
    return _fn.where(x > lambd, x - lambd, _fn.where(x < -lambd, x + lambd, x * 0.0))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    x = C.floating(input)
    return x - _fn.tanh(x)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """`value` where x <= threshold, else x (a NaN input or threshold keeps x, as PyTorch)."""

    def fn(x: Tensor) -> Tensor:
        return _fn.where(x <= threshold, value, x)

    return _maybe_inplace(input, inplace, "threshold_", fn)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None):
    """softmax(-input) along `dim`."""
    if dim is None:
        dim = 0 if input.dim() in (0, 1, 3) else 1  # torch's legacy implicit choice
    x = input if dtype is None else input.to(dtype)
    return _fn.softmax(-x, dim)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Leaky ReLU with a slope drawn from U(lower, upper) per element while training (from the
    shared random stream), the mean slope (lower + upper) / 2 otherwise."""
    if not lower <= upper:  # NaN bounds too, as PyTorch
        raise ValueError(f"rrelu: lower bound {lower} must not exceed upper bound {upper}")
    if not np.isfinite(upper):
        raise RuntimeError(f"rrelu: upper bound must be finite, got {upper}")
    if not np.isfinite(lower):
        raise RuntimeError(f"rrelu: lower bound must be finite, got {lower}")

    def fn(x: Tensor) -> Tensor:
        x = C.floating(x)
        if training:
            u = _cr.rand(*x.shape, dtype=x.dtype)
            slope = u * (upper - lower) + lower
        else:
            slope = (lower + upper) / 2.0
        return _fn.where(x >= 0, x, x * slope)

    return _maybe_inplace(input, inplace, "rrelu_", fn)


def gumbel_softmax(
    logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """softmax((logits + g) / tau) with Gumbel(0, 1) noise g from the shared random stream; with
    `hard`, the one-hot of its argmax whose gradient is the soft sample's (straight-through)."""
    u = _cr.rand(*logits.shape, dtype=logits.dtype)
    exp1 = -_fn.log(1.0 - u)  # an Exponential(1) draw
    gumbels = -_fn.log(exp1)
    y_soft = _fn.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = _cr.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


_threshold = threshold


# ---- in-place forms ----------------------------------------------------------------------------


def relu_(input: Tensor) -> Tensor:
    """relu written into input."""
    return input.relu_()


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu written into input."""
    return _ip.apply(input, "elu_", lambda x: F.elu(x, alpha))


def selu_(input: Tensor) -> Tensor:
    """selu written into input."""
    return _ip.apply(input, "selu_", F.selu)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu written into input."""
    return celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu written into input."""
    return _ip.apply(input, "leaky_relu_", lambda x: F.leaky_relu(x, negative_slope))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh written into input."""
    return _ip.apply(input, "hardtanh_", lambda x: F.hardtanh(x, min_val, max_val))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold written into input."""
    return _threshold(input, threshold, value, inplace=True)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """rrelu written into input."""
    return rrelu(input, lower, upper, training, inplace=True)


# ---- modules -----------------------------------------------------------------------------------


class CELU(Module):
    """celu as a module."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        """celu of the input."""
        return celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        """Options."""
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    """glu as a module."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """glu of the input."""
        return glu(input, self.dim)

    def extra_repr(self) -> str:
        """Options."""
        return f"dim={self.dim}"


class Hardshrink(Module):
    """hardshrink as a module."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        """hardshrink of the input."""
        return hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        """Options."""
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """softshrink as a module."""

    def forward(self, input: Tensor) -> Tensor:
        """softshrink of the input."""
        return softshrink(input, self.lambd)


class Hardsigmoid(Module):
    """hardsigmoid as a module."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """hardsigmoid of the input."""
        return hardsigmoid(input, self.inplace)


class Mish(Hardsigmoid):
    """mish as a module."""

    def forward(self, input: Tensor) -> Tensor:
        """mish of the input."""
        return mish(input, self.inplace)


class Tanhshrink(Module):
    """tanhshrink as a module."""

    def forward(self, input: Tensor) -> Tensor:
        """tanhshrink of the input."""
        return tanhshrink(input)


class Threshold(Module):
    """threshold as a module."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        """threshold of the input."""
        return threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        """Options."""
        return f"threshold={self.threshold}, value={self.value}"


class Softmin(Module):
    """softmin as a module."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """softmin of the input."""
        return softmin(input, self.dim)

    def extra_repr(self) -> str:
        """Options."""
        return f"dim={self.dim}"


class Softmax2d(Module):
    """softmax over the channels of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input: Tensor) -> Tensor:
        """Softmax along dim -3."""
        if input.dim() not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D input of shape "
                f"{tuple(input.shape)}"
            )
        return _fn.softmax(input, -3)


class RReLU(Module):
    """rrelu as a module (random slopes in training mode, the mean slope in eval mode)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        """rrelu of the input."""
        return rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        """Options."""
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" * self.inplace)


FUNCTIONS = [
    "celu", "celu_", "elu_", "glu", "gumbel_softmax", "hardshrink", "hardsigmoid", "hardtanh_",
    "leaky_relu_", "mish", "relu_", "rrelu", "rrelu_", "selu_", "softmin", "softshrink",
    "tanhshrink", "threshold", "threshold_",
]  # fmt: skip
MODULES = [
    "CELU", "GLU", "Hardshrink", "Hardsigmoid", "Mish", "RReLU", "Softmax2d", "Softmin",
    "Softshrink", "Tanhshrink", "Threshold",
]  # fmt: skip
