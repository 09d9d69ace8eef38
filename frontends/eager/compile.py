"""``torch.compile``: an eager function or module captured as core IR programs and replayed.

The first call with a new signature (tensor shapes, dtypes and ``requires_grad``, the other
arguments' values, grad mode) runs eagerly while `capture` records it; later calls with that
signature replay the captured program when its guards hold: the module's parameters are the same
objects with the same shapes, its ``training`` flags and plain Python attributes (numbers,
strings, bools, tuples of them) are unchanged, and so are the plain values the function's
closure holds and its module's plain globals. A call that fails a guard captures again;
after `cache_size_limit` captures of one function it runs eagerly, with one warning. Modules
the function holds (closure, named globals) are guarded like the compiled module. A graph
break (a value read, ``print``, ``autograd.grad``: see `capture`) splits the program into
segments; a call whose read value differs captures the function again for that value, kept
beside the first as another variant of the signature. A call whose capture met a break that
cannot be replayed runs eagerly for that signature (``fullgraph=True`` raises any break
instead); `explain` lists the breaks with file, line and reason.
"""

from __future__ import annotations

import functools
import operator
import types
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .capture import (
    Break,
    FusedBackward,
    GraphBreak,
    Program,
    ReadMismatch,
    Segment,
    capture,
)
from .capture_step import TrainStep
from .grad_mode import _State
from .tensor import Tensor

__all__ = ["CompiledFunction", "GraphBreak", "compile", "explain", "reset"]

cache_size_limit = 8  # captures per compiled function before it runs eagerly (torch's default)

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_SIMPLE = (int, float, bool, str, type(None))


def _simple(x: Any) -> bool:
    if isinstance(x, _SIMPLE):
        return True
    if isinstance(x, tuple):
        return all(_simple(a) for a in x)
    return False


def _flatten(x: Any, flat: list) -> Any:
    """The signature of an argument structure; its tensors are appended to `flat`."""
    if isinstance(x, Tensor):
        flat.append(x)
        d = x._data
        return (d.shape, d.dtype, x._rg)
    if isinstance(x, (tuple, list)):
        return (type(x), tuple(_flatten(a, flat) for a in x))
    if isinstance(x, dict):
        return (dict, tuple((k, _flatten(v, flat)) for k, v in x.items()))
    if _simple(x):
        return (type(x), x)
    return ("id", id(x))


def _rebind(x: Any, flat: list, pos: list) -> Any:
    """`x` with each tensor replaced by the next of `flat` (the structure `_flatten` read)."""
    if isinstance(x, Tensor):
        t = flat[pos[0]]
        pos[0] += 1
        return t
    if isinstance(x, (tuple, list)):
        return type(x)(_rebind(a, flat, pos) for a in x)
    if isinstance(x, dict):
        return {k: _rebind(v, flat, pos) for k, v in x.items()}
    return x


# ---- guards -------------------------------------------------------------------------------------


def _module_state(module: Any) -> tuple:
    """Parameter identities and shapes, training flags and plain attributes of a module tree."""
    params = tuple((id(p), p._data.shape, p._data.dtype) for p in module.parameters())
    flags = []
    for m in module.modules():
        attrs = tuple((k, v) for k, v in vars(m).items() if not k.startswith("_") and _simple(v))
        flags.append((m.training, attrs))
    return params, tuple(flags)


class _ModuleGuard:
    """`_module_state` of one module tree, recomputed only when something it reads may have
    changed: every call compares, by identity, the values of each module's attribute dict and
    of its parameter and submodule tables, and each parameter's array, with the last ones seen
    (a few C-level list operations instead of walking the tree)."""

    __slots__ = ("_module", "mods", "params", "seen", "state")

    def __init__(self, module: Any) -> None:
        self._module = weakref.ref(module)  # the guard table must not keep the module alive
        self.refresh()

    def refresh(self) -> None:
        m = self._module()
        self.mods = list(m.modules())
        self.params = list(m.parameters())
        self.state = _module_state(m)
        self.seen = self.look()

    def look(self) -> list:
        out: list = []
        for m in self.mods:
            d = m.__dict__
            out += d.values()
            out += d.get("_parameters", _EMPTY).values()
            out += d.get("_modules", _EMPTY).values()
        out += [p._data for p in self.params]
        return out

    def current(self) -> tuple:
        """The module tree's state (the same tuple object while nothing changed)."""
        now = self.look()
        seen = self.seen
        if len(now) != len(seen) or not all(map(operator.is_, now, seen)):
            self.refresh()
        return self.state


