"""Probability distributions written once over core ops, for both frontends.

Each distribution holds parameters that are values of either frontend (eager tensors or
graph tensors) and computes log_prob, entropy, cdf, moments and reparameterised samples with
core ops, so gradients flow through the core's reverse sweep in either style. Random draws
come from a `noise` callback the frontend supplies: the eager style draws arrays from the
shared seeded stream now; the graph style adds random ops that draw when the graph runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops
from ..primitives import special

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _s(value: float, like: Any) -> np.ndarray:
    return ops.scalar(value, like)


def broadcast_shape(*shapes: tuple) -> tuple:
    """The broadcast of static shapes."""
    return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))


def erf(x: Any) -> Any:
    """erf(x), the core primitive (exact to the last bits, as torch's and TF's)."""
    return special.erf(x)


def normal_icdf(p: Any, loc: Any, scale: Any) -> Any:
    """loc + scale * sqrt(2) * erfinv(2 p - 1), the normal quantile."""
    z = special.erfinv(ops.sub(ops.mul(_s(2, p), p), _s(1, p)))
    return ops.add(loc, ops.mul(scale, ops.mul(_s(math.sqrt(2.0), z), z)))


# ---- Normal --------------------------------------------------------------------------------------
def normal_log_prob(x: Any, loc: Any, scale: Any) -> Any:
    """log N(x; loc, scale)."""
    z = ops.div(ops.sub(x, loc), scale)
    return ops.sub(
        ops.sub(ops.mul(_s(-0.5, z), ops.square(z)), ops.log(scale)), _s(LOG_SQRT_2PI, z)
    )


def normal_entropy(scale: Any) -> Any:
    """0.5 + 0.5 log(2 pi) + log(scale)."""
    return ops.add(_s(0.5 + LOG_SQRT_2PI, scale), ops.log(scale))


def normal_cdf(x: Any, loc: Any, scale: Any) -> Any:
    """0.5 (1 + erf((x - loc) / (scale sqrt 2)))."""
    z = ops.div(ops.sub(x, loc), ops.mul(scale, _s(math.sqrt(2.0), scale)))
    return ops.mul(_s(0.5, z), ops.add(_s(1, z), erf(z)))


def normal_kl(loc_p: Any, scale_p: Any, loc_q: Any, scale_q: Any) -> Any:
    """KL(N_p || N_q)."""
    ratio = ops.square(ops.div(scale_p, scale_q))
    t1 = ops.square(ops.div(ops.sub(loc_p, loc_q), scale_q))
    return ops.mul(
        _s(0.5, ratio), ops.sub(ops.sub(ops.add(ratio, t1), _s(1, ratio)), ops.log(ratio))
    )


# ---- Laplace -------------------------------------------------------------------------------------
def laplace_log_prob(x: Any, loc: Any, scale: Any) -> Any:
    """-log(2 scale) - |x - loc| / scale."""
    return ops.sub(
        ops.neg(ops.log(ops.mul(_s(2, scale), scale))),
        ops.div(ops.abs(ops.sub(x, loc)), scale),
    )


def laplace_entropy(scale: Any) -> Any:
    """1 + log(2 scale)."""
    return ops.add(_s(1, scale), ops.log(ops.mul(_s(2, scale), scale)))


def laplace_cdf(x: Any, loc: Any, scale: Any) -> Any:
    """0.5 - 0.5 sign(x - loc) (exp(-|x - loc| / scale) - 1)."""
    d = ops.sub(x, loc)
    e = ops.sub(ops.exp(ops.neg(ops.div(ops.abs(d), scale))), _s(1, d))
    return ops.sub(_s(0.5, d), ops.mul(_s(0.5, d), ops.mul(ops.sign(d), e)))


def laplace_icdf(p: Any, loc: Any, scale: Any) -> Any:
    """loc - scale sign(p - 0.5) log(1 - 2 |p - 0.5|)."""
    t = ops.sub(p, _s(0.5, p))
    inner = ops.log(ops.sub(_s(1, p), ops.mul(_s(2, p), ops.abs(t))))
    return ops.sub(loc, ops.mul(ops.mul(scale, ops.sign(t)), inner))


def laplace_rsample(loc: Any, scale: Any, u: Any) -> Any:
    """A Laplace draw from u uniform on (-1, 1): loc - scale sign(u) log(1 - |u|)."""
    return ops.sub(
        loc, ops.mul(ops.mul(scale, ops.sign(u)), ops.log(ops.sub(_s(1, u), ops.abs(u))))
    )


# ---- Uniform -------------------------------------------------------------------------------------
def uniform_log_prob(x: Any, low: Any, high: Any) -> Any:
    """-log(high - low) inside [low, high), -inf outside."""
    inside = ops.cast(
        ops.mul(ops.cast(ops.greater_equal(x, low), x.dtype), ops.cast(ops.less(x, high), x.dtype)),
        x.dtype,
    )
    return ops.sub(ops.log(inside), ops.log(ops.sub(high, low)))


def uniform_cdf(x: Any, low: Any, high: Any) -> Any:
    """(x - low) / (high - low), clamped to [0, 1]."""
    r = ops.div(ops.sub(x, low), ops.sub(high, low))
    return ops.minimum(ops.maximum(r, _s(0, r)), _s(1, r))


# ---- Categorical / Bernoulli ---------------------------------------------------------------------
def categorical_normalize(logits: Any) -> Any:
    """logits - logsumexp(logits) over the last axis: log-probabilities (torch's `.logits`)."""
    return ops.sub(logits, ops.logsumexp(logits, (len(logits.shape) - 1,), True))


def categorical_log_prob(logits: Any, value: Any) -> Any:
    """log softmax(logits)[value] along the last axis."""
    return ops.pick(ops.log_softmax(logits, -1), value)


def categorical_entropy(logits: Any) -> Any:
    """-sum p log p along the last axis."""
    lp = ops.log_softmax(logits, -1)
    return ops.neg(ops.sum(ops.mul(ops.exp(lp), lp), -1))


def categorical_kl(logits_p: Any, logits_q: Any) -> Any:
    """sum p (log p - log q) along the last axis."""
    lp = ops.log_softmax(logits_p, -1)
    lq = ops.log_softmax(logits_q, -1)
    return ops.sum(ops.mul(ops.exp(lp), ops.sub(lp, lq)), -1)


def bernoulli_log_prob(logits: Any, value: Any) -> Any:
    """-(max(z, 0) - z x + log(1 + exp(-|z|)))."""
    zero = _s(0, logits)
    one = _s(1, logits)
    return ops.neg(
        ops.add(
            ops.sub(ops.maximum(logits, zero), ops.mul(logits, value)),
            ops.log(ops.add(one, ops.exp(ops.neg(ops.abs(logits))))),
        )
    )


def bernoulli_entropy(logits: Any) -> Any:
    """The binary cross-entropy of sigmoid(logits) with itself."""
    return ops.neg(bernoulli_log_prob(logits, ops.sigmoid(logits)))


def bernoulli_kl(logits_p: Any, logits_q: Any) -> Any:
    """p (log p - log q) + (1 - p) (log(1 - p) - log(1 - q)), from logits."""
    p = ops.sigmoid(logits_p)
    return ops.sub(ops.neg(bernoulli_entropy(logits_p)), bernoulli_log_prob(logits_q, p))


def gumbel_max(logits: Any, u: Any) -> Any:
    """argmax(logits + Gumbel noise) on the last axis: a categorical draw from uniforms u (the
    shape of logits broadcast with the sample dims); both styles draw the same way."""
    g = ops.neg(ops.log(ops.neg(ops.log(u))))
    return ops.argmax(ops.add(logits, g), -1)


def gumbel_softmax(logits: Any, temperature: Any, u: Any) -> Any:
    """softmax((logits + Gumbel noise) / temperature), the noise made from uniforms u."""
    g = ops.neg(ops.log(ops.neg(ops.log(u))))
    return ops.softmax(ops.div(ops.add(logits, g), temperature), -1)


def relaxed_one_hot_log_prob(logits: Any, temperature: Any, value: Any, k: int) -> Any:
    """The log density of the Concrete (Gumbel-softmax) distribution at `value`."""
    t = temperature
    lp = ops.log_softmax(logits, -1)
    score = ops.sub(lp, ops.mul(t, ops.log(value)))
    log_scale = ops.add(_s(math.lgamma(k), lp), ops.mul(_s(k - 1, lp), ops.log(t)))
    return ops.sub(
        ops.add(log_scale, ops.sum(ops.sub(score, ops.log(value)), -1)),
        ops.mul(_s(k, lp), ops.logsumexp(score, -1)),
    )


Noise = Callable[[str, tuple, Any], Any]
