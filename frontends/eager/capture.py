"""Capturing one eager call as core IR programs, and replaying it (what ``torch.compile`` runs).

A capture runs the function eagerly once, for real, while it watches the one exit every eager
operation leaves through (`dispatch.finish`): each operation is added, with its primitive and
params, to a core IR graph (`core.ir.Graph`, the graph the graph frontend builds). Tensors the
call did not make (arguments, parameters, tensors held by the function) become placeholders fed
at each call with their current arrays, so an in-place change between calls is always seen.
Calls that must happen again but cannot be graphs (``loss.backward()``, ``opt.step()``,
``opt.zero_grad()``, ``scheduler.step()``) split the program into segments; each segment runs as
one executor plan (the same passes and plan cache as ``Session.run``), the calls between them
run as calls. Each float output of a segment that requires grad gets one tape node whose
backward runs the segment's gradient program, derived by the one reverse sweep over the IR.
A whole training step (``zero_grad``, forward, ``backward``, ``opt.step()``) becomes one plan
with its update node at the end (`capture_step.TrainStep`).

A tensor's value read by Python (``.item()``, ``.tolist()``, ``bool(t)``: a branch on a
value; ``str``/``repr``; ``.numpy()``) is a graph break that splits the program: the segment
before it ends there, a `Read` step guards on the value read, and a new segment starts after
it. A replay whose read value differs from the captured one stops at that guard
(`ReadMismatch`) and the caller captures the function again for the new value, keeping each
path as a variant. When steps before the read change things outside the call (a random draw,
an in-place write to an outside tensor, ``backward``, ``opt.step()``), the program keeps an
`Undo`: the replay copies what they change first and a stopped replay restores it, so the
function can run again from the start. ``print`` becomes a `Show` step (its text made at that
point of each replay) and ``autograd.grad`` a replayed call whose gradients feed the next
segment. What cannot be replayed at all (an in-place write the capture cannot follow, an
operation handed a tensor's raw array) is a break after which the caller runs that call
signature eagerly. Every break is recorded with the file and line (``fullgraph=True`` raises
it instead).
"""

from __future__ import annotations

import builtins
import os
import site
import sys
import sysconfig
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...core import random as core_random
from ...core.autodiff import reverse_sweep
from ...core.executor import Plan
from ...core.ir import Graph, Value
from ...core.kernels.compare import same_bits
from ...core.primitives.registry import Primitive
from ...core.primitives.shaping import STOP_GRADIENT
from . import dispatch, tape
from .grad_mode import _State
from .tensor import Tensor

_print = builtins.print
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PKGS = (os.path.join(_ROOT, "frontends") + os.sep, os.path.join(_ROOT, "core") + os.sep)
# prints made by code under these folders are not the user's: a capture lets them through
_LIBRARIES = tuple(
    set(_PKGS)
    | {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}
    | set(getattr(site, "getsitepackages", list)())
    | {os.path.join(sys.base_prefix, "lib")}
)


class GraphBreak(RuntimeError):
    """What a capture cannot turn into a graph; with ``fullgraph=True`` it is raised."""


@dataclass
class Break:
    """One graph break: what happened and where in the user's code."""

    reason: str
    filename: str
    lineno: int
    line: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}: {self.reason} (`{self.line}`)"


def _user_frame() -> tuple[str, int, str]:
    for fr in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(fr.filename).startswith(_PKGS):
            return fr.filename, fr.lineno or 0, (fr.line or "").strip()
    return "<unknown>", 0, ""


# ---- sources: where a placeholder's array comes from at each call ----------------------------

ARG, LIVE, ENV, GRAD = "arg", "live", "env", "grad"


