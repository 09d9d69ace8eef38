"""`tf.distributions` Beta, Gamma and Dirichlet, `tf.random_gamma`, and `tf.lgamma` /
`tf.digamma` / `tf.polygamma`; the math is core.distributions.gamma_family, shared with the
eager style, and draws run the core's random_gamma primitive when the graph runs (the same bits
as the eager style's draws from the same seed)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ops
from ...core.distributions import gamma_family as G
from ...core.primitives import probability as P
from .distributions import (
    Distribution,
    RegisterKL,
    _broadcast,
    _sample_shape,
    _static,
    _t,
)
from .tensor import Tensor


def _extend(t: Tensor, shape: tuple) -> Tensor:
    return t if tuple(t.shape) == tuple(shape) else ops.broadcast_to(t, shape)


class Gamma(Distribution):
    """Gamma(concentration, rate)."""

    reparameterization_type = "FULLY_REPARAMETERIZED"

    def __init__(
        self, concentration: Any, rate: Any, validate_args: bool = False, **kw: Any
    ) -> None:
        super().__init__(validate_args, **kw)
        c = _t(concentration)
        self.concentration, self.rate = _broadcast(c, _t(rate, c.dtype))
        self._batch = tuple(self.concentration.shape)

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """Gamma draws (implicit reparameterisation gradients to both parameters)."""
        shape = _sample_shape(sample_shape) + self._batch
        return G.gamma_rsample(_extend(self.concentration, shape), _extend(self.rate, shape))

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """The log density at value."""
        return G.gamma_log_prob(_t(value, self.rate.dtype), self.concentration, self.rate)

    def entropy(self, name: str = "entropy") -> Tensor:
        """The differential entropy."""
        return G.gamma_entropy(self.concentration, self.rate)

    def cdf(self, value: Any, name: str = "cdf") -> Tensor:
        """P(concentration, rate value)."""
        v = _t(value, self.rate.dtype)
        return P.igamma(self.concentration, v * self.rate)

    def mean(self, name: str = "mean") -> Tensor:
        """concentration / rate."""
        return self.concentration / self.rate

    def variance(self, name: str = "variance") -> Tensor:
        """concentration / rate^2."""
        return self.concentration / (self.rate * self.rate)


class Beta(Distribution):
    """Beta(concentration1, concentration0) on [0, 1]."""

    reparameterization_type = "FULLY_REPARAMETERIZED"

    def __init__(
        self,
        concentration1: Any = None,
        concentration0: Any = None,
        validate_args: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(validate_args, **kw)
        c1 = _t(concentration1)
        self.concentration1, self.concentration0 = _broadcast(c1, _t(concentration0, c1.dtype))
        self._batch = tuple(self.concentration1.shape)

    @property
    def total_concentration(self) -> Tensor:
        """concentration1 + concentration0."""
        return self.concentration1 + self.concentration0

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """G1 / (G1 + G0) from two Gamma draws (reparameterised)."""
        shape = _sample_shape(sample_shape) + self._batch
        return G.beta_rsample(
            _extend(self.concentration1, shape), _extend(self.concentration0, shape)
        )

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """The log density at value."""
        v = _t(value, self.concentration1.dtype)
        return G.beta_log_prob(v, self.concentration1, self.concentration0)

    def entropy(self, name: str = "entropy") -> Tensor:
        """The differential entropy."""
        return G.beta_entropy(self.concentration1, self.concentration0)

    def mean(self, name: str = "mean") -> Tensor:
        """concentration1 / total_concentration."""
        return G.beta_mean(self.concentration1, self.concentration0)

    def variance(self, name: str = "variance") -> Tensor:
        """c1 c0 / (t^2 (t + 1))."""
        return G.beta_variance(self.concentration1, self.concentration0)

    def mode(self, name: str = "mode") -> Tensor:
        """(c1 - 1) / (c1 + c0 - 2) (for c1, c0 > 1)."""
        return (self.concentration1 - 1.0) / (self.total_concentration - 2.0)


class Dirichlet(Distribution):
    """Dirichlet(concentration) on the simplex of the last axis."""

    reparameterization_type = "FULLY_REPARAMETERIZED"

    def __init__(self, concentration: Any, validate_args: bool = False, **kw: Any) -> None:
        super().__init__(validate_args, **kw)
        self.concentration = _t(concentration)
        shape = _static(self.concentration, "concentration")
        if not shape:
            raise ValueError("tf.distributions.Dirichlet: concentration must be at least 1-D")
        self._batch, self._event = shape[:-1], shape[-1:]

    @property
    def event_shape(self) -> Any:
        """(K,)."""
        from .shapes import TensorShape

        return TensorShape(self._event)

    def sample(self, sample_shape: Any = (), seed: Any = None, name: str = "sample") -> Tensor:
        """Normalised Gamma draws (reparameterised)."""
        shape = _sample_shape(sample_shape) + self._batch + self._event
        return G.dirichlet_rsample(_extend(self.concentration, shape))

    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        """The log density at value."""
        return G.dirichlet_log_prob(_t(value, self.concentration.dtype), self.concentration)

    def entropy(self, name: str = "entropy") -> Tensor:
        """The differential entropy."""
        return G.dirichlet_entropy(self.concentration)

    def mean(self, name: str = "mean") -> Tensor:
        """concentration / sum(concentration)."""
        return G.dirichlet_mean(self.concentration)

    def variance(self, name: str = "variance") -> Tensor:
        """The per-class variance."""
        return G.dirichlet_variance(self.concentration)


@RegisterKL(Gamma, Gamma)
def _kl_gamma(a: Gamma, b: Gamma, name: Any = None) -> Tensor:
    return G.gamma_kl(a.concentration, a.rate, b.concentration, b.rate)


@RegisterKL(Beta, Beta)
def _kl_beta(a: Beta, b: Beta, name: Any = None) -> Tensor:
    return G.beta_kl(a.concentration1, a.concentration0, b.concentration1, b.concentration0)


@RegisterKL(Dirichlet, Dirichlet)
def _kl_dirichlet(a: Dirichlet, b: Dirichlet, name: Any = None) -> Tensor:
    return G.dirichlet_kl(a.concentration, b.concentration)


def random_gamma(
    shape: Any,
    alpha: Any,
    beta: Any = None,
    dtype: Any = None,
    seed: Any = None,
    name: Any = None,
) -> Tensor:
    """`tf.random_gamma`: Gamma(alpha, beta) draws of shape `shape + alpha.shape` (beta is a
    rate; seed ignored: one shared stream)."""
    a = _t(alpha, dtype)
    if beta is not None:
        a, b = _broadcast(a, _t(beta, a.dtype))
    out_shape = tuple(int(d) for d in np.atleast_1d(np.asarray(shape, np.int64))) + tuple(
        _static(a, "alpha")
    )
    draws = P.standard_gamma(_extend(a, out_shape))
    return draws if beta is None else ops.div(draws, _extend(b, out_shape))


def lgamma(x: Any, name: Any = None) -> Tensor:
    """log |Gamma(x)|."""
    return P.lgamma(_t(x))


def digamma(x: Any, name: Any = None) -> Tensor:
    """psi(x), the derivative of lgamma."""
    return P.digamma(_t(x))


def igamma(a: Any, x: Any, name: Any = None) -> Tensor:
    """The regularised lower incomplete gamma function P(a, x)."""
    a = _t(a)
    return P.igamma(a, _t(x, a.dtype), edges="tf")


def igammac(a: Any, x: Any, name: Any = None) -> Tensor:
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    a = _t(a)
    x = _t(x, a.dtype)
    p = igamma(a, x)
    q = ops.sub(ops.scalar(1, p), p)
    # TF's values where Q is not 1 - P: NaN at x = 0 unless a > 0, and 0 at a = x = inf
    w = ops.where
    q = w(
        ops.equal(x, ops.scalar(0, x)),
        w(ops.greater(a, ops.scalar(0, a)), q, ops.scalar(np.nan, q)),
        q,
    )
    inf_a = ops.equal(a, ops.scalar(np.inf, a))
    inf_x = ops.equal(x, ops.scalar(np.inf, x))
    return w(inf_a, w(inf_x, ops.scalar(0, q), q), q)


def polygamma(a: Any, x: Any, name: Any = None) -> Tensor:
    """The a-th derivative of digamma (a a static integer >= 1; 0 is digamma)."""
    n = int(np.asarray(a))
    return digamma(x) if n == 0 else P.polygamma(_t(x), n)


def erfinv(x: Any, name: Any = None) -> Tensor:
    """The inverse error function (NaN outside [-1, 1])."""
    from ...core.primitives.special import erfinv as core_erfinv
    from .convert import convert_to_tensor

    return core_erfinv(convert_to_tensor(x))


def ndtri(x: Any, name: Any = None) -> Tensor:
    """The standard normal quantile function sqrt(2) * erfinv(2 x - 1)."""
    from ...core import distributions as D
    from .convert import convert_to_tensor

    p = convert_to_tensor(x)
    return D.normal_icdf(p, ops.scalar(0, p), ops.scalar(1, p))
