"""``torch.distributions``: the common distributions, their math in core.distributions.

Samples draw from the shared seeded stream (``torch.manual_seed``); ``rsample`` is
reparameterised, so gradients reach the parameters. With ``validate_args`` (on by default, as
PyTorch), invalid parameters and out-of-support values raise ValueError naming them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ...core import distributions as D
from ...core import random as core_random
from .creation import as_tensor
from .grad_mode import no_grad
from .tensor import Tensor

_default_validate = True


def _t(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    dtype = like.dtype if like is not None and like.is_floating_point() else None
    arr = np.asarray(x)
    if dtype is None and arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
    return as_tensor(arr, dtype=dtype)


def _np(x: Any) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


# ---- constraints ---------------------------------------------------------------------------------
class Constraint:
    """A set of valid values: `check(value)` is a boolean array."""

    def __init__(self, name: str, fn: Callable[[np.ndarray], np.ndarray], event_dim: int = 0):
        self.name, self.fn, self.event_dim = name, fn, event_dim

    def check(self, value: Any) -> np.ndarray:
        """Where `value` lies in the set."""
        return self.fn(_np(value))

    def __repr__(self) -> str:
        return self.name


class constraints:  # noqa: N801 - PyTorch's module name
    """The constraints the distributions use."""

    real = Constraint("Real()", lambda v: v == v)
    positive = Constraint("GreaterThan(lower_bound=0.0)", lambda v: v > 0)
    unit_interval = Constraint(
        "Interval(lower_bound=0.0, upper_bound=1.0)", lambda v: (v >= 0) & (v <= 1)
    )
    boolean = Constraint("Boolean()", lambda v: (v == 0) | (v == 1))
    nonnegative_integer = Constraint(
        "IntegerGreaterThan(lower_bound=0)", lambda v: (v >= 0) & (v == np.floor(v))
    )
    simplex = Constraint(
        "Simplex()",
        lambda v: np.all(v >= 0, -1) & (np.abs(v.sum(-1) - 1) < 1e-6 * max(1, v.shape[-1])),
        1,
    )
    one_hot = Constraint(
        "OneHot()", lambda v: np.all((v == 0) | (v == 1), -1) & (v.sum(-1) == 1), 1
    )

    @staticmethod
    def integer_interval(lo: int, hi: int) -> Constraint:
        """Integers in [lo, hi]."""
        return Constraint(
            f"IntegerInterval(lower_bound={lo}, upper_bound={hi})",
            lambda v: (v >= lo) & (v <= hi) & (v == np.floor(v)),
        )

    @staticmethod
    def interval(lo: Any, hi: Any) -> Constraint:
        """Reals in [lo, hi)."""
        return Constraint("Interval()", lambda v: (v >= _np(lo)) & (v < _np(hi)))


# ---- base ----------------------------------------------------------------------------------------
class Distribution:
    """Base class: batch/event shapes, sampling, validation."""

    has_rsample = False
    arg_constraints: dict = {}
    support: Any = None

    def __init__(
        self, batch_shape: tuple = (), event_shape: tuple = (), validate_args: bool | None = None
    ) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = _default_validate if validate_args is None else validate_args
        if self._validate_args:
            for name, c in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue
                value = getattr(self, name)
                ok = c.check(value)
                if not np.all(ok):
                    raise ValueError(
                        f"Expected parameter {name} ({type(value).__name__} of shape "
                        f"{tuple(np.shape(_np(value)))}) of distribution {self!r} to satisfy the "
                        f"constraint {c}, but found invalid values:\n{_np(value)}"
                    )

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off by default."""
        global _default_validate
        _default_validate = bool(value)

    @property
    def batch_shape(self) -> tuple:
        """The shape of independent parameter sets."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        """The shape of one draw."""
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple:
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def _validate_sample(self, value: Any) -> None:
        if not self._validate_args or self.support is None:
            return
        ok = self.support.check(value)
        if not np.all(ok):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(np.shape(_np(value)))}) to be within the support ({self.support}) of the "
                f"distribution {self!r}, but found invalid values:\n{_np(value)}"
            )

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw (no gradient)."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A reparameterised draw (gradients reach the parameters)."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampling")

    def sample_n(self, n: int) -> Tensor:
        """n draws."""
        return self.sample((n,))

    def log_prob(self, value: Any) -> Tensor:
        """The log density / mass at `value`."""
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def entropy(self) -> Tensor:
        """The entropy."""
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    def cdf(self, value: Any) -> Tensor:
        """The cumulative distribution function."""
        raise NotImplementedError(f"{type(self).__name__}.cdf is not implemented")

    def icdf(self, value: Any) -> Tensor:
        """The inverse cdf."""
        raise NotImplementedError(f"{type(self).__name__}.icdf is not implemented")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation."""
        return self.variance.sqrt()

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    def __repr__(self) -> str:
        shown = []
        for k in self.arg_constraints:
            v = self.__dict__.get(k)
            if isinstance(v, Tensor):
                shown.append(f"{k}: {tuple(v.shape) if v.dim() else v.item()}")
        params = ", ".join(shown)
        return f"{type(self).__name__}({params})"