@dataclass
class Segment:
    """Operations between two replayed calls: one graph, run by one plan."""

    graph: Graph = field(default_factory=Graph)
    sources: list = field(default_factory=list)  # (kind, what) per placeholder
    placeholders: list = field(default_factory=list)
    tracked: dict = field(default_factory=dict)  # Value -> bool: carries a gradient
    outputs: list = field(default_factory=list)  # (Value, capture-time tensor id)
    writebacks: list = field(default_factory=list)  # (source, Value): in-place results
    plan: Plan | None = None
    grad_plans: dict = field(default_factory=dict)
    prims: list = field(default_factory=list)
    saved: list = field(default_factory=list)  # forward values the gradient plans read
    saved_keys: tuple = ()  # None per saved value: the tape node's keys of those arrays
    n_fwd: int = 0  # nodes of the graph before the gradient programs were added
    grad_entries: list = field(default_factory=list)  # per output: (cot, grads, have) or None
    carries_grad: bool = True  # some placeholder carried a gradient at capture

    def finish(self, needed: set) -> None:
        """Fix the outputs later steps read; derive the gradient programs; build the plans.

        The gradient of each output that carries one is derived now, by the one reverse sweep
        over this graph; the forward values its rules read are fetched by the forward plan and
        fed to the gradient plan, so backward never runs a forward operation again (a random
        one would draw anew).
        """
        self.outputs = [(v, tid) for v, tid in self.outputs if tid in needed]
        self.carries_grad = any(self.tracked.get(p) for p in self.placeholders)
        g = self.graph
        n_fwd = self.n_fwd = len(g.nodes)
        tracked = self.tracked
        grads = []
        idx = [
            i
            for i, p in enumerate(self.placeholders)
            if tracked.get(p) and np.dtype(p.dtype).kind == "f"
        ]
        nodes = [
            _SweepNode(n, tuple(v if tracked.get(v) else None for v in n.inputs))
            for n in g.nodes
            if n.kind == "op" and tracked.get(n.output)
        ]
        for out, _ in self.outputs:
            if not (idx and tracked.get(out) and np.dtype(out.dtype).kind == "f"):
                grads.append(None)
                continue
            cot = g.placeholder(out.shape, out.dtype, name="cotangent")
            wanted = [self.placeholders[i] for i in idx]
            cts = reverse_sweep(nodes, [(out, cot)], wanted)
            have = [i for i, p in zip(idx, wanted, strict=True) if p in cts]
            grads.append((cot, [cts[self.placeholders[i]] for i in have], have))
        fed = set(self.placeholders)
        saved: list = []
        seen: set = set()
        for node in g.nodes[n_fwd:]:
            for v in node.inputs:
                if v.node.index < n_fwd and v.node.kind == "op" and v not in fed and v not in seen:
                    seen.add(v)
                    saved.append(v)
        self.saved = saved
        self.saved_keys = (None,) * len(saved)
        self.grad_entries = grads
        fetch = [v for v, _ in self.outputs] + [v for _, v in self.writebacks] + saved
        self.plan = Plan(g, fetch, self.placeholders)
        self.grad_plans = {}
        self.prims = []
        for k, entry in enumerate(grads):
            if entry is None:
                self.prims.append(None)
                continue
            cot, values, have = entry
            self.grad_plans[k] = (Plan(g, values, [*self.placeholders, *saved, cot]), have)
            self.prims.append(_segment_prim(self, k))


class _SweepNode:
    """An IR node as the sweep sees it, with the operands eager did not track cut off."""

    __slots__ = ("prim", "params", "inputs", "output", "input_keys", "output_key")

    def __init__(self, node: Any, keys: tuple) -> None:
        self.prim = node.prim
        self.params = node.params
        self.inputs = node.inputs
        self.output = node.output
        self.input_keys = keys
        self.output_key = node.output


_SMALL_COPY = 4096  # elements: a broadcast cotangent this small is made contiguous (see vjp)
_NO_STATE: dict = {}  # the gradient plans read no variables


def _segment_prim(seg: Segment, k: int) -> Primitive:
    plan, have = seg.grad_plans[k]
    run = plan._run  # no variables, no run guard: straight in, as the forward plan
    empty = (None,) * (len(seg.placeholders) + len(seg.saved))

    def vjp(g: Any, out: Any, *inputs: Any, wants: tuple) -> tuple:
        # inputs: the segment's feeds, then its saved forward values (see Segment.finish)
        if type(g) is not _ndarray:
            g = np.asarray(g)
        elif g.size <= _SMALL_COPY and not g.flags.c_contiguous:
            # a broadcast seed (sum's cotangent) sends every fused group of the plan down
            # its squeezed-operand path; copying a small one costs less than that Python
            g = g.copy()
        grads = run([*inputs, g], _NO_STATE, None, None)
        result = list(empty)
        for i, gr in zip(have, grads, strict=True):
            result[i] = gr
        return tuple(result)

    # the plan's fetches are fresh arrays, so backward() may hand them to .grad without a copy
    prim = Primitive("Compiled", impl=None, shape_rule=None, vjp=vjp, tags={tape.FRESH_GRADS: True})
    node = seg.outputs[k][0].node
    if node.kind == "op":  # printed as eager names it (e.g. grad_fn=<SumBackward0>)
        prim.node_name = tape.backward_name(node.prim.name)
    return prim


_BACKWARD_ARGS = ("tensors", "grad_tensors", "retain_graph", "create_graph", "inputs")


