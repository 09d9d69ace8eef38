"""Weight initialisers both frontends draw from the shared random stream."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .random import Generator, default_generator


def fans(shape: tuple, layout: str = "out_in") -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape: PyTorch's (out, in, *k) or TF's (*k, in, out)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need at least 2 dimensions, got shape {shape}")
    if layout == "out_in":
        receptive = math.prod(shape[2:])
        return shape[1] * receptive, shape[0] * receptive
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def uniform(shape, bound: float, dtype=dtypes.float32, gen: Generator | None = None):
    """Uniform on [-bound, bound)."""
    return (gen or default_generator).uniform(shape, dtype, -bound, bound)


def glorot_uniform(shape, layout: str = "in_out", dtype=dtypes.float32, gen=None) -> np.ndarray:
    """Xavier/Glorot uniform: bound sqrt(6 / (fan_in + fan_out)) (TF's dense default)."""
    fi, fo = fans(tuple(shape), layout)
    return uniform(shape, math.sqrt(6.0 / (fi + fo)), dtype, gen)


def kaiming_uniform(
    shape, a: float = math.sqrt(5), layout: str = "out_in", dtype=dtypes.float32, gen=None
) -> np.ndarray:
    """He/Kaiming uniform with leaky slope a (a = sqrt(5) is PyTorch's Linear default)."""
    fi, _ = fans(tuple(shape), layout)
    gain = math.sqrt(2.0 / (1 + a * a))
    return uniform(shape, gain * math.sqrt(3.0 / fi), dtype, gen)


def linear_bias(out_features: int, fan_in: int, dtype=dtypes.float32, gen=None) -> np.ndarray:
    """PyTorch's default Linear/Conv bias: uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform((out_features,), bound, dtype, gen)
