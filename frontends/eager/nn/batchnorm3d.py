"""``torch.nn.BatchNorm3d`` on (N, C, D, H, W) input (the batch-norm kernels of every rank)."""

from __future__ import annotations

from .conv import _BatchNorm

__all__ = ["BatchNorm3d"]


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input."""

    _dims = (5,)
