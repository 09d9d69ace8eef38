"""`tf.train.Saver`: variables to and from checkpoints in the core's safe format.

`save(sess, "dir/model.ckpt", global_step=7)` writes `dir/model.ckpt-7.npz` through
`core/checkpoint.py` (numpy arrays plus a JSON structure; loading never runs code) and records
it in `dir/checkpoint`, a small text file in TF's layout that `latest_checkpoint(dir)` reads.
The returned prefix ("dir/model.ckpt-7") is what `restore` takes. A restore checks every
variable first and changes nothing if one is missing or misshapen.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from ...core import checkpoint, tmpfiles
from ...core.ir import Value
from . import checkpoint_bridges, errors
from .graph import GraphKeys, get_default_graph
from .variables import Variable

SUFFIX = ".npz"
STATE_FILE = "checkpoint"


def _data_path(prefix: str) -> str:
    return prefix if prefix.endswith(SUFFIX) else prefix + SUFFIX


class Saver:
    """Saves and restores variables, keeping the `max_to_keep` newest checkpoints."""

    def __init__(
        self,
        var_list: Any = None,
        reshape: bool = False,
        sharded: bool = False,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        name: str | None = None,
        restore_sequentially: bool = False,
        saver_def: Any = None,
        builder: Any = None,
        defer_build: bool = False,
        allow_empty: bool = False,
        write_version: Any = None,
        pad_step_number: bool = False,
        save_relative_paths: bool = False,
        filename: Any = None,
    ) -> None:
        if saver_def is not None:  # rebuild the saver a SaverDef describes (train_checkpoint.py)
            from .train_checkpoint import SaverDef, saver_from_def

            if not isinstance(saver_def, SaverDef):
                raise TypeError(f"Saver: saver_def must be a tf.train.SaverDef, got {saver_def!r}")
            var_list = saver_from_def(saver_def) if var_list is None else var_list
            max_to_keep = saver_def.max_to_keep or None
        if var_list is None:
            var_list = get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
        if isinstance(var_list, dict):
            items = list(var_list.items())
        else:
            items = [(_name_of(v), v) for v in _flatten(var_list)]
        names = [n for n, _ in items]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"At least two variables have the same name: {dup[0]}")
        for n, v in items:
            if not isinstance(v, Variable):
                raise TypeError(f"Saver: {n!r} is not a tf.Variable but {v!r}")
        if not items and not allow_empty:
            raise ValueError("No variables to save")
        self._vars = dict(items)
        self._max_to_keep = max_to_keep
        self._last: list[str] = []
        if filename is not None:  # the saver's own folder: drop orphans of killed saves now
            tmpfiles.sweep(os.path.dirname(os.path.abspath(os.fspath(filename))))

    @property
    def last_checkpoints(self) -> list[str]:
        """Prefixes of the checkpoints kept, oldest first."""
        return list(self._last)

    def set_last_checkpoints(self, paths: list[str]) -> None:
        """Replace the list of kept checkpoints."""
        self._last = list(paths)
        _sweep_folders(self._last)

    def recover_last_checkpoints(self, checkpoint_paths: list[str]) -> None:
        """Keep the given checkpoints that still exist (after a restart), oldest first."""
        paths = [os.fspath(p) for p in checkpoint_paths]
        _sweep_folders(paths)
        self._last = [p for p in paths if os.path.exists(_data_path(p))]

    def save(
        self,
        sess: Any,
        save_path: str,
        global_step: Any = None,
        latest_filename: str | None = None,
        meta_graph_suffix: str = "meta",
        write_meta_graph: bool = True,
        write_state: bool = True,
        strip_default_attrs: bool = False,
        save_debug_info: bool = False,
    ) -> str:
        """Write the variables' values in `sess`; returns the checkpoint's prefix."""
        if os.fspath(save_path).endswith(".safetensors"):  # by name, in that format
            return checkpoint_bridges.export_safetensors(sess, save_path, self._vars)
        prefix = os.fspath(save_path)
        if global_step is not None:
            step = global_step
            if isinstance(step, Value):
                step = sess.run(step)
            prefix = f"{prefix}-{int(step)}"
        tree = {"variables": {}}
        for name, var in self._vars.items():
            value = sess._read(var)
            if value is None:
                raise errors.FailedPreconditionError(
                    None,
                    None,
                    f"Attempting to save the uninitialized variable '{name}': run its "
                    "initializer first",
                )
            tree["variables"][name] = np.asarray(value)
        folder = os.path.dirname(os.path.abspath(prefix))
        try:  # TF's checkpoint writer makes a missing folder (programs rely on it)
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise errors.NotFoundError(
                None, None, f"Failed to save checkpoint: cannot make the folder {folder!r}: {e}"
            ) from None
        # Crash-safe rotation: write the new data file, then the state file naming only files
        # that exist, and only then delete the dropped ones. A crash at any point leaves the
        # state file pointing at a complete checkpoint (at worst an unlisted old file remains).
        checkpoint.save_arrays(_data_path(prefix), tree)
        kept = [p for p in self._last if p != prefix] + [prefix]
        dropped: list[str] = []
        if self._max_to_keep:
            while len(kept) > self._max_to_keep:
                dropped.append(kept.pop(0))
        if write_state:
            _write_state(folder, prefix, kept, latest_filename or STATE_FILE)
        self._last = kept
        for old in dropped:
            if os.path.exists(_data_path(old)):
                os.remove(_data_path(old))
        return prefix

    def restore(self, sess: Any, save_path: str) -> None:
        """Set the variables in `sess` from the checkpoint `save_path` (a prefix save returned)."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if checkpoint_bridges.handles(save_path):  # .safetensors or a real TF checkpoint
            return checkpoint_bridges.restore(sess, save_path, self._vars)
        path = _data_path(os.fspath(save_path))
        tmpfiles.sweep(os.path.dirname(os.path.abspath(path)))  # orphans of killed saves
        if not os.path.exists(path):
            raise errors.NotFoundError(
                None, None, f"Failed to find any matching files for {save_path} (no {path})"
            )
        tree = checkpoint.load_arrays(path)
        stored = tree.get("variables") if isinstance(tree, dict) else None
        if not isinstance(stored, dict):
            raise checkpoint.CheckpointError(f"{path!r} does not hold saved variables")
        values = {}
        for name, var in self._vars.items():
            if name not in stored:
                raise errors.NotFoundError(
                    None, None, f"Key {name} not found in checkpoint {save_path}"
                )
            arr = np.asarray(stored[name])
            if arr.shape != tuple(var.shape):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Restoring from checkpoint failed: variable '{name}' has shape {var.shape} "
                    f"in the graph but {arr.shape} in the checkpoint {save_path}",
                )
            if arr.dtype != var.dtype.np_dtype:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Restoring from checkpoint failed: variable '{name}' has dtype "
                    f"{var.dtype.name} in the graph but {arr.dtype} in the checkpoint",
                )
            values[var] = np.array(arr, copy=True)
        sess._write_all(values)

    def as_saver_def(self) -> Any:
        """A tf.train.SaverDef describing the saver (its `variables` lists the names saved)."""
        from .train_checkpoint import saver_def_of

        return saver_def_of(self)


