"""Error types shared by both frontends: they name the op, the operands and the broken rule."""

from __future__ import annotations


class ShapeError(ValueError):
    """An operation was given operands whose shapes break its rule."""


class DTypeError(TypeError):
    """An operation was given operands whose dtypes break its rule."""


class BoolOperandError(DTypeError, RuntimeError):
    """An arithmetic operation both anchors refuse on bool operands (subtraction, negation): a
    TypeError as TF raises at graph build, and a RuntimeError as PyTorch raises."""


def fmt_shape(shape: tuple) -> str:
    """Render a shape as PyTorch and TF users read it: (2, 3), (None, 784), ()."""
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
