"""Flat name -> array files in the `.safetensors` format (the `safetensors` extra).

Both frontends store a flat mapping of names to arrays here (a state dict, a graph's variables by
name). Writing is atomic (a temporary file renamed over the target), so a failed save leaves the
old file whole; reading copies nothing it does not need and never runs code from the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from . import tmpfiles
from .extras import require

SUFFIX = ".safetensors"


def is_safetensors(path: str | os.PathLike) -> bool:
    """True when `path` names a .safetensors file."""
    return os.fspath(path).endswith(SUFFIX)


def save(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], op: str = "save") -> None:
    """Write `arrays` (str -> ndarray) to `path` atomically."""
    st = require("safetensors.numpy", "safetensors", f"{op} to {SUFFIX}")
    flat = {}
    for k, v in arrays.items():
        if not isinstance(k, str):
            raise TypeError(f"{op}: {SUFFIX} keys must be strings, got {k!r}")
        if not isinstance(v, np.ndarray):
            raise TypeError(
                f"{op}: {SUFFIX} holds a flat mapping of names to tensors; '{k}' is a "
                f"{type(v).__name__} (save a state_dict, or use the default format for nested "
                "objects)"
            )
        flat[k] = np.ascontiguousarray(v)
    data = st.save(flat)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmpfiles.sweep(folder)
    fd, tmp = tmpfiles.make(folder, SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike, op: str = "load") -> dict[str, np.ndarray]:
    """Read a .safetensors file into a dict of (writable, owned) arrays, in file order."""
    st = require("safetensors.numpy", "safetensors", f"{op} from {SUFFIX}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{op}: no such file {path!r}")
    return {k: np.array(v, copy=True) for k, v in st.load_file(path).items()}