def _noise(kind: str, shape: tuple, like: Tensor) -> Tensor:
    dt = _np(like).dtype if like.is_floating_point() else np.float32
    g = core_random.default_generator
    if kind == "normal":
        return Tensor._make(g.normal(shape, dt))
    if kind == "uniform":
        return Tensor._make(g.uniform(shape, dt))
    if kind == "uniform_open":  # (tiny, 1): safe under log
        u = g.uniform(shape, dt)
        return Tensor._make(np.maximum(u, np.finfo(dt).tiny).astype(dt))
    raise ValueError(kind)


def _broadcast(*ts: Tensor) -> list:
    shape = D.broadcast_shape(*[t.shape for t in ts])
    return [t if tuple(t.shape) == shape else t.expand(*shape) for t in ts]


# ---- continuous ----------------------------------------------------------------------------------
class _LocScale(Distribution):
    """A real-valued distribution with a location and a positive scale, broadcast together."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        loc = _t(loc)
        self.loc, self.scale = _broadcast(loc, _t(scale, loc))
        super().__init__(tuple(self.loc.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc


class Normal(_LocScale):
    """N(loc, scale)."""

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return self.scale

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = _noise("normal", self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.loc)
        self._validate_sample(value)
        return D.normal_log_prob(value, self.loc, self.scale)

    def entropy(self) -> Tensor:
        return D.normal_entropy(self.scale)

    def cdf(self, value: Any) -> Tensor:
        value = _t(value, self.loc)
        self._validate_sample(value)
        return D.normal_cdf(value, self.loc, self.scale)

    def icdf(self, value: Any) -> Tensor:
        value = _t(value, self.loc)
        return D.normal_icdf(value, self.loc, self.scale)


class Laplace(_LocScale):
    """Laplace(loc, scale)."""

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * 2

    @property
    def stddev(self) -> Tensor:
        return self.scale * math.sqrt(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = _noise("uniform", self._extended_shape(sample_shape), self.loc)
        eps = np.finfo(u.numpy().dtype).eps
        u = Tensor._make((u.numpy() * 2 - 1).clip(-1 + eps, 1 - eps))
        return D.laplace_rsample(self.loc, self.scale, u)

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.loc)
        self._validate_sample(value)
        return D.laplace_log_prob(value, self.loc, self.scale)

    def entropy(self) -> Tensor:
        return D.laplace_entropy(self.scale)

    def cdf(self, value: Any) -> Tensor:
        return D.laplace_cdf(_t(value, self.loc), self.loc, self.scale)

    def icdf(self, value: Any) -> Tensor:
        return D.laplace_icdf(_t(value, self.loc), self.loc, self.scale)


class Uniform(Distribution):
    """Uniform on [low, high)."""

    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        low = _t(low)
        self.low, self.high = _broadcast(low, _t(high, low))
        super().__init__(tuple(self.low.shape), (), validate_args)
        if self._validate_args and not np.all(_np(self.low) < _np(self.high)):
            raise ValueError(
                f"Expected parameter low of distribution Uniform to be less than high, got low="
                f"{_np(self.low)} high={_np(self.high)}"
            )

    @property
    def support(self) -> Constraint:
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = _noise("uniform", self._extended_shape(sample_shape), self.low)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.low)
        self._validate_sample(value)
        return D.uniform_log_prob(value, self.low, self.high)

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()

    def cdf(self, value: Any) -> Tensor:
        return D.uniform_cdf(_t(value, self.low), self.low, self.high)

    def icdf(self, value: Any) -> Tensor:
        return self.low + _t(value, self.low) * (self.high - self.low)


# ---- discrete ------------------------------------------------------------------------------------
def _logits_of(probs: Any, logits: Any, name: str, binary: bool = False) -> tuple:
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both.")
    if logits is not None:
        logits = _t(logits)
        if binary:
            return None, logits
        return None, D.categorical_normalize(logits)
    probs = _t(probs)
    if binary:
        p = probs.clamp(1e-7 if probs.dtype == np.float32 else 1e-15, 1 - 1e-7)
        return probs, p.log() - (1 - p).log()
    probs = probs / probs.sum(-1, keepdim=True)
    tiny = float(np.finfo(_np(probs).dtype).tiny) if _np(probs).dtype.kind == "f" else 1e-38
    return probs, probs.clamp(tiny, 1.0).log()


class Categorical(Distribution):
    """Classes 0..K-1 with the given probs or logits (last axis)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real}
    has_rsample = False

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        probs_in, self.logits = _logits_of(probs, logits, type(self).__name__)
        if probs_in is not None:
            self.probs = probs_in
        self._num_events = int(self.logits.shape[-1])
        super().__init__(tuple(self.logits.shape[:-1]), (), validate_args)

    @property
    def support(self) -> Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self) -> tuple:
        return tuple(self.logits.shape)

    def __getattr__(self, name: str) -> Any:
        if name == "probs":
            return self.logits.softmax(-1)
        raise AttributeError(name)

    @property
    def mean(self) -> Tensor:
        return Tensor._make(np.full(self._batch_shape, np.nan, np.float32))

    @property
    def variance(self) -> Tensor:
        return Tensor._make(np.full(self._batch_shape, np.nan, np.float32))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape) + (self._num_events,)
        logits = _np(self.logits)
        u = core_random.default_generator.uniform(shape, logits.dtype)
        return Tensor._make(np.asarray(D.gumbel_max(logits, u), np.int64))

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value)
        self._validate_sample(value)
        v = _np(value).astype(np.int64)
        logits = self.logits
        shape = D.broadcast_shape(v.shape, self._batch_shape)
        if tuple(logits.shape[:-1]) != shape:
            logits = logits.expand(*shape, self._num_events)
        return D.categorical_log_prob(logits, Tensor._make(np.broadcast_to(v, shape).copy()))

    def entropy(self) -> Tensor:
        return D.categorical_entropy(self.logits)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The classes 0..K-1 (broadcast over the batch when `expand`)."""
        v = np.arange(self._num_events, dtype=np.int64).reshape(
            (-1,) + (1,) * len(self._batch_shape)
        )
        if expand:
            v = np.broadcast_to(v, (self._num_events, *self._batch_shape)).copy()
        return Tensor._make(v)


class OneHotCategorical(Distribution):
    """One-hot vectors of a Categorical."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real}
    support = constraints.one_hot

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(
            self._categorical.batch_shape, (self._categorical._num_events,), validate_args
        )

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        idx = _np(self._categorical.sample(sample_shape))
        k = self._event_shape[0]
        return Tensor._make(np.eye(k, dtype=_np(self.probs).dtype)[idx])

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value)
        self._validate_sample(value)
        return self._categorical.log_prob(Tensor._make(_np(value).argmax(-1)))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()


