"""Tensor facts and small utilities of the ``torch`` surface: ``equal``, ``is_nonzero``,
``is_same_size``, ``is_signed``, ``nbytes`` / ``itemsize``, ``data_ptr``, ``storage_offset``,
``get_device`` / ``is_cpu``, ``H`` / ``mH`` / ``adjoint``, ``asarray``, ``empty_strided``,
``new_empty_strided``, ``bartlett_window``, ``unique_consecutive`` and the random fills
``random_`` / ``exponential_`` / ``geometric_`` / ``cauchy_`` / ``log_normal_``.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ...core import domain
from ...core import random as core_random
from . import _convert as C
from . import inplace as _I
from .dtype import to_dtype
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return C.as_tensor_operand(x)


def equal(input: Any, other: Any) -> bool:
    """True when both have the same shape and the same values (NaN never equals)."""
    a, b = _t(input), _t(other)
    if tuple(a.shape) != tuple(b.shape):
        return False
    return bool(np.array_equal(a._data, b._data))


def allclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """True when |input - other| <= atol + rtol * |other| everywhere (isclose, all of it)."""
    from .math_more import isclose

    return bool(isclose(_t(input), _t(other), rtol, atol, equal_nan)._data.all())


def is_nonzero(input: Any) -> bool:
    """The truth of a one-element tensor (an error for any other size)."""
    x = _t(input)
    if x.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if x.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(x._data.reshape(-1)[0] != 0)


def is_same_size(input: Any, other: Any) -> bool:
    """True when the shapes are equal."""
    return tuple(_t(input).shape) == tuple(_t(other).shape)


def is_signed(input: Any) -> bool:
    """True for signed dtypes (floats and signed integers)."""
    return _t(input)._data.dtype.kind in "fic"


def _adjoint(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(
            f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
            f"{self.dim()}-D tensor."
        )
    t = self.transpose(-2, -1)
    return t.conj() if self._data.dtype.kind == "c" else t


def _h(self: Tensor) -> Tensor:
    if self.dim() not in (0, 2):
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor."
        )
    return _adjoint(self) if self.dim() == 2 else self


def _storage_offset(self: Tensor) -> int:
    base = self._data.base if isinstance(self._data.base, np.ndarray) else None
    if base is None:
        return 0
    lo = self._data.__array_interface__["data"][0]
    blo = base.__array_interface__["data"][0]
    return builtins.max(lo - blo, 0) // self._data.itemsize


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:  # fmt: skip
    """A tensor from obj, sharing memory with a tensor or numpy array when it can."""
    from .creation import as_tensor, tensor

    if copy:
        out = tensor(obj._data if isinstance(obj, Tensor) else obj, dtype=dtype)
    else:
        out = as_tensor(obj, dtype=dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """A tensor of `size` (duograd keeps a contiguous layout: the strides are not kept)."""
    from .creation import zeros

    return zeros(*tuple(size), dtype=dtype, requires_grad=requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """The triangular (Bartlett) window of window_length points."""
    dt = to_dtype(dtype).np_dtype if dtype is not None else C.default_float()
    n = int(window_length)
    if n == 0:
        return Tensor._make(np.zeros(0, dt))
    if n == 1:
        return Tensor._make(np.ones(1, dt))
    m = n + 1 if periodic else n
    k = np.arange(n, dtype=np.float64)
    w = 1.0 - np.abs(2.0 * k / (m - 1) - 1.0)
    out = Tensor._make(w.astype(dt))
    return out.requires_grad_(True) if requires_grad else out


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:  # fmt: skip
    """The tensor with runs of equal consecutive entries (or slices along dim) collapsed."""
    x = _t(input)
    if dim is not None:
        dim = domain.check_dim("unique_consecutive", dim, x.dim())
        if any(n == 0 for k, n in enumerate(x.shape) if k != dim):
            raise RuntimeError(
                "unique_consecutive: there are 0 sized dimensions, and they aren't selected, so "
                "unique cannot be applied"
            )
    data = x._data.reshape(-1) if dim is None else np.moveaxis(x._data, dim, 0)
    n = data.shape[0]
    if n == 0:
        starts = np.zeros(0, np.int64)
    else:
        change = np.ones(n, bool)
        rest = (data[1:] != data[:-1]).reshape(n - 1, -1).any(axis=1) if n > 1 else []
        change[1:] = rest
        starts = np.flatnonzero(change)
    vals = data[starts]
    if dim is not None:
        vals = np.moveaxis(vals, 0, dim)
    out = [Tensor._make(np.ascontiguousarray(vals))]
    if return_inverse:
        inv = np.cumsum(np.isin(np.arange(n), starts)) - 1
        out.append(Tensor._make(inv.reshape(x._data.shape if dim is None else (n,))))
    if return_counts:
        out.append(Tensor._make(np.diff(np.append(starts, n)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D x: columns x**(N-1), ..., x**0 (or increasing)."""
    v = _t(x)
    if v.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = v.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if v._data.dtype.kind in "biu":
        v = v.long()
    powers = range(n) if increasing else range(n - 1, -1, -1)
    cols = [v.unsqueeze(1) ** p if p else v.unsqueeze(1) * 0 + 1 for p in powers]
    from .shaping import cat

    return cat(cols, 1) if cols else Tensor._make(np.zeros((v.shape[0], 0), v._data.dtype))


