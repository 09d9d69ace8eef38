"""The shared settings of the max-pooling modules (MaxPool1d, MaxPool2d, MaxPool3d)."""

from __future__ import annotations

from typing import Any

from .module import Module


class _MaxPoolNd(Module):
    """Holds torch's max-pool arguments; a subclass's `_pool` is the functional form."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input: Any) -> Any:
        """Window maxima (and torch's flat indices with return_indices=True)."""
        return self._pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)  # fmt: skip
