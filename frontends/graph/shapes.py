"""TensorShape: a static shape whose dims may be None (unknown), or whose rank may be unknown.

It is a tuple (a core `StaticShape`), so the core's shape rules read it as one. A shape of
unknown rank (a placeholder made without `shape`) is stored as the one-dim tuple ``(None,)``
flagged ``unknown_rank``: the core then never treats it as a known shape, and the frontend
knows not to trust its rank.
"""

from __future__ import annotations

import math
from typing import Any

from ...core.primitives.registry import StaticShape, is_unknown_rank


class TensorShape(StaticShape):
    """A static shape, as `tf.TensorShape`: ``as_list()``, ``ndims``, dims that may be None."""

    unknown_rank: bool = False

    def __new__(cls, dims: Any = None, unknown_rank: bool | None = None) -> TensorShape:
        if isinstance(dims, TensorShape) and unknown_rank is None:
            return dims
        if dims is None or unknown_rank:
            obj = super().__new__(cls, (None,))
            obj.unknown_rank = True
            return obj
        if isinstance(dims, (int,)) or hasattr(dims, "__index__"):
            dims = (dims,)
        return super().__new__(cls, tuple(_dim(d) for d in dims))

    @property
    def ndims(self) -> int | None:
        """The rank, or None when unknown."""
        return None if self.unknown_rank else len(self)

    rank = ndims

    @property
    def dims(self) -> list | None:
        """The dims as a list (None when the rank is unknown)."""
        return None if self.unknown_rank else list(self)

    def as_list(self) -> list:
        """The dims as a list of ints and Nones."""
        if self.unknown_rank:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self)

    def is_fully_defined(self) -> bool:
        """True when the rank and every dim are known."""
        return not self.unknown_rank and all(d is not None for d in self)

    def num_elements(self) -> int | None:
        """The number of elements, or None if not fully defined."""
        return math.prod(self) if self.is_fully_defined() else None

    def is_compatible_with(self, other: Any) -> bool:
        """True when the two shapes could describe the same concrete shape."""
        other = TensorShape(other) if not isinstance(other, TensorShape) else other
        if self.unknown_rank or other.unknown_rank:
            return True
        if len(self) != len(other):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self, other, strict=False))

    def merge_with(self, other: Any) -> TensorShape:
        """The most specific shape compatible with both (ValueError if incompatible)."""
        other = TensorShape(other) if not isinstance(other, TensorShape) else other
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        if self.unknown_rank:
            return other
        if other.unknown_rank:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self, other, strict=False)])

    def with_rank(self, rank: int) -> TensorShape:
        """This shape, checked to have `rank` dims."""
        if self.unknown_rank:
            return TensorShape([None] * rank)
        if len(self) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def concatenate(self, other: Any) -> TensorShape:
        """Dims of self followed by those of other."""
        other = TensorShape(other) if not isinstance(other, TensorShape) else other
        if self.unknown_rank or other.unknown_rank:
            return TensorShape(None)
        return TensorShape(tuple(self) + tuple(other))

    def __getitem__(self, key):
        if isinstance(key, slice):
            if self.unknown_rank:
                return TensorShape(None)
            return TensorShape(tuple.__getitem__(self, key))
        if self.unknown_rank:
            return None
        d = tuple.__getitem__(self, key)
        return d if d is None else Dimension(d)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TensorShape):
            if self.unknown_rank or other.unknown_rank:
                return self.unknown_rank and other.unknown_rank
            return tuple(self) == tuple(other)
        if isinstance(other, (list, tuple)):
            return not self.unknown_rank and tuple(self) == tuple(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        if self.unknown_rank:
            return "TensorShape(None)"
        return f"TensorShape({list(self)})"

    def __str__(self) -> str:
        if self.unknown_rank:
            return "<unknown>"
        inner = ", ".join("None" if d is None else str(d) for d in self)
        return f"({inner},)" if len(self) == 1 else f"({inner})"

    def __reduce__(self):
        return (TensorShape, (None if self.unknown_rank else tuple(self),))


class Dimension(int):
    """A known dimension read by indexing a TensorShape: an int that also has TF1's `.value`
    (programs write `x.get_shape()[1].value`)."""

    __slots__ = ()

    @property
    def value(self) -> int:
        """The dimension as a plain int."""
        return int(self)

    def __repr__(self) -> str:
        return int.__repr__(self)


def _dim(d: Any) -> int | None:
    if d is None:
        return None
    value = getattr(d, "value", d)  # Dimension-like objects
    if value is None:
        return None
    if int(value) != value or int(value) < 0:
        raise ValueError(f"a dimension must be a non-negative int or None, got {d!r}")
    return int(value)


def unknown_shape() -> TensorShape:
    """A shape of unknown rank."""
    return TensorShape(None)


def fmt_tf_shape(shape: Any) -> str:
    """Render a shape as TF's messages do: [?,3], or <unknown>."""
    if is_unknown_rank(shape):
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"
