"""More of `tf.train`: AdagradDAOptimizer, ExponentialMovingAverage and get_checkpoint_state."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from ...core.ir import Value
from . import math_ops as M
from .control_flow import group
from .convert import convert_to_tensor
from .graph import GraphKeys, get_default_graph
from .optimizers import Optimizer
from .saver import STATE_FILE
from .tensor import Operation
from .variables import Variable, assign_sub


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging: var = -lr * shrink(sum g) / (l2 t lr + sqrt(0.1 + sum g^2)),
    t = global_step + 1 (the step passed to the constructor, read before it is incremented)."""

    def __init__(
        self, learning_rate: Any, global_step: Any,
        initial_gradient_squared_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0, l2_regularization_strength: float = 0.0,
        use_locking: bool = False, name: str = "AdagradDA",
    ) -> None:  # fmt: skip
        super().__init__(use_locking, name)
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError(
                "initial_gradient_squared_accumulator_value must be positive: "
                f"{initial_gradient_squared_accumulator_value}"
            )
        if not isinstance(global_step, Value):
            raise TypeError(
                "AdagradDAOptimizer: global_step must be a tensor (tf.train.get_or_create_"
                f"global_step()), got {global_step!r}"
            )
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._global_step = global_step
        self._l1, self._l2 = float(l1_regularization_strength), float(l2_regularization_strength)
        self._slot_inits = {
            "gradient_accumulator": 0.0,
            "gradient_squared_accumulator": float(initial_gradient_squared_accumulator_value),
        }

    def _hypers(self) -> dict:
        step = M.add(M.cast(self._global_step, np.float64), 1.0)
        return {"lr": self._lr, "step": step}

    def _apply_dense(self, p, grad, slots, hp, extra):
        acc, sq = slots
        acc += grad
        sq += grad * grad
        lr = p.dtype.type(hp["lr"])
        t = p.dtype.type(hp["step"])
        denom = self._l2 * t * lr + np.sqrt(sq)
        if self._l1 > 0:
            shrunk = np.sign(-acc) * np.maximum(np.abs(acc) - self._l1 * t, 0)
            p[...] = shrunk * lr / denom
        else:
            p[...] = -acc * lr / denom


class ExponentialMovingAverage:
    """Shadow copies of variables (or tensors) moved toward them by `apply()`:
    shadow -= (1 - decay) * (shadow - value), decay capped by (1 + n) / (10 + n) with
    `num_updates`."""

    def __init__(
        self, decay: float, num_updates: Any = None, zero_debias: bool = False,
        name: str = "ExponentialMovingAverage",
    ) -> None:  # fmt: skip
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages: dict = {}

    @property
    def name(self) -> str:
        """The name used for the shadow variables."""
        return self._name

    def _decay_tensor(self) -> Any:
        decay = convert_to_tensor(self._decay, dtype="float32")
        if self._num_updates is None:
            return decay
        n = M.cast(self._num_updates, np.float32)
        return M.minimum(decay, M.divide(M.add(n, 1.0), M.add(n, 10.0)))

    def apply(self, var_list: Any = None) -> Operation:
        """Create the shadows (on first use) and return the op moving them one step."""
        g = get_default_graph()
        if var_list is None:
            var_list = g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        var_list = list(var_list)
        for v in var_list:
            if not v.dtype.is_floating:
                raise TypeError(
                    f"ExponentialMovingAverage.apply: {v} must be float, got {v.dtype.name}"
                )
            if v in self._averages:
                continue
            if isinstance(v, Variable):
                init = v.initialized_value()
                base = v.node.name
            else:
                if self._zero_debias:
                    raise NotImplementedError(
                        "ExponentialMovingAverage(zero_debias=True) of tensors is not provided; "
                        "pass zero_debias=False"
                    )
                if not v.shape.is_fully_defined():
                    raise ValueError(
                        f"ExponentialMovingAverage.apply: {v} needs a fully defined shape"
                    )
                init = np.zeros(tuple(v.shape), v.dtype.np_dtype)
                base = v.node.name
            with g.control_dependencies(None), g.name_scope(None):
                shadow = Variable(init, trainable=False, name=f"{base}/{self._name}")
            g.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, v)
            self._averages[v] = shadow
        with g.name_scope(self._name):
            decay = self._decay_tensor()
            updates = []
            for v in var_list:
                shadow = self._averages[v]
                one_minus = M.subtract(1.0, M.cast(decay, shadow.dtype))
                updates.append(assign_sub(shadow, M.multiply(M.subtract(shadow, v), one_minus)))
            return group(*updates)

    def average(self, var: Any) -> Variable | None:
        """The shadow of `var` (None if `apply` never saw it)."""
        return self._averages.get(var)

    def average_name(self, var: Any) -> str:
        """The name of `var`'s shadow: "<var op name>/<ema name>"."""
        return f"{var.node.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables: Any = None) -> dict:
        """{name in a checkpoint: variable}: the averaged variables restore their shadows."""
        g = get_default_graph()
        if moving_avg_variables is None:
            moving_avg_variables = g.get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES)
            moving_avg_variables += g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        out = {self.average_name(v): v for v in moving_avg_variables}
        taken = {id(v) for v in out.values()}
        for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES):
            if id(v) not in taken and v.node.name not in out:
                out[v.node.name] = v
        return out


class CheckpointState:
    """What the `checkpoint` state file of a folder records."""

    def __init__(self, model_checkpoint_path: str, all_model_checkpoint_paths: list) -> None:
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)

    def __repr__(self) -> str:
        return f'model_checkpoint_path: "{self.model_checkpoint_path}"'


def get_checkpoint_state(checkpoint_dir: str, latest_filename: str | None = None) -> Any:
    """The CheckpointState of `checkpoint_dir` (paths made absolute), or None when there is none."""
    folder = os.fspath(checkpoint_dir)
    path = os.path.join(folder, latest_filename or STATE_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    m = re.search(r'^model_checkpoint_path:\s*"(.*)"\s*$', text, re.MULTILINE)
    if not m:
        return None

    def absolute(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(folder, p)

    every = re.findall(r'^all_model_checkpoint_paths:\s*"(.*)"\s*$', text, re.MULTILINE)
    return CheckpointState(absolute(m.group(1)), [absolute(p) for p in every])