class Bernoulli(Distribution):
    """1 with probability probs (or sigmoid(logits)), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        probs_in, self.logits = _logits_of(probs, logits, "Bernoulli", binary=True)
        if probs_in is not None:
            self.probs = probs_in
        super().__init__(tuple(self.logits.shape), (), validate_args)

    def __getattr__(self, name: str) -> Any:
        if name == "probs":
            return self.logits.sigmoid()
        raise AttributeError(name)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = _np(self.probs)
        u = core_random.default_generator.uniform(shape, p.dtype)
        return Tensor._make((u < p).astype(p.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.logits)
        self._validate_sample(value)
        logits = self.logits
        shape = D.broadcast_shape(value.shape, logits.shape)
        if tuple(logits.shape) != shape:
            logits = logits.expand(*shape)
        return D.bernoulli_log_prob(logits, value)

    def entropy(self) -> Tensor:
        return D.bernoulli_entropy(self.logits)


class RelaxedOneHotCategorical(Distribution):
    """The Concrete / Gumbel-softmax relaxation of OneHotCategorical at a temperature."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real}
    support = constraints.simplex
    has_rsample = True

    def __init__(
        self,
        temperature: Any,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        self.temperature = _t(temperature, self._categorical.logits)
        super().__init__(
            self._categorical.batch_shape, (self._categorical._num_events,), validate_args
        )

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = _noise("uniform_open", self._extended_shape(sample_shape), self.logits)
        return D.gumbel_softmax(self.logits, self.temperature, u)

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.logits)
        self._validate_sample(value)
        return D.relaxed_one_hot_log_prob(
            self.logits, self.temperature, value, self._event_shape[0]
        )


