"""Object-based checkpoints and checkpoint files: `tf.train.Checkpoint`, `CheckpointManager`,
`SaverDef`, `NewCheckpointReader`, and the checkpoint-state helpers (update / generate the state,
mtimes, removal, `checkpoints_iterator`).

A Checkpoint names each variable by the attribute path that reaches it from the checkpoint
(`model/dense/kernel`, `optimizer/m/dense/kernel` for a slot, `step`), and writes them to
`prefix.npz` in the core's checkpoint format (saver.py), beside the folder's `checkpoint` state
file. Restoring is lazy as in TF's graph mode: `restore(path)` reads the file and returns a status
whose `run_restore_ops(session)` assigns the values.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...core import checkpoint as core_ckpt
from . import errors
from .optimizers import Optimizer
from .saver import STATE_FILE, Saver, _data_path, _write_state, latest_checkpoint
from .session import get_default_session
from .train_more import CheckpointState, get_checkpoint_state
from .variables import Variable

_COUNTER = "save_counter"


def _session(session: Any, what: str) -> Any:
    sess = session if session is not None else get_default_session()
    if sess is None:
        raise ValueError(
            f"tf.train.Checkpoint.{what}: in graph mode pass session=sess or call it inside "
            "`with sess.as_default():`"
        )
    return sess


def _gather(obj: Any, path: str, out: dict, seen: set) -> None:
    """Every variable reachable from `obj`, keyed by its attribute path."""
    if isinstance(obj, Variable):
        out.setdefault(path, obj)
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Checkpoint):
        for k, v in obj._objects.items():
            _gather(v, f"{path}/{k}" if path else k, out, seen)
    elif isinstance(obj, Optimizer):
        for slot, table in sorted(obj._slots.items()):
            for var, sv in table.items():
                out.setdefault(f"{path}/{slot}/{var.node.name}", sv)
        for key, v in obj._non_slots.items():
            out.setdefault(f"{path}/{getattr(key, 'name', key)}", v)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _gather(v, f"{path}/{k}", out, seen)
    elif isinstance(obj, (list, tuple)):
        for k, v in enumerate(obj):
            _gather(v, f"{path}/{k}", out, seen)
    elif hasattr(obj, "variables") or hasattr(obj, "weights"):  # tf.layers objects, modules
        vs = obj.variables if hasattr(obj, "variables") else obj.weights
        for v in vs() if callable(vs) else vs:
            _gather(v, f"{path}/{v.node.name}", out, seen)
    else:
        raise ValueError(
            f"tf.train.Checkpoint: {path!r} is a {type(obj).__name__}; checkpoint variables, "
            "optimizers, layers, other Checkpoints, or lists / dicts of them"
        )


class CheckpointLoadStatus:
    """What `Checkpoint.restore` returns: the values read, assigned by `run_restore_ops`."""

    def __init__(self, ckpt: Checkpoint, path: str, stored: dict) -> None:
        self._ckpt, self._path, self._stored = ckpt, path, stored

    def _pairs(self) -> tuple[dict, list, list]:
        present = self._ckpt._variables()
        matched = {k: v for k, v in present.items() if k in self._stored}
        unused = sorted(set(self._stored) - set(present) - {_COUNTER})
        # as TF: the save counter is an object of every Checkpoint, stored by save, not by write
        missing = sorted(set(present) - set(self._stored) | ({_COUNTER} - set(self._stored)))
        return matched, unused, missing

    def run_restore_ops(self, session: Any = None) -> None:
        """Assign the stored values to the matching variables in `session`."""
        sess = _session(session, "restore")
        matched, _, _ = self._pairs()
        values = {}
        for key, var in matched.items():
            arr = np.asarray(self._stored[key])
            if arr.shape != tuple(var.shape) or arr.dtype != var.dtype.np_dtype:
                raise errors.InvalidArgumentError(
                    None, None,
                    f"tf.train.Checkpoint.restore: {key!r} is {arr.dtype}{list(arr.shape)} in "
                    f"{self._path} but {var.dtype.name}{list(var.shape)} in the graph",
                )  # fmt: skip
            values[var] = np.array(arr, copy=True)
        sess._write_all(values)
        if _COUNTER in self._stored:
            self._ckpt._counter = int(self._stored[_COUNTER])

    def initialize_or_restore(self, session: Any = None) -> None:
        """Restore the matched variables, initialise the others."""
        sess = _session(session, "restore")
        _, _, missing = self._pairs()
        present = self._ckpt._variables()
        for key in missing:
            if key in present:
                sess.run(present[key].initializer)
        self.run_restore_ops(sess)

    def assert_consumed(self) -> CheckpointLoadStatus:
        """AssertionError unless every stored value and every variable were matched."""
        _, unused, missing = self._pairs()
        if unused or missing:
            raise AssertionError(
                f"Checkpoint {self._path}: unmatched stored values {unused}, variables with no "
                f"stored value {missing}"
            )
        return self

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """AssertionError unless every variable now reachable has a stored value."""
        _, _, missing = self._pairs()
        if missing:
            raise AssertionError(f"Checkpoint {self._path}: no stored value for {missing}")
        return self

    def assert_nontrivial_match(self) -> CheckpointLoadStatus:
        """AssertionError when no variable matched at all."""
        if not self._pairs()[0]:
            raise AssertionError(f"Checkpoint {self._path}: nothing matched")
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Accept a partial match silently."""
        return self


