"""VJP rules of the gradient helper primitives (tanh_grad, sigmoid_grad, softmax_grad,
log_softmax_grad), so gradients of gradients (gradient penalties, Hessian-vector products)
flow through them. Written with core operations, imported lazily (the helpers' own modules
import these rules)."""

from __future__ import annotations


def tanh_grad_vjp(gg, out, y, g, wants):
    """out = g * (1 - y^2): d/dy = -2 y g gg, d/dg = (1 - y^2) gg."""
    from .elementwise import mul, neg, scalar, tanh_grad
    from .shaping import sum_like

    dy = sum_like(neg(mul(mul(scalar(2, y), y), mul(g, gg))), y) if wants[0] else None
    dg = sum_like(tanh_grad(y, gg), g) if wants[1] else None
    return dy, dg


def sigmoid_grad_vjp(gg, out, y, g, wants):
    """out = g y (1 - y): d/dy = g (1 - 2y) gg, d/dg = y (1 - y) gg."""
    from .elementwise import mul, scalar, sigmoid_grad, sub
    from .shaping import sum_like

    dy = None
    if wants[0]:
        dy = sum_like(mul(mul(g, gg), sub(scalar(1, y), mul(scalar(2, y), y))), y)
    dg = sum_like(sigmoid_grad(y, gg), g) if wants[1] else None
    return dy, dg


def softmax_grad_vjp(gg, out, y, g, wants, axis):
    """out = y * (g - s), s = sum(g y): d/dg = softmax_grad(y, gg),
    d/dy = gg (g - s) - g sum(gg y)."""
    from .elementwise import mul, sub
    from .nn import softmax_grad
    from .reduction import sum as rsum

    dy = None
    if wants[0]:
        s = rsum(mul(g, y), (axis,), True)
        t = rsum(mul(gg, y), (axis,), True)
        dy = sub(mul(gg, sub(g, s)), mul(g, t))
    dg = softmax_grad(y, gg, axis) if wants[1] else None
    return dy, dg


def log_softmax_grad_vjp(gg, out, y, g, wants, axis):
    """out = g - exp(y) sum(g): d/dy = -gg exp(y) sum(g), d/dg = gg - sum(gg exp(y))."""
    from .elementwise import exp, mul, neg, sub
    from .reduction import sum as rsum

    e = exp(y)
    dy = neg(mul(mul(gg, e), rsum(g, (axis,), True))) if wants[0] else None
    dg = sub(gg, rsum(mul(gg, e), (axis,), True)) if wants[1] else None
    return dy, dg
