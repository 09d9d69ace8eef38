"""Sparse COO tensors: ``torch.sparse_coo_tensor``, ``Tensor.to_sparse``, ``torch.sparse.mm``
/ ``torch.spmm``, ``torch.sparse.sum`` / ``softmax``. Products run the core's spmm primitive,
so gradients reach both the dense operand and the sparse values."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import sparse as CS
from .creation import as_tensor
from .tensor import Tensor


class SparseTensor:
    """A sparse COO tensor: (ndim, nnz) int64 indices, nnz values (a Tensor), a shape."""

    is_sparse = True
    layout = "torch.sparse_coo"

    def __init__(self, indices: np.ndarray, values: Tensor, size: tuple, coalesced: bool) -> None:
        self._idx = indices
        self._vals = values
        self._shape = tuple(int(d) for d in size)
        self._coalesced = coalesced
        self._rc: tuple | None = None  # frozen (rows, cols): the product's CSR is cached on them

    def _pattern(self) -> tuple:
        if self._rc is None:
            self._rc = CS.frozen_pattern(self._idx)
        return self._rc

    # ---- structure -------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The dense shape."""
        return self._shape

    def size(self, dim: int | None = None) -> Any:
        """The dense shape (or one dim)."""
        return self._shape if dim is None else self._shape[dim]

    def dim(self) -> int:
        """The number of dimensions."""
        return len(self._shape)

    @property
    def dtype(self) -> Any:
        """The values' dtype."""
        return self._vals.dtype

    @property
    def requires_grad(self) -> bool:
        """Whether the values require gradients."""
        return self._vals.requires_grad

    def requires_grad_(self, flag: bool = True) -> SparseTensor:
        """Make the values require gradients."""
        self._vals.requires_grad_(flag)
        return self

    @property
    def grad(self) -> Any:
        """The values' gradient as a sparse tensor of the same pattern (or None)."""
        g = self._vals.grad
        return None if g is None else SparseTensor(self._idx, g, self._shape, self._coalesced)

    def _nnz(self) -> int:
        return int(self._idx.shape[1])

    def indices(self) -> Tensor:
        """The (ndim, nnz) int64 indices (coalesced tensors only, as PyTorch)."""
        if not self._coalesced:
            raise RuntimeError(
                "Cannot get indices on an uncoalesced tensor, please call .coalesce() first"
            )
        return as_tensor(self._idx.copy())

    def values(self) -> Tensor:
        """The values (coalesced tensors only, as PyTorch); gradients flow through them."""
        if not self._coalesced:
            raise RuntimeError(
                "Cannot get values on an uncoalesced tensor, please call .coalesce() first"
            )
        return self._vals

    def _indices(self) -> Tensor:
        return as_tensor(self._idx.copy())

    def _values(self) -> Tensor:
        return self._vals

    def is_coalesced(self) -> bool:
        """True when the indices are sorted and unique."""
        return self._coalesced

    def coalesce(self) -> SparseTensor:
        """Indices sorted and unique, duplicate values summed."""
        if self._coalesced:
            return self
        idx, vals = CS.coalesce(self._idx, self._vals, self._shape)
        return SparseTensor(idx, vals, self._shape, True)

    def to_dense(self) -> Tensor:
        """The dense tensor (duplicates summed)."""
        return CS.to_dense(self._idx, self._vals, self._shape)

    def to_sparse(self) -> SparseTensor:
        """Itself."""
        return self

    def t(self) -> SparseTensor:
        """The transpose of a 2-D sparse tensor."""
        if self.dim() != 2:
            raise RuntimeError(f"t() expects a 2-D sparse tensor, got {self.dim()}-D")
        return SparseTensor(self._idx[::-1].copy(), self._vals, self._shape[::-1], False)

    def mm(self, other: Any) -> Tensor:
        """self @ other (dense)."""
        return mm(self, other)

    def __matmul__(self, other: Any) -> Tensor:
        return mm(self, other)

    def __mul__(self, other: Any) -> SparseTensor:
        if isinstance(other, (int, float)):
            return SparseTensor(self._idx, self._vals * other, self._shape, self._coalesced)
        return NotImplemented

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return (
            f"tensor(indices={self._idx.tolist()},\n       values={self._vals},\n"
            f"       size={self._shape}, nnz={self._nnz()}, layout=torch.sparse_coo)"
        )


