"""``torch.distributions`` Gamma, Beta, Dirichlet and MultivariateNormal (math in
core.distributions.gamma_family and core.distributions.mvn) and the KL pairs PyTorch registers
among the implemented distributions.

Gamma-family draws run the core's random_gamma primitive; `rsample` carries the implicit
reparameterisation gradient to the concentrations (and to the rate) as PyTorch's does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.distributions import gamma_family as G
from ...core.distributions import mvn as M
from .distributions import (
    Constraint,
    Distribution,
    Laplace,
    Normal,
    Uniform,
    _broadcast,
    _noise,
    _np,
    _t,
    constraints,
    register_kl,
)
from .tensor import Tensor


def _lower_cholesky(v: np.ndarray) -> np.ndarray:
    d = np.diagonal(v, axis1=-2, axis2=-1)
    return np.all(np.tril(v) == v, (-2, -1)) & np.all(d > 0, -1)


def _positive_definite(v: np.ndarray) -> np.ndarray:
    sym = np.all(np.abs(v - np.swapaxes(v, -1, -2)) <= 1e-6 * (1 + np.abs(v)), (-2, -1))
    flat = v.reshape((-1,) + v.shape[-2:])
    ok = np.empty(flat.shape[0], bool)
    for i, m in enumerate(flat):
        try:
            np.linalg.cholesky(m.astype(np.float64))
            ok[i] = True
        except np.linalg.LinAlgError:
            ok[i] = False
    return sym & ok.reshape(v.shape[:-2])


constraints.nonnegative = Constraint("GreaterThanEq(lower_bound=0.0)", lambda v: v >= 0)
constraints.real_vector = Constraint(
    "IndependentConstraint(Real(), 1)", lambda v: np.all(v == v, -1), 1
)
constraints.lower_cholesky = Constraint("LowerCholesky()", _lower_cholesky, 2)
constraints.positive_definite = Constraint("PositiveDefinite()", _positive_definite, 2)
constraints.independent_positive = Constraint(
    "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)", lambda v: np.all(v > 0, -1), 1
)


def _expand(t: Tensor, shape: tuple) -> Tensor:
    return t if tuple(t.shape) == tuple(shape) else t.expand(*shape)


class Gamma(Distribution):
    """Gamma(concentration, rate): density rate^c x^(c-1) exp(-rate x) / Gamma(c)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        c = _t(concentration)
        self.concentration, self.rate = _broadcast(c, _t(rate, c))
        super().__init__(tuple(self.concentration.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return G.gamma_rsample(_expand(self.concentration, shape), _expand(self.rate, shape))

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.rate)
        self._validate_sample(value)
        return G.gamma_log_prob(value, self.concentration, self.rate)

    def entropy(self) -> Tensor:
        return G.gamma_entropy(self.concentration, self.rate)

    def cdf(self, value: Any) -> Tensor:
        value = _t(value, self.rate)
        self._validate_sample(value)
        return G.igamma(self.concentration, value * self.rate)


class Dirichlet(Distribution):
    """Dirichlet(concentration) on the simplex of the last axis."""

    arg_constraints = {"concentration": constraints.independent_positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Any, validate_args: bool | None = None) -> None:
        c = _t(concentration)
        if c.dim() < 1:
            raise ValueError(
                "Dirichlet: `concentration` parameter must be at least one-dimensional, got "
                f"shape {tuple(c.shape)}"
            )
        self.concentration = c
        super().__init__(tuple(c.shape[:-1]), tuple(c.shape[-1:]), validate_args)

    @property
    def mean(self) -> Tensor:
        return G.dirichlet_mean(self.concentration)

    @property
    def mode(self) -> Tensor:
        c = (self.concentration - 1).clamp(min=0.0)
        return c / c.sum(-1, keepdim=True)

    @property
    def variance(self) -> Tensor:
        return G.dirichlet_variance(self.concentration)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return G.dirichlet_rsample(_expand(self.concentration, shape))

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.concentration)
        self._validate_sample(value)
        return G.dirichlet_log_prob(value, self.concentration)

    def entropy(self) -> Tensor:
        return G.dirichlet_entropy(self.concentration)