class InitializationOnlyStatus(CheckpointLoadStatus):
    """`restore(None)`: nothing to read; `initialize_or_restore` runs the initialisers."""

    def __init__(self, ckpt: Checkpoint) -> None:
        super().__init__(ckpt, "<none>", {})

    def run_restore_ops(self, session: Any = None) -> None:
        """Nothing to restore."""

    def assert_consumed(self) -> CheckpointLoadStatus:
        raise AssertionError("No checkpoint was restored (save_path was None)")

    assert_existing_objects_matched = assert_consumed


class Checkpoint:
    """Groups variables, optimizers and layers by name for saving and restoring."""

    def __init__(self, root: Any = None, **kwargs: Any) -> None:
        objects = dict(kwargs)
        if root is not None:
            objects["root"] = root
        for k, v in objects.items():
            if k.startswith("_"):
                raise ValueError(f"tf.train.Checkpoint: attribute names cannot start with '_': {k}")
            _gather(v, k, {}, set())  # refuse unsupported objects now
        object.__setattr__(self, "_objects", objects)
        object.__setattr__(self, "_counter", 0)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_objects"][name]
        except KeyError:
            raise AttributeError(f"tf.train.Checkpoint has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        _gather(value, name, {}, set())
        self._objects[name] = value

    @property
    def save_counter(self) -> int:
        """How many times `save` ran (restored with the checkpoint)."""
        return self._counter

    def _variables(self) -> dict:
        out: dict = {}
        _gather(self, "", out, set())
        return out

    def write(self, file_prefix: str, session: Any = None, options: Any = None) -> str:
        """Write the variables to `file_prefix` (no numbering, no state file, no save counter)."""
        return self._write(file_prefix, session, False)

    def _write(self, file_prefix: str, session: Any, counter: bool) -> str:
        sess = _session(session, "write")
        prefix = os.fspath(file_prefix)
        tree: dict = {}
        for key, var in self._variables().items():
            value = sess._read(var)
            if value is None:
                raise errors.FailedPreconditionError(
                    None, None,
                    f"tf.train.Checkpoint: the variable {key!r} ({var.node.name}) is not "
                    "initialized; run its initializer before saving",
                )  # fmt: skip
            tree[key] = np.asarray(value)
        if counter:
            tree[_COUNTER] = np.asarray(self._counter, np.int64)
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        core_ckpt.save_arrays(_data_path(prefix), {"objects": tree})
        return prefix

    def save(self, file_prefix: str, session: Any = None, options: Any = None) -> str:
        """Write `file_prefix-N` (N counts saves) and record it in the folder's state file."""
        self._counter += 1
        try:
            prefix = self._write(f"{os.fspath(file_prefix)}-{self._counter}", session, True)
        except BaseException:
            self._counter -= 1
            raise
        folder = os.path.dirname(os.path.abspath(prefix))
        state = get_checkpoint_state(folder)
        kept = [] if state is None else [p for p in state.all_model_checkpoint_paths]
        _write_state(folder, prefix, [p for p in kept if p != prefix] + [prefix], STATE_FILE)
        return prefix

    def read(self, save_path: str, options: Any = None) -> CheckpointLoadStatus:
        """Read a checkpoint written by `write` or `save` (assign with run_restore_ops)."""
        return self.restore(save_path)

    def restore(self, save_path: str | None, options: Any = None) -> CheckpointLoadStatus:
        """Read `save_path`; returns a status whose `run_restore_ops(sess)` assigns the values."""
        if save_path is None:
            return InitializationOnlyStatus(self)
        path = _data_path(os.fspath(save_path))
        if not os.path.exists(path):
            raise errors.NotFoundError(
                None, None, f"tf.train.Checkpoint.restore: no checkpoint at {save_path} ({path})"
            )
        tree = core_ckpt.load_arrays(path)
        stored = tree.get("objects") if isinstance(tree, dict) else None
        if not isinstance(stored, dict):
            raise core_ckpt.CheckpointError(
                f"{path!r} is not an object-based checkpoint (written by tf.train.Saver? restore "
                "it with tf.train.Saver)"
            )
        return CheckpointLoadStatus(self, os.fspath(save_path), stored)


class CheckpointManager:
    """Numbered saves of a Checkpoint in a folder, keeping the `max_to_keep` newest."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        directory: str,
        max_to_keep: int | None,
        keep_checkpoint_every_n_hours: float | None = None,
        checkpoint_name: str = "ckpt",
        step_counter: Any = None,
        checkpoint_interval: int | None = None,
        init_fn: Any = None,
    ) -> None:
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"CheckpointManager: checkpoint must be a tf.train.Checkpoint, got "
                            f"{type(checkpoint).__name__}")  # fmt: skip
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"CheckpointManager: max_to_keep must be positive, got {max_to_keep}")
        self._ckpt, self._dir = checkpoint, os.fspath(directory)
        self._max, self._name, self._init_fn = max_to_keep, checkpoint_name, init_fn
        state = get_checkpoint_state(self._dir)
        paths = [] if state is None else state.all_model_checkpoint_paths
        self._kept = [p for p in paths if os.path.exists(_data_path(p))]

    @property
    def directory(self) -> str:
        """The folder."""
        return self._dir

    @property
    def checkpoints(self) -> list:
        """The kept checkpoints' prefixes, oldest first."""
        return list(self._kept)

    @property
    def latest_checkpoint(self) -> str | None:
        """The newest kept prefix, or None."""
        return self._kept[-1] if self._kept else None

    def save(
        self, checkpoint_number: Any = None, check_interval: bool = True, session: Any = None,
        options: Any = None,
    ) -> str:  # fmt: skip
        """Save as `directory/ckpt-N` (N = checkpoint_number or the save counter)."""
        sess = _session(session, "save")
        if checkpoint_number is None:
            self._ckpt._counter += 1
            number = self._ckpt._counter
        else:
            number = int(sess.run(checkpoint_number) if hasattr(checkpoint_number, "graph")
                         else checkpoint_number)  # fmt: skip
        prefix = self._ckpt._write(os.path.join(self._dir, f"{self._name}-{number}"), sess, True)
        kept = [p for p in self._kept if p != prefix] + [prefix]
        dropped = []
        while self._max is not None and len(kept) > self._max:
            dropped.append(kept.pop(0))
        _write_state(os.path.abspath(self._dir), prefix, kept, STATE_FILE)
        for old in dropped:
            remove_checkpoint(old)
        self._kept = kept
        return prefix

    def restore_or_initialize(self, session: Any = None) -> str | None:
        """Restore the latest checkpoint (returning it), else run init_fn and return None."""
        sess = _session(session, "restore")
        if self.latest_checkpoint is not None:
            self._ckpt.restore(self.latest_checkpoint).run_restore_ops(sess)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None


class SaverDef:
    """The description of a Saver (TF's SaverDef message fields)."""

    CheckpointFormatVersion = type("CheckpointFormatVersion", (), {"LEGACY": 0, "V1": 1, "V2": 2})
    LEGACY, V1, V2 = 0, 1, 2

    def __init__(
        self, filename_tensor_name: str = "", save_tensor_name: str = "",
        restore_op_name: str = "", max_to_keep: int = 0, sharded: bool = False,
        keep_checkpoint_every_n_hours: float = 0.0, version: int = 2,
    ) -> None:  # fmt: skip
        self.filename_tensor_name = filename_tensor_name
        self.save_tensor_name = save_tensor_name
        self.restore_op_name = restore_op_name
        self.max_to_keep = max_to_keep
        self.sharded = sharded
        self.keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self.version = version
        self.variables: list = []  # duograd: the saved variables' names

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SaverDef) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"SaverDef(max_to_keep={self.max_to_keep}, variables={self.variables})"


