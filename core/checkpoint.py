"""The checkpoint format both frontends use: safe to load, atomic to write.

A checkpoint is one ``.npz`` file: numpy arrays stored as ``a0, a1, ...`` plus ``__tree__``, a
JSON text describing the nested structure (dicts, lists, numbers, strings, None) with array
leaves referring to those entries. Loading uses ``allow_pickle=False`` and ``json``, so no code
from the file ever runs. Writing goes to a temporary file in the same folder, is flushed and
fsynced, then renamed over the target, so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

from . import tmpfiles

FORMAT = "duograd-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, corrupted or not a duograd checkpoint."""


def _encode(node: Any, arrays: list[np.ndarray]) -> Any:
    if (
        isinstance(node, np.ndarray)
        or hasattr(node, "__array__")
        and not isinstance(node, (int, float, bool, str))
    ):
        a = np.asarray(node)
        arrays.append(np.ascontiguousarray(a).reshape(a.shape))  # ascontiguousarray makes 0-d 1-d
        return {"__array__": len(arrays) - 1}
    if isinstance(node, dict):
        for k in node:
            if not isinstance(k, (str, int)):
                raise TypeError(f"checkpoint keys must be str or int, got {type(k).__name__}")
        return {
            "__dict__": [[k, _encode(v, arrays)] for k, v in node.items()],
        }
    if isinstance(node, (list, tuple)):
        return {"__list__": [_encode(v, arrays) for v in node], "tuple": isinstance(node, tuple)}
    if isinstance(node, (np.integer, np.floating, np.bool_)):
        return node.item()
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise TypeError(
        f"cannot store a {type(node).__name__} in a checkpoint: only arrays, numbers, strings, "
        "None and dicts/lists of them"
    )


def _decode(node: Any, arrays: dict[str, np.ndarray], where: str = "tree") -> Any:
    """Rebuild the stored structure; raises _Malformed (what is wrong, and where) on bad input."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict):
        raise _Malformed(f"{where} is a JSON {type(node).__name__}, expected an entry or a value")
    kinds = [k for k in ("__array__", "__dict__", "__list__") if k in node]
    if len(kinds) != 1:
        raise _Malformed(f"{where} has keys {sorted(node)}, expected exactly one entry kind")
    kind = kinds[0]
    body = node[kind]
    if kind == "__array__":
        if type(body) is not int:
            raise _Malformed(f"{where}: array index {body!r} is not an integer")
        name = f"a{body}"
        if name not in arrays:
            raise _Malformed(f"{where} refers to array {body}, which the file does not hold")
        return arrays[name]
    if not isinstance(body, list):
        raise _Malformed(f"{where}: {kind} holds a JSON {type(body).__name__}, expected a list")
    if kind == "__dict__":
        out = {}
        for i, item in enumerate(body):
            if not (isinstance(item, list) and len(item) == 2):
                raise _Malformed(f"{where}: dict item {i} is not a [key, value] pair")
            k, v = item
            if type(k) not in (str, int):
                raise _Malformed(f"{where}: dict key {k!r} is not a string or integer")
            out[k] = _decode(v, arrays, f"{where}[{k!r}]")
        return out
    items = [_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(body)]
    as_tuple = node.get("tuple", False)
    if not isinstance(as_tuple, bool):
        raise _Malformed(f"{where}: 'tuple' flag {as_tuple!r} is not true or false")
    return tuple(items) if as_tuple else items


class _Malformed(Exception):
    """What is wrong with a header; load_arrays turns it into a CheckpointError naming the file."""


def _check_header(header: Any) -> None:
    """Refuse a header that is not {format, version, tree} with the right types."""
    if not isinstance(header, dict):
        raise _Malformed(f"its header is a JSON {type(header).__name__}, expected an object")
    if header.get("format") != FORMAT:
        raise _Malformed("it is not a duograd checkpoint (no duograd format tag)")
    version = header.get("version")
    if type(version) is not int or version < 1:
        raise _Malformed(f"its format version {version!r} is not a positive integer")
    if version > VERSION:
        raise _Malformed(
            f"it was written by a newer duograd (format version {version}); upgrade to read it"
        )
    if "tree" not in header:
        raise _Malformed("its header has no 'tree' entry (the stored structure)")


def save_arrays(path: str | os.PathLike, tree: Any) -> None:
    """Write a nested structure of arrays and plain values to `path` atomically."""
    path = os.fspath(path)
    arrays: list[np.ndarray] = []
    header = {"format": FORMAT, "version": VERSION, "tree": _encode(tree, arrays)}
    payload = {f"a{i}": a for i, a in enumerate(arrays)}
    payload["__tree__"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    tmpfiles.sweep(folder)  # orphans of saves killed mid-write
    fd, tmp = tmpfiles.make(folder, ".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _check_magic(path: str, head: bytes) -> None:
    """Refuse, with a precise reason, a file that is not a zip archive (what .npz files are)."""
    if head in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip's first entry, or an empty zip
        return
    if not head:
        raise CheckpointError(f"{path!r} is empty (a save that never completed?)")
    if head[:1] == b"\x80":
        raise CheckpointError(
            f"{path!r} is a pickle file, not a duograd checkpoint; duograd never unpickles "
            "(loading a pickle can run arbitrary code)"
        )
    raise CheckpointError(
        f"{path!r} is not a duograd checkpoint: not an .npz (zip) archive (starts {head!r})"
    )


def load_arrays(path: str | os.PathLike) -> Any:
    """Read a structure written by save_arrays; never executes code from the file."""
    path = os.fspath(path)
    if tmpfiles.is_temporary(path):
        raise CheckpointError(
            f"{path!r} is the temporary file of an unfinished save, not a checkpoint; load the "
            "file it was being written to"
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    try:
        # our own handle: numpy leaks its file when a truncated zip fails to open
        with open(path, "rb") as fh:
            _check_magic(path, fh.read(4))
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            if "__tree__" not in z.files:
                raise CheckpointError(f"{path!r} is not a duograd checkpoint (no structure entry)")
            header = json.loads(bytes(z["__tree__"]).decode("utf-8"))
            _check_header(header)
            arrays = {name: z[name] for name in z.files if name != "__tree__"}
            return _decode(header["tree"], arrays)
    except _Malformed as e:
        raise CheckpointError(f"{path!r} is not a valid duograd checkpoint: {e}") from None
    except CheckpointError:
        raise
    except RecursionError:
        raise CheckpointError(f"{path!r} has a structure nested too deeply to load") from None
    except ValueError as e:
        if "pickle" not in str(e):  # e.g. a damaged array header, or bytes that are not UTF-8
            raise CheckpointError(f"{path!r} is truncated or corrupted: {e}") from None
        # numpy refuses object arrays (pickles) here: the file wanted to run code on load
        raise CheckpointError(
            f"{path!r} holds data that would need pickle to load; refusing ({e})"
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, NotImplementedError) as e:
        # NotImplementedError: zipfile's answer to a damaged compression method or flag field
        raise CheckpointError(f"{path!r} is truncated or corrupted: {e}") from None
