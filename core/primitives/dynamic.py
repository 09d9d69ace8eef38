"""Primitives for shapes known only at run time: run-time shapes, shapes given as tensors,
dropout with a fed keep probability, and initializers drawn when run (the reductions over all
axes of a tensor of unknown rank live with the other reductions).

Each reuses the core's kernels and helpers so the numbers equal those of the core primitive the
eager frontend would run (e.g. `reduce_all("sum")` calls the same reduction kernel over all axes
as `core.ops.sum(x)`).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes, init, ops
from ..domain import reshape_sizes
from ..errors import DTypeError, ShapeError, fmt_shape
from ..random import default_generator
from . import randomness
from .reduction import COUNT_ALL, REDUCE_ALL, count_all, reduce_all  # noqa: F401
from .registry import VIEW, AVal, Primitive, bind, is_unknown_rank, register

_INT32 = np.dtype(np.int32)


# ---- run-time shape, size and rank ------------------------------------------------------------


def _shape_rule(x, out_type) -> AVal:
    shape = tuple(x.shape)
    n = None if is_unknown_rank(x.shape) else len(shape)
    return AVal((n,), np.dtype(out_type))


SHAPE_OF = register(
    Primitive(
        "shape_of",
        impl=lambda x, out_type: np.asarray(np.shape(x), dtype=out_type),
        shape_rule=_shape_rule,
        reference=lambda x, out_type: np.array(x.shape, dtype=out_type),
        nondiff=(0,),
        shape_only=(0,),
        rank_from_params=True,
    )
)
SIZE_OF = register(
    Primitive(
        "size_of",
        impl=lambda x, out_type: np.asarray(np.size(x), dtype=out_type),
        shape_rule=lambda x, out_type: AVal((), np.dtype(out_type)),
        reference=lambda x, out_type: np.array(x.size, dtype=out_type),
        nondiff=(0,),
        shape_only=(0,),
        rank_from_params=True,
    )
)
RANK_OF = register(
    Primitive(
        "rank_of",
        impl=lambda x: np.asarray(np.ndim(x), dtype=_INT32),
        shape_rule=lambda x: AVal((), _INT32),
        reference=lambda x: np.array(x.ndim, dtype=_INT32),
        nondiff=(0,),
        shape_only=(0,),
        rank_from_params=True,
    )
)


def shape_of(x, out_type=_INT32):
    """The run-time shape of x as a 1-D integer tensor."""
    return bind(SHAPE_OF, x, out_type=np.dtype(out_type))


def size_of(x, out_type=_INT32):
    """The run-time number of elements of x."""
    return bind(SIZE_OF, x, out_type=np.dtype(out_type))


def rank_of(x):
    """The run-time rank of x (int32)."""
    return bind(RANK_OF, x)


# ---- shapes given as tensors --------------------------------------------------------------------


def _int_shape(op: str, shape) -> None:
    if np.dtype(shape.dtype).kind not in "iu" or len(shape.shape) != 1:
        raise DTypeError(
            f"{op}: the shape must be a 1-D integer tensor, got dtype {np.dtype(shape.dtype)} "
            f"and shape {fmt_shape(tuple(shape.shape))}"
        )


def _dynamic_reshape_rule(x, shape) -> AVal:
    _int_shape("reshape", shape)
    if isinstance(shape, np.ndarray) and isinstance(x, np.ndarray):  # concrete: check it now
        return AVal(_dynamic_reshape_impl(x, shape).shape, np.dtype(x.dtype))
    n = shape.shape[0]
    return AVal((None,) * n if n is not None else (None,), np.dtype(x.dtype))


def _dynamic_reshape_impl(x, shape):
    try:
        return np.reshape(x, tuple(int(d) for d in shape))
    except ValueError:
        raise ShapeError(
            f"reshape: cannot reshape {fmt_shape(np.shape(x))} ({np.size(x)} elements) into "
            f"{tuple(int(d) for d in shape)}"
        ) from None


RESHAPE_DYNAMIC = register(
    Primitive(
        "reshape_dynamic",
        impl=_dynamic_reshape_impl,
        shape_rule=_dynamic_reshape_rule,
        checks=(reshape_sizes,),
        reference=lambda x, shape: np.reshape(x, tuple(shape.tolist())),
        vjp=lambda g, out, x, shape, wants: (ops.reshape_like(g, x), None),
        nondiff=(1,),
        alias=VIEW,
        rank_from_params=True,
    )
)


def reshape_dynamic(x, shape):
    """Reshape x to a shape known only at run time (a 1-D integer tensor)."""
    return bind(RESHAPE_DYNAMIC, x, shape)


def _fill_rule(shape, value) -> AVal:
    _int_shape("fill", shape)
    if tuple(value.shape) != ():
        raise ShapeError(f"fill: the value must be a scalar, got shape {fmt_shape(value.shape)}")
    if isinstance(shape, np.ndarray):
        return AVal(tuple(int(d) for d in shape), np.dtype(value.dtype))
    n = shape.shape[0]
    return AVal((None,) * n if n is not None else (None,), np.dtype(value.dtype))


FILL_DYNAMIC = register(
    Primitive(
        "fill_dynamic",
        impl=lambda shape, value: np.full(tuple(int(d) for d in shape), value),
        shape_rule=_fill_rule,
        reference=lambda shape, value: np.full(tuple(shape.tolist()), value),
        nondiff=(0, 1),
        rank_from_params=True,
    )
)


def fill_dynamic(shape, value):
    """An array of the 0-d `value` with a shape known only at run time."""
    return bind(FILL_DYNAMIC, shape, value)


# ---- dropout with a keep probability fed at run time --------------------------------------------


def _dyn_mask_rule(x, keep) -> AVal:
    if np.dtype(x.dtype).kind != "f":
        raise DTypeError(f"dropout: expected a float32 or float64 operand, got {np.dtype(x.dtype)}")
    if tuple(keep.shape) != ():
        raise ShapeError(f"dropout: keep_prob must be a scalar, got shape {fmt_shape(keep.shape)}")
    return AVal(tuple(x.shape), np.dtype(x.dtype))


def _dyn_mask_impl(x, keep):
    k = float(keep)
    if not 0.0 < k <= 1.0:
        raise ValueError(f"dropout: keep_prob must be in (0, 1], got {k}")
    return randomness._mask_impl(x, k)  # the core's mask, so the draws match dropout_mask_like


DROPOUT_MASK_DYNAMIC = register(
    Primitive(
        "dropout_mask_dynamic",
        impl=_dyn_mask_impl,
        shape_rule=_dyn_mask_rule,
        nondiff=(0, 1),
        random=True,
        shape_from=0,  # a keep_prob fed without a shape is fine
    )
)


def dropout_mask_dynamic(x, keep):
    """A dropout mask like core's dropout_mask_like, with `keep` a 0-d tensor fed at run time."""
    return bind(DROPOUT_MASK_DYNAMIC, x, keep)


