"""``torch.save`` / ``torch.load`` over the shared checkpoint format (core/checkpoint.py).

Files are ``.npz`` archives plus a JSON structure: loading never runs code from the file
(no pickle), and saving is atomic. Tensors come back as tensors; dicts, lists, tuples,
numbers, strings and None come back as they were.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections import OrderedDict
from typing import Any

import numpy as np

from ...core import safetensors_io, tmpfiles
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


# Objects other than tensors, containers, numbers and strings (a whole nn.Module, as
# ``torch.save(model, f)``) are pickled after this line; loading them needs weights_only=False,
# as in PyTorch, because unpickling runs code from the file.
_PICKLED = b"duograd pickled object\n"
_PLAIN = (type(None), bool, int, float, complex, str, bytes)


def _plain(obj: Any) -> bool:
    # a numpy array is pickled, as torch does: it comes back as a numpy array, and only with
    # weights_only=False (torch's weights_only loader refuses numpy arrays too)
    if isinstance(obj, (Tensor, *_PLAIN)):
        return True
    if isinstance(obj, dict):
        return all(isinstance(k, _PLAIN) and _plain(v) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return all(_plain(v) for v in obj)
    return False


def _is_path(f: Any) -> bool:
    return isinstance(f, (str, os.PathLike))


def _check_file(f: Any, op: str, method: str) -> None:
    if not _is_path(f) and not hasattr(f, method):
        raise TypeError(
            f"{op}: expected a file path (str or os.PathLike) or a file object with .{method}(), "
            f"got {type(f).__name__}"
        )


def save(obj: Any, f: Any, pickle_module: Any = None, pickle_protocol: int = 2,
         **kwargs: Any) -> None:  # fmt: skip
    """Write `obj` to a path (atomically) or a writable binary file object.

    Tensors and nested dicts/lists/tuples of tensors, numbers and strings use the no-code
    checkpoint format; other objects (a whole module) are pickled.
    """
    _check_file(f, "save", "write")
    if _is_path(f) and safetensors_io.is_safetensors(os.fspath(f)):
        if not isinstance(obj, dict):
            raise TypeError(
                f"save: a .safetensors file holds a dict of name -> tensor (a state_dict), got "
                f"{type(obj).__name__}"
            )
        safetensors_io.save(os.fspath(f), _to_arrays(obj), "save")
        return
    if not _plain(obj):
        data = _PICKLED + pickle.dumps(obj, protocol=max(pickle_protocol, 2))
        if _is_path(f):
            folder = os.path.dirname(os.path.abspath(os.fspath(f)))
            tmpfiles.sweep(folder)
            fd, tmp = tmpfiles.make(folder)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, os.fspath(f))
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        else:
            f.write(data)
        return
    if _is_path(f):
        save_arrays(os.fspath(f), _to_arrays(obj))
        return
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "checkpoint")
        save_arrays(path, _to_arrays(obj))
        with open(path, "rb") as src:
            shutil.copyfileobj(src, f)


def load(f: Any, map_location: Any = None, pickle_module: Any = None,
         weights_only: bool = True, **kwargs: Any) -> Any:  # fmt: skip
    """Read what save() wrote, from a path or a readable binary file object.

    Tensors come back as tensors. A pickled object (a whole module) loads only with
    ``weights_only=False``, since unpickling runs code from the file.
    """
    _check_file(f, "load", "read")
    if _is_path(f) and safetensors_io.is_safetensors(os.fspath(f)):
        return _to_tensors(safetensors_io.load(os.fspath(f), "load"))
    if _is_path(f):
        path = os.fspath(f)
        if os.path.exists(path):
            with open(path, "rb") as src:
                head = src.read(len(_PICKLED))
            if head == _PICKLED:
                with open(path, "rb") as src:
                    return _unpickle(src.read(), weights_only)
        return _to_tensors(load_arrays(path))  # names the file in its errors
    data = f.read()
    if data.startswith(_PICKLED):
        return _unpickle(data, weights_only)
    name = getattr(f, "name", None) or f"<{type(f).__name__}>"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "checkpoint")
        with open(path, "wb") as out:
            out.write(data)
        try:
            return _to_tensors(load_arrays(path))
        except Exception as e:  # say which file object, not the temporary copy
            raise type(e)(str(e).replace(repr(path), repr(name)).replace(path, str(name))) from e


def _unpickle(data: bytes, weights_only: bool) -> Any:
    if weights_only:
        raise pickle.UnpicklingError(
            "load: this file holds a pickled object (saved with torch.save(obj) for an obj "
            "that is not tensors/dicts/lists); unpickling runs code from the file, so pass "
            "weights_only=False if you trust its source"
        )
    return pickle.loads(data[len(_PICKLED) :])
