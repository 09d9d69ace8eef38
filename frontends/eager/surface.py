"""More of the ``torch`` surface real programs use, composed of core ops.

Top-level functions (``torch.erf``, ``torch.tril``, ``torch.multinomial``, ...), the old typed
constructors (``torch.LongTensor([1, 2])``), and `SurfaceMethods`, the Tensor methods that go
with them: ``masked_fill``, the ``new_*`` family, ``type_as``, ``ravel``, ``resize_`` and the
in-place (``_``) variants of the elementwise methods.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core import domain
from ...core import dtypes as D
from ...core.primitives import special
from . import functions as _F
from . import inplace as _I
from . import tensor as _t
from .dtype import to_dtype


class _Creation:
    """`creation`, imported on first use: it imports tensor.py, which mixes in this module."""

    def __getattr__(self, name: str) -> Any:
        from . import creation

        return getattr(creation, name)


_cr = _Creation()


def _tensor(x: Any) -> Any:
    return x if isinstance(x, _t.Tensor) else _cr.tensor(x)


def erf(input: Any) -> Any:
    """The error function, elementwise (differentiable)."""
    x = _tensor(input)
    if not D.is_float(x._data.dtype):
        x = x.float()
    return special.erf(x)


def _tri_mask(shape: tuple, diagonal: int, lower: bool) -> np.ndarray:
    if len(shape) < 2:
        raise RuntimeError(
            f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions, got "
            f"shape {tuple(shape)}"
        )
    rows, cols = shape[-2], shape[-1]
    fn = np.tril if lower else np.triu
    return np.broadcast_to(fn(np.ones((rows, cols), dtype=bool), k=diagonal), shape)


def tril(input: Any, diagonal: int = 0) -> Any:
    """The lower triangle (on and below `diagonal`) of the last two dims; the rest zero."""
    x = _tensor(input)
    mask = _t.Tensor._make(np.ascontiguousarray(_tri_mask(x.shape, diagonal, True)))
    return _F.where(mask, x, 0)


def triu(input: Any, diagonal: int = 0) -> Any:
    """The upper triangle (on and above `diagonal`) of the last two dims; the rest zero."""
    x = _tensor(input)
    mask = _t.Tensor._make(np.ascontiguousarray(_tri_mask(x.shape, diagonal, False)))
    return _F.where(mask, x, 0)


def round(input: Any, decimals: int = 0) -> Any:  # noqa: A001 - torch's name
    """Round half to even (as torch does); its gradient is zero (the `round` primitive's rule)."""
    from .rounding import round as _round

    return _round(input, decimals=decimals)


def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """`value` where `mask` is true, else input (differentiable in input)."""
    x = _tensor(input)
    m = _tensor(mask)
    if m._data.dtype != D.bool_:
        if m._data.dtype.kind not in "iub":
            raise RuntimeError(
                f"masked_fill only supports boolean masks, but got mask with dtype {m.dtype}"
            )
        m = _t.Tensor._make(m._data != 0)
    if isinstance(value, _t.Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)"
            )
        value = value.item()
    try:
        np.broadcast_shapes(m._data.shape, x._data.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the mask of shape {tuple(m._data.shape)} does not broadcast with the "
            f"input of shape {tuple(x._data.shape)}; each dim must match or be 1"
        ) from None
    fill = _t.Tensor._make(np.full((), value, dtype=x._data.dtype))
    return _F.where(m, fill, x)


