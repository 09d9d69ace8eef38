"""The primitives table: every core operation declared once (kernel, shape rule, VJP, reference)."""

from . import conv, elementwise, linalg, nn, pool, randomness, reduction, rnn, shaping  # noqa: F401
from . import special  # noqa: F401  (erf)
from .registry import REGISTRY, AVal, Primitive, bind, is_symbolic, register

__all__ = ["AVal", "Primitive", "REGISTRY", "bind", "is_symbolic", "register"]
