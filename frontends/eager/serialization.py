"""``torch.save`` / ``torch.load`` over the shared checkpoint format (core/checkpoint.py).

Files are ``.npz`` archives plus a JSON structure: loading never runs code from the file
(no pickle), and saving is atomic. Tensors come back as tensors; dicts, lists, tuples,
numbers, strings and None come back as they were.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

import numpy as np

from ...core import safetensors_io
from ...core.checkpoint import load_arrays, save_arrays
from .tensor import Tensor


def _to_arrays(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return np.array(obj._data, copy=True)
    if isinstance(obj, np.ndarray):
        raise TypeError(
            "save: numpy arrays would come back as tensors; wrap them with torch.from_numpy() "
            "(or save tensors only)"
        )
    if isinstance(obj, dict):
        return {k: _to_arrays(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return tuple(_to_arrays(v) for v in obj)
    if isinstance(obj, list):
        return [_to_arrays(v) for v in obj]
    return obj


def _to_tensors(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return Tensor._make(np.array(obj, copy=True))
    if isinstance(obj, dict):
        return OrderedDict((k, _to_tensors(v)) for k, v in obj.items())
    if isinstance(obj, tuple):
        return tuple(_to_tensors(v) for v in obj)
    if isinstance(obj, list):
        return [_to_tensors(v) for v in obj]
    return obj


def _path(f: Any, op: str) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    raise TypeError(
        f"{op}: expected a file path (str or os.PathLike), got {type(f).__name__}; duograd "
        "checkpoints are written atomically to a named file"
    )


def save(obj: Any, f: str | os.PathLike, **kwargs: Any) -> None:
    """Write tensors or nested dicts/lists of tensors, numbers and strings to `f` atomically.

    A path ending in ``.safetensors`` writes a flat dict of tensors (a state dict) in that format.
    """
    if safetensors_io.is_safetensors(_path(f, "save")):
        if not isinstance(obj, dict):
            raise TypeError(
                f"save: a .safetensors file holds a dict of name -> tensor (a state_dict), got "
                f"{type(obj).__name__}"
            )
        safetensors_io.save(_path(f, "save"), _to_arrays(obj), "save")
        return
    save_arrays(_path(f, "save"), _to_arrays(obj))


def load(f: str | os.PathLike, map_location: Any = None, weights_only: bool = True,
         **kwargs: Any) -> Any:  # fmt: skip
    """Read what save() wrote (no code from the file runs); tensors come back as tensors.

    A ``.safetensors`` file (written by duograd or by real PyTorch) comes back as an ordered dict
    of tensors that ``module.load_state_dict`` takes.
    """
    if safetensors_io.is_safetensors(_path(f, "load")):
        return _to_tensors(safetensors_io.load(_path(f, "load"), "load"))
    return _to_tensors(load_arrays(_path(f, "load")))
