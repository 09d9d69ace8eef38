"""Gamma, Beta and Dirichlet written once over core ops, for both frontends: log densities,
entropies, moments, KL divergences and reparameterised draws (implicit gradients through the
core's gamma_transport primitive)."""

from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..primitives.probability import digamma, igamma, lgamma, standard_gamma


def _s(value: float, like: Any) -> Any:
    return ops.scalar(value, like)


def _last(x: Any) -> int:
    return len(x.shape) - 1


def xlogy(x: Any, y: Any) -> Any:
    """x log y (0 where x is 0 and y is 0, as a density's exponent needs at the support's edge)."""
    zero = ops.equal(x, _s(0, x))
    safe = ops.where(zero, ops.add(y, _s(1, y)), y)
    return ops.where(zero, ops.mul(x, _s(0, x)), ops.mul(x, ops.log(safe)))


# ---- Gamma ---------------------------------------------------------------------------------------
def gamma_log_prob(x: Any, conc: Any, rate: Any) -> Any:
    """conc log rate + (conc - 1) log x - rate x - lgamma(conc)."""
    return ops.sub(
        ops.sub(ops.add(xlogy(conc, rate), xlogy(ops.sub(conc, _s(1, conc)), x)), ops.mul(rate, x)),
        lgamma(conc),
    )


def gamma_entropy(conc: Any, rate: Any) -> Any:
    """conc - log rate + lgamma(conc) + (1 - conc) digamma(conc)."""
    return ops.add(
        ops.add(ops.sub(conc, ops.log(rate)), lgamma(conc)),
        ops.mul(ops.sub(_s(1, conc), conc), digamma(conc)),
    )


def gamma_kl(cp: Any, rp: Any, cq: Any, rq: Any) -> Any:
    """KL(Gamma(cp, rp) || Gamma(cq, rq))."""
    t1 = ops.mul(cq, ops.log(ops.div(rp, rq)))
    t2 = ops.sub(lgamma(cq), lgamma(cp))
    t3 = ops.mul(ops.sub(cp, cq), digamma(cp))
    t4 = ops.mul(ops.sub(rq, rp), ops.div(cp, rp))
    return ops.add(ops.add(ops.add(t1, t2), t3), t4)


def gamma_rsample(conc: Any, rate: Any) -> Any:
    """Gamma(conc, rate) draws of conc's (already extended) shape, with implicit gradients."""
    return ops.div(standard_gamma(conc), rate)


# ---- Dirichlet -----------------------------------------------------------------------------------
def dirichlet_rsample(conc: Any) -> Any:
    """Normalised Gamma draws on the last axis (conc already of the extended shape)."""
    g = standard_gamma(conc)
    return ops.div(g, ops.sum(g, (_last(g),), True))


def dirichlet_log_prob(x: Any, conc: Any) -> Any:
    """sum (conc - 1) log x + lgamma(sum conc) - sum lgamma(conc), over the last axis."""
    k = _last(conc)
    terms = ops.sum(xlogy(ops.sub(conc, _s(1, conc)), x), (_last(x),))
    norm = ops.sub(lgamma(ops.sum(conc, (k,))), ops.sum(lgamma(conc), (k,)))
    return ops.add(terms, norm)


def dirichlet_entropy(conc: Any) -> Any:
    """log B(conc) + (a0 - K) digamma(a0) - sum (conc - 1) digamma(conc)."""
    k = _last(conc)
    n = conc.shape[-1]
    a0 = ops.sum(conc, (k,))
    log_b = ops.sub(ops.sum(lgamma(conc), (k,)), lgamma(a0))
    return ops.sub(
        ops.add(log_b, ops.mul(ops.sub(a0, _s(n, a0)), digamma(a0))),
        ops.sum(ops.mul(ops.sub(conc, _s(1, conc)), digamma(conc)), (k,)),
    )


def dirichlet_mean(conc: Any) -> Any:
    """conc / sum conc."""
    return ops.div(conc, ops.sum(conc, (_last(conc),), True))


