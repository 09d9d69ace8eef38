"""Graph-only primitives for control flow and run-time shapes: a scalar predicate of unknown
static rank made rank 0 (checked when run), and `tf.range` over run-time tensor bounds."""

from __future__ import annotations

import numpy as np

from ...core.errors import ShapeError
from ...core.primitives.registry import AVal, Primitive, bind, register

_RANKED = {"rank_from_params": True}  # the output's rank never depends on the operands' ranks


def _scalar_impl(x, op):
    if np.ndim(x) != 0:
        raise ShapeError(f"{op}: expected a scalar, got an array of shape {np.shape(x)}")
    return np.asarray(x)


AS_SCALAR = register(
    Primitive(
        "as_scalar",
        impl=_scalar_impl,
        shape_rule=lambda x, op: AVal((), np.dtype(x.dtype)),
        reference=lambda x, op: np.asarray(x).reshape(()),
        nondiff=(0,),
        tags=dict(_RANKED),
    )
)


def as_scalar(x, op: str = "as_scalar"):
    """x, statically rank 0 (it must be a scalar when run)."""
    return bind(AS_SCALAR, x, op=op)


def _arange_impl(start, limit, delta, dtype):
    return np.arange(start, limit, delta).astype(dtype)


def _arange_rule(start, limit, delta, dtype):
    # the length is known only when all three bounds are concrete arrays
    if all(isinstance(v, (np.ndarray, np.generic)) for v in (start, limit, delta)):
        return AVal((len(np.arange(start, limit, delta)),), np.dtype(dtype))
    return AVal((None,), np.dtype(dtype))


ARANGE = register(
    Primitive(
        "arange",
        impl=_arange_impl,
        shape_rule=_arange_rule,
        reference=_arange_impl,
        nondiff=(0, 1, 2),
        tags=dict(_RANKED),
    )
)


def arange(start, limit, delta, dtype):
    """[start, start + delta, ...) up to limit, bounds known when run."""
    return bind(ARANGE, start, limit, delta, dtype=np.dtype(dtype))
