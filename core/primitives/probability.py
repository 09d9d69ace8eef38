"""Primitives behind the Gamma family of distributions: lgamma, digamma, polygamma, gamma draws
and their implicit reparameterisation.

A Gamma draw is `gamma_transport(a, random_gamma(a), a)`: `random_gamma` draws Gamma(a, 1)
values from the shared stream (no gradient), and `gamma_transport(a, x, a0)` maps the Gamma(a0)
draw x to the Gamma(a) value of the same quantile. At a == a0 the map is the identity, and its
derivative in a is the implicit gradient -(dP/da) / pdf that PyTorch's rsample gives, so
Gamma, Beta and Dirichlet samples carry reparameterised gradients in both styles.
"""

from __future__ import annotations

import numpy as np

from ..kernels import special as K
from ..random import default_generator
from . import rules
from .elementwise import mul
from .registry import AVal, Primitive, bind, register


def _float_unary(name: str):
    def rule(x, **_) -> AVal:
        rules.require_float(name, x)
        return AVal(tuple(x.shape), np.dtype(x.dtype))

    return rule


def _scipy(name: str):
    from scipy import special  # test references only

    return getattr(special, name)


def _lgamma_vjp(g, out, x, wants):
    return (mul(g, digamma(x)),)


LGAMMA = register(
    Primitive(
        "lgamma",
        impl=K.lgamma,
        shape_rule=_float_unary("lgamma"),
        vjp=_lgamma_vjp,
        reference=lambda x: _scipy("gammaln")(x).astype(x.dtype),
    )
)


def _digamma_vjp(g, out, x, wants):
    return (mul(g, polygamma(x, 1)),)


DIGAMMA = register(
    Primitive(
        "digamma",
        impl=K.digamma,
        shape_rule=_float_unary("digamma"),
        vjp=_digamma_vjp,
        reference=lambda x: _scipy("digamma")(x).astype(x.dtype),
    )
)


def _polygamma_rule(x, n) -> AVal:
    if int(n) < 1:
        raise ValueError(f"polygamma: the order n must be >= 1 (use digamma for 0), got {n}")
    return _float_unary("polygamma")(x)


def _polygamma_vjp(g, out, x, wants, n):
    return (mul(g, polygamma(x, n + 1)),)


POLYGAMMA = register(
    Primitive(
        "polygamma",
        impl=lambda x, n: K.polygamma(n, x),
        shape_rule=_polygamma_rule,
        vjp=_polygamma_vjp,
        reference=lambda x, n: _scipy("polygamma")(n, x).astype(x.dtype),
    )
)


def _draw_impl(a):
    # one 63-bit seed from the shared stream per call: both styles advance it alike
    seed = int(default_generator.integers(0, 2**63 - 1, ()))
    return K.standard_gamma(np.asarray(a), seed)


RANDOM_GAMMA = register(
    Primitive(
        "random_gamma",
        impl=_draw_impl,
        shape_rule=_float_unary("random_gamma"),
        random=True,
        nondiff=(0,),
    )
)


def _same_shapes(op: str, *xs) -> np.dtype:
    dt = rules.same_dtype(op, *xs)
    rules.require_float(op, xs[0])
    for x in xs[1:]:
        rules.same_shape_as(op, x, xs[0])
    return dt


def _grad_rule(x, a) -> AVal:
    return AVal(tuple(x.shape), _same_shapes("gamma_grad", x, a))


GAMMA_GRAD = register(
    Primitive(
        "gamma_grad",
        impl=K.gamma_grad,
        shape_rule=_grad_rule,
        reference=lambda x, a: _gamma_grad_ref(x, a),
        nondiff=(0, 1),
        derivative_of="random gamma (reparameterised)",
    )
)


def _gamma_grad_ref(x, a):
    # d x / d a at fixed quantile, by central differences of scipy's inverse
    sp = _scipy("gammainc"), _scipy("gammaincinv")
    x64, a64 = np.asarray(x, np.float64), np.asarray(a, np.float64)
    p = sp[0](a64, x64)
    h = 1e-6 * a64
    return ((sp[1](a64 + h, p) - sp[1](a64 - h, p)) / (2 * h)).astype(x.dtype)


def _transport_rule(a, x, a0) -> AVal:
    return AVal(tuple(x.shape), _same_shapes("gamma_transport", a, x, a0))


