"""Shared pieces of shape/dtype rules: broadcasting with unknown dims, axis handling, checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..domain import axis_error
from ..errors import BoolOperandError, DTypeError, ShapeError, fmt_shape
from .registry import AVal

_F32, _F64 = dtypes.float32, dtypes.float64


def broadcast_shapes(op: str, *shapes: tuple) -> tuple:
    """NumPy broadcasting of static shapes; None (unknown) dims broadcast optimistically."""
    if len(shapes) == 2:
        # the everyday cases, decided without the loop: equal shapes broadcast to themselves
        # (also with None dims), and a 0-d operand takes the other one's shape
        a, b = shapes
        if a == b or not b:
            return tuple(a)
        if not a:
            return tuple(b)
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        dim: int | None = 1
        for s in shapes:
            j = i - (ndim - len(s))
            if j < 0:
                continue
            d = s[j]
            if d == 1:
                continue
            if d is None:
                dim = None if dim in (1, None) else dim
            elif dim in (1, None):
                dim = d
            elif dim != d:
                shown = " and ".join(fmt_shape(x) for x in shapes)
                raise ShapeError(
                    f"{op}: shapes {shown} cannot be broadcast together "
                    f"(axis {i - ndim}: {dim} vs {d}); each dimension must match or be 1"
                )
        out.append(dim)
    return tuple(out)


def rank(x: object) -> int:
    """``len(x.shape)``, read from ``x.ndim`` where the operand has it (arrays, eager tensors and
    IR values all do, equal to it) so that no shape object is built on the hot path."""
    try:
        return x.ndim
    except AttributeError:
        return len(x.shape)


def same_dtype(op: str, *xs: object) -> np.dtype:
    """All operands must share one dtype (frontends insert casts before calling the core)."""
    dt = xs[0].dtype
    for x in xs[1:]:
        d = x.dtype
        if d is not dt and d != dt:
            given = ", ".join(str(np.dtype(y.dtype)) for y in xs)
            raise DTypeError(
                f"{op}: operands have different dtypes ({given}); cast one of them first"
            )
    return np.dtype(dt)


def require_float(op: str, x: object) -> np.dtype:
    """The operand must be float32 or float64."""
    dt = np.dtype(x.dtype)
    if dt is not _F32 and dt is not _F64 and not dtypes.is_float(dt):
        raise DTypeError(f"{op}: expected a float32 or float64 operand, got {dt}")
    return dt


def refuse_bool(op: str, *xs: object) -> None:
    """Operands of an arithmetic op both anchors define on numbers only (sub, neg) are not bool."""
    if any(np.dtype(x.dtype) == np.bool_ for x in xs):
        raise BoolOperandError(
            f"{op}: bool operands are not supported (subtraction and negation of bool tensors "
            "are refused; use logical_xor or logical_not for masks)"
        )


# ---- verdict caches ------------------------------------------------------------------------
# A rule that reads only its operands' shapes and dtypes and its (hashable) params gives the
# same verdict for the same (shapes, dtypes, params): the eager frontend, which checks every
# call on concrete arrays, keeps the AVal per key. A miss runs the full rule, so errors are
# exactly the rule's own, and a failure is never stored. Tables are plain dicts (lookups and
# stores are atomic under the GIL; a racing first call only runs the rule twice), reset when
# full.

MAX_VERDICTS = 4096


def remember(table: dict, key: object, verdict: object) -> object:
    """Store `verdict` (never a failure) under `key` in a verdict table; return it."""
    if len(table) >= MAX_VERDICTS:
        table.clear()
    table[key] = verdict
    return verdict


_AXES: dict = {}


def normalize_axes(op: str, axes: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """Turn an axis spec into a sorted tuple of non-negative axes (None = all axes)."""
    # the type is part of the key: 1.0 == 1, but a float axis is an error and an int is not
    key = (op, type(axes), axes, ndim)
    try:
        hit = _AXES.get(key)
    except TypeError:  # an unhashable spec (a list): no caching
        return _normalize_axes(op, axes, ndim)
    if hit is None:
        hit = remember(_AXES, key, _normalize_axes(op, axes, ndim))
    return hit


def _normalize_axes(op: str, axes: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise axis_error(op, a, ndim, "axis")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: axis {tuple(axes)} repeats an axis")
    return tuple(sorted(out))


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    """One axis, negative allowed."""
    if not -ndim <= axis < ndim:
        raise axis_error(op, axis, ndim, "axis")
    return axis % ndim


def reduced_shape(shape: tuple, axes: tuple[int, ...], keepdims: bool) -> tuple:
    """The shape left after reducing `axes`."""
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def aval(shape: Sequence, dtype: object) -> AVal:
    """Build an abstract value."""
    return AVal(tuple(shape), np.dtype(dtype))


def same_shape_as(op: str, x: object, like: object) -> None:
    """Static shapes that are both known must be equal."""
    for a, b in zip(x.shape, like.shape, strict=False):
        if a is not None and b is not None and a != b:
            raise ShapeError(
                f"{op}: shape {fmt_shape(x.shape)} differs from {fmt_shape(like.shape)}"
            )
    if len(x.shape) != len(like.shape):
        raise ShapeError(f"{op}: shape {fmt_shape(x.shape)} differs from {fmt_shape(like.shape)}")