class Independent(Distribution):
    """The last `reinterpreted_batch_ndims` batch dims of a distribution read as event dims."""

    arg_constraints: dict = {}

    def __init__(
        self,
        base_distribution: Distribution,
        reinterpreted_batch_ndims: int,
        validate_args: bool | None = None,
    ) -> None:
        n = int(reinterpreted_batch_ndims)
        bs = base_distribution.batch_shape
        if n > len(bs):
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims {n} exceeds the base batch rank "
                f"{len(bs)} (batch_shape {bs})"
            )
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        cut = len(bs) - n
        super().__init__(bs[:cut], bs[cut:] + base_distribution.event_shape, False)
        self.has_rsample = base_distribution.has_rsample
        self.support = base_distribution.support

    def _sum(self, x: Tensor) -> Tensor:
        for _ in range(self.reinterpreted_batch_ndims):
            x = x.sum(-1)
        return x

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Any) -> Tensor:
        return self._sum(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum(self.base_dist.entropy())


# ---- transforms ----------------------------------------------------------------------------------
class Transform:
    """An invertible map y = f(x) with log|det df/dx|."""

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def inv(self, y: Tensor) -> Tensor:
        raise NotImplementedError

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError


class ExpTransform(Transform):
    """y = exp(x)."""

    def __call__(self, x: Tensor) -> Tensor:
        return x.exp()

    def inv(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class AffineTransform(Transform):
    """y = loc + scale * x."""

    def __init__(self, loc: Any, scale: Any) -> None:
        self.loc, self.scale = loc, scale

    def __call__(self, x: Tensor) -> Tensor:
        return x * self.scale + self.loc

    def inv(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        scale = _t(self.scale, x)
        return scale.abs().log() + x * 0


class SigmoidTransform(Transform):
    """y = sigmoid(x)."""

    def __call__(self, x: Tensor) -> Tensor:
        return x.sigmoid()

    def inv(self, y: Tensor) -> Tensor:
        return y.log() - (1 - y).log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        # log sigmoid(x) + log sigmoid(-x), both stable
        return D.bernoulli_log_prob(x, x * 0 + 1) + D.bernoulli_log_prob(x, x * 0)


class TransformedDistribution(Distribution):
    """`base_distribution` pushed through `transforms` (applied in order)."""

    def __init__(
        self, base_distribution: Distribution, transforms: Any, validate_args: bool | None = None
    ) -> None:
        self.base_dist = base_distribution
        self.transforms = (
            list(transforms) if isinstance(transforms, (list, tuple)) else [transforms]
        )
        super().__init__(base_distribution.batch_shape, base_distribution.event_shape, False)
        self.has_rsample = base_distribution.has_rsample

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value: Any) -> Tensor:
        y = _t(value)
        lp = None
        for t in reversed(self.transforms):
            x = t.inv(y)
            term = t.log_abs_det_jacobian(x, y)
            lp = term if lp is None else lp + term
            y = x
        base = self.base_dist.log_prob(y)
        return base if lp is None else base - lp


class LogNormal(TransformedDistribution):
    """exp(N(loc, scale))."""

    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        super().__init__(Normal(loc, scale, validate_args), ExpTransform())
        self.loc, self.scale = self.base_dist.loc, self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()


# ---- KL ------------------------------------------------------------------------------------------
_KL: dict = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator registering `fn(p, q)` as KL(p || q) for these distribution types."""

    def deco(fn: Callable) -> Callable:
        _KL[(type_p, type_q)] = fn
        return fn

    return deco


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) by the most specific registered rule."""
    best = None
    for (tp, tq), fn in _KL.items():
        if isinstance(p, tp) and isinstance(q, tq):
            rank = type(p).__mro__.index(tp) + type(q).__mro__.index(tq)
            if best is None or rank < best[0]:
                best = (rank, fn)
    if best is None:
        raise NotImplementedError(
            f"kl_divergence: no KL rule is registered for ({type(p).__name__}, "
            f"{type(q).__name__}); add one with @register_kl"
        )
    return best[1](p, q)


@register_kl(Normal, Normal)
def _kl_normal(p: Normal, q: Normal) -> Tensor:
    return D.normal_kl(p.loc, p.scale, q.loc, q.scale)


@register_kl(Categorical, Categorical)
def _kl_categorical(p: Categorical, q: Categorical) -> Tensor:
    return D.categorical_kl(p.logits, q.logits)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return D.categorical_kl(p.logits, q.logits)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    return D.bernoulli_kl(p.logits, q.logits)


@register_kl(Uniform, Uniform)
def _kl_uniform(p: Uniform, q: Uniform) -> Tensor:
    out = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (_np(q.low) > _np(p.low)) | (_np(q.high) < _np(p.high))
    if outside.any():
        out = out + Tensor._make(np.where(outside, np.inf, 0).astype(_np(out).dtype))
    return out


@register_kl(Laplace, Laplace)
def _kl_laplace(p: Laplace, q: Laplace) -> Tensor:
    ratio = p.scale / q.scale
    d = (p.loc - q.loc).abs()
    return -ratio.log() + d / q.scale + ratio * (-d / p.scale).exp() - 1


@register_kl(Independent, Independent)
def _kl_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("kl_divergence: Independent with different event dims")
    return p._sum(kl_divergence(p.base_dist, q.base_dist))


kl = type(
    "kl",
    (),
    {"kl_divergence": staticmethod(kl_divergence), "register_kl": staticmethod(register_kl)},
)

# Gamma, Beta, Dirichlet, MultivariateNormal and their KL pairs (registered on import)
from .distributions_gamma import Beta, Dirichlet, Gamma, MultivariateNormal  # noqa: E402

__all__ = [
    "AffineTransform", "Beta", "Dirichlet", "Gamma", "MultivariateNormal", "Bernoulli",
    "Categorical", "Distribution", "ExpTransform",
    "Independent", "Laplace", "LogNormal", "Normal", "OneHotCategorical",
    "RelaxedOneHotCategorical", "SigmoidTransform", "Transform", "TransformedDistribution",
    "Uniform", "constraints", "kl", "kl_divergence", "register_kl",
]  # fmt: skip
