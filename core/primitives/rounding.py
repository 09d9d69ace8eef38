"""Rounding primitives (floor, ceil, round, trunc): piecewise constant, so their gradient is zero.

Both anchors give these ops a gradient of zero everywhere (PyTorch: the output requires grad
and backward gives zeros; TF: registered zero gradients), so the rule here is the same: a
cotangent of zeros shaped like the operand, in both styles.
"""

from __future__ import annotations

import numpy as np

from ..kernels.elementwise_ops import ScalarOp
from . import rules
from .elementwise import _unary
from .registry import AVal, Primitive, bind, register
from .shaping import fill_like


def zero_vjp(g, out, *operands, wants, **params) -> tuple:
    """The gradient of a piecewise-constant op: zeros shaped like each operand that wants one."""
    return tuple(
        fill_like(x, 0, g.dtype) if w else None for x, w in zip(operands, wants, strict=True)
    )


def _rule(name: str):
    def rule(x) -> AVal:
        # integers are already whole: the frontends hand them back without a kernel
        rules.require_float(name, x)
        return AVal(tuple(x.shape), np.dtype(x.dtype))

    return rule


def _rounding(name: str, expr: str, ref) -> Primitive:
    """A rounding op declared from its scalar template (kernels and fusion derive from it)."""
    template = ScalarOp(1, {"f": expr})
    return register(
        Primitive(
            name,
            impl=None,
            shape_rule=_rule(name),
            vjp=zero_vjp,
            reference=ref,
            template=template,
        )
    )


# the scalar op table already knows floor (its kernel is shared with floor division)
FLOOR = _unary("floor", zero_vjp, np.floor)
CEIL = _rounding("ceil", "np.ceil({0})", np.ceil)
# half to even, as torch.round and tf.round
ROUND = _rounding("round", "np.rint({0})", np.rint)
TRUNC = _rounding("trunc", "np.trunc({0})", np.trunc)


def floor(x):
    """The largest integer <= x, elementwise (the dtype is kept)."""
    return bind(FLOOR, x)


def ceil(x):
    """The smallest integer >= x, elementwise."""
    return bind(CEIL, x)


def round(x):  # noqa: A001 - the op's own name
    """x rounded to the nearest integer, halves to even (as both anchors)."""
    return bind(ROUND, x)


def trunc(x):
    """x rounded toward zero."""
    return bind(TRUNC, x)