def saver_def_of(saver: Saver) -> SaverDef:
    """The SaverDef of `saver` (`Saver(saver_def=...)` rebuilds an equivalent saver)."""
    d = SaverDef(
        filename_tensor_name="save/Const:0", save_tensor_name="save/control_dependency:0",
        restore_op_name="save/restore_all", max_to_keep=saver._max_to_keep or 0,
    )  # fmt: skip
    d.variables = sorted(saver._vars)
    return d


def saver_from_def(saver_def: SaverDef) -> dict:
    """The var_list and max_to_keep a SaverDef describes, looked up in the default graph."""
    from .graph import GraphKeys, get_default_graph

    by_name = {
        v.node.name: v for v in get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
    }
    missing = [n for n in saver_def.variables if n not in by_name]
    if missing:
        raise ValueError(
            f"tf.train.Saver(saver_def=...): the graph has no variables {missing}; import the "
            "meta graph (or rebuild the model) first"
        )
    return {n: by_name[n] for n in saver_def.variables}


class NewCheckpointReader:
    """Reads a checkpoint's tensors: duograd's (Saver or Checkpoint) files or real TF ones."""

    def __init__(self, filepattern: str) -> None:
        from . import checkpoint_bridges

        path = os.fspath(filepattern)
        if os.path.isdir(path):
            path = latest_checkpoint(path) or path
        self._tf = None
        if checkpoint_bridges.handles(path) and not os.path.exists(_data_path(path)):
            self._tf = checkpoint_bridges.load_checkpoint(path)
            return
        if not os.path.exists(_data_path(path)):
            raise errors.NotFoundError(
                None, None,
                "Unsuccessful TensorSliceReader constructor: Failed to find any matching files "
                f"for {filepattern}",
            )  # fmt: skip
        tree = core_ckpt.load_arrays(_data_path(path))
        stored = tree.get("variables", tree.get("objects")) if isinstance(tree, dict) else None
        if not isinstance(stored, dict):
            raise core_ckpt.CheckpointError(f"{path!r} holds no saved variables")
        self._arrays = {k: np.asarray(v) for k, v in stored.items()}

    def get_variable_to_shape_map(self) -> dict:
        """name -> shape (a list of ints)."""
        if self._tf is not None:
            return self._tf.get_variable_to_shape_map()
        return {k: list(v.shape) for k, v in self._arrays.items()}

    def get_variable_to_dtype_map(self) -> dict:
        """name -> dtype."""
        from .image_ops import tfd

        if self._tf is not None:
            return {k: tfd.as_dtype(self._tf.get_tensor(k).dtype)
                    for k in self._tf.get_variable_to_shape_map()}  # fmt: skip
        return {k: tfd.as_dtype(v.dtype) for k, v in self._arrays.items()}

    def has_tensor(self, name: str) -> bool:
        """True when `name` is stored."""
        return name in self.get_variable_to_shape_map()

    def get_tensor(self, name: str) -> np.ndarray:
        """The stored value of `name`."""
        if self._tf is not None:
            return self._tf.get_tensor(name)
        if name not in self._arrays:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
        return np.array(self._arrays[name], copy=True)

    def debug_string(self) -> bytes:
        """One 'name (dtype) [shape]' line per tensor."""
        lines = [f"{k} ({v.name}) {self.get_variable_to_shape_map()[k]}"
                 for k, v in sorted(self.get_variable_to_dtype_map().items())]  # fmt: skip
        return ("\n".join(lines) + "\n").encode()