_EMPTY: dict = {}
_GUARDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # module -> its guard


def _guarded_state(module: Any) -> tuple:
    """`_module_state(module)`, through the module's `_ModuleGuard`."""
    try:
        g = _GUARDS.get(module)
        if g is None:
            g = _GUARDS[module] = _ModuleGuard(module)
    except TypeError:  # a module class without a hash or weak references: walk it each call
        return _module_state(module)
    return g.current()


_SCALARS = frozenset(_SIMPLE)


def _function_state(fn: Callable, names: tuple, module_names: tuple = ()) -> tuple:
    """The plain values a function holds in its closure and in the given globals, and the
    state (`_module_state`) of the modules it holds there: a closure's or a global's model
    switched to eval(), given a new layer or a changed attribute is seen at the next call."""
    Module = _module_class()
    owner = getattr(fn, "__self__", None)
    fn = getattr(fn, "__func__", fn)
    cells = []
    for c in getattr(fn, "__closure__", None) or ():
        try:
            v = c.cell_contents
        except ValueError:  # an empty cell
            continue
        # checked at every call: the type test first, the recursive one only for tuples
        if type(v) in _SCALARS or (type(v) is tuple and _simple(v)):
            cells.append(v)
        else:
            cells.append(id(v))
            if isinstance(v, Module):
                cells.append(_guarded_state(v))
    if isinstance(owner, Module):
        cells.append(_guarded_state(owner))
    g = getattr(fn, "__globals__", None)
    if g is None:
        return tuple(cells)
    mods = []
    for n in module_names:
        v = g.get(n)
        mods.append(_guarded_state(v) if isinstance(v, Module) else id(v))
    return tuple(cells), tuple([g.get(n) for n in names]), tuple(mods)


_MODULE: list = []


def _module_class() -> type:
    """``nn.Module`` (imported on first use: nn imports this package)."""
    if not _MODULE:
        from .nn.module import Module

        _MODULE.append(Module)
    return _MODULE[0]


def _module_globals(fn: Callable) -> tuple:
    """Names of the modules in the function's globals that its code names."""
    from .nn.module import Module

    fn = getattr(fn, "__func__", fn)
    g = getattr(fn, "__globals__", None) or {}
    return tuple(k for k in sorted(_code_names(fn)) if isinstance(g.get(k), Module))


def _code_names(fn: Callable) -> set:
    names: set = set()
    code = getattr(fn, "__code__", None)
    todo = [code] if code is not None else []
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    return names


def _plain_globals(fn: Callable) -> tuple:
    """Names of the plain values (numbers, strings, tuples) in the function's module globals
    that its code (nested functions included) names: those the guards compare at each call.
    A global the function never names (a script's loop counter) is not guarded."""
    fn = getattr(fn, "__func__", fn)
    g = getattr(fn, "__globals__", None) or {}
    code = getattr(fn, "__code__", None)
    if code is None:
        return tuple(k for k, v in g.items() if not k.startswith("__") and _simple(v))
    names: set = set()
    todo = [code]
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    return tuple(k for k in sorted(names) if k in g and _simple(g[k]))


@dataclass
class _Entry:
    programs: list[Program] | None  # variants, one per path taken at value reads; None: eager
    state: tuple
    live: list  # (tensor, shape, dtype, requires_grad) read by the programs


def _live_guards(program: Program | None) -> list:
    if program is None:
        return []
    out = []
    for step in program.steps:
        step = step.seg if type(step) in (FusedBackward, TrainStep) else step
        if type(step) is Segment:
            for kind, what in step.sources:
                if kind == "live":
                    out.append((what, what._data.shape, what._data.dtype, what._rg))
    return out


