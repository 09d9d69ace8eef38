"""Graph variables to and from other formats by name: `.safetensors` files and real TF checkpoints.

`Saver.save(sess, "dir/w.safetensors")` writes each variable under its name (the `safetensors`
extra); `Saver.restore(sess, path)` reads such a file, or a checkpoint written by real
TensorFlow's ``tf.train.Saver`` (``<prefix>.index`` + ``<prefix>.data-*``, parsed by
`duograd.core.tf_bundle`). A restore checks every variable's presence, shape and dtype before
changing any, so a failed restore leaves the session as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ...core import safetensors_io, tf_bundle
from . import errors


def handles(path: Any) -> bool:
    """True when `path` is a .safetensors file or a real TF checkpoint prefix."""
    p = os.fspath(path)
    return safetensors_io.is_safetensors(p) or (
        not os.path.exists(p + ".npz") and tf_bundle.is_tf_checkpoint(p)
    )


def export_safetensors(sess: Any, path: Any, variables: Mapping[str, Any]) -> str:
    """Write the variables' values in `sess` to `path` (.safetensors) under their names."""
    arrays = {}
    for name, var in variables.items():
        value = sess._read(var)
        if value is None:
            raise errors.FailedPreconditionError(
                None, None, f"Attempting to save the uninitialized variable '{name}': run its "
                "initializer first"
            )  # fmt: skip
        arrays[name] = np.asarray(value)
    safetensors_io.save(os.fspath(path), arrays, "Saver.save")
    return os.fspath(path)


class SavedVariablesReader:
    """The reader `load_checkpoint` gives for a checkpoint duograd's own Saver wrote: the same
    methods as a real TF checkpoint's reader."""

    def __init__(self, path: str, stored: Mapping[str, Any]) -> None:
        self._path, self._stored = path, {k: np.asarray(v) for k, v in stored.items()}

    def has_tensor(self, name: str) -> bool:
        """True when the checkpoint holds `name`."""
        return name in self._stored

    def get_tensor(self, name: str) -> np.ndarray:
        """The stored value of `name`."""
        if name not in self._stored:
            raise errors.NotFoundError(
                None, None, f"Key {name} not found in checkpoint {self._path}"
            )
        return self._stored[name].copy()

    def get_variable_to_shape_map(self) -> dict:
        """name -> shape (a list) of every stored variable."""
        return {k: list(v.shape) for k, v in self._stored.items()}

    def get_variable_to_dtype_map(self) -> dict:
        """name -> dtype of every stored variable."""
        from . import dtypes

        return {k: dtypes.as_dtype(v.dtype) for k, v in self._stored.items()}


def load_checkpoint(prefix: Any) -> Any:
    """A reader of a checkpoint (``tf.train.load_checkpoint``): get_tensor(name) etc. Reads a
    folder's latest checkpoint, one duograd's Saver wrote, or one real TF wrote."""
    from ...core import checkpoint
    from .saver import _data_path, latest_checkpoint

    path = os.fspath(prefix)
    if os.path.isdir(path):
        path = latest_checkpoint(path) or path
    own = _data_path(path)
    if not handles(path) and os.path.exists(own):
        stored = checkpoint.load_arrays(own).get("variables", {})
        return SavedVariablesReader(path, stored)
    return tf_bundle.CheckpointReader(path)


def list_variables(prefix: Any) -> list[tuple[str, list[int]]]:
    """(name, shape) of every tensor in a TF checkpoint, sorted by name."""
    return sorted(load_checkpoint(prefix).get_variable_to_shape_map().items())


def restore(sess: Any, path: Any, variables: Mapping[str, Any]) -> None:
    """Set `variables` (name -> Variable) in `sess` from a .safetensors file or a TF checkpoint."""
    p = os.fspath(path)
    if safetensors_io.is_safetensors(p):
        if not os.path.exists(p):
            raise errors.NotFoundError(None, None, f"Failed to find the file {p}")
        stored = safetensors_io.load(p, "Saver.restore")
        _assign(sess, variables, stored.__contains__, stored.__getitem__, p)
    else:
        reader = load_checkpoint(p)
        _assign(sess, variables, reader.has_tensor, reader.get_tensor, p)


def _assign(
    sess: Any, variables: Mapping[str, Any], has: Callable, get: Callable, source: str
) -> None:
    values = {}
    for name, var in variables.items():
        if not has(name):
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint {source}")
        arr = np.asarray(get(name))
        if arr.shape != tuple(var.shape):
            raise errors.InvalidArgumentError(
                None, None, f"Restoring from checkpoint failed: variable '{name}' has shape "
                f"{var.shape} in the graph but {arr.shape} in the checkpoint {source}"
            )  # fmt: skip
        if arr.dtype != var.dtype.np_dtype:
            raise errors.InvalidArgumentError(
                None, None, f"Restoring from checkpoint failed: variable '{name}' has dtype "
                f"{var.dtype.name} in the graph but {arr.dtype} in the checkpoint {source}"
            )  # fmt: skip
        values[var] = np.array(arr, copy=True)
    sess._write_all(values)