# ---- initializers drawn when the initializer runs ------------------------------------------------


def _draw_impl(kind, shape, dtype, layout, a):
    if kind == "glorot_uniform":
        return init.glorot_uniform(shape, layout=layout, dtype=dtype)
    if kind == "kaiming_uniform":
        return init.kaiming_uniform(shape, a=a, layout=layout, dtype=dtype)
    raise ValueError(f"unknown initializer {kind!r}")


INIT_DRAW = register(
    Primitive(
        "init_draw",
        impl=_draw_impl,
        shape_rule=lambda kind, shape, dtype, layout, a: AVal(tuple(shape), np.dtype(dtype)),
        random=True,
        rank_from_params=True,
    )
)


def init_draw_params(kind: str, shape, dtype, layout: str = "in_out", a: float = 0.0) -> dict:
    """Parameters of an INIT_DRAW node (core/init.py's initializer `kind`, drawn when run)."""
    dt = dtypes.as_dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{kind} initializer: expected a float dtype, got {dt}")
    init.fans(tuple(shape), layout)  # fails now, not at run time, for a shape without fans
    return {
        "kind": kind,
        "shape": tuple(int(d) for d in shape),
        "dtype": dt,
        "layout": layout,
        "a": float(a),
    }


# ---- integer draws (tf.random_uniform with an integer dtype) -------------------------------------

RANDOM_INTEGERS = register(
    Primitive(
        "random_integers",
        impl=lambda shape, low, high, dtype: default_generator.integers(low, high, shape, dtype),
        shape_rule=lambda shape, low, high, dtype: AVal(tuple(shape), np.dtype(dtype)),
        random=True,
        rank_from_params=True,
    )
)
