"""FFT kernels: numpy's pocketfft over a batch of transforms, split in two on two threads.

numpy's transforms release the GIL, so a large batch of independent 1-D transforms runs twice
as fast when its halves run on two threads. The split depends only on the shape (never on the
machine's load): it falls on a multiple of `_ALIGN` transforms, so pocketfft groups the rows
into SIMD blocks exactly as one call over the whole batch would, and the bits are the same as a
single call's whatever the thread count.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_MIN_ELEMENTS = 1 << 17  # below this a thread hand-off costs more than it saves
_ALIGN = 64  # transforms per SIMD-block boundary (a multiple of any vector length)
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(2, thread_name_prefix="duograd-fft")
        return _POOL


def _split_at(x: np.ndarray, axis: int) -> int:
    """Where to cut axis 0 in two (0: do not split)."""
    if axis == 0 or x.ndim < 2 or x.size < _MIN_ELEMENTS or (os.cpu_count() or 1) < 2:
        return 0
    rows = x.size // (x.shape[0] * x.shape[axis])  # transforms per index of axis 0
    for k in range(x.shape[0] // 2, x.shape[0]):
        if k and (k * rows) % _ALIGN == 0:
            return k
    return 0


def batched(fn: Callable, x: np.ndarray, **kw) -> np.ndarray:
    """`fn(x, axis=axis, **kw)` (a numpy.fft transform), its batch halves on two threads."""
    axis = kw["axis"] % x.ndim
    k = _split_at(x, axis)
    if not k:
        return fn(x, **kw)
    future = _pool().submit(fn, x[k:], **kw)
    head = fn(x[:k], **kw)
    return np.concatenate([head, future.result()], axis=0)
