"""``torch.lgamma`` / ``digamma`` / ``polygamma`` / ``_standard_gamma`` (and the Tensor methods
and ``torch.special`` names), on the core's Gamma-family primitives."""

from __future__ import annotations

import types
from typing import Any

from ...core.primitives import probability as P
from .creation import as_tensor
from .tensor import Tensor


def _float(x: Any) -> Tensor:
    t = x if isinstance(x, Tensor) else as_tensor(x)
    return t if t.is_floating_point() else t.float()


def lgamma(input: Any) -> Tensor:  # noqa: A002 - torch's name
    """log |Gamma(input)|, elementwise (differentiable)."""
    return P.lgamma(_float(input))


def digamma(input: Any) -> Tensor:  # noqa: A002
    """psi(input), the derivative of lgamma (differentiable)."""
    return P.digamma(_float(input))


def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002
    """The n-th derivative of digamma (n = 0 is digamma)."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got {n}")
    return digamma(input) if n == 0 else P.polygamma(_float(input), n)


def igamma(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The regularised lower incomplete gamma function P(input, other)."""
    a = _float(input)
    x = other if isinstance(other, Tensor) else as_tensor(other, dtype=a.dtype)
    return P.igamma(a, x)


def igammac(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The regularised upper incomplete gamma function Q = 1 - P."""
    return 1 - igamma(input, other)


def erfinv(input: Any) -> Tensor:  # noqa: A002
    """The inverse error function, elementwise (NaN outside [-1, 1], +-inf at +-1)."""
    from ...core.primitives.special import erfinv as core_erfinv

    return core_erfinv(_float(input))


def ndtri(input: Any) -> Tensor:  # noqa: A002
    """The standard normal quantile function sqrt(2) * erfinv(2 input - 1)."""
    from ...core import distributions as D

    p = _float(input)
    return D.normal_icdf(p, as_tensor(0.0, dtype=p.dtype), as_tensor(1.0, dtype=p.dtype))


def _standard_gamma(input: Any) -> Tensor:  # noqa: A002
    """Gamma(input, 1) draws shaped like input, with implicit gradients to input."""
    return P.standard_gamma(_float(input))


def attach(torch: types.ModuleType) -> None:
    """Add the functions, the Tensor methods and the torch.special names."""
    for name, fn in (
        ("lgamma", lgamma),
        ("digamma", digamma),
        ("polygamma", polygamma),
        ("_standard_gamma", _standard_gamma),
        ("igamma", igamma),
        ("igammac", igammac),
        ("erfinv", erfinv),
    ):
        if not hasattr(torch, name):
            setattr(torch, name, fn)
    Tensor.lgamma = lambda self: lgamma(self)
    Tensor.digamma = lambda self: digamma(self)
    Tensor.polygamma = lambda self, n: polygamma(n, self)
    Tensor.erfinv = lambda self: erfinv(self)
    special = getattr(torch, "special", None)
    if special is None:
        special = types.ModuleType("special", "torch.special: special functions.")
        torch.special = special
    for name, fn in (
        ("gammaln", lgamma),
        ("digamma", digamma),
        ("psi", digamma),
        ("polygamma", polygamma),
        ("gammainc", igamma),
        ("gammaincc", igammac),
        ("erfinv", erfinv),
        ("ndtri", ndtri),
    ):
        if not hasattr(special, name):
            setattr(special, name, fn)