def sparse_coo_tensor(
    indices: Any,
    values: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    check_invariants: Any = None,
    is_coalesced: Any = None,
) -> SparseTensor:
    """A sparse COO tensor from (ndim, nnz) indices and nnz values."""
    idx = indices.numpy() if isinstance(indices, Tensor) else np.asarray(indices)
    vals = values if isinstance(values, Tensor) else as_tensor(values, dtype=dtype)
    if dtype is not None and vals.dtype != dtype:
        vals = vals.to(dtype)
    if idx.ndim != 2 and idx.size:
        raise ValueError(f"sparse_coo_tensor: indices must be (ndim, nnz), got shape {idx.shape}")
    nnz = idx.shape[1] if idx.ndim == 2 else 0
    if vals.dim() != 1 or vals.shape[0] != nnz:
        raise ValueError(
            f"sparse_coo_tensor: values must be 1-D with one value per index column (nnz={nnz}), "
            f"got shape {tuple(vals.shape)}"
        )
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(1)) if nnz else (0,) * max(1, idx.shape[0])
    size = tuple(int(d) for d in size)
    idx = CS.check_indices(idx, size, "sparse_coo_tensor")
    if requires_grad:
        vals.requires_grad_(True)
    return SparseTensor(idx, vals, size, bool(is_coalesced))


def to_sparse(self: Tensor, sparse_dim: int | None = None) -> SparseTensor:
    """The nonzero entries of a dense tensor as a coalesced sparse COO tensor."""
    data = self.detach().numpy()
    idx = np.stack(np.nonzero(data)).astype(np.int64)
    vals = as_tensor(data[tuple(idx)].copy())
    return SparseTensor(idx, vals, data.shape, True)


def _as_2d(sp: Any, op: str) -> SparseTensor:
    if not isinstance(sp, SparseTensor):
        raise TypeError(f"{op}: the first operand must be a sparse tensor, got {type(sp).__name__}")
    if sp.dim() != 2:
        raise ValueError(f"{op}: the sparse operand must be 2-D, got shape {sp.shape}")
    return sp


def mm(sparse: SparseTensor, dense: Any) -> Tensor:
    """`torch.sparse.mm` / `torch.spmm`: sparse (M, K) @ dense (K, N), gradients to both."""
    sp = _as_2d(sparse, "torch.sparse.mm")
    if isinstance(dense, SparseTensor):
        dense = dense.to_dense()
    if not isinstance(dense, Tensor):
        dense = as_tensor(dense)
    if dense.dim() != 2 or dense.shape[0] != sp.shape[1]:
        raise RuntimeError(
            f"torch.sparse.mm: shapes cannot be multiplied ({sp.shape[0]}x{sp.shape[1]} and "
            f"{'x'.join(str(d) for d in dense.shape)})"
        )
    rows, cols = sp._pattern()
    return CS.matmul(rows, cols, sp._vals, dense, sp.shape[0])


def sparse_sum(input: SparseTensor, dim: Any = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """`torch.sparse.sum`: all values, or a reduction over `dim` (returned dense)."""
    if dim is None:
        return input._vals.sum()
    return input.to_dense().sum(dim)


def softmax(input: SparseTensor, dim: int, dtype: Any = None) -> SparseTensor:  # noqa: A002
    """`torch.sparse.softmax`: softmax over the stored entries along `dim` (2-D)."""
    sp = _as_2d(input, "torch.sparse.softmax").coalesce()
    d = dim % 2
    # entries of one slice along `dim` share the other coordinate
    seg = sp._idx[1 - d]
    vals = CS.row_softmax(seg, sp._vals, sp.shape[1 - d])
    return SparseTensor(sp._idx, vals, sp.shape, True)


def addmm(mat: Tensor, sparse: SparseTensor, dense: Any, beta: float = 1, alpha: float = 1):
    """beta * mat + alpha * (sparse @ dense)."""
    return mat * beta + mm(sparse, dense) * alpha


Tensor.to_sparse = to_sparse
if not hasattr(Tensor, "is_sparse"):
    Tensor.is_sparse = False

namespace = types.ModuleType("torch.sparse", "torch.sparse: COO tensors and their products.")
namespace.mm = mm
namespace.sum = sparse_sum
namespace.softmax = softmax
namespace.addmm = addmm
namespace.FloatTensor = SparseTensor
