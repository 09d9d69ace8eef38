"""Tensor operators and methods (``x + y``, ``x.sum(dim)``, ``x.add_(y)``): thin calls into the
functional forms in `functions`, `shaping` and `inplace`, which call the core."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ops
from ...core.primitives import elementwise as PE
from . import _convert as C
from . import dispatch as _D

# These modules refer back to the Tensor class through their module reference only, so they
# can be imported here while tensor.py is still being defined.
from . import functions as _F
from . import inplace as _I
from . import reductions as _R
from . import shaping as _S


class TensorOps:
    """Operator overloads and math/shape/in-place methods of Tensor."""

    __slots__ = ()

    # ---- arithmetic operators -------------------------------------------------------------------
    # Same-dtype tensors and float tensor (op) Python number run the primitive at once
    # (`dispatch.binary_operator`); other operands go through the functional forms.
    __add__ = _D.binary_operator(PE.ADD, _F.add)
    __radd__ = _D.binary_operator(PE.ADD, _F.add, reflected=True)
    __sub__ = _D.binary_operator(PE.SUB, _F.sub)
    __rsub__ = _D.binary_operator(PE.SUB, _F.sub, reflected=True)
    __mul__ = _D.binary_operator(PE.MUL, _F.mul)
    __rmul__ = _D.binary_operator(PE.MUL, _F.mul, reflected=True)
    __truediv__ = _D.binary_operator(PE.DIV, _F.div, float_only=True)
    __rtruediv__ = _D.binary_operator(PE.DIV, _F.div, reflected=True, float_only=True)
    __pow__ = _D.binary_operator(PE.POW, _F.pow, float_only=True)
    __rpow__ = _D.binary_operator(PE.POW, _F.pow, reflected=True, float_only=True)

    def __matmul__(self, other: Any):
        return _F.matmul(self, other)

    def __rmatmul__(self, other: Any):
        return _F.matmul(other, self)

    __neg__ = _D.unary_function(PE.NEG, ops.neg, float_only=False)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __invert__(self):
        if self._data.dtype != np.bool_:
            raise TypeError("~ (bitwise not) is only supported on bool tensors here")
        return _F.logical_not(self)

    def __and__(self, other: Any):
        return _F.logical_and(self, other) if self._data.dtype == np.bool_ else NotImplemented

    def __or__(self, other: Any):
        return _F.logical_or(self, other) if self._data.dtype == np.bool_ else NotImplemented

    __rand__ = __and__
    __ror__ = __or__

    # ---- comparisons ----------------------------------------------------------------------------
    def _eq(self, other: Any):
        if other is None:
            return False
        return _F.eq(self, other)

    def _ne(self, other: Any):
        if other is None:
            return True
        return _F.ne(self, other)

    __eq__ = _D.binary_operator(PE.EQ, _eq)  # type: ignore[assignment]
    __ne__ = _D.binary_operator(PE.NE, _ne)  # type: ignore[assignment]
    __lt__ = _D.binary_operator(PE.LT, _F.lt)
    __le__ = _D.binary_operator(PE.LE, _F.le)
    __gt__ = _D.binary_operator(PE.GT, _F.gt)
    __ge__ = _D.binary_operator(PE.GE, _F.ge)
    del _eq, _ne

    # ---- in-place operators ---------------------------------------------------------------------
    def __iadd__(self, other: Any):
        return self.add_(other)

    def __isub__(self, other: Any):
        return self.sub_(other)

    def __imul__(self, other: Any):
        return self.mul_(other)

    def __itruediv__(self, other: Any):
        return self.div_(other)

    # ---- indexing -------------------------------------------------------------------------------
    def __getitem__(self, index: Any):
        return _S.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _I.setitem(self, index, value)

    # ---- elementwise math -----------------------------------------------------------------------
    def add(self, other: Any, alpha: Any = 1):
        """self + alpha * other."""
        return _F.add(self, other, alpha)

    def sub(self, other: Any, alpha: Any = 1):
        """self - alpha * other."""
        return _F.sub(self, other, alpha)

    def mul(self, other: Any):
        """self * other."""
        return _F.mul(self, other)

    def div(self, other: Any, rounding_mode: str | None = None):
        """self / other."""
        return _F.div(self, other, rounding_mode)

    def pow(self, exponent: Any):
        """self ** exponent."""
        return _F.pow(self, exponent)

    def neg(self):
        """-self."""
        return ops.neg(self)

    def exp(self):
        """e ** self."""
        return _F.exp(self)

    def log(self):
        """Natural logarithm."""
        return _F.log(self)

    def sqrt(self):
        """Square root."""
        return _F.sqrt(self)

    def rsqrt(self):
        """1 / sqrt(self)."""
        return _F.rsqrt(self)

    def reciprocal(self):
        """1 / self."""
        return _F.reciprocal(self)

    def abs(self):
        """|self|."""
        return ops.abs(self)

    def sign(self):
        """Sign of each element."""
        return ops.sign(self)

    def square(self):
        """self * self."""
        return ops.square(self)

    def sin(self):
        """Sine."""
        return _F.sin(self)

    def cos(self):
        """Cosine."""
        return _F.cos(self)

    def tanh(self):
        """Hyperbolic tangent."""
        return _F.tanh(self)

    def sigmoid(self):
        """Logistic function."""
        return _F.sigmoid(self)

    def relu(self):
        """max(self, 0)."""
        return ops.relu(self)

    def clamp(self, min: Any = None, max: Any = None):  # noqa: A002
        """Limit values to [min, max]."""
        return _F.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any):
        """Elementwise maximum."""
        return _F.maximum(self, other)

    def minimum(self, other: Any):
        """Elementwise minimum."""
        return _F.minimum(self, other)

    def eq(self, other: Any):
        """self == other."""
        return _F.eq(self, other)

    def ne(self, other: Any):
        """self != other."""
        return _F.ne(self, other)

    def lt(self, other: Any):
        """self < other."""
        return _F.lt(self, other)

    def le(self, other: Any):
        """self <= other."""
        return _F.le(self, other)

    def gt(self, other: Any):
        """self > other."""
        return _F.gt(self, other)

    def ge(self, other: Any):
        """self >= other."""
        return _F.ge(self, other)

    def logical_not(self):
        """Elementwise not."""
        return _F.logical_not(self)

    def isnan(self):
        """True where NaN."""
        return _F.isnan(self)

    def where(self, condition: Any, other: Any):
        """self where condition else other."""
        return _F.where(condition, self, other)

    # ---- reductions -----------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None):
        """Sum over dim (all when None)."""
        return _R.sum(self, dim, keepdim, dtype)

    # a fast-path closure's caller: its errors already name sum (see dispatch.full_reduction),
    # so op_errors adds no wrapper call to every ``x.sum()``
    sum.__dg_fast__ = True

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None):
        """Mean over dim (all when None)."""
        return _R.mean(self, dim, keepdim, dtype)

    def max(self, dim: Any = None, keepdim: bool = False):
        """Largest value; with dim, (values, indices)."""
        return _R.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False):
        """Smallest value; with dim, (values, indices)."""
        return _R.min(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False):
        """Largest value over dim."""
        return _R.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False):
        """Smallest value over dim."""
        return _R.amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False):
        """Index of the largest value."""
        return _R.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False):
        """Index of the smallest value."""
        return _R.argmin(self, dim, keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False):
        """log(sum(exp(self))) over dim."""
        return _R.logsumexp(self, dim, keepdim)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False):
        """p-norm over dim."""
        return _R.norm(self, p, dim, keepdim)

    def var(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False):
        """Variance over dim."""
        return _R.var(self, dim, unbiased, keepdim)

    def std(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False):
        """Standard deviation over dim."""
        return _R.std(self, dim, unbiased, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False):
        """True where all elements are nonzero."""
        return _R.all(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False):
        """True where some element is nonzero."""
        return _R.any(self, dim, keepdim)

    def softmax(self, dim: int | None = None):
        """Softmax along dim."""
        return _F.softmax(self, dim)

    def log_softmax(self, dim: int | None = None):
        """Log-softmax along dim."""
        return _F.log_softmax(self, dim)

    # ---- linear algebra -------------------------------------------------------------------------
    def matmul(self, other: Any):
        """Matrix product."""
        return _F.matmul(self, other)

    def mm(self, mat2: Any):
        """Matrix product (2-D)."""
        return _F.mm(self, mat2)

    def bmm(self, mat2: Any):
        """Batched matrix product (3-D)."""
        return _F.bmm(self, mat2)

    def dot(self, other: Any):
        """Inner product of 1-D tensors."""
        return _F.dot(self, other)

    # ---- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape: Any):
        """Same data, new shape (a copy when the strides need one)."""
        return _S.reshape(self, shape[0] if len(shape) == 1 else shape)

    def view(self, *shape: Any):
        """Same data, new shape."""
        return _S.view(self, *shape)

    def view_as(self, other: Any):
        """Reshape to other's shape."""
        return _S.view(self, *other.shape)

    def reshape_as(self, other: Any):
        """Reshape to other's shape."""
        return _S.reshape(self, tuple(other.shape))

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """Merge dims start_dim..end_dim."""
        return _S.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes: Any):
        """Split dim into sizes."""
        return _S.unflatten(self, dim, sizes)

    def transpose(self, dim0: int, dim1: int):
        """Swap two dims."""
        return _S.transpose(self, dim0, dim1)

    swapaxes = transpose

    def permute(self, *dims: Any):
        """Reorder dims."""
        return _S.permute(self, *dims)

    def t(self):
        """Matrix transpose."""
        return _S.t(self)

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        """All dims reversed."""
        return ops.transpose(self)

    @property
    def mT(self):  # noqa: N802
        """The last two dims swapped."""
        return _S.transpose(self, -2, -1)

    def unsqueeze(self, dim: int):
        """Insert a dim of length 1."""
        return _S.unsqueeze(self, dim)

    def squeeze(self, dim: Any = None):
        """Remove length-1 dims."""
        return _S.squeeze(self, dim)

    def expand(self, *sizes: Any):
        """Broadcast to a larger shape."""
        return _S.expand(self, *sizes)

    def expand_as(self, other: Any):
        """Broadcast to other's shape."""
        return _S.expand(self, *other.shape)

    def repeat(self, *sizes: Any):
        """Tile along each dim."""
        return _S.repeat(self, *sizes)

    def split(self, split_size: Any, dim: int = 0):
        """Cut into pieces."""
        return _S.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0):
        """Cut into `chunks` pieces."""
        return _S.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0):
        """Slices along dim."""
        return _S.unbind(self, dim)

    def narrow(self, dim: int, start: int, length: int):
        """A slice along dim."""
        return _S.narrow(self, dim, start, length)

    def flip(self, dims: Any):
        """Reverse along dims."""
        return _S.flip(self, dims)

    def index_select(self, dim: int, index: Any):
        """Entries at index along dim."""
        return _S.index_select(self, dim, index)

    def gather(self, dim: int, index: Any):
        """PyTorch's gather."""
        return _S.gather(self, dim, index)

    # ---- in-place -------------------------------------------------------------------------------
    def add_(self, other: Any, alpha: Any = 1):
        """self += alpha * other, in place."""
        other, alpha = _F._scalar_first("add_", other, alpha)
        _F._integral_alpha("add_", self, other, alpha)
        return _I.binary(self, other, ops.add, "add_", alpha)

    def sub_(self, other: Any, alpha: Any = 1):
        """self -= alpha * other, in place."""
        other, alpha = _F._scalar_first("sub_", other, alpha)
        _F._integral_alpha("sub_", self, other, alpha)
        return _I.binary(self, other, ops.sub, "sub_", alpha)

    def mul_(self, other: Any):
        """self *= other, in place."""
        return _I.binary(self, other, ops.mul, "mul_")

    def div_(self, other: Any):
        """self /= other, in place (float tensors)."""
        return _I.binary(self, other, ops.div, "div_")

    def pow_(self, exponent: Any):
        """self **= exponent, in place."""
        return _I.binary(self, exponent, ops.pow, "pow_")

    def neg_(self):
        """self = -self, in place."""
        return _I.apply(self, "neg_", ops.neg)

    def relu_(self):
        """self = relu(self), in place."""
        return _I.apply(self, "relu_", ops.relu)

    def clamp_(self, min: Any = None, max: Any = None):  # noqa: A002
        """Limit values to [min, max], in place."""
        C.check_castable("clamp_", self._data.dtype, C.promoted(self._data.dtype, (min, max)))
        return _I.apply(self, "clamp_", lambda s: _F.clamp(s, min, max))

    clip_ = clamp_

    def zero_(self):
        """Set every element to 0, in place."""
        return _I.fill(self, 0, "zero_")

    def fill_(self, value: Any):
        """Set every element to value, in place."""
        return _I.fill(self, value)

    def copy_(self, src: Any, non_blocking: bool = False):
        """Copy src into self (broadcast and cast), in place."""
        return _I.copy_from(self, src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None):
        """Fill with uniform draws on [a, b)."""
        return _I.uniform_(self, a, b, generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None):
        """Fill with normal draws."""
        return _I.normal_(self, mean, std, generator)