def _transport_vjp(g, out, a, x, a0, wants):
    return mul(g, gamma_grad(out, a)), None, None


def _transport_ref(a, x, a0):
    same = a == a0
    sp = _scipy("gammainc"), _scipy("gammaincinv")
    moved = sp[1](a, sp[0](a0, x)) if not same.all() else x
    return np.where(same, x, moved).astype(x.dtype)


GAMMA_TRANSPORT = register(
    Primitive(
        "gamma_transport",
        impl=K.gamma_transport,
        shape_rule=_transport_rule,
        vjp=_transport_vjp,
        reference=_transport_ref,
        nondiff=(1, 2),
    )
)


def _igamma_rule(a, x, edges: str = "torch") -> AVal:
    if edges not in ("torch", "tf"):
        raise ValueError(f"igamma: edges must be 'torch' or 'tf', got {edges!r}")
    dt = rules.same_dtype("igamma", a, x)
    rules.require_float("igamma", a)
    return AVal(rules.broadcast_shapes("igamma", tuple(a.shape), tuple(x.shape)), dt)


def _igamma_vjp(g, out, a, x, wants, edges: str = "torch"):
    from .elementwise import exp, greater, log, scalar, sub, where
    from .shaping import sum_like

    ga = sum_like(mul(g, igamma_da(a, x)), a) if wants[0] else None
    gx = None
    if wants[1]:
        # the Gamma(a, 1) density at x (0 for x <= 0)
        inside = greater(x, scalar(0, x))
        safe = where(inside, x, scalar(1, x))
        log_pdf = sub(sub(mul(sub(a, scalar(1, a)), log(safe)), safe), lgamma(a))
        gx = sum_like(mul(g, where(inside, exp(log_pdf), scalar(0, x))), x)
    return ga, gx


def _igamma_ref(a, x, edges: str = "torch"):
    return _scipy("gammainc")(a, x).astype(np.result_type(a.dtype, x.dtype))


IGAMMA = register(
    Primitive(
        "igamma",
        impl=K.igamma,
        shape_rule=_igamma_rule,
        vjp=_igamma_vjp,
        reference=_igamma_ref,
    )
)


def _igamma_da_ref(a, x):
    h = 1e-6 * np.asarray(a, np.float64)
    f = _scipy("gammainc")
    return ((f(a + h, x) - f(a - h, x)) / (2 * h)).astype(np.result_type(a.dtype, x.dtype))


IGAMMA_DA = register(
    Primitive(
        "igamma_da",
        impl=K.igamma_da,
        shape_rule=_igamma_rule,
        reference=_igamma_da_ref,
        nondiff=(0, 1),
        derivative_of="igamma",
    )
)


def igamma(a, x, edges: str = "torch"):
    """The regularised lower incomplete gamma function P(a, x) (torch.special.gammainc); `edges`
    ("torch" or "tf") picks the anchor whose values it gives at the edges of the domain (x < 0,
    a = 0, infinities, NaN), where the two differ."""
    if edges == "torch":
        return bind(IGAMMA, a, x)
    return bind(IGAMMA, a, x, edges=edges)


def igamma_da(a, x):
    """d P(a, x) / d a."""
    return bind(IGAMMA_DA, a, x)


def lgamma(x):
    """log |Gamma(x)|, elementwise."""
    return bind(LGAMMA, x)


def digamma(x):
    """psi(x), the derivative of lgamma, elementwise."""
    return bind(DIGAMMA, x)


def polygamma(x, n: int):
    """The n-th derivative of digamma (n >= 1), elementwise."""
    return bind(POLYGAMMA, x, n=int(n))


def random_gamma(a):
    """Gamma(a, 1) draws shaped like `a`, made when the op runs (no gradient)."""
    return bind(RANDOM_GAMMA, a)


def gamma_grad(x, a):
    """d x / d a of Gamma(a, 1) draws x at a fixed quantile (the implicit gradient)."""
    return bind(GAMMA_GRAD, x, a)


def gamma_transport(a, x, a0):
    """The Gamma(a) value at the quantile of the Gamma(a0) draw x (x where a == a0)."""
    return bind(GAMMA_TRANSPORT, a, x, a0)


def standard_gamma(a):
    """Gamma(a, 1) draws shaped like `a` with implicit reparameterised gradients to `a`."""
    from .shaping import stop_gradient

    fixed = stop_gradient(a)
    return gamma_transport(a, random_gamma(fixed), fixed)
