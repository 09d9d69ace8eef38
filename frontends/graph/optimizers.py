"""`tf.train` optimizers: gradients from the core sweep, updates by `core/kernels/update.py`.

`apply_gradients` adds one effect node. When it runs it copies each variable and its slots,
updates the copies with the shared update kernel (the only optimizer arithmetic in duograd,
also used by the eager frontend) and returns them as writes, so a failed run changes nothing.
When the effect is the last step of its plan and no other run is in flight (the executor's
RunGuard), the largest variable whose arrays only the state holds is updated in place instead,
by the effect's last call: every check and every other update comes before it, nothing after
it can fail, and no other run can see it half done; its copy (a third of an MLP step's update
time) is saved.
Adam and RMSProp follow TF's formulas (eps_mode="tf"); `eps_mode="torch"` selects PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ops
from ...core.ir import Value
from ...core.kernels import update
from ...core.ownership import own, owned
from .control_flow import _NO_OUTPUT
from .gradients import gradients
from .graph import GraphKeys, graph_of
from .shapes import is_unknown_rank
from .tensor import Operation
from .variables import Variable

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _updatable(a: Any, grad: Any) -> bool:
    """An array the update kernels change in place without any check failing."""
    return (
        type(a) is np.ndarray
        and a.base is None
        and a.dtype in _FLOATS
        and a.flags.c_contiguous
        and a.flags.writeable
        and type(grad) is np.ndarray
        and grad.dtype == a.dtype
        and grad.shape == a.shape
        and not np.may_share_memory(a, grad)
    )


def _largest_sole(state: Any, jobs: list, arrays: tuple) -> int:
    """The job whose variable (and slots) only the state holds and the update kernels can
    change in place without a check failing; the largest such (-1: none)."""
    best, size = -1, 0
    for k, ((var, var_slots), grad) in enumerate(zip(jobs, arrays, strict=False)):
        p = state[var]
        if not owned(p) or not _updatable(p, grad) or p.size <= size:
            continue
        for sv in var_slots:
            a = state[sv]
            if not owned(a) or not _updatable(a, grad):
                break
        else:
            best, size = k, p.size
    return best


class Optimizer:
    """Base class: compute_gradients, apply_gradients, minimize, slots."""

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2
    _slot_inits: dict[str, float] = {}  # slot name -> initial fill value

    def __init__(self, use_locking: bool, name: str) -> None:
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._name = name
        self._use_locking = use_locking
        self._slots: dict[str, dict[Variable, Variable]] = {}
        self._non_slots: dict[Any, Variable] = {}

    def get_name(self) -> str:
        """The optimizer's name."""
        return self._name

    # ---- gradients -------------------------------------------------------------------------------
    def compute_gradients(
        self,
        loss: Any,
        var_list: Any = None,
        gate_gradients: int = 1,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        grad_loss: Any = None,
    ) -> list:
        """[(gradient, variable)] of `loss` for the trainable variables (or `var_list`)."""
        if callable(loss) and not isinstance(loss, Value):
            loss = loss()
        if not isinstance(loss, Value):
            raise TypeError(f"compute_gradients: loss must be a tensor, got {loss!r}")
        if not loss.dtype.is_floating:
            raise ValueError(f"Invalid type {loss.dtype.name} for {loss.node.name}, expected float")
        g = loss.graph
        if var_list is None:
            var_list = g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise TypeError(f"compute_gradients: {v!r} is not a tf.Variable")
        grads = gradients(loss, var_list, grad_ys=grad_loss)
        return list(zip(grads, var_list, strict=False))

    def minimize(
        self,
        loss: Any,
        global_step: Any = None,
        var_list: Any = None,
        gate_gradients: int = 1,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        name: str | None = None,
        grad_loss: Any = None,
    ) -> Operation:
        """compute_gradients then apply_gradients: the op of one training step."""
        gvs = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        if not any(gr is not None for gr, _ in gvs):
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {[str(v) for _, v in gvs]} and loss "
                f"{loss}."
            )
        return self.apply_gradients(gvs, global_step=global_step, name=name)

    # ---- slots -----------------------------------------------------------------------------------
    def get_slot_names(self) -> list[str]:
        """Names of the slots this optimizer keeps per variable."""
        return sorted(self._slot_names())

    def _slot_names(self) -> list[str]:
        return list(self._slot_inits)

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        """The slot variable `name` of `var` (None if there is none)."""
        return self._slots.get(name, {}).get(var)

    def variables(self) -> list:
        """The optimizer's own variables (slots and e.g. Adam's step counter)."""
        out = list(self._non_slots.values())
        for table in self._slots.values():
            out.extend(table.values())
        return out

    def _make_slot(self, var: Variable, slot: str, fill: float) -> Variable:
        table = self._slots.setdefault(slot, {})
        if var in table:
            return table[var]
        g = var.graph
        value = np.full(tuple(var.shape), fill, dtype=var.dtype.np_dtype)
        # named as TF names slots: "<var>/Adam", "<var>/Adam_1", ...
        with g.control_dependencies(None), g.name_scope(None):
            sv = Variable(value, trainable=False, name=f"{var.node.name}/{self._name}")
        table[var] = sv
        return sv

    def _create_slots(self, var_list: list) -> None:
        for v in var_list:
            for slot, fill in self._slot_inits.items():
                self._make_slot(v, slot, fill)

    # ---- applying --------------------------------------------------------------------------------
    def _hyper(self, value: Any, what: str) -> Any:
        if isinstance(value, Value):
            scalar = tuple(value.shape) == () or is_unknown_rank(value.shape)
            if not value.dtype.is_floating or not scalar:
                raise TypeError(f"{self._name}: {what} must be a float scalar, got {value}")
            return value
        return float(value)

    def apply_gradients(
        self, grads_and_vars: Any, global_step: Any = None, name: str | None = None
    ) -> Operation:
        """The op applying each (gradient, variable) update (None gradients are skipped)."""
        pairs = list(grads_and_vars)
        if not pairs:
            raise ValueError("No variables provided.")
        for gr, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"apply_gradients: {v!r} is not a tf.Variable")
            if gr is not None:
                if not isinstance(gr, Value):
                    raise TypeError(f"apply_gradients: gradient {gr!r} of {v} is not a tensor")
                if gr.dtype != v.dtype:
                    raise TypeError(f"apply_gradients: gradient {gr} does not match {v}'s dtype")
                if not gr.shape.is_compatible_with(v.shape):
                    raise ValueError(
                        f"apply_gradients: gradient {gr} does not fit the shape of {v}"
                    )
        live = [(gr, v) for gr, v in pairs if gr is not None]
        if not live:
            raise ValueError(
                f"No gradients provided for any variable: {[str(v) for _, v in pairs]}."
            )
        g = graph_of([v for _, v in live], [gr for gr, _ in live])
        if global_step is not None and not isinstance(global_step, Variable):
            raise TypeError(
                f"apply_gradients: global_step must be a tf.Variable, got {global_step!r}"
            )
        self._create_slots([v for _, v in live])
        self._create_non_slots(g, [v for _, v in live])
        hypers = self._hypers()
        tensor_hypers = [k for k, h in hypers.items() if isinstance(h, Value)]
        inputs = [gr for gr, _ in live] + [hypers[k] for k in tensor_hypers]
        effect = self._effect([v for _, v in live], hypers, tensor_hypers, global_step)
        t = g._add("effect", None, {"reads": ()}, inputs, _NO_OUTPUT, name or self._name, effect)
        t.node.attrs["no_output"] = True
        t.node.attrs["type"] = "NoOp"
        return Operation.of(t.node)

    def _effect(self, var_list: list, hypers: dict, tensor_hypers: list, global_step: Any):
        n = len(var_list)
        slot_names = self._slot_names()
        slots = [[self._slots[s][v] for s in slot_names] for v in var_list]
        jobs = list(zip(var_list, slots, strict=True))
        # a variable listed twice is stepped twice from its old value, the last one kept
        may_update_in_place = len(set(var_list)) == n

        def effect(state, *arrays):
            hp = dict(hypers)
            for k, arr in zip(tensor_hypers, arrays[n:], strict=False):
                hp[k] = float(arr)
            guard = getattr(state, "guard", None)
            if guard is not None:
                # the run's last step: read the variables, step them and commit, all under the
                # commit lock, so concurrent runs apply every update (none is lost) and no run
                # sees a variable half written; in place only when no other run is in flight
                with guard.lock:
                    writes: dict = {}
                    self._step(state, jobs, arrays, hp, writes, global_step,
                               may_update_in_place and guard.runs == 1)  # fmt: skip
                    state.base.update(writes)
                return None, {}
            writes = {}
            self._step(state, jobs, arrays, hp, writes, global_step, False)
            return None, writes

        return effect

    def _step(self, state, jobs, arrays, hp, writes, global_step, in_place: bool) -> None:
        """One optimizer step: per-run values, the global step, then every variable's update."""
        extra = self._begin(state, hp, writes)
        if global_step is not None:
            cur = state[global_step]
            writes[global_step] = ops.add(cur, np.asarray(1, dtype=cur.dtype))
        self._update(state, jobs, arrays, hp, extra, writes, in_place)

    def _update(self, state, jobs, arrays, hp, extra, writes, in_place: bool) -> None:
        """New values of the variables and slots into `writes`: updated copies, except (when
        `in_place`) for the largest variable whose arrays nobody but the state holds, which is
        updated in place by the very last call, so any failure before it changes nothing."""
        last = _largest_sole(state, jobs, arrays) if in_place else -1
        for k, ((var, var_slots), grad) in enumerate(zip(jobs, arrays, strict=False)):
            if k != last:
                p = np.array(state[var], copy=True, order="C")
                s = [np.array(state[sv], copy=True, order="C") for sv in var_slots]
                self._apply_dense(p, grad, s, hp, extra)
                writes[var] = own(p)
                writes.update(zip(var_slots, [own(a) for a in s], strict=False))
        if last >= 0:
            var, var_slots = jobs[last]
            p = state[var]
            s = [state[sv] for sv in var_slots]
            self._apply_dense(p, arrays[last], s, hp, extra)
            writes[var] = p
            writes.update(zip(var_slots, s, strict=False))

    def _create_non_slots(self, g: Any, var_list: list) -> None:
        """Make optimizer-wide variables (e.g. a step counter)."""

    def _hypers(self) -> dict:
        raise NotImplementedError

    def _begin(self, state: Any, hp: dict, writes: dict) -> Any:
        """Per-run values shared by all variables (e.g. Adam's step)."""
        return None

    def _apply_dense(self, p: np.ndarray, grad: np.ndarray, slots: list, hp: dict, extra: Any):
        raise NotImplementedError


