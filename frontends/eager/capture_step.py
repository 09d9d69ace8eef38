"""A whole training step captured as ONE plan: zero_grad, forward, gradients and updates.

A captured ``opt.zero_grad(); loss = ...; loss.backward(); opt.step()`` becomes one `TrainStep`:
the segment's plan computes the forward values and the gradients of its leaves (as
`FusedBackward`) and then, as its last nodes, one update node per parameter (IR "effect"
nodes, as the graph frontend's `minimize` adds its apply node). Each update node calls the
optimizer's `_update_param`, the very code eager's ``step()`` loops over, which runs the update
kernels of core/kernels/update.py the graph frontend's optimizers share; it reads the
parameter's group and state at run time, so a scheduler's learning rate, a changed momentum
or weight decay and ``load_state_dict`` between calls are live inputs, never constants.
``zero_grad`` before the step is part of it (its parameters' ``.grad`` reset, no call made).

Only optimizers whose ``_update`` is a loop of ``_update_param`` (marked `param_loop`: SGD,
Adam, AdamW, RMSprop, Adagrad) are captured so; another optimizer's ``step()`` stays a call,
recorded as a graph break that `explain` lists. A replay that finds what the plan cannot
express (grad mode off, a hook, an input with eager history, a ``.grad`` that is not None
where eager would accumulate, a changed parameter group, a non-finite hyper-parameter) runs
the captured calls instead, which gives eager's result (or eager's error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...core.executor import Plan
from ...core.primitives.registry import AVal
from . import dispatch
from .capture import LIVE, Call, FusedBackward, _resolve_tree, _source, bind_fused_outputs
from .grad_mode import _State

_NO_OUTPUT = AVal((), np.dtype(np.bool_))
_NO_WRITES: dict = {}


def _raw(method: Any) -> Any:
    return getattr(method, "__wrapped__", method)


def _optimizer_classes() -> tuple:
    from .nn.module import Module
    from .optim.optimizer import Optimizer

    return Optimizer, Module


def _zero_target(call: Any) -> tuple | None:
    """The tensors a ``zero_grad()`` call (of an optimizer or a module) resets to None, when
    the call is one with the default ``set_to_none=True``; else None."""
    if type(call) is not Call or not call.args:
        return None
    Optimizer, Module = _optimizer_classes()
    owner = call.args[0]
    if call.fn is _raw(Optimizer.zero_grad) and isinstance(owner, Optimizer):
        params = [p for g in owner.param_groups for p in g["params"]]
    elif call.fn is _raw(Module.zero_grad) and isinstance(owner, Module):
        params = list(owner.parameters())
    else:
        return None
    set_to_none = call.args[1] if len(call.args) > 1 else call.kwargs.get("set_to_none", True)
    if len(call.args) > 2 or set(call.kwargs) - {"set_to_none"} or set_to_none is not True:
        return None
    return tuple(params)


def step_reason(call: Any) -> str | None:
    """Why an ``opt.step()`` call cannot be part of a whole-step plan (None: it can be; not
    an optimizer's step at all: None too)."""
    Optimizer, _ = _optimizer_classes()
    if type(call) is not Call or call.fn is not _raw(Optimizer.step) or not call.args:
        return None
    opt = call.args[0]
    name = type(opt).__name__
    if len(call.args) > 1 or call.kwargs:
        return f"{name}.step(closure) runs as a call (a closure is not captured into the plan)"
    if not getattr(type(opt)._update, "param_loop", False) or type(opt).step is not Optimizer.step:
        return (
            f"{name}.step() runs as a call: whole-step capture covers SGD, Adam, AdamW, "
            "RMSprop and Adagrad"
        )
    return None


@dataclass
class TrainStep:
    """[``zero_grad()``], a segment, its plain ``loss.backward()`` and ``opt.step()``: one plan."""

    fused: FusedBackward
    step_call: Call
    zero_call: Call | None
    zero_params: tuple = ()
    plan: Plan | None = None
    opt: Any = None
    unzeroed: tuple = ()  # the optimizer's parameters this step's zero_grad does not reset
    groups: tuple = ()  # (group dict, its params list, their count) at capture
    updated: list = field(default_factory=list)  # parameters the plan updates

    @property
    def seg(self) -> Any:
        return self.fused.seg

    @property
    def calls(self) -> list:
        """The captured calls this step stands for, in order."""
        zero = [] if self.zero_call is None else [self.zero_call]
        return [*zero, self.fused.call, self.step_call]

    def build(self) -> bool:
        """Add the update nodes and build the plan; False when no parameter would be updated
        by it (the calls then stay as they were)."""
        fused, seg = self.fused, self.fused.seg
        opt = self.opt = self.step_call.args[0]
        owner: dict[int, int] = {}
        for gi, g in enumerate(opt.param_groups):
            for p in g["params"]:
                owner[id(p)] = gi
        zeroed = {id(p) for p in self.zero_params}
        self.unzeroed = tuple(
            p for g in opt.param_groups for p in g["params"] if id(p) not in zeroed
        )
        self.groups = tuple((g, g["params"], len(g["params"])) for g in opt.param_groups)
        cot, values, have = seg.grad_entries[fused.k]
        graph = seg.graph
        targets = []
        for j, i in enumerate(have):
            kind, what = seg.sources[i]
            if kind is LIVE and id(what) in owner:
                node = graph.add_effect(
                    _update_node(opt, owner[id(what)], what),
                    [seg.placeholders[i], values[j]],
                    _NO_OUTPUT,
                    f"{type(opt).__name__}Update",
                )
                targets.append(node.node)
                self.updated.append(what)
            elif id(what) in owner:
                return False  # a parameter fed as an argument: its tensor changes per call
        if not targets:
            return False
        fetch = [o for o, _ in seg.outputs] + [w for _, w in seg.writebacks] + list(values)
        self.plan = Plan(graph, fetch, [*seg.placeholders, cot], targets)
        return True

    def _whole(self, ins: list) -> bool:
        """Whether this call can run as the one plan (see the module docstring)."""
        # an input with eager history (whose nodes might be retained) is refused below; the
        # tensors the plan makes have no tape history to retain
        if not _State.enabled:
            return False
        for t in ins:
            if t._rg and (
                t._node is not None
                or (t._acc is not None and (t._acc.pre_hooks or t._acc.post_hooks))
            ):
                return False
        groups = self.opt.param_groups
        if len(groups) != len(self.groups):
            return False
        for g, (own, params, n) in zip(groups, self.groups, strict=True):
            if g is not own or g["params"] is not params or len(params) != n:
                return False
            for v in g.values():
                if type(v) is float and not math.isfinite(v):
                    return False  # eager's step raises: the calls run and raise it
        for p in self.unzeroed:
            if p._grad is not None:
                return False  # eager's backward would accumulate into it, its step read it
        return True

    def run(self, flat: list, env: dict) -> None:
        fused, seg = self.fused, self.fused.seg
        ins = [_source(s, flat, env) for s in seg.sources]
        if not self._whole(ins):
            for call in self.calls:
                if call is fused.call:
                    fused.run(flat, env)
                else:
                    args = _resolve_tree(call.args, flat, env)
                    call.fn(*args, **_resolve_tree(call.kwargs, flat, env))
            return
        for p in self.zero_params:
            p._grad = None
        outs = self.plan.run([*(t._data for t in ins), fused.seed], {})
        bind_fused_outputs(seg, outs, fused.have, ins, flat, env)


def _update_node(opt: Any, gi: int, p: Any) -> Any:
    """The effect of one parameter's update node: the optimizer's own per-parameter update
    with its group read at run time (live hyper-parameters), then the version bump eager's
    ``step()`` makes."""
    update = opt._update_param
    groups = opt.param_groups
    counter = dispatch._counter

    def effect(state: Any, arr: np.ndarray, grad: np.ndarray) -> tuple:
        update(groups[gi], p, grad)
        counter(p).v += 1
        return None, _NO_WRITES

    return effect


def fuse_train_steps(steps: list, note_break: Any) -> None:
    """Replace each [zero_grad call] + `FusedBackward` + ``opt.step()`` call of `steps` by
    one `TrainStep`; an ``opt.step()`` that cannot join is a graph break with its reason."""
    Optimizer, _ = _optimizer_classes()
    out: list = []
    i = 0
    while i < len(steps):
        step = steps[i]
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        if type(step) is Call and step.fn is _raw(Optimizer.step):
            reason = step_reason(step)
            prev = out[-1] if out else None
            if reason is None and type(prev) is Call:
                what = getattr(prev.fn, "__name__", "a call").lstrip("_")
                reason = (
                    f"{type(step.args[0]).__name__}.step() runs as a call: `{what}` runs "
                    "between backward and step"
                )
            if reason is not None:
                note_break(reason, step.where)
        if type(step) is FusedBackward and type(nxt) is Call and step.seg.carries_grad:
            if nxt.fn is _raw(Optimizer.step) and step_reason(nxt) is None:
                zero = out[-1] if out else None
                params = _zero_target(zero)
                ts = TrainStep(step, nxt, zero if params is not None else None, params or ())
                if ts.build():
                    if params is not None:
                        out.pop()
                    out.append(ts)
                    i += 2
                    continue
        out.append(step)
        i += 1
    steps[:] = out
