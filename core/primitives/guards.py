"""Guards: a value passed through unchanged once its record's check has accepted it.

A frontend operation composed of core ops (a slice as `getitem`, binary cross entropy as logs
and products, one_hot as a comparison) routes its operand through a guard whose record carries
the domain check (`checks`): `bind`, the eager dispatch, graph build on known values, constant
folding and every graph run apply it, so both styles and fed values get the same check.
"""

from __future__ import annotations

import numpy as np

from .. import domain
from .registry import MAY_ALIAS, AVal, Primitive, bind, register, same_dims


def _same(x, **params) -> AVal:
    return AVal(tuple(x.shape), np.dtype(x.dtype))


def _through(x, **params):
    return x


def _reference(x, **params):
    return np.asarray(x)


def _pass_gradient(g, out, x, wants, **params) -> tuple:
    return (g,)


def _guard(name: str, check, differentiable: bool) -> Primitive:
    """Register a guard: `x` handed back unchanged once `check` accepted it; the gradient passes
    through (`differentiable`), or the operand is an integer one that takes none."""
    grad = {"vjp": _pass_gradient} if differentiable else {"nondiff": (0,)}
    return register(
        Primitive(
            name,
            impl=_through,
            shape_rule=_same,
            reference=_reference,
            checks=(check,),
            alias=MAY_ALIAS,
            dims=same_dims,
            **grad,
        )
    )


EXTENT_BOUNDS = _guard("extent_bounds", domain.slice_extents, differentiable=True)
UNIT_INTERVAL = _guard("unit_interval", domain.unit_interval, differentiable=True)
CLASS_VALUES = _guard("class_values", domain.class_values, differentiable=False)
NONZERO_DIVISOR = _guard("nonzero_divisor", domain.nonzero_divisor, differentiable=False)


def nonzero_divisor(y, op: str):
    """`y`, checked to hold no zero when it is an integer divisor (domain.nonzero_divisor)."""
    if np.dtype(y.dtype).kind not in "iu":
        return y
    return bind(NONZERO_DIVISOR, y, op=op)


def extent_bounds(x, op: str, begin: tuple, size: tuple, exact: bool = False, parts: tuple = ()):
    """`x`, checked to hold the block begin:begin+size (size None: to the end; see
    domain.slice_extents)."""
    begin = tuple(int(b) for b in begin)
    size = tuple(None if s is None else int(s) for s in size)
    parts = tuple(int(p) for p in parts)
    return bind(EXTENT_BOUNDS, x, op=op, begin=begin, size=size, exact=bool(exact), parts=parts)


def unit_interval(p, op: str, arg: str = "input"):
    """`p`, checked to lie in [0, 1] (see domain.unit_interval)."""
    return bind(UNIT_INTERVAL, p, op=op, arg=arg)


def class_values(labels, op: str, num_classes: int):
    """`labels`, checked to lie in [0, num_classes) (see domain.class_values)."""
    return bind(CLASS_VALUES, labels, op=op, num_classes=int(num_classes))