def generate_checkpoint_state_proto(
    save_dir: str, model_checkpoint_path: str, all_model_checkpoint_paths: list | None = None,
    all_model_checkpoint_timestamps: Any = None, last_preserved_timestamp: Any = None,
) -> CheckpointState:  # fmt: skip
    """A CheckpointState (the newest path last in all_model_checkpoint_paths)."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    return CheckpointState(model_checkpoint_path, paths)


def update_checkpoint_state(
    save_dir: str, model_checkpoint_path: str, all_model_checkpoint_paths: list | None = None,
    latest_filename: str | None = None, all_model_checkpoint_timestamps: Any = None,
    last_preserved_timestamp: Any = None,
) -> None:  # fmt: skip
    """Write the folder's `checkpoint` state file."""
    state = generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                            all_model_checkpoint_paths)  # fmt: skip
    folder = os.path.abspath(os.fspath(save_dir))
    os.makedirs(folder, exist_ok=True)
    absolute = [p if os.path.isabs(p) else os.path.join(folder, p)
                for p in state.all_model_checkpoint_paths]  # fmt: skip
    latest = absolute[-1]
    _write_state(folder, latest, absolute, latest_filename or STATE_FILE)


def get_checkpoint_mtimes(checkpoint_prefixes: list) -> list:
    """Modification times (seconds) of the checkpoints that exist."""
    out = []
    for p in checkpoint_prefixes:
        path = _data_path(os.fspath(p))
        if os.path.exists(path):
            out.append(os.path.getmtime(path))
    return out


