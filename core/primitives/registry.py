"""The primitive record and the single dispatch point `bind`.

A primitive is declared once with its kernel (`impl`), its shape/dtype rule, its VJP rule and a
numpy reference for the tests. `bind` is the one place that decides what happens to it: when an
operand is symbolic (it defines ``__dg_bind__``, e.g. a graph IR value) the operand's hook builds
a node; otherwise the shape rule validates the concrete arrays and the kernel runs now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Shape = tuple  # entries are int, or None for a dimension unknown until run time


@dataclass(frozen=True)
class AVal:
    """The abstract value a shape rule returns: a static shape (None = unknown) and a dtype."""

    shape: Shape
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)


@dataclass(eq=False)
class Primitive:
    """One operation of the core: kernel, shape rule, VJP rule and numpy reference, side by side."""

    name: str
    impl: Callable[..., np.ndarray]
    shape_rule: Callable[..., AVal]
    vjp: Callable[..., tuple] | None = None
    reference: Callable[..., np.ndarray] | None = None
    # indices of operands that never carry a gradient (labels, conditions, shape references)
    nondiff: tuple[int, ...] = ()
    # True when the operand list is variadic (concat, stack)
    variadic: bool = False
    # the scalar op name when the primitive is elementwise (lets a fusion pass find it)
    elementwise: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    # ``fast(*arrays)``: what shape_rule + impl do for a call without params on exact ndarrays,
    # the rule's verdict and the kernel choice cached per operand shapes and dtypes (elementwise
    # primitives; see kernels.elementwise.dispatcher). Only valid when the rule reads nothing
    # but the operands' shapes and dtypes.
    fast: Callable[..., np.ndarray] | None = None
    # ``fast_params(*arrays, **params)``: the same for calls with params on exact ndarrays (the
    # rule's verdict and the kernel's plan cached per operand layout and params; see
    # linalg.matmul_fast, reduction._fast). Only valid when the rule reads nothing but the
    # operands' shapes and dtypes and the (hashable) params.
    fast_params: Callable[..., np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


REGISTRY: dict[str, Primitive] = {}


def register(prim: Primitive) -> Primitive:
    """Add a primitive to the table (names are unique)."""
    if prim.name in REGISTRY:
        raise ValueError(f"primitive {prim.name!r} is declared twice")
    REGISTRY[prim.name] = prim
    return prim


_ndarray = np.ndarray


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply `prim`: build a node for a symbolic operand, else check shapes and run the kernel."""
    plain = True
    for a in args:
        if type(a) is not _ndarray:
            hook = getattr(type(a), "__dg_bind__", None)
            if hook is not None:
                return hook(a, prim, args, params)
            plain = False
    if plain:
        if not params:
            fast = prim.fast
            if fast is not None:
                return fast(*args)
        else:
            fast = prim.fast_params
            if fast is not None:
                try:
                    return fast(*args, **params)
                except TypeError:  # a bad call (say, a missing param): the rule reports it
                    pass
    prim.shape_rule(*args, **params)
    return prim.impl(*args, **params)


def is_symbolic(x: Any) -> bool:
    """True when `x` is a symbolic value (it builds nodes instead of holding numbers)."""
    return getattr(type(x), "__dg_bind__", None) is not None
