"""tf.floor / tf.ceil / tf.round (and tf.math names): zero gradient, as TF registers."""

from __future__ import annotations

from typing import Any

from ...core import ops
from .math_ops import _tensor
from .tensor import Tensor


def _whole(fn, x: Any, name: str | None, type_name: str) -> Tensor:
    t = _tensor(x)
    if t.dtype.np_dtype.kind in "iub":
        return t.graph.build_op(type_name, name, lambda: ops.identity(t))
    return t.graph.build_op(type_name, name, lambda: fn(t))


def floor(x: Any, name: str | None = None) -> Tensor:
    """The largest integer <= x, elementwise."""
    return _whole(ops.floor, x, name, "Floor")


def ceil(x: Any, name: str | None = None) -> Tensor:
    """The smallest integer >= x, elementwise."""
    return _whole(ops.ceil, x, name, "Ceil")


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - tf.round
    """x rounded to the nearest integer, halves to even (as TF)."""
    return _whole(ops.round, x, name, "Round")


def _install(math_ns: Any) -> None:
    """tf.math.floor / ceil / round."""
    for f in (floor, ceil, round):
        setattr(math_ns, f.__name__, f)
