"""More of `tf` / `tf.math` / `tf.nn`: rounding, floor division, running sums and products,
products, top-k, boolean masks, exact GELU and zero_fraction, as TF1 defines them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import math_compose as MC
from ...core import ops
from ...core.primitives import elementwise_more as EM
from ...core.primitives import masking
from ...core.primitives.guards import nonzero_divisor
from . import dtypes as tfd
from .math_ops import _axes, _keep, _tensor, known_rank
from .tensor import Tensor


def _float_op(op: str, type_name: str, fn, x: Any, name: str | None) -> Tensor:
    x = _tensor(x)
    if not tfd.as_dtype(x.dtype).is_floating:
        raise TypeError(
            f"tf.{op}: expects a float tensor, got {x} of dtype {tfd.as_dtype(x.dtype).name}; "
            "cast it with tf.cast(x, tf.float32) first"
        )
    # TF defines no gradient through rounding (tf.gradients reports None), hence stop_gradient
    return x.graph.build_op(type_name, name, lambda: ops.stop_gradient(fn(x)))


def floor(x: Any, name: str | None = None) -> Tensor:
    """The largest integer not above x, elementwise (no gradient, as in TF)."""
    return _float_op("floor", "Floor", MC.floor, x, name)


def ceil(x: Any, name: str | None = None) -> Tensor:
    """The smallest integer not below x, elementwise (no gradient, as in TF)."""
    return _float_op("ceil", "Ceil", MC.ceil, x, name)


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """Round half to even, elementwise (no gradient, as in TF)."""
    x = _tensor(x)
    if not tfd.as_dtype(x.dtype).is_floating:
        return x.graph.build_op("Round", name, lambda: ops.identity(x))  # integers are whole
    return _float_op("round", "Round", MC.round_half_even, x, name)


def rint(x: Any, name: str | None = None) -> Tensor:
    """Round half to even, elementwise (no gradient, as in TF)."""
    return _float_op("rint", "Rint", MC.round_half_even, x, name)


def _pair(x: Any, y: Any) -> tuple:
    x = _tensor(x)
    y = y if isinstance(y, Tensor) else _tensor(np.asarray(y, dtype=tfd.as_dtype(x.dtype).np_dtype))
    if x.dtype != y.dtype:
        raise TypeError(f"floordiv/floormod: operands {x} and {y} must share their dtype")
    return x, y


def _floordiv(x, y, op: str = "floordiv"):
    dt = np.dtype(x.dtype)
    if dt.kind == "f":
        return MC.floor(ops.div(x, y))
    y = nonzero_divisor(y, op)
    # integers: exact through float64 for magnitudes below 2**52
    q = MC.floor(ops.div(ops.cast(x, np.float64), ops.cast(y, np.float64)))
    return ops.cast(q, dt)


def floordiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """floor(x / y), elementwise (for integers too)."""
    x, y = _pair(x, y)
    return x.graph.build_op("FloorDiv", name, lambda: _floordiv(x, y))


def _floormod(x, y):
    if np.dtype(x.dtype).kind != "f":
        return ops.sub(x, ops.mul(ops.stop_gradient(_floordiv(x, y, "floormod")), y))
    # floats: TF's fmod form, fmod(x, y) moved to y's sign. fmod is exact where
    # x - floor(x/y) * y rounds (1e30 mod 7) and is NaN-free for an infinite divisor; its
    # gradient (1 for x, -floor(x/y) for y once moved) is FloorMod's
    t = EM.fmod(x, y)
    zero = ops.scalar(0, t)
    signs = ops.not_equal(ops.less(x, zero), ops.less(y, zero))
    return ops.where(signs, ops.where(ops.not_equal(t, zero), ops.add(t, y), t), t)


def floormod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x - floor(x / y) * y: the remainder with the sign of y (gradient flows to x as in TF)."""
    x, y = _pair(x, y)
    return x.graph.build_op("FloorMod", name, lambda: _floormod(x, y))


def reduce_prod(
    input_tensor: Any, axis: Any = None, keepdims: Any = None, name: str | None = None,
    reduction_indices: Any = None, keep_dims: Any = None,
) -> Tensor:  # fmt: skip
    """Product over `axis` (None = all); the lengths reduced must be known at build time."""
    x = _tensor(input_tensor)
    known_rank("reduce_prod", x)
    ax, keep = _axes(axis, reduction_indices), _keep(keepdims, keep_dims)
    return x.graph.build_op("Prod", name, lambda: MC.prod(x, ax, keep))


def _scan(op: str, type_name: str, fn, x, axis, exclusive, reverse, name) -> Tensor:
    x = _tensor(x)
    known_rank(op, x)
    if isinstance(axis, Tensor):
        raise TypeError(f"tf.{op}: axis must be a Python int, got the tensor {axis}")
    return x.graph.build_op(
        type_name, name, lambda: fn(x, int(axis), bool(exclusive), bool(reverse))
    )