def remove_checkpoint(checkpoint_prefix: str, checkpoint_format_version: int = 2,
                      meta_graph_suffix: str = "meta") -> None:  # fmt: skip
    """Delete a checkpoint's files (absent ones are ignored)."""
    prefix = os.fspath(checkpoint_prefix)
    for path in (_data_path(prefix), f"{prefix}.{meta_graph_suffix}"):
        if os.path.exists(path):
            os.remove(path)


def checkpoints_iterator(
    checkpoint_dir: str, min_interval_secs: float = 0, timeout: float | None = None,
    timeout_fn: Any = None,
) -> Iterator[str]:  # fmt: skip
    """Yield each new latest checkpoint of `checkpoint_dir` as it appears (until the timeout)."""
    last = None
    while True:
        start = time.time()
        deadline = None if timeout is None else start + timeout
        while True:
            found = latest_checkpoint(checkpoint_dir)
            if found is not None and found != last:
                break
            if deadline is not None and time.time() + 0.05 > deadline:
                found = None
                break
            time.sleep(0.05)
        if found is None:
            if timeout_fn is None or timeout_fn():
                return
            continue
        last = found
        yield found
        wait = min_interval_secs - (time.time() - start)
        if wait > 0:
            time.sleep(wait)


NAMES = (
    "Checkpoint CheckpointManager SaverDef NewCheckpointReader generate_checkpoint_state_proto "
    "update_checkpoint_state get_checkpoint_mtimes remove_checkpoint checkpoints_iterator"
).split()


def attach(tf: Any) -> None:
    """Add the names to tf.train."""
    for n in NAMES:
        setattr(tf.train, n, globals()[n])
    tf.train.CheckpointState = CheckpointState
