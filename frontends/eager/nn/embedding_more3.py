"""``nn.Embedding`` / ``F.embedding`` options as torch has them: ``padding_idx`` (that row gets
no gradient, and starts at zero in the module), ``max_norm`` (looked-up rows renormalised in
place first), ``scale_grad_by_freq`` (gradients divided by each index's count in the batch),
``_weight`` / ``_freeze`` and ``Embedding.from_pretrained``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import ops
from ....core.domain import as_op
from ..grad_mode import no_grad
from ..tensor import Tensor


def _indices(input: Any) -> Any:
    idx = input if isinstance(input, Tensor) else np.asarray(input)
    arr = idx._data if isinstance(idx, Tensor) else idx
    if arr.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding: expected indices of an integer dtype (Long or Int), got {arr.dtype}"
        )
    return idx, arr


def check_padding_idx(padding_idx: int | None, num_embeddings: int) -> int | None:
    """padding_idx made non-negative, or a clear error when it is out of range."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(
            f"Padding_idx must be within num_embeddings ({num_embeddings}), got {padding_idx}"
        )
    return padding_idx % num_embeddings


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of `weight` at the integer indices `input`, with torch's options."""
    if weight.dim() != 2:
        raise RuntimeError(
            f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}"
        )
    idx, arr = _indices(input)
    n = int(weight.shape[0])
    padding_idx = check_padding_idx(padding_idx, n)
    if max_norm is not None:
        _renorm_rows(weight, np.unique(arr), float(max_norm), float(norm_type))
    out = as_op("embedding", ops.gather, weight, idx, 0)
    if padding_idx is None and not scale_grad_by_freq:
        return out
    # same values; the gradient scaled per looked-up position: 0 for padding, 1 / count else
    scale = np.ones(arr.shape, weight._data.dtype)
    if scale_grad_by_freq:
        values, inverse, counts = np.unique(arr, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inverse]).reshape(arr.shape).astype(weight._data.dtype)
    if padding_idx is not None:
        scale = np.where(arr == padding_idx, 0.0, scale).astype(weight._data.dtype)
    still = out.detach()
    return still + (out - still) * Tensor._make(scale[..., None])


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, p: float) -> None:
    """Rows whose p-norm exceeds max_norm scaled down to it, in place, as torch's embedding
    renorm does (before the lookup, without recording)."""
    with no_grad():
        picked = weight[Tensor._make(rows.astype(np.int64))]
        norms = picked.norm(p, dim=1, keepdim=True)
        factor = (max_norm / (norms + 1e-7)).clamp(max=1.0)
        weight[Tensor._make(rows.astype(np.int64))] = picked * factor