def cumsum(
    x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """Running sum along `axis` (its length must be known at build time)."""
    return _scan("cumsum", "Cumsum", MC.cumsum, x, axis, exclusive, reverse, name)


def cumprod(
    x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """Running product along `axis` (its length must be known at build time)."""
    return _scan("cumprod", "Cumprod", MC.cumprod, x, axis, exclusive, reverse, name)


class TopKV2(tuple):
    """(values, indices), also readable by name."""

    @property
    def values(self) -> Tensor:
        """The k largest entries."""
        return self[0]

    @property
    def indices(self) -> Tensor:
        """Their positions along the last axis (int32)."""
        return self[1]


def top_k(input: Any, k: int = 1, sorted: bool = True, name: str | None = None) -> TopKV2:  # noqa: A002
    """The k largest entries of the last axis and their int32 indices, largest first."""
    x = _tensor(input)
    known_rank("top_k", x)
    if isinstance(k, Tensor):
        raise TypeError(f"top_k: k must be a Python int, got the tensor {k}")
    pair = x.graph.build_op("TopKV2", name, lambda: MC.top_k(x, int(k)))
    return TopKV2(pair)


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Tensor:
    """The entries of `tensor` where `mask` is true (mask covers dims axis..axis+mask.ndim-1),
    flattened into one dimension of run-time length."""
    x, m = _tensor(tensor), _tensor(mask)
    known_rank("boolean_mask", x, m)
    if not tfd.as_dtype(m.dtype).is_bool:
        raise TypeError(f"boolean_mask: mask must be a bool tensor, got {m}")
    ax = 0 if axis is None else int(axis)
    return x.graph.build_op("BooleanMask", name, lambda: masking.boolean_mask(x, m, ax))


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Tensor:
    """x * Phi(x): exactly with erf, or TF's tanh formula when `approximate`."""
    x = _tensor(features)

    def fn():
        if approximate:
            inner = ops.mul(
                ops.scalar(0.7978845608028654, x),
                ops.add(x, ops.mul(ops.scalar(0.044715, x), ops.pow(x, ops.scalar(3, x)))),
            )
            return ops.mul(
                ops.mul(ops.scalar(0.5, x), x), ops.add(ops.scalar(1, x), ops.tanh(inner))
            )
        from ...core.primitives.special import erf

        phi = ops.add(ops.scalar(1, x), erf(ops.mul(x, ops.scalar(0.7071067811865476, x))))
        return ops.mul(ops.mul(ops.scalar(0.5, x), x), phi)

    return x.graph.build_op("Gelu", name, fn)


def zero_fraction(value: Any, name: str | None = None) -> Tensor:
    """The fraction of entries equal to zero, as a float32 scalar."""
    x = _tensor(value)
    zero = np.zeros((), dtype=tfd.as_dtype(x.dtype).np_dtype)
    return x.graph.build_op(
        "zero_fraction",
        name,
        lambda: ops.mean(ops.cast(ops.equal(x, zero), np.float32)),
    )


def sequence_mask(
    lengths: Any, maxlen: Any = None, dtype: Any = tfd.bool, name: str | None = None
) -> Tensor:
    """mask[..., j] = j < lengths[...]; maxlen defaults to max(lengths) (known when run)."""
    from . import array_ops as A
    from .math_ops import cast, less, reduce_max

    n = _tensor(lengths)
    if not tfd.as_dtype(n.dtype).is_integer:
        raise TypeError(f"sequence_mask: lengths must be integers, got {n}")
    if maxlen is None:
        maxlen = reduce_max(n)
    if isinstance(maxlen, Tensor):
        maxlen = cast(maxlen, n.dtype)
    positions = A.range(0, maxlen, 1, dtype=n.dtype)
    mask = less(positions, A.expand_dims(n, -1))
    out_dt = tfd.as_dtype(dtype)
    return mask if out_dt.is_bool else cast(mask, out_dt, name=name)


def l2_regularizer(scale: float, scope: str | None = None) -> Any:
    """A function weights -> scale * sum(weights ** 2) / 2 (None when scale is 0)."""
    from .nn import l2_loss

    if scale < 0:
        raise ValueError(f"l2_regularizer: scale must be >= 0, got {scale}")
    if scale == 0:
        return lambda weights: None

    def regularizer(weights: Any) -> Tensor:
        w = _tensor(weights)
        return ops_scale(l2_loss(w), scale)

    return regularizer


def l1_regularizer(scale: float, scope: str | None = None) -> Any:
    """A function weights -> scale * sum(|weights|) (None when scale is 0)."""
    from .math_ops import abs as abs_
    from .math_ops import reduce_sum

    if scale < 0:
        raise ValueError(f"l1_regularizer: scale must be >= 0, got {scale}")
    if scale == 0:
        return lambda weights: None
    return lambda weights: ops_scale(reduce_sum(abs_(_tensor(weights))), scale)


def ops_scale(t: Tensor, scale: float) -> Tensor:
    """t * scale in t's dtype."""
    from .math_ops import multiply

    return multiply(t, np.asarray(scale, dtype=tfd.as_dtype(t.dtype).np_dtype))
