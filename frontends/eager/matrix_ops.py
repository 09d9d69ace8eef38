"""``torch.diagonal`` / ``trace`` / ``meshgrid`` / ``repeat_interleave`` and ``Tensor.select``,
composed of indexing (differentiable through the core's getitem)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import domain
from .tensor import Tensor


def _as(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes, as the last dim (offset > 0: above it)."""
    x = _as(input)
    nd = x.dim()
    d1 = domain.check_dim("diagonal", int(dim1), nd, "dim1")
    d2 = domain.check_dim("diagonal", int(dim2), nd, "dim2")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dim, got {dim1}, {dim2}")
    rest = [d for d in range(nd) if d not in (d1, d2)]
    moved = x.permute(*rest, d1, d2)
    rows, cols = moved.shape[-2], moved.shape[-1]
    start_r, start_c = (0, offset) if offset >= 0 else (-offset, 0)
    n = max(0, min(rows - start_r, cols - start_c))
    i = np.arange(n)
    return moved[(Ellipsis, Tensor._make(i + start_r), Tensor._make(i + start_c))]


def trace(input: Any) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor."""
    x = _as(input)
    if x.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.dim()}")
    return diagonal(x).sum()


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids of 1-D tensors ('ij': matrix indexing, as torch's default; or 'xy')."""
    ts = [
        _as(t)
        for t in (
            tensors[0] if len(tensors) == 1 and not isinstance(tensors[0], Tensor) else tensors
        )
    ]
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not ts:
        raise RuntimeError("meshgrid: expects a non-empty list of tensors")
    shape = [int(t.numel()) for t in ts]
    if indexing == "xy" and len(ts) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for k, t in enumerate(ts):
        axis = k
        if indexing == "xy" and k < 2 and len(ts) >= 2:
            axis = 1 - k
        view = [1] * len(ts)
        view[axis] = -1
        out.append(t.reshape(*view).expand(*shape))
    return tuple(out)


def repeat_interleave(input: Any, repeats: Any, dim: int | None = None) -> Tensor:
    """Repeat each element `repeats` times (an int or one count per element) along `dim`."""
    x = _as(input)
    if dim is None:
        x, dim = x.reshape(-1), 0
    reps = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    n = x.shape[dim]
    if reps.ndim > 1:
        raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor")
    if reps.dtype.kind not in "iu":
        raise RuntimeError(f"repeat_interleave: repeats must be integers, got {reps.dtype}")
    if reps.ndim == 1 and reps.size != n:
        raise RuntimeError(
            "repeat_interleave: repeats must have the same size as input along dim, but got "
            f"repeats.size(0) = {reps.size} and input.size(0) = {n}"
        )
    if (reps < 0).any():
        raise RuntimeError("repeat_interleave: Repeats must be non-negative")
    # the output's length, in Python integers: numpy's own sum would wrap around (and its repeat
    # then writes past its buffer)
    total = int(reps) * n if reps.ndim == 0 else sum(int(r) for r in reps)
    if total * max(1, x.numel() // max(n, 1)) >= 2**48:
        raise RuntimeError(
            f"repeat_interleave: the output would have {total} rows along dim {dim}, too many "
            "to allocate (numel: integer multiplication overflow)"
        )
    idx = np.repeat(np.arange(n), reps).astype(np.int64)
    return x.index_select(dim, Tensor._make(idx))


def _install() -> None:
    T = Tensor  # noqa: N806
    T.diagonal = lambda self, offset=0, dim1=0, dim2=1: diagonal(self, offset, dim1, dim2)
    T.trace = lambda self: trace(self)
    T.repeat_interleave = lambda self, repeats, dim=None: repeat_interleave(self, repeats, dim)
    T.select = lambda self, dim, index: self.narrow(dim, index % self.shape[dim], 1).squeeze(dim)


_install()

__all__ = ["diagonal", "meshgrid", "repeat_interleave", "trace"]
