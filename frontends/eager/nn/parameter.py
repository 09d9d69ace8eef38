"""``nn.Parameter``: a leaf tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtype import get_default_dtype
from ..formatting import format_tensor
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that requires grad by default and is collected by ``Module.parameters()``."""

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.zeros((0,), get_default_dtype().np_dtype)
        elif isinstance(data, Tensor):
            arr = data._data  # shares memory with the tensor it wraps, as in PyTorch
        else:
            arr = np.asarray(data)
        self._init(arr, False)
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        suffix = ["requires_grad=True"] if self._rg else []
        return "Parameter containing:\n" + format_tensor(self._data, suffix)