def _plain_backward(seg: Segment, call: Call) -> int | None:
    """The index of the segment output `call` runs a plain ``loss.backward()`` on, or None.

    Plain: one tensor made by this segment with a gradient program and one element (the
    implicit seed), no gradient given, no ``retain_graph``, ``create_graph`` or ``inputs``.
    """
    from .autograd import backward

    if call.fn is not getattr(backward, "__wrapped__", None) or len(call.args) > 5:
        return None
    bound = dict(zip(_BACKWARD_ARGS, call.args, strict=False))
    if set(call.kwargs) - set(_BACKWARD_ARGS) or set(call.kwargs) & set(bound):
        return None
    bound.update(call.kwargs)
    loss = bound.get("tensors")
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    if type(loss) is not _Src or loss.src[0] is not ENV:
        return None
    if any(bound.get(k) for k in ("retain_graph", "create_graph")):
        return None
    if bound.get("grad_tensors") is not None or bound.get("inputs") is not None:
        return None
    for k, (v, tid) in enumerate(seg.outputs):
        if tid == loss.src[1]:
            if seg.grad_entries[k] is None or int(np.prod(v.shape)) != 1:
                return None
            return k
    return None


@dataclass
class FusedBackward:
    """A segment followed by a plain ``loss.backward()`` on its output, run as ONE plan that
    computes the forward values and the gradients of its leaf inputs together (as the graph
    frontend's `minimize` does), then accumulates them into ``.grad`` as eager's backward does.

    When a replay finds what the plan cannot express (grad mode off, a leaf hook, an input
    with eager history), it runs the segment and the call instead. (A ``retain_grad()`` inside
    the function makes it run eagerly; one elsewhere, on a tensor with eager history, is on
    the history such an input would bring.)
    """

    seg: Segment
    call: Call
    k: int  # the loss's index among the segment's outputs
    plan: Plan | None = None
    have: list = field(default_factory=list)  # placeholder indices with a gradient
    seed: Any = None

    def build(self) -> None:
        seg = self.seg
        cot, values, have = seg.grad_entries[self.k]
        v = seg.outputs[self.k][0]
        self.seed = np.array(1, v.dtype) if not v.shape else np.ones(v.shape, v.dtype)
        fetch = [o for o, _ in seg.outputs] + [w for _, w in seg.writebacks] + list(values)
        self.plan = Plan(seg.graph, fetch, [*seg.placeholders, cot])
        self.have = have

    def run(self, flat: list, env: dict) -> None:
        seg = self.seg
        ins = [_source(s, flat, env) for s in seg.sources]
        if not _State.enabled or any(
            t._rg and (t._node is not None or (t._acc is not None and (t._acc.pre_hooks or
                                                                       t._acc.post_hooks)))
            for t in ins
        ):  # fmt: skip
            _run_segment(seg, flat, env)
            args = _resolve_tree(self.call.args, flat, env)
            self.call.fn(*args, **_resolve_tree(self.call.kwargs, flat, env))
            return
        outs = self.plan.run([*(t._data for t in ins), self.seed], {})
        bind_fused_outputs(seg, outs, self.have, ins, flat, env)


def bind_fused_outputs(seg: Any, outs: list, have: list, ins: list, flat: list, env: dict) -> None:
    """Hand a fused forward+backward plan's results back to eager: output values into the
    replay's environment, write-backs into their tensors (a version bump each), and the
    fetched gradients into ``.grad``."""
    bind_segment_outputs(seg, outs, flat, env)
    n = len(seg.outputs)
    nw = len(seg.writebacks)
    # a fetched array is the plan's own, fresh at each run: it becomes .grad without a
    # copy unless another fetch returned the same array (merged equal values)
    seen = {id(a) for a in outs[: n + nw]}
    for i, g in zip(have, outs[n + nw :], strict=True):
        t = ins[i]
        if t._rg:
            tape.accumulate_into(t, g, id(g) not in seen)
            seen.add(id(g))


def bind_segment_outputs(
    seg: Any, outs: list, flat: list, env: dict, writebacks: bool = True
) -> None:
    """A fused plan's output values into the replay's environment and (unless `writebacks`
    is False: they were applied already) its write-backs into their tensors (a version bump
    each)."""
    n = len(seg.outputs)
    for k in range(n):
        arr = outs[k]
        env[seg.outputs[k][1]] = dispatch.plain(arr if type(arr) is _ndarray else np.asarray(arr))
    if writebacks:
        apply_writebacks(seg.writebacks, outs[n : n + len(seg.writebacks)], flat, env)


def apply_writebacks(writebacks: list, arrays: Any, flat: list, env: dict) -> None:
    """Copy write-back values (of `writebacks`, a segment's (source, Value) pairs) into their
    tensors, a version bump each."""
    for (src, _), arr in zip(writebacks, arrays, strict=True):
        target = _source(src, flat, env)
        np.copyto(target._data, arr)
        dispatch._counter(target).v += 1