def _live_ok(live: list) -> bool:
    for t, shape, dt, rg in live:
        d = t._data
        if d.shape != shape or d.dtype != dt or t._rg != rg:
            return False
    return True


# ---- the compiled callable ----------------------------------------------------------------------


@dataclass
class CompiledFunction:
    """What ``torch.compile(fn)`` returns: call it as fn; `breaks` lists the graph breaks."""

    fn: Callable
    module: Any = None
    fullgraph: bool = False
    cache: dict = field(default_factory=dict)
    breaks: list = field(default_factory=list)
    captures: int = 0
    _warned: bool = False
    _globals: tuple | None = None
    _module_globals: tuple = ()
    _fixed: tuple | None = None  # the state, when the function holds nothing it could read

    def __post_init__(self) -> None:
        functools.update_wrapper(self, self.fn, updated=())

    def _state(self) -> tuple:
        fixed = self._fixed
        if fixed is not None:
            return fixed
        mod = () if self.module is None else _guarded_state(self.module)
        if self._globals is None:
            self._globals = _plain_globals(self.fn)
            self._module_globals = _module_globals(self.fn)
            fn = getattr(self.fn, "__func__", self.fn)
            if (
                self.module is None
                and not self._globals
                and not self._module_globals
                and not getattr(fn, "__closure__", None)
                and not isinstance(getattr(self.fn, "__self__", None), _module_class())
            ):
                # nothing the guards read can change: the state is computed once
                self._fixed = (mod, _function_state(self.fn, (), ()))
                return self._fixed
        return mod, _function_state(self.fn, self._globals, self._module_globals)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = None
        if not kwargs:  # the everyday call (tensors only), at once
            sig: list = [_State.enabled]
            for a in args:
                if type(a) is not Tensor:
                    break
                d = a._data
                sig.append((d.shape, d.dtype, a._rg))
            else:
                key = tuple(sig)
                flat: list = args  # type: ignore[assignment] - indexed only, never changed
        if key is None:
            flat = []
            key = (_State.enabled, _flatten(args, flat), _flatten(kwargs, flat))
        entry = self.cache.get(key)
        if (
            entry is not None
            and entry.state == self._state()
            and (not entry.live or _live_ok(entry.live))
        ):
            programs = entry.programs
            if programs is None:
                return self.fn(*args, **kwargs)
            for program in programs:
                try:
                    return program.run(flat)
                except ReadMismatch:  # a value read took another path: try the next variant
                    continue
        else:
            entry = None
        if self.captures >= cache_size_limit:
            if entry is not None:  # its variants missed: no more replays tried for it
                entry.programs = None
            if not self._warned:
                self._warned = True
                warnings.warn(
                    f"torch.compile: {self.__name__} was captured {self.captures} times "
                    f"(cache_size_limit = {cache_size_limit}, e.g. changing shapes or values); "
                    "it runs eagerly from now on",
                    stacklevel=2,
                )
            return self.fn(*args, **kwargs)
        state = self._state()
        flat = list(flat)
        result, program, breaks = capture(self.fn, args, kwargs, flat, self.fullgraph)
        self.captures += 1
        self.breaks.extend(b for b in breaks if b not in self.breaks)  # once per place
        if entry is not None and program is not None and entry.state == state:
            entry.programs.append(program)  # another path through the value reads
            entry.live += _live_guards(program)
        else:
            programs = None if program is None else [program]
            self.cache[key] = _Entry(programs, state, _live_guards(program))
        return result

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # a compiled function stored on a class binds like a method
        return self if obj is None else types.MethodType(self, obj)


