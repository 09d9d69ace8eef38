"""Primitives for control flow and run-time shapes: a scalar predicate of unknown
static rank made rank 0 (checked when run), and `tf.range` over run-time tensor bounds."""

from __future__ import annotations

import numpy as np

from ..domain import range_step
from ..errors import ShapeError
from .registry import MAY_ALIAS, AVal, Primitive, bind, register

_RANKED = {"rank_from_params": True}  # the output's rank never depends on the operands' ranks


def _scalar_impl(x, op):
    if np.ndim(x) != 0:
        raise ShapeError(f"{op}: expected a scalar, got an array of shape {np.shape(x)}")
    return np.asarray(x)


AS_SCALAR = register(
    Primitive(
        "as_scalar",
        impl=_scalar_impl,
        alias=MAY_ALIAS,
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
    # the length is known only when all three bounds are concrete arrays (the record's check,
    # domain.range_step, has refused a zero step or one pointing away from limit first)
    if all(isinstance(v, (np.ndarray, np.generic)) for v in (start, limit, delta)):
        return AVal((len(np.arange(start, limit, delta)),), np.dtype(dtype))
    return AVal((None,), np.dtype(dtype))


ARANGE = register(
    Primitive(
        "arange",
        impl=_arange_impl,
        shape_rule=_arange_rule,
        reference=_arange_impl,
        checks=(range_step,),
        nondiff=(0, 1, 2),
        tags=dict(_RANKED),
    )
)


def arange(start, limit, delta, dtype):
    """[start, start + delta, ...) up to limit, bounds known when run."""
    return bind(ARANGE, start, limit, delta, dtype=np.dtype(dtype))


def _dyn_normal_impl(shape, dtype, mean, std):
    from ...core.random import default_generator

    return default_generator.normal(tuple(int(d) for d in np.asarray(shape)), dtype, mean, std)


def _dyn_normal_rule(shape, dtype, mean, std):
    n = tuple(shape.shape)[0] if len(tuple(shape.shape)) == 1 else None
    if isinstance(shape, (np.ndarray, np.generic)):
        return AVal(tuple(int(d) for d in np.asarray(shape)), np.dtype(dtype))
    return AVal((None,) * n if n is not None else (), np.dtype(dtype))


RANDOM_NORMAL_DYNAMIC = register(
    Primitive(
        "random_normal_dynamic",
        impl=_dyn_normal_impl,
        shape_rule=_dyn_normal_rule,
        nondiff=(0,),
        random=True,
        tags=dict(_RANKED),
    )
)


def random_normal_dynamic(shape, dtype, mean: float = 0.0, std: float = 1.0):
    """Normal draws from the shared stream, shaped by a 1-D int tensor known when run."""
    return bind(RANDOM_NORMAL_DYNAMIC, shape, dtype=np.dtype(dtype), mean=mean, std=std)


def _dyn_uniform_impl(shape, dtype, low, high):
    from ...core.random import default_generator

    return default_generator.uniform(tuple(int(d) for d in np.asarray(shape)), dtype, low, high)


RANDOM_UNIFORM_DYNAMIC = register(
    Primitive(
        "random_uniform_dynamic",
        impl=_dyn_uniform_impl,
        shape_rule=lambda shape, dtype, low, high: _dyn_normal_rule(shape, dtype, low, high),
        nondiff=(0,),
        random=True,
        tags=dict(_RANKED),
    )
)


def random_uniform_dynamic(shape, dtype, low: float = 0.0, high: float = 1.0):
    """Uniform draws on [low, high) from the shared stream, shaped by a 1-D int tensor known
    when run (the same draws as a static shape's)."""
    return bind(RANDOM_UNIFORM_DYNAMIC, shape, dtype=np.dtype(dtype), low=low, high=high)


def _with_shape_impl(x, shape, op):
    got = np.shape(x)
    if len(got) != len(shape) or any(
        s is not None and s != d for s, d in zip(shape, got, strict=False)
    ):
        raise ShapeError(f"{op}: expected shape {shape}, got an array of shape {got}")
    return np.asarray(x)


def _with_shape_rule(x, shape, op):
    if isinstance(x, (np.ndarray, np.generic)):  # concrete: its own shape (checked by impl)
        return AVal(np.shape(x), np.dtype(x.dtype))
    return AVal(tuple(shape), np.dtype(x.dtype))


WITH_SHAPE = register(
    Primitive(
        "with_shape",
        impl=_with_shape_impl,
        alias=MAY_ALIAS,
        shape_rule=_with_shape_rule,
        # the value passes through unchanged, so its gradient does too (a reshape to a shape
        # list holding tensors, pinned to its static dims, must not cut the gradient)
        vjp=lambda g, out, x, wants, shape, op: (g,),
        reference=lambda x, shape, op: np.asarray(x),
        tags=dict(_RANKED),
    )
)


def with_shape(x, shape: tuple, op: str = "with_shape"):
    """x with the static shape `shape` (None dims free), checked when run."""
    return bind(WITH_SHAPE, x, shape=tuple(shape), op=op)


def known_like(x, shape: tuple, op: str):
    """x itself when its rank is known, else x given the static shape `shape`."""
    from .registry import is_unknown_rank

    if not is_unknown_rank(x.shape):
        return x
    return x.graph.build_op("EnsureShape", None, lambda: with_shape(x, shape, op))