def _sweep_folders(prefixes: list[str]) -> None:
    """Remove orphaned temporary files (of saves killed mid-write) next to these checkpoints."""
    for folder in {os.path.dirname(os.path.abspath(os.fspath(p))) for p in prefixes}:
        tmpfiles.sweep(folder)


def _flatten(items: Any) -> list:
    out = []
    for x in items:
        if isinstance(x, (list, tuple)):
            out.extend(_flatten(x))
        else:
            out.append(x)
    return out


def _name_of(v: Any) -> str:
    if isinstance(v, Variable):
        return v.node.name
    raise TypeError(f"Saver: var_list must hold tf.Variables, got {v!r}")


def _write_state(folder: str, latest: str, all_paths: list[str], filename: str) -> None:
    def rel(p: str) -> str:
        p = os.path.abspath(p)
        return os.path.relpath(p, folder) if os.path.dirname(p) == folder else p

    lines = [f'model_checkpoint_path: "{rel(latest)}"']
    lines += [f'all_model_checkpoint_paths: "{rel(p)}"' for p in all_paths]
    fd, tmp = tmpfiles.make(folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(folder, filename))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest checkpoint recorded in `checkpoint_dir`, or None."""
    path = os.path.join(os.fspath(checkpoint_dir), latest_filename or STATE_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    m = re.search(r'^model_checkpoint_path:\s*"(.*)"\s*$', text, re.MULTILINE)
    if not m:
        return None
    prefix = m.group(1)
    if not os.path.isabs(prefix):
        prefix = os.path.join(os.fspath(checkpoint_dir), prefix)
    return prefix if os.path.exists(_data_path(prefix)) else None


def checkpoint_exists(checkpoint_prefix: str) -> bool:
    """True when a checkpoint with that prefix exists."""
    return os.path.exists(_data_path(os.fspath(checkpoint_prefix)))
