"""Host-side TF1 names programs use around their graphs: `tf.logging`, `tf.gfile`,
`tf.flags.mark_flag_as_required`, and the small graph helpers `tf.eye`, `tf.norm`,
`tf.initialize_local_variables`."""

from __future__ import annotations

import glob as _glob
import logging as _logging
import os
import shutil
import types
from typing import Any

import numpy as np

from ...core import functional as F
from . import dtypes as tfd
from .math_ops import _tensor

# ---- tf.logging: the standard logging module under TF1's names -------------------------------

_LOG = _logging.getLogger("duograd.tf")
_LOG.addHandler(_logging.StreamHandler())
_LOG.setLevel(_logging.WARNING)
_LOG.propagate = False


def _log_namespace() -> types.ModuleType:
    mod = types.ModuleType("duograd.frontends.graph.logging", "tf.logging: Python logging.")
    levels = {"DEBUG": 10, "INFO": 20, "WARN": 30, "ERROR": 40, "FATAL": 50}
    mod.__dict__.update(levels)
    mod.set_verbosity = _LOG.setLevel
    mod.get_verbosity = _LOG.getEffectiveLevel
    mod.debug, mod.info, mod.warning, mod.error = _LOG.debug, _LOG.info, _LOG.warning, _LOG.error
    mod.warn, mod.fatal, mod.log = _LOG.warning, _LOG.critical, _LOG.log

    def log_every_n(level: int, msg: str, n: int, *args: Any) -> None:
        """Log `msg` on the first call and every n-th after."""
        count = log_every_n.__dict__.setdefault("count", {})
        k = count.get(msg, 0)
        if k % max(int(n), 1) == 0:
            _LOG.log(level, msg, *args)
        count[msg] = k + 1

    def log_first_n(level: int, msg: str, n: int, *args: Any) -> None:
        """Log `msg` on its first n calls only."""
        count = log_first_n.__dict__.setdefault("count", {})
        k = count.get(msg, 0)
        if k < n:
            _LOG.log(level, msg, *args)
        count[msg] = k + 1

    mod.log_every_n, mod.log_first_n = log_every_n, log_first_n
    mod.log_if = lambda level, msg, condition, *args: condition and _LOG.log(level, msg, *args)
    return mod


# ---- tf.gfile: local files under TF1's names ---------------------------------------------------


class GFile:
    """A local file opened like open(); TF's readline/read/write/size names."""

    def __init__(self, name: str, mode: str = "r") -> None:
        self._f = open(os.fspath(name), mode)  # noqa: SIM115 - closed by close()/__exit__
        self.name = os.fspath(name)

    def __enter__(self) -> GFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self):
        return iter(self._f)

    def read(self, n: int = -1) -> Any:
        """Read n characters (all by default)."""
        return self._f.read(n)

    def readline(self) -> Any:
        """One line."""
        return self._f.readline()

    def readlines(self) -> list:
        """All lines."""
        return self._f.readlines()

    def write(self, data: Any) -> None:
        """Write data."""
        self._f.write(data)

    def flush(self) -> None:
        """Flush buffered writes."""
        self._f.flush()

    def size(self) -> int:
        """The file's size in bytes."""
        return os.path.getsize(self.name)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position."""
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        """The position."""
        return self._f.tell()

    def close(self) -> None:
        """Close the file."""
        self._f.close()


def _not_found(path: str, op: str) -> None:
    from .errors import NotFoundError

    if not os.path.exists(path):
        raise NotFoundError(None, None, f"{op}: {path} does not exist")


def _gfile_namespace() -> types.ModuleType:
    mod = types.ModuleType("duograd.frontends.graph.gfile", "tf.gfile: local files.")

    def list_directory(path: str) -> list:
        _not_found(path, "ListDirectory")
        return sorted(os.listdir(path))

    def remove(path: str) -> None:
        _not_found(path, "Remove")
        os.remove(path)

    def delete_recursively(path: str) -> None:
        _not_found(path, "DeleteRecursively")
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)

    def copy(src: str, dst: str, overwrite: bool = False) -> None:
        if os.path.exists(dst) and not overwrite:
            raise FileExistsError(f"tf.gfile.Copy: {dst} exists (pass overwrite=True)")
        shutil.copyfile(src, dst)

    def rename(src: str, dst: str, overwrite: bool = False) -> None:
        if os.path.exists(dst) and not overwrite:
            raise FileExistsError(f"tf.gfile.Rename: {dst} exists (pass overwrite=True)")
        os.replace(src, dst)

    def walk(top: str, in_order: bool = True):
        for root, dirs, files in os.walk(top):
            yield root, sorted(dirs), sorted(files)

    mod.__dict__.update(
        GFile=GFile, Open=GFile, FastGFile=GFile, Exists=os.path.exists,
        IsDirectory=os.path.isdir, MakeDirs=lambda p: os.makedirs(p, exist_ok=True),
        MkDir=os.mkdir, ListDirectory=list_directory, Glob=lambda p: sorted(_glob.glob(p)),
        Remove=remove, DeleteRecursively=delete_recursively, Copy=copy, Rename=rename,
        Walk=walk,
    )  # fmt: skip
    return mod


# ---- small graph helpers ------------------------------------------------------------------------


def eye(
    num_rows: int, num_columns: int | None = None, batch_shape: Any = None,
    dtype: Any = tfd.float32, name: str | None = None,
) -> Any:  # fmt: skip
    """An identity matrix (ones on the diagonal), optionally repeated over batch_shape."""
    from .convert import constant

    m = np.eye(int(num_rows), None if num_columns is None else int(num_columns))
    if batch_shape is not None:
        m = np.broadcast_to(m, (*[int(b) for b in batch_shape], *m.shape)).copy()
    return constant(m.astype(tfd.as_dtype(dtype).np_dtype), name=name or "eye")


def norm(
    tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: Any = None,  # noqa: A002
    name: str | None = None, keep_dims: Any = None,
) -> Any:  # fmt: skip
    """The p-norm of a tensor (all entries, or over `axis`): 'euclidean'/2, 1, or np.inf."""
    x = _tensor(tensor)
    p = 2 if ord in ("euclidean", "fro", 2, 2.0) else ord
    if p not in (1, 2, np.inf):
        raise NotImplementedError(f"tf.norm: ord={ord!r} is not provided; use 1, 2 or np.inf")
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = None if axis is None else tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    if axes is not None and len(axes) == 2 and p != 2:
        raise NotImplementedError("tf.norm: matrix norms other than 'fro' are not provided")
    return x.graph.build_op("norm", name, lambda: F.norm(x, p, axes, keep))


def attach(tf: types.ModuleType) -> dict:
    """Add the names to `tf`; return the new namespaces by their TF prefix."""
    from . import app

    tf.logging = _log_namespace()
    tf.gfile = _gfile_namespace()
    tf.eye, tf.norm = eye, norm
    tf.linalg.eye, tf.linalg.norm = eye, norm
    tf.initialize_local_variables = tf.local_variables_initializer
    app.flags.mark_flag_as_required = app.mark_flag_as_required
    app.flags.mark_flags_as_required = app.mark_flags_as_required
    return {"tf.logging": tf.logging, "tf.gfile": tf.gfile}