def multinomial(
    input: Any, num_samples: int, replacement: bool = False, generator: Any = None
) -> Any:
    """Indices drawn from the rows of `input` (non-negative weights), as int64."""
    x = _tensor(input)
    if x._data.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {x.shape}")
    if not D.is_float(x._data.dtype):
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got {x.dtype}; "
            "pass weights as a float tensor (x.float())"
        )
    if int(num_samples) <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    categories = x._data.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample={num_samples} > prob_dist.size(-1)="
            f"{categories} samples without replacement"
        )
    if categories == 0:
        raise RuntimeError(
            f"multinomial: the input of shape {tuple(x.shape)} has no categories (its last dim "
            "is 0); give each row at least one non-negative weight"
        )
    probs = np.asarray(x._data, dtype=np.float64)
    if (probs < 0).any() or not np.isfinite(probs).all():
        raise RuntimeError("multinomial: probability tensor contains inf, nan or element < 0")
    rows = probs.reshape(-1, categories)
    gen = _cr._gen(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, p in enumerate(rows):
        total = p.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probs <= 0)")
        w = p / total
        if replacement:
            u = gen.uniform((num_samples,), D.float64)
            out[r] = np.minimum(np.searchsorted(np.cumsum(w), u, side="right"), len(w) - 1)
        else:
            # Gumbel top-k: without replacement, proportional to the weights
            u = gen.uniform((len(w),), D.float64, low=np.finfo(np.float64).tiny, high=1.0)
            keys = np.where(w > 0, np.log(np.where(w > 0, w, 1.0)) - np.log(-np.log(u)), -np.inf)
            out[r] = np.argsort(-keys, kind="stable")[:num_samples]
    return _t.Tensor._make(out.reshape(*probs.shape[:-1], num_samples))


def normal(
    mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None
) -> Any:
    """Normal draws with the given mean and std (tensors broadcast; floats need `size`)."""
    if size is not None and not isinstance(size, (tuple, list)):
        size = (size,)
    if isinstance(mean, _t.Tensor) or isinstance(std, _t.Tensor):
        m = mean._data if isinstance(mean, _t.Tensor) else np.asarray(mean)
        s = std._data if isinstance(std, _t.Tensor) else np.asarray(std)
        shape = np.broadcast_shapes(m.shape, s.shape)
        dt = np.result_type(m.dtype if D.is_float(m.dtype) else np.float32,
                            s.dtype if D.is_float(s.dtype) else np.float32)  # fmt: skip
    else:
        if size is None:
            raise TypeError("normal(mean: float, std: float) needs size=")
        shape, m, s = domain.check_sizes("normal", tuple(size)), mean, std
        dt = to_dtype(dtype).np_dtype if dtype is not None else D.float32
        domain.check_memory("normal", shape, dt)
    z = _cr._gen(generator).normal(tuple(shape), dt)
    return _t.Tensor._make((z * np.asarray(s, dt) + np.asarray(m, dt)).astype(dt))


class _TypedTensorMeta(type):
    """Old typed constructors: ``LongTensor([1, 2])``, ``LongTensor(2, 3)``, isinstance checks."""

    _dtype: np.dtype

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            return _cr.tensor(args[0], dtype=cls._dtype)
        if not args:
            return _t.Tensor._make(np.empty((0,), cls._dtype))
        shape = tuple(int(a) for a in (args[0] if isinstance(args[0], tuple) else args))
        return _t.Tensor._make(np.zeros(shape, cls._dtype))  # zeros: never uninitialised memory

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _t.Tensor) and obj._data.dtype == cls._dtype


def _typed(name: str, dt: np.dtype) -> type:
    return _TypedTensorMeta(name, (), {"_dtype": dt, "__doc__": f"torch.{name}: {dt} tensors."})


LongTensor = _typed("LongTensor", D.int64)
IntTensor = _typed("IntTensor", D.int32)
DoubleTensor = _typed("DoubleTensor", D.float64)
BoolTensor = _typed("BoolTensor", D.bool_)


# ---- Tensor methods -----------------------------------------------------------------------------

# Elementwise methods whose in-place form `name_` writes the result back into the tensor.
INPLACE_OF = (
    "exp", "log", "sqrt", "rsqrt", "reciprocal", "abs", "sign", "square", "sin", "cos", "tanh",
    "sigmoid", "erf", "round", "tril", "triu", "masked_fill", "maximum", "minimum", "eq", "ne",
    "lt", "le", "gt", "ge", "logical_not", "where", "softmax", "log_softmax", "t",
)  # fmt: skip


def _inplace(name: str):
    def method(self, *args: Any, **kwargs: Any):
        def compute(src, *operands):
            return getattr(src, name)(*operands, **kwargs)

        return _I.apply(self, f"{name}_", compute, *args)

    method.__name__ = f"{name}_"
    method.__doc__ = f"In-place {name}: writes self.{name}(...) into self."
    return method