class ReadMismatch(Exception):
    """A replay read a tensor value other than the one captured (see `Read`)."""


@dataclass
class Read:
    """A tensor's value read by Python between two segments; replay goes on only when the
    value (its dtype, shape and bytes) is the one captured, since the Python after it followed
    that value."""

    src: tuple
    value: np.ndarray  # a copy of the value read


@dataclass
class Call:
    """A replayed call: `fn(*args, **kwargs)` with captured tensors resolved at each call.

    `out` is the structure the call returned, each tensor as its capture-time id: at replay
    the call's new tensors take those places (``autograd.grad``'s gradients)."""

    fn: Callable
    args: tuple
    kwargs: dict
    out: Any = None
    where: tuple | None = None  # (file, line, source line) of the call in the user's code


@dataclass
class Show:
    """A ``print`` the function made: at replay its arguments are turned into text at this
    point (the values they have here), and printed once the whole replay has gone through."""

    args: tuple
    kwargs: dict


@dataclass
class Program:
    """A captured call: segments and calls in order, and how to build the result."""

    steps: list
    result: Any  # the output structure, tensors as ("src", source)
    arg_count: int
    grad_sources: dict

    undo: Any = None  # what a replay stopped at a Read must undo (`Undo`), or None

    def run(self, flat: list) -> Any:
        """Replay on the flattened tensor arguments `flat`; return the output structure."""
        env: dict = {}
        steps = self.steps
        if len(steps) == 1 and type(steps[0]) is Segment:  # the everyday program, at once
            _run_segment(steps[0], flat, env)
            return _resolve_tree(self.result, flat, env)
        shown: list = []
        snap = None if self.undo is None else self.undo.take(flat)
        for step in self.steps:
            kind = type(step)
            if kind is Segment:
                _run_segment(step, flat, env)
            elif kind is FusedBackward or kind is TrainStep:
                step.run(flat, env)
            elif kind is Read:
                if not same_bits(_source(step.src, flat, env)._data, step.value):
                    if snap is not None:
                        snap.restore()  # the caller runs the function again from the start
                    raise ReadMismatch
            elif kind is Show:
                args = _resolve_tree(step.args, flat, env)
                shown.append(([str(a) for a in args], _resolve_tree(step.kwargs, flat, env)))
            else:
                args = _resolve_tree(step.args, flat, env)
                out = step.fn(*args, **_resolve_tree(step.kwargs, flat, env))
                if step.out is not None:
                    _bind_out(step.out, out, env)
        result = _resolve_tree(self.result, flat, env)
        for args, kwargs in shown:
            _print(*args, **kwargs)
        return result


def _bind_out(ids: Any, out: Any, env: dict) -> None:
    """Put the tensors a replayed call returned where its capture-time ones were."""
    if type(ids) is int:
        env[ids] = out
    elif type(ids) in (tuple, list):
        for i, o in zip(ids, out, strict=True):
            _bind_out(i, o, env)


def _tensors(out: Any) -> list:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    return []


def _out_ids(out: Any) -> Any:
    if isinstance(out, Tensor):
        return id(out)
    if isinstance(out, (tuple, list)):
        return tuple(_out_ids(o) for o in out)
    return None


def _source(src: tuple, flat: list, env: dict) -> Any:
    kind, what = src
    if kind is ARG:
        return flat[what]
    if kind is LIVE:
        return what
    if kind is ENV:
        return env[what]
    g = what._grad  # GRAD: the .grad a replayed backward() left on a tensor
    if g is None:
        raise RuntimeError(
            "torch.compile: the captured program reads a .grad that is None on this call; "
            "the function behaves differently from its first call (compile it again)"
        )
    return g


def _resolve_tree(x: Any, flat: list, env: dict) -> Any:
    if type(x) is _Src:
        return _source(x.src, flat, env)
    if type(x) is _Arr:
        return _source(x.src, flat, env)._data
    if isinstance(x, tuple):
        return tuple(_resolve_tree(a, flat, env) for a in x)
    if isinstance(x, list):
        return [_resolve_tree(a, flat, env) for a in x]
    if isinstance(x, dict):
        return {k: _resolve_tree(v, flat, env) for k, v in x.items()}
    return x


class _Src:
    __slots__ = ("src",)

    def __init__(self, src: tuple) -> None:
        self.src = src


class _Arr(_Src):
    """A tensor's own array (what ``.numpy()`` returned) at replay."""

    __slots__ = ()


_new = object.__new__
_NO_PARAMS: dict = {}
_ndarray = np.ndarray
_key = dispatch._key
_TapeNode = tape.Node


