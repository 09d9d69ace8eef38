"""DLPack exchange: tensors are DLPack producers and `from_dlpack` takes any producer.

A tensor's memory is its numpy array's, so exporting hands out numpy's capsule for that array
and importing wraps numpy's zero-copy view of the producer: no byte is copied either way, and a
write on one side is seen on the other (as with real PyTorch on the CPU).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import dtypes as D
from .tensor import Tensor


def tensor_dlpack(self: Tensor, *, stream: Any = None, **kwargs: Any) -> Any:
    """The tensor's memory as a DLPack capsule (no copy; the CPU only)."""
    if stream is not None:
        raise BufferError(
            f"__dlpack__: duograd tensors live on the CPU; stream={stream!r} is not supported"
        )
    try:
        return self._data.__dlpack__(stream=None, **kwargs)
    except TypeError:  # an older consumer/producer pair that knows only `stream`
        return self._data.__dlpack__()


class _Capsule:
    """A bare DLPack capsule dressed as a producer, so numpy can consume it once."""

    def __init__(self, capsule: Any) -> None:
        self._capsule = capsule

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with any DLPack producer (numpy, real PyTorch, JAX on the CPU...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if type(ext_tensor).__name__ == "PyCapsule":  # a bare capsule (to_dlpack's legacy form)
        ext_tensor = _Capsule(ext_tensor)
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ (a DLPack producer such as a numpy "
            f"array or a real torch.Tensor), got {type(ext_tensor).__name__}"
        )
    try:
        arr = np.from_dlpack(ext_tensor)
    except (BufferError, RuntimeError, TypeError) as e:
        raise BufferError(
            f"from_dlpack: numpy could not take {type(ext_tensor).__name__}'s memory without a "
            f"copy ({e}); duograd tensors live in CPU memory"
        ) from e
    if arr.dtype not in D.SUPPORTED:
        raise TypeError(
            f"from_dlpack: the producer's dtype {arr.dtype} is not supported; the supported types "
            "are: float64, float32, int64, int32 and bool (convert on the producer's side first)"
        )
    return Tensor._make(arr)


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule of the tensor's memory (``torch.utils.dlpack.to_dlpack``)."""
    return tensor_dlpack(tensor)
