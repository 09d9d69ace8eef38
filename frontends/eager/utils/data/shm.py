"""Batches handed from DataLoader workers through shared memory instead of the result pipe.

A worker writes the large arrays of a batch into one file under /dev/shm and sends its name and
the arrays' layout; the main process maps the file, unlinks it at once (the mapping lives on as
long as the batch's tensors do) and wraps the arrays without a copy. Sending a 512 x 784 float32
batch through the pipe cost the main process about 1 ms a batch (reads and unpickling), a
noticeable share of a training step it could not overlap. Elsewhere (no /dev/shm) batches go
through the pipe as before. Files of batches never received are removed when the pool shuts
down (they carry the pool's token).
"""

from __future__ import annotations

import glob
import itertools
import mmap
import os
from typing import Any

import numpy as np

from ...tensor import Tensor

ROOT = "/dev/shm"
MIN_BYTES = 1 << 16  # smaller arrays are cheaper through the pipe
_ALIGN = 64
_count = itertools.count()


def available() -> bool:
    """True where batches can go through shared memory files."""
    return os.path.isdir(ROOT) and os.access(ROOT, os.W_OK)


class Packed:
    """A batch whose large arrays wait in a shared memory file."""

    __slots__ = ("path", "size", "tree")

    def __init__(self, path: str, size: int, tree: Any) -> None:
        self.path, self.size, self.tree = path, size, tree


class _Slot:
    __slots__ = ("offset", "shape", "dtype", "tensor")

    def __init__(self, offset: int, shape: tuple, dtype: str, tensor: bool) -> None:
        self.offset, self.shape, self.dtype, self.tensor = offset, shape, dtype, tensor


def _arrays(data: Any, found: list) -> None:
    if isinstance(data, Tensor):
        arr = data._data
        if isinstance(arr, np.ndarray) and arr.nbytes >= MIN_BYTES and arr.dtype.kind in "biuf":
            found.append(arr)
    elif isinstance(data, np.ndarray):
        if data.nbytes >= MIN_BYTES and data.dtype.kind in "biuf":
            found.append(data)
    elif isinstance(data, dict):
        for v in data.values():
            _arrays(v, found)
    elif isinstance(data, (list, tuple)):
        for v in data:
            _arrays(v, found)


def pack(data: Any, owner: str) -> Any:
    """`data` with its large arrays moved to a shared memory file (data itself when none)."""
    found: list = []
    _arrays(data, found)
    if not found:
        return data
    offsets, size = {}, 0
    for arr in found:
        offsets[id(arr)] = size
        size += -(-arr.nbytes // _ALIGN) * _ALIGN
    path = os.path.join(ROOT, f"duograd-dl-{owner}-{os.getpid()}-{next(_count)}")
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        # reserve the pages now: a full /dev/shm then fails here with an OSError (and the batch
        # goes through the pipe) instead of killing the worker with SIGBUS on a write
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)
        else:
            os.ftruncate(fd, size)
        mm = mmap.mmap(fd, size)
    except OSError:
        os.close(fd)
        os.unlink(path)
        raise
    else:
        os.close(fd)
    for arr in found:
        dst = np.frombuffer(mm, arr.dtype, arr.size, offsets[id(arr)]).reshape(arr.shape)
        dst[...] = arr
        del dst
    mm.close()

    def swap(x: Any) -> Any:
        if isinstance(x, Tensor) and id(x._data) in offsets:
            a = x._data
            return _Slot(offsets[id(a)], a.shape, a.dtype.str, True)
        if isinstance(x, np.ndarray) and id(x) in offsets:
            return _Slot(offsets[id(x)], x.shape, x.dtype.str, False)
        if isinstance(x, dict):
            return type(x)((k, swap(v)) for k, v in x.items())
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*(swap(v) for v in x))
        if isinstance(x, (list, tuple)):
            return type(x)(swap(v) for v in x)
        return x

    return Packed(path, size, swap(data))


def unpack(data: Any) -> Any:
    """The batch a worker packed, its arrays mapped from the (then unlinked) file."""
    if not isinstance(data, Packed):
        return data
    fd = os.open(data.path, os.O_RDWR)
    try:
        mm = mmap.mmap(fd, data.size)
    finally:
        os.close(fd)
        os.unlink(data.path)

    def fill(x: Any) -> Any:
        if isinstance(x, _Slot):
            dt = np.dtype(x.dtype)
            count = int(np.prod(x.shape, dtype=np.int64))
            arr = np.frombuffer(mm, dt, count, x.offset).reshape(x.shape)
            return Tensor._make(arr) if x.tensor else arr
        if isinstance(x, dict):
            return type(x)((k, fill(v)) for k, v in x.items())
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*(fill(v) for v in x))
        if isinstance(x, (list, tuple)):
            return type(x)(fill(v) for v in x)
        return x

    return fill(data.tree)


def discard(data: Any) -> None:
    """Remove the file of a packed batch that will not be used."""
    if isinstance(data, Packed):
        try:
            os.unlink(data.path)
        except OSError:
            pass


def sweep(owner: str) -> None:
    """Remove every file left by the workers of the pool `owner`."""
    for path in glob.glob(os.path.join(ROOT, f"duograd-dl-{owner}-*")):
        try:
            os.unlink(path)
        except OSError:
            pass
