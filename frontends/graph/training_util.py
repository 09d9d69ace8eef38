"""The global step variable and learning-rate schedules of `tf.train`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ops
from ...core.ir import Value
from .graph import Graph, GraphKeys, get_default_graph
from .tensor import Tensor
from .variables import Variable


def get_global_step(graph: Graph | None = None) -> Variable | None:
    """The graph's global step variable, or None."""
    g = graph or get_default_graph()
    found = g.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise TypeError("There are multiple items in the global step collection")
    return found[0] if found else None


def create_global_step(graph: Graph | None = None) -> Variable:
    """Make the global step (an int64 counter starting at 0); ValueError if it exists."""
    g = graph or get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError('"global_step" already exists.')
    with g.as_default(), g.control_dependencies(None), g.name_scope(None):
        return Variable(
            np.asarray(0, np.int64),
            trainable=False,
            name="global_step",
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def get_or_create_global_step(graph: Graph | None = None) -> Variable:
    """The global step, made if missing."""
    g = graph or get_default_graph()
    found = get_global_step(g)
    return found if found is not None else create_global_step(g)


def global_step(sess: Any, global_step_tensor: Any) -> int:
    """The global step's value in `sess` as an int."""
    return int(sess.run(global_step_tensor))


def exponential_decay(
    learning_rate: float,
    global_step: Any,
    decay_steps: float,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Tensor:
    """learning_rate * decay_rate ** (global_step / decay_steps) (floored if staircase)."""
    if not isinstance(global_step, Value):
        raise TypeError("exponential_decay: global_step must be a tensor or variable")
    g = global_step.graph

    def build():
        step = ops.cast(global_step, np.float32)
        p = ops.div(step, np.asarray(decay_steps, np.float32))
        if staircase:
            p = ops.cast(ops.cast(p, np.int64), np.float32)  # a step count is >= 0: trunc = floor
        rate = ops.pow(np.asarray(decay_rate, np.float32), p)
        return ops.mul(np.asarray(learning_rate, np.float32), rate)

    return g.build_op("ExponentialDecay", name, build)
