"""A whole training step captured as ONE plan: zero_grad, forward, gradients and the update.

A captured ``opt.zero_grad(); loss = ...; loss.backward(); [clip_grad_*]; opt.step()`` becomes
one `TrainStep`: the segment's plan computes the forward values and the gradients of its leaves
(as `FusedBackward`) and ends with ONE update node (an IR "effect" node, as the graph frontend's
`minimize` ends its plan with its apply node). That node hands the gradients to ``.grad`` as
eager's backward does, runs the gradient clipping calls between backward and step, and then
the optimizer's own step on them (`Optimizer._step_grads`, the code eager's ``step()`` runs):
every check that can fail runs before the first parameter is written, and a failure past
them (an interrupt) is rolled back, so the plan updates all parameters or none. It reads the
parameter groups and state when it runs, so a scheduler's learning rate, a changed momentum or
weight decay and ``load_state_dict`` between calls are live inputs, never constants. Every
optimizer whose ``step`` is the base class's is captured so (all of ``torch.optim`` but
L-BFGS, whose ``step(closure)`` re-evaluates the function). ``zero_grad`` before the step is
part of it (the same reset eager makes, no call).

A replay that finds what the plan cannot express (grad mode off, a hook, an input with eager
history, a ``.grad`` that is not None where eager would accumulate, a changed parameter group,
a non-finite hyper-parameter) runs the captured calls instead, which gives eager's result (or
eager's error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...core.executor import Plan, _may_alias
from ...core.passes.options import resolve
from ...core.primitives.registry import AVal
from . import tape
from .capture import (
    LIVE,
    Call,
    FusedBackward,
    _bind_out,
    _resolve_tree,
    _source,
    apply_writebacks,
    bind_segment_outputs,
)
from .grad_mode import _State

_NO_OUTPUT = AVal((), np.dtype(np.bool_))
_NO_WRITES: dict = {}
_REPLAY = "replay"  # the state key of a replay's (inputs, flat arguments, environment, reached)


def _raw(method: Any) -> Any:
    return getattr(method, "__wrapped__", method)


def _optimizer_classes() -> tuple:
    from .nn.module import Module
    from .optim.optimizer import Optimizer

    return Optimizer, Module


def _clip_calls() -> tuple:
    from .nn.utils import _clip_norm, _clip_value

    return _raw(_clip_norm), _raw(_clip_value)


def _zero_target(call: Any) -> tuple | None:
    """(the tensors a ``zero_grad()`` call of an optimizer or a module resets, set_to_none),
    or None when `call` is not such a call."""
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
    if len(call.args) > 2 or set(call.kwargs) - {"set_to_none"} or type(set_to_none) is not bool:
        return None
    return tuple(params), set_to_none


def step_reason(call: Any) -> str | None:
    """Why an ``opt.step()`` call cannot be part of a whole-step plan (None: it can be; not
    an optimizer's step at all: None too)."""
    Optimizer, _ = _optimizer_classes()
    if type(call) is not Call or call.fn is not _raw(Optimizer.step) or not call.args:
        return None
    opt = call.args[0]
    name = type(opt).__name__
    closure = call.args[1] if len(call.args) > 1 else call.kwargs.get("closure")
    if closure is not None or len(call.args) > 2 or set(call.kwargs) - {"closure"}:
        return f"{name}.step(closure) runs as a call (a closure is not captured into the plan)"
    if type(opt).step is not Optimizer.step or type(opt)._step_grads is not Optimizer._step_grads:
        return f"{name}.step() runs as a call: it is not the base optimizer's step"
    return None


@dataclass
class TrainStep:
    """[``zero_grad()``], a segment, its plain ``loss.backward()``, [gradient clipping calls]
    and ``opt.step()``: one plan."""

    fused: FusedBackward
    step_call: Call
    zero_call: Call | None
    zero_params: tuple = ()
    zero_to_none: bool = True
    clips: list = field(default_factory=list)  # clip_grad_norm_ / clip_grad_value_ calls
    plan: Plan | None = None
    opt: Any = None
    unzeroed: tuple = ()  # the optimizer's parameters this step's zero_grad does not reset
    groups: tuple = ()  # (group dict, its params list, their count) at capture
    owned: list = field(default_factory=list)  # per gradient: the plan's own array, unshared

    @property
    def seg(self) -> Any:
        return self.fused.seg

    @property
    def calls(self) -> list:
        """The captured calls this step stands for, in order."""
        zero = [] if self.zero_call is None else [self.zero_call]
        return [*zero, self.fused.call, *self.clips, self.step_call]

    def build(self) -> bool:
        """Add the update node and build the plan; False when no parameter of the optimizer
        gets a gradient from it (the calls then stay as they were)."""
        fused, seg = self.fused, self.fused.seg
        opt = self.opt = self.step_call.args[0]
        owner = {id(p) for g in opt.param_groups for p in g["params"]}
        zeroed = {id(p) for p in self.zero_params}
        self.unzeroed = tuple(
            p for g in opt.param_groups for p in g["params"] if id(p) not in zeroed
        )
        self.groups = tuple((g, g["params"], len(g["params"])) for g in opt.param_groups)
        cot, values, have = seg.grad_entries[fused.k]
        for i in have:
            kind, what = seg.sources[i]
            if kind is not LIVE and id(what) in owner:
                return False  # a parameter fed as an argument: its tensor changes per call
        if not any(seg.sources[i][0] is LIVE and id(seg.sources[i][1]) in owner for i in have):
            return False
        outs = [o for o, _ in seg.outputs] + [w for _, w in seg.writebacks]
        # the update reads every gradient, and the outputs too, so that it is the plan's last
        # node: nothing that can fail runs after it, and no output reads an updated parameter
        node = seg.graph.add_effect(
            self._effect, [*values, *outs], _NO_OUTPUT, f"{type(opt).__name__}Update"
        )
        # never in verify mode: it runs a plan twice, and the update writes in place
        opts = replace(resolve(None), verify=False)
        self.plan = Plan(seg.graph, outs, [*seg.placeholders, cot], [node.node], opts)
        self.fused.have = have
        vm = self.plan.program.value_map
        seen = {id(vm[o]) for o in outs if o in vm}
        for v in values:
            pn = vm.get(v)
            # a gradient that is a feed, a constant or a view, or one array given to two
            # parameters or also an output, is copied into .grad; the others are taken as is
            self.owned.append(pn is not None and not _may_alias(pn) and id(pn) not in seen)
            if pn is not None:
                seen.add(id(pn))
        return True

    def _effect(self, state: Any, *arrays: Any) -> tuple:
        """The update node: gradients into ``.grad``, the forward's write-backs, the clipping
        calls, the optimizer's step."""
        # this replay's, handed through the plan's state; `reached` tells run() it started
        ins, flat, env, reached = state[_REPLAY]
        reached.append(True)
        seg = self.fused.seg
        first = len(self.fused.have) + len(seg.outputs)
        try:
            try:
                for i, g, own in zip(self.fused.have, arrays, self.owned, strict=False):
                    t = ins[i]
                    if t._rg:
                        tape.accumulate_into(t, g, own)
            finally:
                # eager's forward made these writes before its backward and step ran: they
                # stay made whatever the step does (raises, rolls back). After the gradients,
                # which a gradient that is a view of a written input is copied from first
                wbs = seg.writebacks
                apply_writebacks(wbs, arrays[first : first + len(wbs)], flat, env)
            for call in self.clips:
                out = call.fn(*_resolve_tree(call.args, flat, env),
                              **_resolve_tree(call.kwargs, flat, env))  # fmt: skip
                if call.out is not None:
                    _bind_out(call.out, out, env)
            self.opt._step_grads()
        except BaseException as e:
            e._dg_named = True  # eager's own error, not one of a graph node
            raise
        return None, _NO_WRITES

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

    def _run_calls(self, flat: list, env: dict) -> None:
        """Run the captured calls one by one, as eager does."""
        for call in self.calls:
            if call is self.fused.call:
                self.fused.run(flat, env)
            else:
                out = call.fn(*_resolve_tree(call.args, flat, env),
                              **_resolve_tree(call.kwargs, flat, env))  # fmt: skip
                if call.out is not None:
                    _bind_out(call.out, out, env)

    def run(self, flat: list, env: dict) -> None:
        """Replay the step: the one plan, or the captured calls when it cannot run."""
        fused, seg = self.fused, self.fused.seg
        ins = [_source(s, flat, env) for s in seg.sources]
        if not self._whole(ins):
            self._run_calls(flat, env)
            return
        if self.zero_to_none:
            for p in self.zero_params:
                p._grad = None
        else:
            for p in self.zero_params:
                if p._grad is not None:
                    p._grad.zero_()  # as eager's zero_grad(set_to_none=False)
        feeds = [*(t._data for t in ins), fused.seed]
        reached: list = []
        try:
            outs = self.plan.run(feeds, {_REPLAY: (ins, flat, env, reached)})
        except Exception as e:
            if not reached:
                self._forward_failed(e, feeds, flat, env)
            raise
        bind_segment_outputs(seg, outs, flat, env, writebacks=False)

    def _forward_failed(self, e: Exception, feeds: list, flat: list, env: dict) -> None:
        """A node before the update failed, and nothing is written yet: make the write-backs
        eager makes before it, those recorded before the failing node (graph order is eager's
        recording order). None when that node is not known."""
        seg = self.seg
        node = getattr(e, "_dg_node", None)
        if node is None or node.graph is not seg.graph:
            return
        done = [
            (src, v) for src, v in seg.writebacks
            if v.node is not None and v.node.graph is seg.graph and v.node.index < node.index
        ]  # fmt: skip
        if not done:
            return
        cot = seg.grad_entries[self.fused.k][0]
        try:
            plan = Plan(seg.graph, [v for _, v in done], [*seg.placeholders, cot])
            arrays = plan.run(feeds, {})
        except Exception:  # noqa: BLE001 - the values cannot be had: the first error stands
            return
        apply_writebacks(done, arrays, flat, env)


_TAIL_REASON = "{}.step() runs as a call: `{}` runs between backward and step"


def fuse_train_steps(steps: list, note_break: Any) -> None:
    """Replace each [zero_grad call] + `FusedBackward` + [clipping calls] + ``opt.step()`` of
    `steps` by one `TrainStep`; an ``opt.step()`` that cannot join is a graph break with its
    reason."""
    Optimizer, _ = _optimizer_classes()
    clip_fns = _clip_calls()
    out: list = []
    i = 0
    while i < len(steps):
        step = steps[i]
        if type(step) is FusedBackward and step.seg.carries_grad:
            j = i + 1
            while j < len(steps) and type(steps[j]) is Call and steps[j].fn in clip_fns:
                j += 1
            nxt = steps[j] if j < len(steps) else None
            if type(nxt) is Call and nxt.fn is _raw(Optimizer.step) and step_reason(nxt) is None:
                zero = out[-1] if out else None
                target = _zero_target(zero)
                params, to_none = target if target is not None else ((), True)
                ts = TrainStep(step, nxt, zero if target is not None else None, params, to_none,
                               list(steps[i + 1 : j]))  # fmt: skip
                if ts.build():
                    if target is not None:
                        out.pop()
                    out.append(ts)
                    i = j + 1
                    continue
        if type(step) is Call and step.fn is _raw(Optimizer.step):
            reason = step_reason(step)
            prev = out[-1] if out else None
            if reason is None and type(prev) is Call:
                what = getattr(prev.fn, "__name__", "a call").lstrip("_")
                reason = _TAIL_REASON.format(type(step.args[0]).__name__, what)
            if reason is not None:
                note_break(reason, step.where)
        out.append(step)
        i += 1
    steps[:] = out