class SurfaceMethods:
    """Tensor methods of the wider torch surface (mixed into Tensor)."""

    __slots__ = ()

    def erf(self):
        """The error function, elementwise."""
        return erf(self)

    def tril(self, diagonal: int = 0):
        """Lower triangle of the last two dims."""
        return tril(self, diagonal)

    def triu(self, diagonal: int = 0):
        """Upper triangle of the last two dims."""
        return triu(self, diagonal)

    def round(self, decimals: int = 0):
        """Round half to even."""
        return round(self, decimals)

    def masked_fill(self, mask: Any, value: Any):
        """`value` where mask is true."""
        return masked_fill(self, mask, value)

    def multinomial(self, num_samples: int, replacement: bool = False, generator: Any = None):
        """Indices drawn from the rows of self."""
        return multinomial(self, num_samples, replacement, generator)

    def __floordiv__(self, other: Any):
        """Floor division (an integer-valued result: no gradient), as torch's //."""
        o = other._data if isinstance(other, _t.Tensor) else other
        return _t.Tensor._make(np.asarray(np.floor_divide(self._data, o)))

    def __rfloordiv__(self, other: Any):
        """other // self."""
        return _t.Tensor._make(np.asarray(np.floor_divide(other, self._data)))

    def ravel(self):
        """A flat (1-D) version of self."""
        return self.reshape(-1)

    def type_as(self, other: Any):
        """Cast to other's dtype."""
        return self.to(other.dtype)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False, **_: Any):
        """A new tensor from data with self's dtype (unless given)."""
        return _cr.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def _new(self, fill: Any, size: tuple, dtype: Any, requires_grad: bool, op: str = "new_full"):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        dt = to_dtype(dtype).np_dtype if dtype is not None else self._data.dtype
        shape = domain.check_sizes(op, size)
        domain.check_memory(op, shape, dt)
        try:
            data = np.full(shape, fill, dtype=dt)
        except MemoryError:
            raise MemoryError(
                f"{op}: size {shape} of {np.dtype(dt)} is more than this machine can allocate; "
                "use a smaller size"
            ) from None
        out = _t.Tensor._make(data)
        return out.requires_grad_(True) if requires_grad else out

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False, **_: Any):
        """Zeros of `size`, with self's dtype."""
        return self._new(0, size, dtype, requires_grad, "new_zeros")

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False, **_: Any):
        """Ones of `size`, with self's dtype."""
        return self._new(1, size, dtype, requires_grad, "new_ones")

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: bool = False, **_: Any):
        """A tensor of `size` with self's dtype (filled with zeros)."""
        return self._new(0, size, dtype, requires_grad, "new_empty")

    def new_full(
        self, size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, **_: Any
    ):
        """A tensor of `size` filled with fill_value, with self's dtype."""
        if not isinstance(size, (tuple, list)):
            size = (size,)  # PyTorch takes a sequence; one int is the 1-D size
        return self._new(fill_value, tuple(size), dtype, requires_grad, "new_full")

    def resize_(self, *sizes: Any):
        """Give self a new shape in place, keeping the leading elements (new ones are zero)."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        if not sizes:
            raise TypeError('resize_() missing 1 required positional arguments: "size"')
        shape = tuple(int(s) for s in sizes)
        if self._rg:
            raise RuntimeError(
                "cannot resize variables that require grad; resize a detach()ed copy instead"
            )
        n = math.prod(shape)
        flat = np.zeros(n, dtype=self._data.dtype)
        old = self._data.reshape(-1)
        k = min(n, old.size)
        flat[:k] = old[:k]
        self._data = flat.reshape(shape)
        _I.bump(self)
        return self


for _name in INPLACE_OF:
    setattr(SurfaceMethods, f"{_name}_", _inplace(_name))
del _name

__all__ = [
    "BoolTensor", "DoubleTensor", "IntTensor", "LongTensor", "erf",
    "masked_fill", "multinomial", "normal", "round", "tril", "triu",
]  # fmt: skip