def _tri_indices(name: str, row: int, col: int, offset: int, dtype: Any, lower: bool) -> Tensor:
    fn = np.tril_indices if lower else np.triu_indices
    r, c = fn(int(row), int(offset), int(col))
    dt = to_dtype(dtype).np_dtype if dtype is not None else np.int64
    return Tensor._make(np.stack([r, c]).astype(dt).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, **_: Any) -> Tensor:
    """The (2, n) row / column indices of the lower triangle of a row x col matrix."""
    return _tri_indices("tril_indices", row, col, offset, dtype, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, **_: Any) -> Tensor:
    """The (2, n) row / column indices of the upper triangle of a row x col matrix."""
    return _tri_indices("triu_indices", row, col, offset, dtype, False)


# ---- random fills -------------------------------------------------------------------------------


def _gen(generator: Any) -> Any:
    return core_random.default_generator if generator is None else generator._gen


def _uniform01(self: Tensor, generator: Any) -> np.ndarray:
    return _gen(generator).uniform(self._data.shape, np.float64)


def random_(
    self: Tensor, from_: int = 0, to: int | None = None, *, generator: Any = None
) -> Tensor:
    """Fill with integers drawn uniformly from [from_, to) (to defaults to the dtype's range)."""
    if to is None:
        from_, to = (0, from_) if from_ else (0, None)
    dt = self._data.dtype
    if to is None:
        to = (
            2 ** (53 if dt == np.float64 else 24) + 1
            if dt.kind == "f"
            else (2 if dt == np.bool_ else int(np.iinfo(dt).max) + 1)
        )
    if to <= from_:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}"
        )
    vals = _gen(generator).integers(int(from_), int(to), self._data.shape)
    return _I.apply(self, "random_", lambda s: Tensor._make(vals.astype(dt)))


def _float_fill(op: str, self: Tensor, values: np.ndarray) -> Tensor:
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {self.dtype}")
    return _I.apply(self, op, lambda s: Tensor._make(values.astype(self._data.dtype)))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with exponential draws of rate lambd."""
    if not lambd > 0:  # NaN too
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _uniform01(self, generator)
    return _float_fill("exponential_", self, -np.log1p(-u) / lambd)


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _uniform01(self, generator)
    vals = np.ceil(np.log1p(-u) / math.log1p(-p))
    vals = np.maximum(vals, 1)
    return _I.apply(self, "geometric_", lambda s: Tensor._make(vals.astype(self._data.dtype)))


def cauchy_(
    self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None
) -> Tensor:
    """Fill with Cauchy draws."""
    u = _uniform01(self, generator)
    return _float_fill("cauchy_", self, median + sigma * np.tan(math.pi * (u - 0.5)))


def log_normal_(
    self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None
) -> Tensor:
    """Fill with exp of normal(mean, std) draws."""
    z = _gen(generator).normal(self._data.shape, np.float64)
    return _float_fill("log_normal_", self, np.exp(mean + std * z))


def _new_empty_strided(
    self: Any, size: Any, stride: Any, *, dtype: Any = None, requires_grad: bool = False, **_: Any
) -> Any:
    """An uninitialised tensor of `size` (contiguous here: strides only checked, as sizes)."""
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"mismatch in length of strides and shape ({len(stride)} strides for {len(size)} sizes)"
        )
    if any(n < 0 for n in stride):
        raise RuntimeError(
            f"strides {stride} must be non-negative (size {size}); "
            "negative strides are not supported"
        )
    return self.new_empty(size, dtype=dtype, requires_grad=requires_grad)


_new_empty_strided.__name__ = _new_empty_strided.__qualname__ = "new_empty_strided"


def _install() -> None:
    T = Tensor  # noqa: N806
    T.equal = lambda self, other: equal(self, other)
    T.is_nonzero = lambda self: is_nonzero(self)
    T.allclose = lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False: allclose(
        self, other, rtol, atol, equal_nan
    )
    T.is_same_size = lambda self, other: is_same_size(self, other)
    T.is_signed = lambda self: is_signed(self)
    T.nbytes = property(lambda self: int(self._data.nbytes))
    T.itemsize = property(lambda self: int(self._data.itemsize))
    T.data_ptr = lambda self: int(self._data.__array_interface__["data"][0])
    T.storage_offset = _storage_offset
    T.get_device = lambda self: -1
    T.is_cpu = property(lambda self: True)
    T.H = property(_h)
    T.mH = property(_adjoint)
    T.adjoint = _adjoint
    T.unique_consecutive = lambda self, return_inverse=False, return_counts=False, dim=None: (
        unique_consecutive(self, return_inverse, return_counts, dim)
    )
    T.new_empty_strided = _new_empty_strided
    T.random_ = random_
    T.exponential_ = exponential_
    T.geometric_ = geometric_
    T.cauchy_ = cauchy_
    T.log_normal_ = log_normal_


_install()

adjoint = _adjoint

__all__ = [
    "vander", "tril_indices", "triu_indices",
    "adjoint", "allclose", "asarray", "bartlett_window", "empty_strided", "is_nonzero",
    "is_same_size", "is_signed", "unique_consecutive",
]  # fmt: skip
