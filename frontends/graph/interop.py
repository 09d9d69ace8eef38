"""Eager (PyTorch-style) checkpoints into graph variables, and graph variables out to them.

``torch.save(model.state_dict(), "m.npz")`` in the eager style writes a dict of arrays keyed by
parameter name. `load_torch_state_dict(sess, "m.npz", mapping)` puts those values into the
session's variables, permuting axes as the mapping says (an ``nn.Linear`` weight is (out, in),
a ``dense`` kernel (in, out)); `save_torch_state_dict(sess, "m.npz", mapping)` writes the
variables back in the eager layout, ready for ``model.load_state_dict(torch.load("m.npz"))``.
Mappings are described in `duograd.core.interop` (`transposed`, `permuted`, `linear_pairs`).

Every entry is checked (present, shape, dtype) before any variable changes, so a failed load
leaves the session as it was. Files are read and written with the safe checkpoint format: no
code from the file ever runs, and a write is atomic.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...core import checkpoint
from ...core.interop import (
    CONV2D_OIHW_TO_HWIO,
    Permuted,
    as_entry,
    check_keys,
    check_shape,
    linear_pairs,
    permuted,
    transposed,
)
from .graph import GraphKeys
from .variables import Variable

__all__ = [
    "CONV2D_OIHW_TO_HWIO", "Permuted", "linear_pairs", "load_torch_state_dict", "permuted",
    "save_torch_state_dict", "transposed",
]  # fmt: skip


def _variable(sess: Any, target: Any, key: str) -> Variable:
    if isinstance(target, Variable):
        if target.graph is not sess.graph:
            raise ValueError(f"'{key}' maps to {target}, which is not in the session's graph")
        return target
    if isinstance(target, str):
        name = target[:-2] if target.endswith(":0") else target
        for v in sess.graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
            if v.node.name == name:
                return v
        raise ValueError(f"'{key}' maps to a variable named '{name}', which the graph lacks")
    raise TypeError(
        f"'{key}' maps to {target!r}: use a tf.Variable, a variable name or "
        "transposed(...)/permuted(...) of one"
    )


def _state_dict_of(path: Any) -> dict:
    if isinstance(path, Mapping):
        tree = path
    else:
        tree = checkpoint.load_arrays(os.fspath(path))
    if not isinstance(tree, dict):
        raise checkpoint.CheckpointError(
            f"{path!r} does not hold a state dict (a dict of arrays keyed by parameter name)"
        )
    out = {}
    for k, v in tree.items():
        arr = getattr(v, "_data", v)  # an eager tensor when handed a live state dict
        out[k] = np.asarray(arr)
    return out


def load_torch_state_dict(
    sess: Any, path: Any, mapping: Mapping[str, Any], strict: bool = True
) -> list[str]:
    """Set the mapped variables in `sess` from an eager state dict file (or dict).

    `mapping` maps each state-dict key to a variable (object or name) or a `Permuted` of one.
    With `strict`, a file entry the mapping does not place is an error (as load_state_dict).
    Returns the keys loaded. Nothing changes unless every entry fits.
    """
    where = "load_torch_state_dict"
    state = _state_dict_of(path)
    check_keys(state, mapping, where, strict)
    values = {}
    for key, spec in mapping.items():
        entry = as_entry(spec)
        var = _variable(sess, entry.target, key)
        arr = entry.to_graph(state[key])
        check_shape(key, var.node.name, arr, tuple(var.shape), where)
        if arr.dtype != var.dtype.np_dtype:
            raise TypeError(
                f"{where}: '{key}' is {arr.dtype} but variable '{var.node.name}' is "
                f"{var.dtype.name}; convert the model (e.g. model.float()) before saving"
            )
        values[var] = np.array(arr, copy=True)
    sess._write_all(values)
    return list(mapping)


def save_torch_state_dict(sess: Any, path: Any, mapping: Mapping[str, Any]) -> None:
    """Write the mapped variables of `sess` as an eager state dict file (atomically)."""
    tree = {}
    for key, spec in mapping.items():
        entry = as_entry(spec)
        var = _variable(sess, entry.target, key)
        value = sess._read(var)
        if value is None:
            raise ValueError(
                f"save_torch_state_dict: variable '{var.node.name}' (for '{key}') is not "
                "initialized in this session; run its initializer first"
            )
        tree[key] = entry.to_eager(value)
    checkpoint.save_arrays(os.fspath(path), tree)
