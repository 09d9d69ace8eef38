"""Random primitives: draws from the shared stream, made when the op runs (each Session.run
draws anew in graph mode, as TF does)."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..random import default_generator
from . import rules
from .registry import AVal, Primitive, bind, register


def _draw_rule(shape, dtype, **_) -> AVal:
    return AVal(tuple(shape), dtypes.as_dtype(dtype))


RANDOM_NORMAL = register(
    Primitive(
        "random_normal",
        impl=lambda shape, dtype, mean, std: default_generator.normal(shape, dtype, mean, std),
        shape_rule=_draw_rule,
        random=True,
        rank_from_params=True,
    )
)
RANDOM_UNIFORM = register(
    Primitive(
        "random_uniform",
        impl=lambda shape, dtype, low, high: default_generator.uniform(shape, dtype, low, high),
        shape_rule=_draw_rule,
        random=True,
        rank_from_params=True,
    )
)
TRUNCATED_NORMAL = register(
    Primitive(
        "truncated_normal",
        impl=lambda shape, dtype, mean, std: default_generator.truncated_normal(
            shape, dtype, mean, std
        ),
        shape_rule=_draw_rule,
        random=True,
        rank_from_params=True,
    )
)


def _mask_rule(x, keep) -> AVal:
    rules.require_float("dropout", x)
    return AVal(tuple(x.shape), np.dtype(x.dtype))


def _mask_impl(x, keep):
    dt = np.dtype(x.dtype)
    return default_generator.bernoulli(x.shape, keep, dt) / dt.type(keep)


DROPOUT_MASK_LIKE = register(
    Primitive(
        "dropout_mask_like",
        impl=_mask_impl,
        shape_rule=_mask_rule,
        nondiff=(0,),
        random=True,
    )
)


def dropout_mask_like(x, keep: float):
    """A mask shaped like x: 1/keep with probability keep, else 0, drawn when the op runs."""
    return bind(DROPOUT_MASK_LIKE, x, keep=float(keep))
