"""Boolean masks: the entries of x where a mask is true (a run-time length), and its VJP."""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError, fmt_shape
from .registry import AVal, Primitive, bind, register


def _check(op: str, x, mask, axis: int) -> tuple:
    xs, ms = tuple(x.shape), tuple(mask.shape)
    if np.dtype(mask.dtype) != np.bool_:
        raise DTypeError(f"{op}: the mask must be bool, got {np.dtype(mask.dtype).name}")
    if len(ms) == 0:
        raise ShapeError(f"{op}: the mask must have rank >= 1, got a scalar")
    if not 0 <= axis <= len(xs) - len(ms):
        raise ShapeError(
            f"{op}: a mask of shape {fmt_shape(ms)} at axis {axis} does not fit a tensor of "
            f"shape {fmt_shape(xs)}"
        )
    for a, b in zip(xs[axis : axis + len(ms)], ms, strict=True):
        if a is not None and b is not None and a != b:
            raise ShapeError(
                f"{op}: mask shape {fmt_shape(ms)} must match dims {axis}.. of the tensor's "
                f"shape {fmt_shape(xs)}"
            )
    return xs, ms


def _index(mask: np.ndarray, axis: int) -> tuple:
    return (slice(None),) * axis + (mask,)


def _mask_rule(x, mask, axis) -> AVal:
    xs, ms = _check("boolean_mask", x, mask, axis)
    # the length is known only from the mask's values (at run time in a graph)
    n = int(np.count_nonzero(mask)) if isinstance(mask, np.ndarray) else None
    return AVal((*xs[:axis], n, *xs[axis + len(ms) :]), np.dtype(x.dtype))


def _mask_impl(x, mask, axis):
    return np.ascontiguousarray(x[_index(mask, axis)])


def boolean_mask(x, mask, axis: int = 0):
    """x's entries where `mask` (covering dims axis.. of x) is true, in one run-time-long dim."""
    return bind(BOOLEAN_MASK, x, mask, axis=int(axis))


def boolean_mask_grad(g, like, mask, axis: int = 0):
    """Zeros shaped like `like` with `g` written back where `mask` is true (the VJP)."""
    return bind(BOOLEAN_MASK_GRAD, g, like, mask, axis=int(axis))


def _mask_grad_rule(g, like, mask, axis) -> AVal:
    _check("boolean_mask_grad", like, mask, axis)
    return AVal(tuple(like.shape), np.dtype(g.dtype))


def _mask_grad_impl(g, like, mask, axis):
    z = np.zeros(like.shape, dtype=g.dtype)
    z[_index(mask, axis)] = g
    return z


def _mask_grad_reference(g, like, mask, axis):
    # an independent formulation: walk the true positions in order and place g's rows
    out = np.zeros(like.shape, dtype=g.dtype)
    picked = np.argwhere(mask)
    moved = np.moveaxis(out, list(range(axis, axis + mask.ndim)), list(range(mask.ndim)))
    gm = np.moveaxis(g, axis, 0)
    for k, pos in enumerate(picked):
        moved[tuple(pos)] = gm[k]
    return out


BOOLEAN_MASK = register(
    Primitive(
        "boolean_mask",
        impl=_mask_impl,
        shape_rule=_mask_rule,
        vjp=lambda g, out, x, mask, wants, axis: (boolean_mask_grad(g, x, mask, axis), None),
        reference=lambda x, mask, axis: x[_index(mask, axis)],
        nondiff=(1,),
    )
)
BOOLEAN_MASK_GRAD = register(
    Primitive(
        "boolean_mask_grad",
        impl=_mask_grad_impl,
        shape_rule=_mask_grad_rule,
        vjp=lambda gg, out, g, like, mask, wants, axis: (boolean_mask(gg, mask, axis), None, None),
        reference=_mask_grad_reference,
        nondiff=(1, 2),
        shape_from=1,
    )
)