class GradientDescentOptimizer(Optimizer):
    """var -= learning_rate * grad."""

    def __init__(
        self, learning_rate: Any, use_locking: bool = False, name: str = "GradientDescent"
    ) -> None:
        super().__init__(use_locking, name)
        self._lr = self._hyper(learning_rate, "learning_rate")

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _apply_dense(self, p, grad, slots, hp, extra):
        update.sgd_(p, grad, hp["lr"])


class MomentumOptimizer(Optimizer):
    """accum = momentum * accum + grad; var -= lr * accum (or lr * (grad + momentum * accum))."""

    _slot_inits = {"momentum": 0.0}

    def __init__(
        self,
        learning_rate: Any,
        momentum: Any,
        use_locking: bool = False,
        name: str = "Momentum",
        use_nesterov: bool = False,
    ) -> None:
        super().__init__(use_locking, name)
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._momentum = self._hyper(momentum, "momentum")
        self._nesterov = bool(use_nesterov)

    def _hypers(self) -> dict:
        return {"lr": self._lr, "momentum": self._momentum}

    def _apply_dense(self, p, grad, slots, hp, extra):
        # TF's accumulator is PyTorch's buffer with dampening 0 started at zeros (see momentum_)
        update.momentum_(p, grad, slots[0], hp["lr"], hp["momentum"], nesterov=self._nesterov)


