"""The primitives table: every core operation declared once (kernel, shape rule, VJP, reference)."""

from . import conv, elementwise, linalg, nn, pool, randomness, reduction, rnn, shaping  # noqa: F401
from . import sparse  # noqa: F401
from .registry import REGISTRY, AVal, Primitive, bind, is_symbolic, register

__all__ = ["AVal", "Primitive", "REGISTRY", "bind", "is_symbolic", "register"]
