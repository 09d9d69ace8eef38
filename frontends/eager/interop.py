"""Graph (TF1-style) checkpoints into eager modules, and modules out to them.

A ``tf.train.Saver`` checkpoint holds variables by name ("dense/kernel") in TF's layouts.
`load_tf_checkpoint(model, prefix, mapping)` (a duograd graph checkpoint, or one written by
real TensorFlow's ``tf.train.Saver``: ``.index`` + ``.data-*``) loads the mapped variables into
the module's parameters through ``model.load_state_dict`` (so a missing parameter or a wrong
shape is refused and nothing changes); `save_tf_checkpoint(model, prefix, mapping)` writes the
parameters as a checkpoint ``saver.restore(sess, prefix)`` reads. Mappings are keyed by the
module's state-dict names and described in `duograd.core.interop` (`transposed`, `permuted`,
`linear_pairs`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...core import checkpoint, tf_bundle
from ...core.interop import (
    CONV2D_OIHW_TO_HWIO,
    Permuted,
    as_entry,
    check_keys,
    linear_pairs,
    permuted,
    transposed,
)
from .tensor import Tensor

__all__ = [
    "CONV2D_OIHW_TO_HWIO", "Permuted", "linear_pairs", "load_tf_checkpoint", "permuted",
    "save_tf_checkpoint", "transposed",
]  # fmt: skip

_SUFFIX = ".npz"


def _path(prefix: Any) -> str:
    p = os.fspath(prefix)
    return p if p.endswith(_SUFFIX) else p + _SUFFIX


class _LazyTensors(dict):
    """A real TF checkpoint's tensors by name, each read from disk when first asked for."""

    def __init__(self, reader: tf_bundle.CheckpointReader) -> None:
        super().__init__((n, None) for n in reader.get_variable_to_shape_map())
        self._reader = reader

    def __getitem__(self, name: str) -> np.ndarray:
        if super().__getitem__(name) is None:
            self[name] = self._reader.get_tensor(name)
        return super().__getitem__(name)


def _name(entry: Permuted, key: str) -> str:
    if not isinstance(entry.target, str):
        raise TypeError(
            f"'{key}' maps to {entry.target!r}: name the graph variable with a string "
            "(e.g. 'dense/kernel'), optionally inside transposed(...)/permuted(...)"
        )
    return entry.target[:-2] if entry.target.endswith(":0") else entry.target


def load_tf_checkpoint(
    model: Any, prefix: Any, mapping: Mapping[str, Any], strict: bool = True
) -> Any:
    """Load the mapped variables of a tf.train.Saver checkpoint into `model`'s parameters.

    Returns what ``model.load_state_dict`` returns; with `strict`, every parameter and buffer of
    the model must be mapped.
    """
    if not os.path.exists(_path(prefix)) and tf_bundle.is_tf_checkpoint(prefix):
        # a checkpoint written by real TensorFlow (.index + .data-*): read lazily by name
        tree = {"variables": _LazyTensors(tf_bundle.CheckpointReader(os.fspath(prefix)))}
    else:
        tree = checkpoint.load_arrays(_path(prefix))
    stored = tree.get("variables") if isinstance(tree, dict) else None
    if not isinstance(stored, dict):
        raise checkpoint.CheckpointError(f"{prefix!r} does not hold saved graph variables")
    entries = {key: as_entry(spec) for key, spec in mapping.items()}
    names = {key: _name(e, key) for key, e in entries.items()}
    check_keys(stored, {n: None for n in names.values()}, "load_tf_checkpoint", strict=False)
    state = {key: Tensor._make(e.to_eager(stored[names[key]])) for key, e in entries.items()}
    return model.load_state_dict(state, strict=strict)


def save_tf_checkpoint(model: Any, prefix: Any, mapping: Mapping[str, Any]) -> str:
    """Write the mapped parameters as a checkpoint tf.train.Saver restores; returns its path."""
    own = model.state_dict()
    variables = {}
    for key, spec in mapping.items():
        if key not in own:
            raise ValueError(
                f"save_tf_checkpoint: the model has no parameter or buffer '{key}' (it has "
                f"{sorted(own)})"
            )
        entry = as_entry(spec)
        variables[_name(entry, key)] = entry.to_graph(np.asarray(own[key]._data))
    path = _path(prefix)
    checkpoint.save_arrays(path, {"variables": variables})
    return path
