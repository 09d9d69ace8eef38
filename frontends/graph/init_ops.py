"""Initializers (`tf.zeros_initializer()`, `tf.glorot_uniform_initializer()`, ...): callables
returning the tensor that a variable's initializer assigns. Random ones draw when the initializer
runs, from the shared stream; Glorot uniform draws through `core/init.py`, so a TF-style dense
layer starts with the same bits as the eager `nn.Linear(..., init="glorot_uniform")`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core.primitives import dynamic as X
from ...core.primitives import randomness
from . import dtypes as tfd
from .convert import constant
from .graph import get_default_graph
from .shapes import TensorShape
from .tensor import Tensor


def _shape(shape: Any) -> tuple:
    s = TensorShape(shape)
    if not s.is_fully_defined():
        raise ValueError(f"an initializer needs a fully defined shape, got {s}")
    return tuple(s)


def _tf_fans(shape: tuple) -> tuple[float, float]:
    # TF's rule: (*receptive, in, out); 1-D shapes use their length for both, 0-D use 1
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class Initializer:
    """Base class: `init(shape, dtype=None, partition_info=None)` returns a Tensor."""

    dtype: tfd.DType = tfd.float32

    def __init__(self, dtype: Any = tfd.float32) -> None:
        self.dtype = tfd.as_dtype(dtype)

    def _dt(self, dtype: Any) -> tfd.DType:
        return tfd.as_dtype(dtype) if dtype is not None else self.dtype

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The initializer's settings."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = self._dt(dtype)
        return constant(np.zeros(_shape(shape), dt.np_dtype), dt, name="zeros")


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = self._dt(dtype)
        return constant(np.ones(_shape(shape), dt.np_dtype), dt, name="ones")


class Constant(Initializer):
    """A fixed value (a scalar fills the shape; an array must have it)."""

    def __init__(self, value: Any = 0, dtype: Any = tfd.float32, verify_shape: bool = False):
        super().__init__(dtype)
        self.value = value

    def __call__(self, shape, dtype=None, partition_info=None):
        return constant(self.value, self._dt(dtype), shape=_shape(shape), name="Const")


def _random(prim, type_name: str, shape, dt: tfd.DType, **params) -> Tensor:
    if not dt.is_floating:
        raise TypeError(f"{type_name}: random initializers need a float dtype, got {dt.name}")
    g = get_default_graph()
    full = dict(shape=_shape(shape), dtype=dt.np_dtype, **params)
    return g.build_op(type_name, None, lambda: g.apply(prim, (), full))


class RandomNormal(Initializer):
    """Normal draws with `mean` and `stddev` (seed ignored: one shared stream)."""

    def __init__(
        self, mean: float = 0.0, stddev: float = 1.0, seed: Any = None, dtype: Any = tfd.float32
    ) -> None:
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return _random(
            randomness.RANDOM_NORMAL,
            "random_normal",
            shape,
            self._dt(dtype),
            mean=self.mean,
            std=self.stddev,
        )


class TruncatedNormal(RandomNormal):
    """Normal draws within two standard deviations."""

    def __call__(self, shape, dtype=None, partition_info=None):
        return _random(
            randomness.TRUNCATED_NORMAL,
            "truncated_normal",
            shape,
            self._dt(dtype),
            mean=self.mean,
            std=self.stddev,
        )


class RandomUniform(Initializer):
    """Uniform draws on [minval, maxval)."""

    def __init__(
        self, minval: float = 0.0, maxval: float = 1.0, seed: Any = None, dtype: Any = tfd.float32
    ) -> None:
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = float(minval), float(maxval), seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return _random(
            randomness.RANDOM_UNIFORM,
            "random_uniform",
            shape,
            self._dt(dtype),
            low=self.minval,
            high=self.maxval,
        )


class VarianceScaling(Initializer):
    """Draws scaled by the fans: std (or bound) = sqrt(scale / n), n by `mode`."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
        dtype: Any = tfd.float32,
    ) -> None:
        super().__init__(dtype)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = float(scale), mode, distribution, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        dt = self._dt(dtype)
        fan_in, fan_out = _tf_fans(_shape(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            bound = math.sqrt(3.0 * scale)
            return _random(
                randomness.RANDOM_UNIFORM, "random_uniform", shape, dt, low=-bound, high=bound
            )
        if self.distribution == "truncated_normal":
            std = math.sqrt(scale) / 0.87962566103423978  # the std of a 2-sigma truncated normal
            return _random(
                randomness.TRUNCATED_NORMAL, "truncated_normal", shape, dt, mean=0.0, std=std
            )
        return _random(
            randomness.RANDOM_NORMAL, "random_normal", shape, dt, mean=0.0, std=math.sqrt(scale)
        )


class GlorotUniform(VarianceScaling):
    """Uniform on +-sqrt(6 / (fan_in + fan_out)), drawn by core/init.py's glorot_uniform.

    `layout` is the kernel's layout: TF's (in, out) by default, or "out_in" for a kernel
    stored the PyTorch way.
    """

    def __init__(self, seed: Any = None, dtype: Any = tfd.float32, layout: str = "in_out"):
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)
        self.layout = layout

    def __call__(self, shape, dtype=None, partition_info=None):
        s = _shape(shape)
        if len(s) < 2:
            return super().__call__(s, dtype, partition_info)  # TF's fans for vectors
        dt = self._dt(dtype)
        if not dt.is_floating:
            raise TypeError(f"glorot_uniform: needs a float dtype, got {dt.name}")
        params = X.init_draw_params("glorot_uniform", s, dt.np_dtype, self.layout)
        g = get_default_graph()
        return g.build_op(
            "GlorotUniform",
            None,
            lambda: g.apply(X.INIT_DRAW, (), params),
            default="glorot_uniform",
        )


class GlorotNormal(VarianceScaling):
    """Truncated normal with std sqrt(2 / (fan_in + fan_out)) (corrected for the truncation)."""

    def __init__(self, seed: Any = None, dtype: Any = tfd.float32) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
random_uniform_initializer = RandomUniform
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal


def he_normal(seed: Any = None) -> VarianceScaling:
    """Truncated normal with std sqrt(2 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: Any = None) -> VarianceScaling:
    """Uniform on +-sqrt(6 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: Any = None) -> VarianceScaling:
    """Truncated normal with std sqrt(1 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: Any = None) -> VarianceScaling:
    """Uniform on +-sqrt(3 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)