def _run_segment(seg: Segment, flat: list, env: dict) -> None:
    ins = [
        flat[w] if k is ARG else (w if k is LIVE else _source((k, w), flat, env))
        for k, w in seg.sources
    ]
    arrays = [t._data for t in ins]
    outs = seg.plan._run(arrays, {}, None, None)  # no variables, no run guard: straight in
    n = len(seg.outputs)
    nw = len(seg.writebacks)
    # whether anything carries a gradient is fixed by the guards, up to grad mode
    grad = seg.carries_grad and _State.enabled and any(t._rg for t in ins)
    if grad:
        arr_t = (*arrays, *outs[n + nw :])
        # the node's keys: each feed's (None where it carries no gradient), then None for
        # each saved array; no version stamps, and the segment's VJP reads every saved
        # array, so all are kept (what dispatch.record makes for these arguments)
        keys = (*[_key(t) if t._rg else None for t in ins], *seg.saved_keys)
    prims = seg.prims
    for k in range(n):
        t = _new(Tensor)
        arr = outs[k]
        t._data = arr = arr if type(arr) is _ndarray else np.asarray(arr)
        t._grad = t._vc = t._acc = t._base = None
        if grad and prims[k] is not None:
            t._node = _TapeNode(prims[k], _NO_PARAMS, arr_t, arr, keys, ())
            t._rg = True
        else:
            t._node = None
            t._rg = False
        env[seg.outputs[k][1]] = t
    if nw:
        for j, (src, _) in enumerate(seg.writebacks):
            target = _source(src, flat, env)
            np.copyto(target._data, outs[n + j])
            dispatch._counter(target).v += 1


# ---- undoing a replay that stopped at a Read --------------------------------------------------


@dataclass
class Undo:
    """What a replay changes outside the call before a `Read` that may stop it: the random
    stream, outside tensors written in place, ``.grad`` of leaf inputs (``backward``), and the
    objects a replayed call belongs to (an optimizer's parameters and state, a scheduler).
    `take` copies them before a replay; a stopped replay restores them, so the function can
    run again from the start with nothing done twice."""

    rng: bool
    tensors: list  # sources of tensors whose array and .grad are kept
    objects: list  # sources or objects of replayed calls' owners

    def take(self, flat: list) -> _Snapshot:
        snap = _Snapshot()
        if self.rng:
            gen = core_random.default_generator
            state = gen.get_state()
            snap.undo.append(lambda: gen.set_state(state))
        for src in self.tensors:
            snap.value(_source(src, flat, {}))
        for o in self.objects:
            snap.value(_source(o.src, flat, {}) if type(o) is _Src else o)
        return snap


class _Snapshot:
    """Copies of tensors, containers and duograd objects, with the steps that put them back."""

    def __init__(self) -> None:
        self.undo: list = []
        self.seen: set = set()

    def restore(self) -> None:
        for fn in reversed(self.undo):
            fn()

    def value(self, v: Any) -> None:
        if id(v) in self.seen:
            return
        self.seen.add(id(v))
        if isinstance(v, Tensor):
            self.tensor(v)
        elif isinstance(v, dict):
            saved = dict(v)
            self.undo.append(lambda: (v.clear(), v.update(saved)))
            for k, x in saved.items():
                self.value(k)
                self.value(x)
        elif isinstance(v, list):
            saved_l = list(v)
            self.undo.append(lambda: v.__setitem__(slice(None), saved_l))
            for x in saved_l:
                self.value(x)
        elif isinstance(v, tuple):
            for x in v:
                self.value(x)
        elif isinstance(v, np.ndarray):
            copy = v.copy()
            self.undo.append(lambda: np.copyto(v, copy) if v.shape == copy.shape else None)
        elif type(v).__module__.startswith(_PACKAGE) and hasattr(v, "__dict__"):
            self.value(vars(v))  # an optimizer, a scheduler: their attributes

    def tensor(self, t: Any) -> None:
        data, arr = t._data, t._data.copy()
        g = t._grad
        gdata = None if g is None else g._data.copy()
        vc = t._vc
        v = None if vc is None else vc.v

        def back() -> None:
            t._data = data
            np.copyto(data, arr)
            t._grad = g
            if g is not None:
                g._data = gdata
            if vc is not None:
                vc.v = v

        self.undo.append(back)


_PACKAGE = __name__.split(".frontends")[0] + "."


# ---- capturing -----------------------------------------------------------------------------------


