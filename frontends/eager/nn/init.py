"""``torch.nn.init``: in-place initialisers drawing from the shared random stream (core.init)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ....core import init as core_init
from ....core import random as core_random
from ..grad_mode import no_grad
from ..tensor import Tensor

_GAINS = {
    "linear": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")
    return _GAINS[nonlinearity]


def _write(tensor: Tensor, values: Any) -> Tensor:
    with no_grad():
        tensor.copy_(Tensor._make(values))
    return tensor


def _fans(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    return core_init.fans(tuple(tensor.shape), "out_in")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with draws uniform on [a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with normal draws."""
    with no_grad():
        return tensor.normal_(mean, std, generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> Tensor:
    """Fill with normal(mean, std) draws redrawn until within [a, b] (absolute bounds).

    With a = mean - 2 std and b = mean + 2 std the draws are those of TF's truncated_normal for
    the same seed. Draws are redrawn (rejection), so [a, b] must hold a fair share of the mass.
    """
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    low, high = (a - mean) / std, (b - mean) / std
    mass = 0.5 * (math.erf(high / math.sqrt(2.0)) - math.erf(low / math.sqrt(2.0)))
    if not (b > a and mass >= 1e-4):
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds {mass:.2g} of normal({mean}, {std})'s mass; "
            "give bounds with a < b that hold at least 1e-4 of it"
        )
    gen = core_random.default_generator if generator is None else generator._gen
    vals = gen.truncated_normal(tuple(tensor.shape), tensor._data.dtype, mean, std, low, high)
    return _write(tensor, vals)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with a constant."""
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot/Xavier uniform: bound gain * sqrt(6 / (fan_in + fan_out))."""
    gen = None if generator is None else generator._gen
    if gain == 1.0:
        vals = core_init.glorot_uniform(tuple(tensor.shape), "out_in", tensor._data.dtype, gen)
    else:
        fi, fo = _fans(tensor)
        bound = gain * math.sqrt(6.0 / (fi + fo))
        vals = core_init.uniform(tuple(tensor.shape), bound, tensor._data.dtype, gen)
    return _write(tensor, vals)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot/Xavier normal: std gain * sqrt(2 / (fan_in + fan_out))."""
    fi, fo = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fi + fo)), generator)


def _fan(tensor: Tensor, mode: str) -> int:
    fi, fo = _fans(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    return fi if mode == "fan_in" else fo


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He/Kaiming uniform: bound gain * sqrt(3 / fan)."""
    gen = None if generator is None else generator._gen
    if mode == "fan_in" and nonlinearity == "leaky_relu":
        # the very draw nn.Linear's default init makes (shared with the graph frontend)
        vals = core_init.kaiming_uniform(tuple(tensor.shape), a, "out_in", tensor._data.dtype, gen)
    else:
        gain = calculate_gain(nonlinearity, a)
        bound = gain * math.sqrt(3.0 / _fan(tensor, mode))
        vals = core_init.uniform(tuple(tensor.shape), bound, tensor._data.dtype, gen)
    return _write(tensor, vals)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He/Kaiming normal: std gain / sqrt(fan)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a matrix with the identity."""
    import numpy as np

    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape, dtype=tensor._data.dtype))


def _deprecated(name: str, fn: Any) -> Any:
    def alias(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"nn.init.{name} is now deprecated in favor of nn.init.{name}_.",
            FutureWarning,
            stacklevel=2,
        )
        return fn(*args, **kwargs)

    alias.__name__ = name
    alias.__doc__ = f"Deprecated spelling of {name}_ (warns, then calls it)."
    return alias


# the pre-0.4 spellings without the trailing underscore, still found in tutorials
xavier_uniform = _deprecated("xavier_uniform", xavier_uniform_)
xavier_normal = _deprecated("xavier_normal", xavier_normal_)
kaiming_uniform = _deprecated("kaiming_uniform", kaiming_uniform_)
kaiming_normal = _deprecated("kaiming_normal", kaiming_normal_)
uniform = _deprecated("uniform", uniform_)
normal = _deprecated("normal", normal_)
constant = _deprecated("constant", constant_)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix from the QR of normal draws (trailing dims flattened),
    scaled by `gain`, as PyTorch does."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    if tensor.numel() == 0:
        return tensor
    flat = Tensor._make(np.zeros((rows, cols), tensor._data.dtype))
    with no_grad():
        flat.normal_(0.0, 1.0, generator)
    a = flat._data.astype(np.float64)
    if rows < cols:
        a = a.T
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))  # the sign convention that makes Q unique (as PyTorch's)
    if rows < cols:
        q = q.T
    return _write(tensor, (gain * q).reshape(tensor.shape).astype(tensor._data.dtype))


# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.nn.init", globals())
from .init_more3 import dirac, dirac_, eye, orthogonal, sparse, sparse_  # noqa: E402, F401