class Beta(Distribution):
    """Beta(concentration1, concentration0) on [0, 1] (concentration1 goes with x)."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self, concentration1: Any, concentration0: Any, validate_args: bool | None = None
    ) -> None:
        c1 = _t(concentration1)
        self.concentration1, self.concentration0 = _broadcast(c1, _t(concentration0, c1))
        super().__init__(tuple(self.concentration1.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return G.beta_mean(self.concentration1, self.concentration0)

    @property
    def mode(self) -> Tensor:
        return (self.concentration1 - 1) / (self.concentration1 + self.concentration0 - 2)

    @property
    def variance(self) -> Tensor:
        return G.beta_variance(self.concentration1, self.concentration0)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return G.beta_rsample(
            _expand(self.concentration1, shape), _expand(self.concentration0, shape)
        )

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.concentration1)
        self._validate_sample(value)
        return G.beta_log_prob(value, self.concentration1, self.concentration0)

    def entropy(self) -> Tensor:
        return G.beta_entropy(self.concentration1, self.concentration0)


class MultivariateNormal(Distribution):
    """N(loc, covariance), the covariance given by exactly one of covariance_matrix,
    precision_matrix and scale_tril."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc: Any,
        covariance_matrix: Any = None,
        precision_matrix: Any = None,
        scale_tril: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError(
                "MultivariateNormal: exactly one of covariance_matrix or precision_matrix or "
                "scale_tril may be specified."
            )
        loc = _t(loc)
        if loc.dim() < 1:
            raise ValueError("MultivariateNormal: loc must be at least one-dimensional.")
        name = ("covariance_matrix", "precision_matrix", "scale_tril")[given.index(True)]
        mat = _t((covariance_matrix, precision_matrix, scale_tril)[given.index(True)], loc)
        if mat.dim() < 2 or mat.shape[-1] != mat.shape[-2] or mat.shape[-1] != loc.shape[-1]:
            raise ValueError(
                f"MultivariateNormal: {name} must be at least two-dimensional with square last "
                f"dims of loc's event size {loc.shape[-1]}, got shape {tuple(mat.shape)}"
            )
        d = int(loc.shape[-1])
        batch = tuple(np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(mat.shape[:-2])))
        self.loc = _expand(loc, batch + (d,))
        setattr(self, name, _expand(mat, batch + (d, d)))
        super().__init__(batch, (d,), validate_args)
        if name == "scale_tril":
            self._tril = mat
        elif name == "covariance_matrix":
            self._tril = M.cholesky(mat)
        else:
            self._tril = M.precision_to_scale_tril(mat)

    def __getattr__(self, name: str) -> Any:
        tril = self.__dict__.get("_tril")
        if tril is None:
            raise AttributeError(name)
        shape = self._batch_shape + self._event_shape * 2
        if name == "scale_tril":
            return _expand(tril, shape)
        if name == "covariance_matrix":
            return _expand(M.outer_self(tril), shape)
        if name == "precision_matrix":
            return _expand(M.precision_of(tril), shape)
        raise AttributeError(name)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        v = self._tril.pow(2).sum(-1)
        return _expand(v, self._batch_shape + self._event_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = _noise("normal", self._extended_shape(sample_shape), self.loc)
        return M.mvn_rsample(self.loc, self._tril, eps)

    def log_prob(self, value: Any) -> Tensor:
        value = _t(value, self.loc)
        self._validate_sample(value)
        return M.mvn_log_prob(value, self.loc, self._tril)

    def entropy(self) -> Tensor:
        return _expand(M.mvn_entropy(self._tril), self._batch_shape)


def _inf_like(t: Tensor) -> Tensor:
    return Tensor._make(np.full(tuple(t.shape), np.inf, _np(t).dtype))


def _where_inf(out: Tensor, mask: np.ndarray) -> Tensor:
    if not np.any(mask):
        return out
    return out + Tensor._make(np.where(mask, np.inf, 0).astype(_np(out).dtype))


@register_kl(Gamma, Gamma)
def _kl_gamma(p: Gamma, q: Gamma) -> Tensor:
    return G.gamma_kl(p.concentration, p.rate, q.concentration, q.rate)


@register_kl(Beta, Beta)
def _kl_beta(p: Beta, q: Beta) -> Tensor:
    return G.beta_kl(p.concentration1, p.concentration0, q.concentration1, q.concentration0)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    return G.dirichlet_kl(p.concentration, q.concentration)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different event shapes "
            f"cannot be computed: {p.event_shape} and {q.event_shape}"
        )
    return M.mvn_kl(p.loc, p._tril, q.loc, q._tril)


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p: Gamma, q: Normal) -> Tensor:
    c, r = p.concentration, p.rate
    var = q.scale.pow(2)
    t1 = 0.5 * (r.pow(2) * var * (2 * np.pi)).log() - c - G.lgamma(c)
    t2 = 0.5 * (c.pow(2) + c) / r.pow(2)
    t3 = q.loc * c / r
    return t1 + (c - 1) * G.digamma(c) + (t2 - t3 + 0.5 * q.loc.pow(2)) / var


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal) -> Tensor:
    a, b = p.concentration1, p.concentration0
    e = a / (a + b)
    var = q.scale.pow(2)
    t3 = (e * (1 - e) / (a + b + 1) + e.pow(2)) * 0.5
    return (
        -p.entropy() + 0.5 * (var * 2 * np.pi).log() + (t3 - q.loc * e + q.loc.pow(2) * 0.5) / var
    )


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Tensor:
    out = -p.entropy() + (q.high - q.low).log()
    return _where_inf(out, (_np(q.low) > 0) | (_np(q.high) < 1))


def _x_log_x(t: Tensor) -> Tensor:
    return G.xlogy(t, t)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Tensor:
    w = p.high - p.low
    t2 = (q.concentration1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - w) / w
    t3 = (q.concentration0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + w) / w
    t4 = G.beta_log_norm(q.concentration1, q.concentration0)
    out = t3 + t4 - w.log() - t2
    return _where_inf(out, (_np(p.high) > 1) | (_np(p.low) < 0))


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    w = p.high - p.low
    t2 = G.lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - w) / w
    out = -w.log() + t2 + t3 + q.rate * (p.high + p.low) / 2
    return _where_inf(out, _np(p.low) < 0)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    w = p.high - p.low
    t1 = (np.sqrt(np.pi * 2) * q.scale / w).log()
    t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return t1 + 0.5 * (w.pow(2) / 12 + t3) / q.scale.pow(2)


def _kl_infinite(p: Distribution, q: Distribution) -> Tensor:
    # a support reaching where q has no mass
    param = next(v for v in p.__dict__.values() if isinstance(v, Tensor))
    return _inf_like(param.expand(*p.batch_shape) if p.batch_shape else param)


for _p, _q in [
    (Gamma, Beta),
    (Gamma, Uniform),
    (Normal, Beta),
    (Normal, Gamma),
    (Normal, Uniform),
    (Laplace, Beta),
    (Laplace, Gamma),
    (Laplace, Uniform),
]:
    register_kl(_p, _q)(_kl_infinite)
