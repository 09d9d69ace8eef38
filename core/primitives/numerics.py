"""check_numerics: pass a tensor through unchanged, or stop the run at its first NaN or Inf.

The error raised is the caller's (a frontend passes its own, e.g. the graph frontend's
InvalidArgumentError, as the `error` param: ``error(text) -> exception``); the default is
`NonFiniteError`. The gradient checks the incoming gradient the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DTypeError
from .registry import MAY_ALIAS, AVal, Primitive, bind, register


class NonFiniteError(ValueError):
    """A checked tensor holds a NaN or an infinity."""


_GRAD_PREFIX = "Not a number (NaN) or infinity (Inf) values detected in gradient. "


def _first_bad(x: np.ndarray) -> tuple[str, tuple] | None:
    """('NaN' or 'Inf', index of the first such element), or None when every value is finite."""
    finite = np.isfinite(x)
    if finite.all():
        return None
    nan = np.isnan(x)
    kind = "NaN" if nan.any() else "Inf"
    flat = int(np.flatnonzero(nan if kind == "NaN" else ~finite)[0])
    return kind, tuple(int(i) for i in np.unravel_index(flat, x.shape))


def _impl(
    x: np.ndarray, message: str, tensor_name: str, error: Callable = NonFiniteError
) -> np.ndarray:
    bad = _first_bad(x)
    if bad is not None:
        kind, where = bad
        count = int(np.count_nonzero(~np.isfinite(x)))
        raise error(
            f"{message} : Tensor had {kind} values (check_numerics of '{tensor_name}', shape "
            f"{tuple(x.shape)}: {count} non-finite value(s), the first at index {list(where)})",
        )
    return x


def _rule(x: Any, message: str, tensor_name: str, error: Callable = NonFiniteError) -> AVal:
    dt = np.dtype(x.dtype)
    if dt.kind != "f":
        raise DTypeError(
            f"check_numerics: '{tensor_name}' has dtype {dt}; only floating-point tensors can "
            "hold NaN or Inf (cast it, or leave it unchecked)"
        )
    return AVal(tuple(x.shape), dt)


def _vjp(g, out, x, *, wants, message: str, tensor_name: str, error=NonFiniteError):
    # the gradient is checked too, as TF's CheckNumerics gradient does
    return (
        bind(
            CHECK_NUMERICS, g, message=_GRAD_PREFIX + message, tensor_name=tensor_name, error=error
        ),
    )


def _reference(
    x: np.ndarray, message: str, tensor_name: str, error: Callable = NonFiniteError
) -> np.ndarray:
    if not np.isfinite(x).all():
        raise error(f"{message} : Tensor had NaN or Inf values")
    return x


CHECK_NUMERICS = register(
    Primitive(
        "check_numerics",
        impl=_impl,
        shape_rule=_rule,
        vjp=_vjp,
        reference=_reference,
        alias=MAY_ALIAS,  # the kernel hands back its operand: a fetched result must be copied
        shape_from=0,
    )
)