def dirichlet_variance(conc: Any) -> Any:
    """conc (a0 - conc) / (a0^2 (a0 + 1))."""
    a0 = ops.sum(conc, (_last(conc),), True)
    return ops.div(
        ops.mul(conc, ops.sub(a0, conc)), ops.mul(ops.square(a0), ops.add(a0, _s(1, a0)))
    )


def dirichlet_kl(cp: Any, cq: Any) -> Any:
    """KL(Dirichlet(cp) || Dirichlet(cq))."""
    k = _last(cp)
    sp, sq = ops.sum(cp, (k,)), ops.sum(cq, (k,))
    t1 = ops.sub(lgamma(sp), lgamma(sq))
    t2 = ops.sum(ops.sub(lgamma(cp), lgamma(cq)), (k,))
    t4 = ops.sub(digamma(cp), ops.expand_dims(digamma(sp), k))
    return ops.add(ops.sub(t1, t2), ops.sum(ops.mul(ops.sub(cp, cq), t4), (k,)))


# ---- Beta (a Dirichlet on two classes: concentration1 for x, concentration0 for 1 - x) --------
def beta_log_prob(x: Any, c1: Any, c0: Any) -> Any:
    """(c1 - 1) log x + (c0 - 1) log(1 - x) - log B(c1, c0)."""
    one = _s(1, x)
    terms = ops.add(
        xlogy(ops.sub(c1, _s(1, c1)), x), xlogy(ops.sub(c0, _s(1, c0)), ops.sub(one, x))
    )
    return ops.sub(terms, beta_log_norm(c1, c0))


def beta_log_norm(c1: Any, c0: Any) -> Any:
    """log B(c1, c0) = lgamma(c1) + lgamma(c0) - lgamma(c1 + c0)."""
    return ops.sub(ops.add(lgamma(c1), lgamma(c0)), lgamma(ops.add(c1, c0)))


def beta_entropy(c1: Any, c0: Any) -> Any:
    """log B - (c1 - 1) psi(c1) - (c0 - 1) psi(c0) + (c1 + c0 - 2) psi(c1 + c0)."""
    t = ops.add(c1, c0)
    out = ops.sub(beta_log_norm(c1, c0), ops.mul(ops.sub(c1, _s(1, c1)), digamma(c1)))
    out = ops.sub(out, ops.mul(ops.sub(c0, _s(1, c0)), digamma(c0)))
    return ops.add(out, ops.mul(ops.sub(t, _s(2, t)), digamma(t)))


def beta_kl(a1: Any, a0: Any, b1: Any, b0: Any) -> Any:
    """KL(Beta(a1, a0) || Beta(b1, b0))."""
    sa, sb = ops.add(a1, a0), ops.add(b1, b0)
    t1 = ops.add(ops.add(lgamma(b1), lgamma(b0)), lgamma(sa))
    t2 = ops.add(ops.add(lgamma(a1), lgamma(a0)), lgamma(sb))
    t3 = ops.mul(ops.sub(a1, b1), digamma(a1))
    t4 = ops.mul(ops.sub(a0, b0), digamma(a0))
    t5 = ops.mul(ops.sub(sb, sa), digamma(sa))
    return ops.add(ops.add(ops.add(ops.sub(t1, t2), t3), t4), t5)


def beta_rsample(c1: Any, c0: Any) -> Any:
    """x = G1 / (G1 + G0) from Gamma draws of the (already extended) concentrations."""
    g1, g0 = standard_gamma(c1), standard_gamma(c0)
    return ops.div(g1, ops.add(g1, g0))


def beta_mean(c1: Any, c0: Any) -> Any:
    """c1 / (c1 + c0)."""
    return ops.div(c1, ops.add(c1, c0))


def beta_variance(c1: Any, c0: Any) -> Any:
    """c1 c0 / ((c1 + c0)^2 (c1 + c0 + 1))."""
    t = ops.add(c1, c0)
    return ops.div(ops.mul(c1, c0), ops.mul(ops.square(t), ops.add(t, _s(1, t))))


LOG_2PI = math.log(2 * math.pi)
__all__ = ["digamma", "igamma", "lgamma"]  # re-exported for the frontends' KL rules
