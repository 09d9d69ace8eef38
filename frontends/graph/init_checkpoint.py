"""`tf.train.init_from_checkpoint`: variables whose initializers load values from a checkpoint
(a duograd one or a real TF one) instead of their initial values."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.primitives.registry import AVal
from .convert import constant
from .graph import GraphKeys, get_default_graph
from .tensor import Operation
from .variables import Variable, _write_effect


def _all_vars() -> dict:
    g = get_default_graph()
    found = g.get_collection(GraphKeys.GLOBAL_VARIABLES) + g.get_collection(
        GraphKeys.LOCAL_VARIABLES
    )
    return {v.node.name: v for v in found}


def _targets(ckpt_key: str, target: Any, variables: dict) -> list:
    """(name in the checkpoint, variable) pairs one assignment_map entry stands for."""
    if isinstance(target, Variable):
        return [(ckpt_key, target)]
    if isinstance(target, (list, tuple)):  # a partitioned variable's parts: not provided
        raise NotImplementedError("init_from_checkpoint: partitioned variables are not provided")
    name = str(target)
    if name in variables and not ckpt_key.endswith("/"):
        return [(ckpt_key, variables[name])]
    scope = "" if name == "/" else (name if name.endswith("/") else name + "/")
    prefix = "" if ckpt_key == "/" else (ckpt_key if ckpt_key.endswith("/") else ckpt_key + "/")
    out = [(prefix + n[len(scope) :], v) for n, v in variables.items() if n.startswith(scope)]
    if not out:
        raise ValueError(f"init_from_checkpoint: no variable or scope named {name!r} in the graph")
    return out


def init_from_checkpoint(ckpt_dir_or_file: str, assignment_map: Any) -> None:
    """Make the mapped variables' initializers assign the checkpoint's values
    ({name or scope in the checkpoint: variable, name or scope in the graph})."""
    from .nn_more2 import load_variable

    items = assignment_map.items() if isinstance(assignment_map, dict) else assignment_map
    variables = _all_vars()
    for key, target in items:
        for ckpt_name, var in _targets(str(key), target, variables):
            value = np.asarray(load_variable(ckpt_dir_or_file, ckpt_name))
            if value.shape != tuple(var.shape):
                raise ValueError(
                    f"init_from_checkpoint: '{ckpt_name}' has shape {value.shape} in the "
                    f"checkpoint but variable '{var.node.name}' has shape {tuple(var.shape)}"
                )
            g = var.graph
            with g.control_dependencies(None), g.name_scope(var.node.name + "/"):
                c = constant(value.astype(var.dtype.np_dtype), name="checkpoint_value")
                aval = AVal(tuple(var.shape), var.dtype.np_dtype)
                effect = _write_effect(var, "assign")
                op = g._add("effect", None, {"reads": ()}, (c,), aval, "Assign", effect)
            op.node.attrs["type"] = "Assign"
            var._initializer = Operation.of(op.node)
            var._initial_value = c