def compile(  # noqa: A001 - PyTorch's name
    model: Any = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: Any = None,
    mode: str | None = None,
    options: dict | None = None,
    disable: bool = False,
) -> Any:
    """Capture `model` (a function or an nn.Module) as graphs on its first calls; replay them.

    Also a decorator (``@torch.compile`` or ``@torch.compile(fullgraph=True)``). `dynamic`,
    `backend`, `mode` and `options` are accepted for compatibility: there is one backend, the
    core executor, and each new input shape is captured once (up to `cache_size_limit`).
    """
    if backend not in (None, "inductor", "eager", "aot_eager", "duograd"):
        raise ValueError(
            f"torch.compile: unknown backend {backend!r}; duograd compiles with its core executor "
            "(backend=None)"
        )
    if mode not in (
        None,
        "default",
        "reduce-overhead",
        "max-autotune",
        "max-autotune-no-cudagraphs",
    ):
        raise ValueError(f"torch.compile: unknown mode {mode!r}")
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)  # fmt: skip
    if disable:
        return model
    from .nn.module import Module

    if isinstance(model, Module):
        return OptimizedModule(model, fullgraph)
    if not callable(model):
        raise TypeError(
            f"torch.compile: expected a function or an nn.Module, got {type(model).__name__}"
        )
    return CompiledFunction(model, fullgraph=fullgraph)


class OptimizedModule:
    """``torch.compile(module)``: calls run the module's compiled forward (hooks included);
    attributes are the module's (``_orig_mod`` is the module itself)."""

    def __init__(self, module: Any, fullgraph: bool = False) -> None:
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_compiled", CompiledFunction(module.__call__, module, fullgraph))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._orig_mod, name, value)

    def __repr__(self) -> str:
        return f"OptimizedModule({self._orig_mod!r})"


def compile_module_in_place(module: Any, *args: Any, **kwargs: Any) -> None:
    """``nn.Module.compile()``: later calls of this module run its compiled forward."""
    fullgraph = kwargs.get("fullgraph", False)
    module.forward = CompiledFunction(module.forward, module, fullgraph)


# ---- listing graph breaks -----------------------------------------------------------------------


@dataclass
class ExplainOutput:
    """What `explain` reports (as ``torch._dynamo.explain``): graphs, breaks and their reasons."""

    graph_count: int
    graph_break_count: int
    break_reasons: list[Break]
    ops_per_graph: list[list[str]]

    def __str__(self) -> str:
        lines = [f"Graph Count: {self.graph_count}", f"Graph Break Count: {self.graph_break_count}"]
        lines.append(f"Op Count: {sum(len(o) for o in self.ops_per_graph)}")
        if self.break_reasons:
            lines.append("Break Reasons:")
            lines += [f"  Break Reason {i + 1}: {b}" for i, b in enumerate(self.break_reasons)]
        return "\n".join(lines)


def explain(fn: Callable) -> Callable[..., ExplainOutput]:
    """``explain(fn)(*args)``: capture one call of fn (it runs once, eagerly) and report."""
    target = fn._orig_mod if isinstance(fn, OptimizedModule) else fn
    target = target.fn if isinstance(target, CompiledFunction) else target

    def run(*args: Any, **kwargs: Any) -> ExplainOutput:
        flat: list = []
        _flatten(args, flat)
        _flatten(kwargs, flat)
        _, program, breaks = capture(target, args, kwargs, flat, False)
        ops: list[list[str]] = []
        if program is not None:
            for step in program.steps:
                step = step.seg if type(step) in (FusedBackward, TrainStep) else step
                if type(step) is Segment:
                    # a whole training step's update nodes are listed by name (e.g. AdamWUpdate)
                    ops.append(
                        [
                            n.prim.name if n.kind == "op" else n.name.split("_")[0]
                            for n in step.graph.nodes
                            if n.kind == "op" or n.kind == "effect"
                        ]
                    )
        return ExplainOutput(len(ops), len(breaks), list(breaks), ops)

    return run


def reset() -> None:
    """Accepted for compatibility: each compiled function keeps its own cache."""


namespace = types.SimpleNamespace(explain=explain, reset=reset, GraphBreak=GraphBreak)
"""``torch._dynamo`` / ``torch.compiler``: `explain` and `reset`."""