class Capture:
    """Watches one eager call and builds its `Program` (or the breaks that prevent one)."""

    def __init__(self, flat: list, fullgraph: bool) -> None:
        self.fullgraph = fullgraph
        self.breaks: list[Break] = []
        self.fatal = 0  # breaks after which no program can be replayed
        self.steps: list = []
        self.seg = Segment()
        self.vals: dict[int, tuple[Any, Value]] = {}  # id(tensor) -> (tensor, value)
        self.sources: dict[int, tuple] = {}  # id(tensor) -> source, for tensors not made here
        self.arrays: dict[int, tuple[Any, int]] = {}  # id(array) -> (array, tensor id)
        self.keep: list = []  # every tensor seen, so that no id is reused during the capture
        self.made: set[int] = set()  # ids of tensors made by captured operations
        self.remapped: set[int] = set()
        self.live_snap: list = []  # (tensor, copy of its array when first seen)
        self.calls = 0
        self.in_call = False  # inside a replayed call: its own operations are not captured
        for i, t in enumerate(flat):
            self.sources[id(t)] = (ARG, i)
            self.keep.append(t)
            self.arrays.setdefault(id(t._data), (t._data, id(t)))
        self.grad_sources: dict[int, tuple] = {}
        self.needed: set[int] = set()
        self.pending_after = False  # a replayed call ran since the last thing seen
        self.restore = False  # a Read follows steps with effects outside the call (`Undo`)

    # ---- the hooks ------------------------------------------------------------------------------
    def observe(self, prim: Any, params: dict, args: tuple, t: Any) -> None:
        """An eager operation ran: add it to the current segment (not one a replayed call made
        inside itself, e.g. a gradient hook during ``backward``: the call makes it again)."""
        if self.in_call:
            return
        if self.pending_after:
            self.after_call()
        ins = []
        for a in args:
            if isinstance(a, Tensor):
                ins.append(self.value_of(a))
            elif type(a) is np.ndarray and self.arrays.get(id(a), (None,))[0] is a:
                # a tensor's own array passed raw (e.g. embedding's indices) would be baked in
                # as a constant: replays would reuse this call's values
                self.note_break(f"operation '{prim.name}' reads a tensor's array directly")
                return
            else:
                ins.append(a)
        seg = self.seg
        try:
            v = seg.graph.apply(prim, ins, dict(params))
        except Exception as e:  # noqa: BLE001 - the eager op ran; the graph form could not
            self.note_break(f"operation '{prim.name}' could not be captured ({e})")
            return
        seg.tracked[v] = bool(t._rg)
        self.keep.append(t)
        self.vals[id(t)] = (t, v)
        self.made.add(id(t))
        self.arrays[id(t._data)] = (t._data, id(t))
        seg.outputs.append((v, id(t)))

    def event(self, kind: str, *details: Any) -> None:
        """Something the operations do not show (see `dispatch.event`)."""
        if kind == "escape":
            if len(details) > 1:
                self.read(details[1], details[0])
            else:
                self.note_break(details[0])
        elif kind == "inplace":
            target, res = details
            entry = self.vals.get(id(res))
            if entry is None or entry[0] is not res:
                self.note_break("an in-place write of a value computed outside the capture")
                return
            if target._rg and target._node is None:
                self.note_break("an in-place write to a tensor that requires grad")
                return
            v = entry[1]
            self.value_of(target)  # a tensor from outside gets its placeholder first
            src = self.sources.get(id(target))
            if src is not None:
                self.seg.writebacks = [w for w in self.seg.writebacks if w[0] is not src]
                self.seg.writebacks.append((src, v))
            self.vals[id(target)] = (target, v)
            self.remapped.add(id(target))
        elif kind == "bump":
            t = details[0]
            if id(t) in self.remapped:
                self.remapped.discard(id(t))
            else:
                self.note_break("an in-place change the capture cannot follow (e.g. fill_)")
        elif kind == "call":
            fn, args, kwargs = details
            self.in_call = True
            self.cut()
            self.steps.append(Call(fn, self.tree(args), self.tree(kwargs), where=_user_frame()))
            pure = getattr(fn, "_capture_pure", None)
            if pure:
                # the gradients of a replayed segment cannot be differentiated again
                deep = kwargs.get("create_graph") or (len(args) > 4 and args[4])
                self.note_break(f"{pure} (run eagerly at each call)", bool(deep))
            else:
                self.calls += 1
                self.pending_after = True
        elif kind == "raised":
            self.in_call = False
            self.note_break("a replayed call raised (the function caught it)")
        elif kind == "returned":
            self.in_call = False
            call, out = self.steps[-1], details[0]
            ids = _out_ids(out)
            if type(call) is Call and ids is not None:
                call.out = ids
                for t in _tensors(out):
                    self.sources[id(t)] = (ENV, id(t))
                    self.keep.append(t)
                    self.arrays[id(t._data)] = (t._data, id(t))

    def show(self, args: tuple, kwargs: dict) -> None:
        """The function printed: a break where the text is made again at each replay."""
        self.note_break("print() (printed again at each call)", fatal=False)
        self.cut()
        self.steps.append(Show(self.tree(args), self.tree(kwargs)))

    def after_call(self) -> None:
        """After a replayed call: the .grad tensors it left are read from their owners."""
        self.pending_after = False
        for t in list(self.keep):
            if isinstance(t, Tensor) and t._grad is not None and id(t) not in self.made:
                g = t._grad
                self.grad_sources[id(g)] = (GRAD, t)
                self.vals.pop(id(g), None)
                self.sources[id(g)] = (GRAD, t)
                self.keep.append(g)
                self.arrays[id(g._data)] = (g._data, id(g))  # x.grad.numpy(): read at replay

    def note_break(self, reason: str, fatal: bool = True, where: tuple | None = None) -> None:
        """Record a graph break (raise it under fullgraph); `where` defaults to the caller's
        place in the user's code."""
        fn, line, text = where or _user_frame()
        b = Break(reason, fn, line, text)
        self.breaks.append(b)
        self.fatal += fatal
        if self.fullgraph:
            raise GraphBreak(f"torch.compile(fullgraph=True): graph break at {b}")

    def read(self, t: Any, reason: str) -> None:
        """Python read t's value: end the segment here and guard on the value (see `Read`).
        After steps with effects outside the call, replays keep what undoes them (`Undo`)."""
        self.note_break(reason, fatal=False)
        self.restore = self.restore or self.has_effects()
        if id(t) not in self.made and id(t) not in self.sources:
            self.value_of(t)  # a .detach() of a value made here: read it from the segment
        src = self.tree(t)
        self.cut()
        self.steps.append(Read(src.src, np.array(t._data, copy=True)))

    def has_effects(self) -> bool:
        """True when the steps so far change something outside the call when replayed: a
        replay stopped by a `Read` guard could then not be run again eagerly."""
        if self.calls:
            return True
        segs = [s for s in self.steps if type(s) is Segment] + [self.seg]
        for seg in segs:
            if seg.writebacks:
                return True
            for n in seg.graph.nodes:
                if n.kind == "op" and (n.prim.random or n.prim.stateful):
                    return True
        return False

    # ---- values ---------------------------------------------------------------------------------
    def value_of(self, t: Any) -> Value:
        """The current segment's value for tensor t (a placeholder when it comes from outside)."""
        entry = self.vals.get(id(t))
        if entry is not None and entry[0] is t and entry[1].graph is self.seg.graph:
            return entry[1]
        seg = self.seg
        if entry is not None and entry[0] is t and id(t) in self.made:
            src = (ENV, id(t))  # made by an earlier segment
            self.needed.add(id(t))
        else:
            src = self.sources.get(id(t))
            if src is None:
                alias = self.arrays.get(id(t._data))
                if alias is not None and alias[0] is t._data:
                    # .detach() / .data of a tensor made here: the same value, no gradient
                    base = self.vals.get(alias[1])
                    if base is not None and base[1].graph is seg.graph:
                        v = seg.graph.apply(STOP_GRADIENT, [base[1]], {})
                        seg.tracked[v] = False
                        self.vals[id(t)] = (t, v)
                        self.keep.append(t)
                        self.made.add(id(t))
                        seg.outputs.append((v, id(t)))
                        return v
                src = (LIVE, t)
                self.live_snap.append((t, t._data.copy()))
            self.sources[id(t)] = src
        arr = t._data
        p = seg.graph.placeholder(arr.shape, arr.dtype, name=f"in{len(seg.placeholders)}")
        seg.placeholders.append(p)
        seg.sources.append(src)
        seg.tracked[p] = bool(t._rg)
        self.keep.append(t)
        self.vals[id(t)] = (t, p)
        return p

    def tree(self, x: Any) -> Any:
        """A structure with tensors replaced by where they will come from at replay."""
        if self.pending_after:
            self.after_call()
        if isinstance(x, Tensor):
            entry = self.vals.get(id(x))
            if entry is not None and entry[0] is x and id(x) in self.made:
                self.needed.add(id(x))
                return _Src((ENV, id(x)))
            src = self.sources.get(id(x))
            if src is None:
                src = (LIVE, x)
                self.keep.append(x)
                self.live_snap.append((x, x._data.copy()))
            return _Src(src)
        if type(x) is np.ndarray:
            alias = self.arrays.get(id(x))
            if alias is not None and alias[0] is x:  # .numpy() of a tensor: its array at replay
                owner = next((t for t in self.keep if id(t) == alias[1]), None)
                if owner is not None:
                    return _Arr(self.tree(owner).src)
            return x
        if isinstance(x, tuple):
            return tuple(self.tree(a) for a in x)
        if isinstance(x, list):
            return [self.tree(a) for a in x]
        if isinstance(x, dict):
            return {k: self.tree(v) for k, v in x.items()}
        return x

    def cut(self) -> None:
        """End the current segment (before a replayed call)."""
        seg = self.seg
        if seg.graph.nodes:
            # each tensor made here leaves with its last value (after in-place writes)
            outs, seen = [], set()
            for _, tid in seg.outputs:
                if tid not in seen:
                    seen.add(tid)
                    outs.append((self.vals[tid][1], tid))
            seg.outputs = outs
            self.steps.append(seg)
        self.seg = Segment()

    def program(self, result: Any, arg_count: int) -> Program | None:
        """The replayable program, or None when the call broke the graph."""
        result_tree = self.tree(result)
        self.cut()
        for t, snap in self.live_snap:
            if self.calls == 0 and not np.array_equal(t._data, snap, equal_nan=True):
                self.note_break("a tensor from outside changed in a way the capture cannot follow")
        if self.fatal:
            return None
        for step in self.steps:
            if type(step) is Segment:
                step.finish(self.needed)
        self.fuse_backward()
        fuse_train_steps(self.steps, lambda reason, where: self.note_break(reason, False, where))
        prog = Program(self.steps, result_tree, arg_count, self.grad_sources)
        if self.restore:
            prog.undo = self.undo_plan()
        return prog

    def undo_plan(self) -> Undo:
        """What a replay of this program must be able to undo (see `Undo`)."""
        rng, tensors, objects = False, [], []
        for whole in self.steps:
            seg = whole.seg if type(whole) in (FusedBackward, TrainStep) else whole
            calls = whole.calls if type(whole) is TrainStep else [whole]
            if type(seg) is Segment:
                rng = rng or any(
                    n.kind == "op" and (n.prim.random or n.prim.stateful) for n in seg.graph.nodes
                )
                for src, p in zip(seg.sources, seg.placeholders, strict=True):
                    written = any(w[0] is src for w in seg.writebacks)
                    if src[0] in (ARG, LIVE) and (written or seg.tracked.get(p)):
                        tensors.append(src)
            for step in calls:
                if type(step) is FusedBackward:
                    step = step.call
                if type(step) is not Call:
                    continue
                for a in step.args:
                    if type(a) is _Src and a.src[0] in (ARG, LIVE):
                        tensors.append(a.src)
                    elif type(a) is not _Src and not isinstance(a, (Tensor, np.ndarray)):
                        objects.append(a)  # the optimizer of opt.step(), a scheduler
        return Undo(rng, tensors, objects)

    def fuse_backward(self) -> None:
        """Each segment followed by a plain ``loss.backward()`` on its output becomes one
        `FusedBackward` step (forward and gradients in one plan)."""
        steps = self.steps
        out: list = []
        i = 0
        while i < len(steps):
            step = steps[i]
            nxt = steps[i + 1] if i + 1 < len(steps) else None
            if type(step) is Segment and type(nxt) is Call:
                k = _plain_backward(step, nxt)
                if k is not None:
                    fused = FusedBackward(step, nxt, k)
                    fused.build()
                    out.append(fused)
                    i += 2
                    continue
            out.append(step)
            i += 1
        self.steps[:] = out


def capture(
    fn: Callable, args: tuple, kwargs: dict, flat: list, fullgraph: bool
) -> tuple[Any, Program | None, list[Break]]:
    """Run fn(*args, **kwargs) eagerly while capturing it: (its result, program, breaks)."""
    cap = Capture(flat, fullgraph)
    prev_event = dispatch._event
    prev_print = builtins.print

    def printed(*p_args: Any, **p_kwargs: Any) -> None:
        if sys._getframe(1).f_code.co_filename.startswith(_LIBRARIES):
            return prev_print(*p_args, **p_kwargs)  # a library's own output (numba's, ours)
        cap.show(p_args, p_kwargs)
        dispatch._event = None  # the text of a tensor is not a read of its value here
        try:
            prev_print(*p_args, **p_kwargs)
        finally:
            dispatch._event = cap.event

    dispatch.add_observer(cap.observe)
    dispatch._event = cap.event
    builtins.print = printed
    try:
        result = fn(*args, **kwargs)
    finally:
        builtins.print = prev_print
        dispatch._event = prev_event
        dispatch.remove_observer(cap.observe)
    prog = cap.program(result, len(flat))
    return result, prog, cap.breaks


from .capture_step import TrainStep, fuse_train_steps  # noqa: E402 - it builds on this module