class AdamOptimizer(Optimizer):
    """Adam with TF's epsilon placement: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t);
    var -= lr_t m / (sqrt(v) + eps). `eps_mode="torch"` uses PyTorch's placement instead."""

    _slot_inits = {"m": 0.0, "v": 0.0}

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-08,
        use_locking: bool = False,
        name: str = "Adam",
        eps_mode: str = "tf",
    ) -> None:
        super().__init__(use_locking, name)
        if eps_mode not in ("tf", "torch"):
            raise ValueError(f"AdamOptimizer: eps_mode must be 'tf' or 'torch', got {eps_mode!r}")
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._beta1, self._beta2, self._epsilon = float(beta1), float(beta2), float(epsilon)
        self._eps_mode = eps_mode

    def _create_non_slots(self, g, var_list):
        if "step" not in self._non_slots:
            with g.control_dependencies(None), g.name_scope(None):
                self._non_slots["step"] = Variable(
                    np.asarray(0, np.int64), trainable=False, name=f"{self._name}/step"
                )

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _begin(self, state, hp, writes):
        step_var = self._non_slots["step"]
        new = ops.add(state[step_var], np.asarray(1, np.int64))
        writes[step_var] = new
        return int(new)

    def _apply_dense(self, p, grad, slots, hp, extra):
        update.adam_(
            p,
            grad,
            slots[0],
            slots[1],
            extra,
            hp["lr"],
            self._beta1,
            self._beta2,
            self._epsilon,
            eps_mode=self._eps_mode,
        )


class RMSPropOptimizer(Optimizer):
    """TF1's RMSProp: ms starts at ones; mom = momentum mom + lr g / sqrt(ms + eps); var -= mom."""

    def __init__(
        self,
        learning_rate: Any,
        decay: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-10,
        use_locking: bool = False,
        centered: bool = False,
        name: str = "RMSProp",
        eps_mode: str = "tf",
    ) -> None:
        super().__init__(use_locking, name)
        if eps_mode not in ("tf", "torch"):
            raise ValueError(
                f"RMSPropOptimizer: eps_mode must be 'tf' or 'torch', got {eps_mode!r}"
            )
        self._lr = self._hyper(learning_rate, "learning_rate")
        self._decay, self._momentum = float(decay), float(momentum)
        self._epsilon, self._centered = float(epsilon), bool(centered)
        self._eps_mode = eps_mode
        inits = {"rms": 1.0 if eps_mode == "tf" else 0.0, "momentum": 0.0}
        if centered:
            inits["mg"] = 0.0
        self._slot_inits = inits

    def _hypers(self) -> dict:
        return {"lr": self._lr}

    def _apply_dense(self, p, grad, slots, hp, extra):
        mg = slots[2] if self._centered else None
        update.rmsprop_(
            p,
            grad,
            slots[0],
            slots[1],
            hp["lr"],
            self._decay,
            self._epsilon,
            self._momentum,
            centered_mg=mg,
            eps_mode=self._eps_mode,
        )
