"""`tf.distributions` (Normal, Categorical, Bernoulli, Uniform, Laplace, kl_divergence) and
`tf.random.categorical` / `tf.multinomial`; the math is core.distributions, shared with the
eager style. Samples are random ops drawing from the shared stream when the graph runs; the
categorical draw is the same Gumbel-max over the same uniforms in both styles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core import distributions as D
from ...core import domain, ops
from . import array_ops, math_ops, random_ops
from .convert import convert_to_tensor
from .dtypes import float32, int32, int64
from .errors import InvalidArgumentError
from .shapes import TensorShape
from .tensor import Tensor


def _t(x: Any, dtype: Any = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    # as TF: a numpy float array keeps its dtype, Python numbers and integers become float32
    keep = isinstance(x, (np.ndarray, np.floating)) and arr.dtype.kind == "f"
    if dtype is None and arr.dtype.kind in "fiu" and not keep:
        arr = arr.astype(np.float32)
    return convert_to_tensor(arr, dtype=dtype)


def _static(t: Tensor, what: str) -> tuple:
    shape = t.shape
    if not shape.is_fully_defined():
        raise ValueError(
            f"tf.distributions: sampling needs a fully defined {what} shape, got {shape}"
        )
    return tuple(shape)


def _sample_shape(sample_shape: Any) -> tuple:
    if isinstance(sample_shape, int):
        return (sample_shape,)
    return tuple(int(d) for d in sample_shape)


def _broadcast(a: Tensor, b: Tensor) -> tuple:
    shape = D.broadcast_shape(_static(a, "parameter"), _static(b, "parameter"))
    return (
        a if tuple(a.shape) == shape else ops.broadcast_to(a, shape),
        b if tuple(b.shape) == shape else ops.broadcast_to(b, shape),
    )


class Distribution:
    """Base class: shapes, prob from log_prob, stddev from variance."""

    reparameterization_type = None

    def __init__(self, validate_args: bool = False, allow_nan_stats: bool = True, name: Any = None):
        self.validate_args = validate_args
        self.allow_nan_stats = allow_nan_stats
        self.name = name or type(self).__name__

    @property
    def batch_shape(self) -> TensorShape:
        """The shape of independent parameter sets."""
        return TensorShape(self._batch)

    @property
    def event_shape(self) -> TensorShape:
        """The shape of one draw."""
        return TensorShape(())

    def prob(self, value: Any, name: str = "prob") -> Tensor:
        """exp(log_prob(value))."""
        return math_ops.exp(self.log_prob(value))

    def stddev(self, name: str = "stddev") -> Tensor:
        """sqrt(variance)."""
        return math_ops.sqrt(self.variance())

    def kl_divergence(self, other: Distribution, name: str = "kl_divergence") -> Tensor:
        """KL(self || other)."""
        return kl_divergence(self, other)

    def cross_entropy(self, other: Distribution, name: str = "cross_entropy") -> Tensor:
        """H(self, other) = H(self) + KL(self || other)."""
        return self.entropy() + kl_divergence(self, other)


class Normal(Distribution):
    """N(loc, scale)."""

    reparameterization_type = "FULLY_REPARAMETERIZED"

    def __init__(self, loc: Any, scale: Any, validate_args: bool = False, **kw: Any) -> None:
        super().__init__(validate_args, **kw)
        loc = _t(loc)
        self.loc, self.scale = _broadcast(loc, _t(scale, loc.dtype))
        self._batch = tuple(self.loc.shape)

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """loc + scale * eps, eps standard normal drawn when the graph runs."""
        shape = _sample_shape(sample_shape) + self._batch
        eps = random_ops.random_normal(shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """log N(value; loc, scale)."""
        return D.normal_log_prob(_t(value, self.loc.dtype), self.loc, self.scale)

    def cdf(self, value: Any, name: str = "cdf") -> Tensor:
        """The normal cdf."""
        return D.normal_cdf(_t(value, self.loc.dtype), self.loc, self.scale)

    def quantile(self, value: Any, name: str = "quantile") -> Tensor:
        """The inverse cdf: loc + scale * sqrt(2) * erfinv(2 value - 1)."""
        return D.normal_icdf(_t(value, self.loc.dtype), self.loc, self.scale)

    def entropy(self, name: str = "entropy") -> Tensor:
        """0.5 log(2 pi e scale^2)."""
        return D.normal_entropy(self.scale)

    def mean(self, name: str = "mean") -> Tensor:
        """loc."""
        return self.loc

    def mode(self, name: str = "mode") -> Tensor:
        """loc."""
        return self.loc

    def variance(self, name: str = "variance") -> Tensor:
        """scale^2."""
        return math_ops.square(self.scale)

    def stddev(self, name: str = "stddev") -> Tensor:
        """scale."""
        return self.scale


class Laplace(Normal):
    """Laplace(loc, scale)."""

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """loc - scale sign(u) log(1 - |u|), u uniform on (-1, 1)."""
        shape = _sample_shape(sample_shape) + self._batch
        u = random_ops.random_uniform(shape, -1.0, 1.0, dtype=self.loc.dtype)
        return D.laplace_rsample(self.loc, self.scale, u)

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """-log(2 scale) - |value - loc| / scale."""
        return D.laplace_log_prob(_t(value, self.loc.dtype), self.loc, self.scale)

    def cdf(self, value: Any, name: str = "cdf") -> Tensor:
        """The Laplace cdf."""
        return D.laplace_cdf(_t(value, self.loc.dtype), self.loc, self.scale)

    def entropy(self, name: str = "entropy") -> Tensor:
        """1 + log(2 scale)."""
        return D.laplace_entropy(self.scale)

    def variance(self, name: str = "variance") -> Tensor:
        """2 scale^2."""
        return math_ops.square(self.scale) * 2.0

    def stddev(self, name: str = "stddev") -> Tensor:
        """sqrt(2) scale."""
        return self.scale * float(np.sqrt(2.0))


class Uniform(Distribution):
    """Uniform on [low, high)."""

    reparameterization_type = "FULLY_REPARAMETERIZED"

    def __init__(
        self, low: Any = 0.0, high: Any = 1.0, validate_args: bool = False, **kw: Any
    ) -> None:
        super().__init__(validate_args, **kw)
        low = _t(low)
        self.low, self.high = _broadcast(low, _t(high, low.dtype))
        self._batch = tuple(self.low.shape)

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """low + u (high - low)."""
        shape = _sample_shape(sample_shape) + self._batch
        u = random_ops.random_uniform(shape, dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """-log(high - low) inside, -inf outside."""
        return D.uniform_log_prob(_t(value, self.low.dtype), self.low, self.high)

    def cdf(self, value: Any, name: str = "cdf") -> Tensor:
        """Clamped (value - low) / (high - low)."""
        return D.uniform_cdf(_t(value, self.low.dtype), self.low, self.high)

    def entropy(self, name: str = "entropy") -> Tensor:
        """log(high - low)."""
        return math_ops.log(self.high - self.low)

    def mean(self, name: str = "mean") -> Tensor:
        """(low + high) / 2."""
        return (self.low + self.high) / 2.0

    def variance(self, name: str = "variance") -> Tensor:
        """(high - low)^2 / 12."""
        return math_ops.square(self.high - self.low) / 12.0


def _logits(logits: Any, probs: Any, name: str, binary: bool = False) -> Tensor:
    if (logits is None) == (probs is None):
        raise ValueError(f"tf.distributions.{name}: give exactly one of logits and probs")
    if logits is not None:
        return _t(logits)
    p = _t(probs)
    if binary:
        return math_ops.log(p) - math_ops.log(1.0 - p)
    return math_ops.log(p)


class Categorical(Distribution):
    """Classes 0..K-1 from logits (or probs) on the last axis."""

    def __init__(
        self,
        logits: Any = None,
        probs: Any = None,
        dtype: Any = int32,
        validate_args: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(validate_args, **kw)
        self.logits = _logits(logits, probs, "Categorical")
        self.dtype = dtype
        shape = tuple(self.logits.shape)
        if not shape or shape[-1] is None:
            raise ValueError(
                f"tf.distributions.Categorical: the number of classes (the last dim of logits) "
                f"must be known when the graph is built, got logits of shape {self.logits.shape}"
            )
        self._batch, self._k = shape[:-1], shape[-1]
        # log-probabilities, computed as the eager style does, so both styles give the same bits
        self._log_probs = D.categorical_normalize(self.logits)

    @property
    def probs(self) -> Tensor:
        """softmax(logits)."""
        return ops.softmax(self._log_probs, -1)

    @property
    def event_size(self) -> int:
        """K."""
        return self._k

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """Gumbel-max draws over uniforms drawn when the graph runs."""
        extra = _sample_shape(sample_shape)
        if None in self._batch:  # a batch known when run: draw the logits' run-time shape
            if extra:
                raise ValueError(
                    "tf.distributions.Categorical.sample: a sample_shape needs the batch shape of "
                    f"logits known when the graph is built, got {self.logits.shape}"
                )
            from .array_ops import shape as shape_of

            u = random_ops.random_uniform(shape_of(self.logits), dtype=self.logits.dtype)
        else:
            u = random_ops.random_uniform(extra + self._batch + (self._k,), dtype=self.logits.dtype)
        return math_ops.cast(D.gumbel_max(self._log_probs, u), self.dtype)

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """log softmax(logits)[value]."""
        v = math_ops.cast(_t(value, int64), int64)
        logits = self._log_probs
        if tuple(v.shape) != self._batch:
            shape = D.broadcast_shape(_static(v, "value"), self._batch)
            logits = ops.broadcast_to(logits, shape + (self._k,))
            v = ops.broadcast_to(v, shape)
        return D.categorical_log_prob(logits, v)

    def entropy(self, name: str = "entropy") -> Tensor:
        """-sum p log p."""
        return D.categorical_entropy(self._log_probs)

    def mode(self, name: str = "mode") -> Tensor:
        """The most likely class."""
        return math_ops.cast(ops.argmax(self.logits, -1), self.dtype)


class Bernoulli(Distribution):
    """1 with probability sigmoid(logits) (or probs), else 0."""

    def __init__(
        self,
        logits: Any = None,
        probs: Any = None,
        dtype: Any = int32,
        validate_args: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(validate_args, **kw)
        self.logits = _logits(logits, probs, "Bernoulli", binary=True)
        self.dtype = dtype
        self._batch = _static(self.logits, "logits")

    @property
    def probs(self) -> Tensor:
        """sigmoid(logits)."""
        return ops.sigmoid(self.logits)

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """1 where a uniform draw is below probs."""
        shape = _sample_shape(sample_shape) + self._batch
        u = random_ops.random_uniform(shape, dtype=self.logits.dtype)
        return math_ops.cast(math_ops.less(u, self.probs), self.dtype)

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """The Bernoulli log mass at value."""
        v = math_ops.cast(_t(value), self.logits.dtype)
        logits = self.logits
        if tuple(v.shape) != self._batch:
            shape = D.broadcast_shape(_static(v, "value"), self._batch)
            logits, v = ops.broadcast_to(logits, shape), ops.broadcast_to(v, shape)
        return D.bernoulli_log_prob(logits, v)

    def entropy(self, name: str = "entropy") -> Tensor:
        """The binary entropy."""
        return D.bernoulli_entropy(self.logits)

    def mean(self, name: str = "mean") -> Tensor:
        """probs."""
        return self.probs

    def variance(self, name: str = "variance") -> Tensor:
        """p (1 - p)."""
        return self.probs * (1.0 - self.probs)


_KL: dict = {}


def RegisterKL(type_a: type, type_b: type) -> Callable:  # noqa: N802 - TF's name
    """Decorator registering `fn(a, b, name=None)` as KL(a || b)."""

    def deco(fn: Callable) -> Callable:
        _KL[(type_a, type_b)] = fn
        return fn

    return deco


def kl_divergence(
    distribution_a: Distribution,
    distribution_b: Distribution,
    allow_nan_stats: bool = True,
    name: Any = None,
) -> Tensor:
    """KL(a || b) by the most specific registered rule."""
    best = None
    for (ta, tb), fn in _KL.items():
        if isinstance(distribution_a, ta) and isinstance(distribution_b, tb):
            rank = type(distribution_a).__mro__.index(ta) + type(distribution_b).__mro__.index(tb)
            if best is None or rank < best[0]:
                best = (rank, fn)
    if best is None:
        raise NotImplementedError(
            f"No KL(distribution_a || distribution_b) registered for distribution_a type "
            f"{type(distribution_a).__name__} and distribution_b type "
            f"{type(distribution_b).__name__}"
        )
    return best[1](distribution_a, distribution_b)


@RegisterKL(Normal, Normal)
def _kl_normal(a: Normal, b: Normal, name: Any = None) -> Tensor:
    return D.normal_kl(a.loc, a.scale, b.loc, b.scale)


@RegisterKL(Categorical, Categorical)
def _kl_categorical(a: Categorical, b: Categorical, name: Any = None) -> Tensor:
    return D.categorical_kl(a._log_probs, b._log_probs)


@RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli(a: Bernoulli, b: Bernoulli, name: Any = None) -> Tensor:
    return D.bernoulli_kl(a.logits, b.logits)


def categorical(
    logits: Any, num_samples: int, dtype: Any = None, seed: Any = None, name: Any = None
) -> Tensor:
    """`tf.random.categorical`: [batch, num_samples] class draws from [batch, K] logits."""
    return _draw_classes("tf.random.categorical", logits, num_samples, dtype)


def _draw_classes(op: str, logits: Any, num_samples: int, dtype: Any) -> Tensor:
    """Class draws by the Gumbel-max trick, errors named after the function the user called."""
    logits = _t(logits)
    shape = _static(logits, "logits")
    if len(shape) != 2:
        raise ValueError(f"{op}: logits must be [batch, classes], got {shape}")
    if not logits.dtype.is_floating:
        raise InvalidArgumentError(
            f"{op}: logits must be a float tensor, got {logits.dtype.name}; "
            "cast them with tf.cast(logits, tf.float32)"
        )
    if shape[1] == 0:
        raise InvalidArgumentError(
            f"{op}: logits of shape {shape} have no classes; give each row at least one logit"
        )
    draws = (shape[0] or 1, domain.check_sizes(op, (int(num_samples),), "num_samples")[0], shape[1])
    domain.check_memory(op, tuple(d or 1 for d in draws), logits.dtype.np_dtype)
    u = random_ops.random_uniform((shape[0], int(num_samples), shape[1]), dtype=logits.dtype)
    draws = D.gumbel_max(array_ops.expand_dims(logits, 1), u)
    return math_ops.cast(draws, dtype or int64)


def multinomial(
    logits: Any, num_samples: int, seed: Any = None, name: Any = None, output_dtype: Any = None
) -> Tensor:
    """`tf.multinomial` (TF1's name for tf.random.categorical)."""
    return _draw_classes("tf.multinomial", logits, num_samples, output_dtype)


# Beta, Gamma, Dirichlet and their KL rules (registered on import)
from .distributions_gamma import Beta, Dirichlet, Gamma  # noqa: E402

__all__ = [
    "Beta", "Dirichlet", "Gamma", "Bernoulli", "Categorical", "Distribution", "Laplace",
    "Normal", "RegisterKL", "Uniform",
    "categorical", "kl_divergence", "multinomial",
]  # fmt: skip
_ = float32
