"""More of ``torch.nn.init``: ``dirac_``, ``sparse_`` and the deprecated no-underscore names
``dirac``, ``eye``, ``orthogonal``, ``sparse``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import creation as _cr
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import init as _init


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D conv weight with the Dirac delta (identity convolution per group)."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tuple(tensor.shape)
    if shape[0] % groups:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = shape[0] // groups
    values = np.zeros(shape, tensor._data.dtype)
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            values[(g * out_per_group + d, d) + centre] = 1
    return _init._write(tensor, values)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """Fill a 2-D tensor from N(0, std) with ceil(sparsity * rows) zeros in every column (rows
    chosen at random from the shared stream)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tuple(tensor.shape)
    zeros = int(math.ceil(sparsity * rows))
    with no_grad():
        tensor.normal_(0.0, std, generator)
    keep = np.ones((rows, cols), tensor._data.dtype)
    for c in range(cols):
        keep[_cr.randperm(rows, generator=generator)._data[:zeros], c] = 0
    return _init._write(tensor, tensor._data * keep)


dirac = _init._deprecated("dirac", dirac_)
eye = _init._deprecated("eye", _init.eye_)
orthogonal = _init._deprecated("orthogonal", _init.orthogonal_)
sparse = _init._deprecated("sparse", sparse_)

NAMES = ["dirac", "dirac_", "eye", "orthogonal", "sparse", "sparse_"]
