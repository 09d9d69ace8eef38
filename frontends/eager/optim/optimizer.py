"""The optimizer base: parameter groups, per-parameter state, validation, state dicts.

Subclasses implement `_update(group, params_and_grads)`, calling one fused kernel of
core/kernels/update.py per parameter (the optimizer arithmetic both frontends share).
`step()` validates every parameter, gradient and state first, so a step that fails changes
nothing; a failure past validation (out of memory, an interrupt) is rolled back from copies,
made of every parameter but the one updated last (see `Optimizer._undo_entries`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import nullcontext
from typing import Any

import numpy as np

from .. import dispatch as _dispatch
from ..grad_mode import enable_grad, no_grad
from ..inplace import bump
from ..tensor import Tensor
from .interrupts import DeferredInterrupt

_required = object()


class ParamState(MutableMapping):
    """Per-parameter state keyed by parameter identity (tensors compare elementwise)."""

    def __init__(self) -> None:
        self._d: dict[int, tuple[Tensor, dict]] = {}

    def __getitem__(self, p: Tensor) -> dict:
        entry = self._d.get(id(p))
        if entry is None:
            entry = self._d[id(p)] = (p, {})
        return entry[1]

    def __setitem__(self, p: Tensor, value: dict) -> None:
        self._d[id(p)] = (p, value)

    def __delitem__(self, p: Tensor) -> None:
        del self._d[id(p)]

    def __contains__(self, p: object) -> bool:
        return id(p) in self._d

    def __iter__(self) -> Iterator[Tensor]:
        return (p for p, _ in self._d.values())

    def __len__(self) -> int:
        return len(self._d)


def _copy_into(bufs: dict, key: Any, arr: np.ndarray) -> np.ndarray:
    """A copy of arr in bufs[key], reusing that buffer when its shape and dtype still fit."""
    buf = bufs.get(key)
    if buf is None or buf.shape != arr.shape or buf.dtype != arr.dtype:
        buf = bufs[key] = np.empty_like(arr)
    np.copyto(buf, arr)
    return buf


# The last parameter (with its state) goes uncopied from this size on: copying 256 KiB costs
# about what swapping the SIGINT handler in and out does (~5 us).
SKIP_COPY_MIN_BYTES = 1 << 18


def per_parameter(update: Callable) -> Callable:
    """Mark an `_update` whose parameters' updates are independent (each reads and writes only
    its own parameter, gradient and state), so that a step may reorder them and keep no copy of
    the last one (see Optimizer._undo_entries)."""
    update.per_parameter = True
    return update


def one_write(update: Callable) -> Callable:
    """Mark a per-parameter `_update` whose every parameter's update is one fused kernel call,
    its only write (values computed before it may fail; nothing after it can): only then may a
    step keep no copy of the parameter it updates last (see Optimizer._undo_entries)."""
    update = per_parameter(update)
    update.one_write = True
    return update


def _disjoint(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether two arrays share no memory: at once when both own theirs (as parameters and
    gradients made by duograd do), else by numpy's bounds check."""
    if x is y:
        return False
    if x.flags.owndata and y.flags.owndata:  # two allocations of their own never overlap
        return True
    return not np.may_share_memory(x, y)


def _independent(pair: tuple, others: list) -> bool:
    """Whether (param, grad) shares no memory with the params and grads of `others`, so that
    their updates may run in either order."""
    p, g = pair[0]._data, pair[1]
    for q, h in others:
        q = q._data
        if not (_disjoint(p, q) and _disjoint(p, h) and _disjoint(g, q)):
            return False
    return True


class Optimizer:
    """Base class: holds param_groups (dicts with 'params' and hyper-parameters) and state."""

    # Copy the parameters and their state before updating them (all but the one updated last,
    # see _undo_entries), so a failure past validation (out of memory, an interrupt) is rolled
    # back and a step applies to all parameters or to none. Costs a memcpy of them per step and
    # one more copy's memory; False keeps only the validate-first guarantee (every error
    # duograd itself can raise comes before any write).
    atomic_step: bool = True

    def __init__(self, params: Any, defaults: dict) -> None:
        self.defaults = defaults
        self.state = ParamState()
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections")
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but param {i} is a {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (param {i} has a grad_fn)")
            if not p.requires_grad:
                raise ValueError(
                    f"param {i} of shape {tuple(p.shape)} does not require grad, so it would "
                    "never be updated: set requires_grad=True on it (or leave it out of the "
                    "optimizer)"
                )
        group = dict(param_group)
        group["params"] = params
        for k, v in self.defaults.items():
            if v is _required and k not in group:
                raise ValueError(f"parameter group didn't specify a value of required '{k}'")
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    @_dispatch.replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter (to None by default, as PyTorch)."""
        for g in self.param_groups:
            for p in g["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    p._grad.zero_()

    # ---- stepping -------------------------------------------------------------------------------
    @_dispatch.replayed
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient (a closure re-evaluates the loss first)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._step_grads()
        return loss

    def _step_grads(self) -> None:
        """The step on the gradients in ``.grad``: ``step()`` after its closure, and the one
        update node that ends a compiled training step's plan (all parameters or none)."""
        work = [(group, self._validated(group)) for group in self.param_groups]
        undo, whole = self._undo_entries(work) if self.atomic_step else ([], True)
        # without a copy of every parameter, Ctrl-C waits for the writes (see interrupts.py)
        with no_grad(), nullcontext() if whole else DeferredInterrupt():
            try:
                for group, pairs in work:
                    if pairs:
                        self._update(group, pairs)
            except BaseException:
                # a failure past validation (out of memory, an interrupt) must not leave some
                # parameters stepped and others not: put back what this step changed
                self._roll_back(undo)
                raise
            for _group, pairs in work:
                for p, _ in pairs:
                    bump(p)

    def _undo_entries(self, work: list) -> tuple[list, bool]:
        """What `_roll_back` needs, taken before the first write (reorders `work` in place), and
        whether it copies every parameter.

        With a per-parameter, one-kernel `_update` (see `one_write`), every parameter updated
        before the last one, and its state, is copied; the last one is not: its update is the step's
        final write, and a failure raised before its kernel runs leaves it as it was (a kernel,
        once started, raises nothing and runs to its end; Ctrl-C is held back meanwhile). So the
        largest parameter of the last group is moved to the end of its group, which saves
        copying it; as each update reads only its own values, the order changes no bits (one
        that may share memory with a parameter it would pass stays put). Its state's entries
        alone are kept, to drop what a failed update added. Any other `_update` gets copies of
        everything.
        """
        last = None
        for i, (_group, pairs) in enumerate(work):
            if pairs:
                last = i
        if last is None:
            return [], True
        pairs = work[last][1]
        skip = None
        # an update of several writes (state, then the parameter) can fail between them, so
        # only a one-kernel update may leave its last parameter uncopied
        if getattr(type(self)._update, "one_write", False):
            big = max(range(len(pairs)), key=lambda j: pairs[j][0]._data.nbytes)
            if _independent(pairs[big], pairs[big + 1 :]):
                pairs.append(pairs.pop(big))
            p = pairs[-1][0]
            state = self.state[p] if p in self.state else {}
            size = p._data.nbytes
            size += sum(v._data.nbytes for v in state.values() if isinstance(v, Tensor))
            if size >= SKIP_COPY_MIN_BYTES:  # worth more than holding Ctrl-C back costs
                skip = p
        pool = self.__dict__.setdefault("_undo_buffers", {})
        undo = []
        for _group, group_pairs in work:
            for p, _ in group_pairs:
                undo.append(self._undo_entry(p, pool, p is not skip))
        return undo, skip is None

    def _undo_entry(self, p: Tensor, pool: dict, copy: bool = True) -> tuple:
        """What `_roll_back` needs to restore p and its state: copies of their values (without
        `copy`, the state's entries alone).

        The copies go into buffers kept from step to step: copying into memory already touched
        costs a plain memcpy, while fresh large arrays each step cost page faults (~20x more).
        """
        st = self.state
        if type(st) is ParamState:  # its own table: one lookup
            entry = st._d.get(id(p))
            state = None if entry is None else entry[1]
        else:
            state = st[p] if p in st else None
        saved = None
        if state is not None:
            if not copy:
                return p, None, {k: (v, None) for k, v in state.items()}
        if not copy:
            return p, None, None
        bufs = pool.get(id(p))
        if bufs is None:
            bufs = pool[id(p)] = {}
        if state is not None:
            saved = {
                k: (v, _copy_into(bufs, k, v._data)) if isinstance(v, Tensor) else (v, None)
                for k, v in state.items()
            }
        return p, _copy_into(bufs, None, p._data), saved

    def _roll_back(self, undo: list) -> None:
        for p, data, saved in reversed(undo):
            if data is not None:
                p._data[...] = data
            if saved is None:
                if p in self.state:
                    del self.state[p]
                continue
            restored = {}
            for k, (v, arr) in saved.items():
                if arr is not None:
                    v._data[...] = arr
                restored[k] = v
            self.state[p] = restored

    def _validated(self, group: dict) -> list[tuple[Tensor, np.ndarray]]:
        """(param, grad array) of the group, after checking everything the kernels need."""
        name = type(self).__name__
        for k, v in group.items():
            if k != "params" and isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{name}: hyper-parameter {k}={v} is not finite")
        pairs = []
        for i, p in enumerate(group["params"]):
            g = p._grad
            if g is None:
                continue
            arr, garr = p._data, g._data
            if garr.shape != arr.shape:
                raise RuntimeError(
                    f"{name}.step: the gradient of param {i} has shape {tuple(garr.shape)} but "
                    f"the param has shape {tuple(arr.shape)}; nothing was updated"
                )
            if arr.dtype.kind != "f" or garr.dtype != arr.dtype:
                raise RuntimeError(
                    f"{name}.step: param {i} is {arr.dtype} with a {garr.dtype} gradient; both "
                    "must be the same float dtype; nothing was updated"
                )
            if not (arr.flags.c_contiguous and arr.flags.writeable):
                raise RuntimeError(
                    f"{name}.step: param {i} of shape {tuple(arr.shape)} is not a contiguous, "
                    "writeable array (e.g. made from a transposed numpy view); make it with "
                    "nn.Parameter(t.clone()); nothing was updated"
                )
            for key, s in self.state[p].items():
                if isinstance(s, Tensor) and s._data.shape != self._state_shape(key, arr.shape):
                    raise RuntimeError(
                        f"{name}.step: state '{key}' of param {i} has shape "
                        f"{tuple(s._data.shape)}, the param {tuple(arr.shape)}; nothing was updated"
                    )
            pairs.append((p, garr))
        return pairs

    def _update(self, group: dict, pairs: list[tuple[Tensor, np.ndarray]]) -> None:
        raise NotImplementedError

    @staticmethod
    def _buffer(state: dict, key: str, p: Tensor, fill: float = 0.0) -> np.ndarray:
        t = state.get(key)
        if t is None:
            t = state[key] = Tensor._make(np.full(p._data.shape, fill, p._data.dtype))
        return t._data

    # ---- state dicts ----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{'state': {param index: {...}}, 'param_groups': [{..., 'params': [indices]}]}."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {
                        k: (v.detach().clone() if isinstance(v, Tensor) else v)
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by state_dict() (checked before applying)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(groups)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        for i, (saved, own) in enumerate(zip(groups, self.param_groups, strict=False)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group {i} of {len(saved['params'])} "
                    f"params that doesn't match the size of the optimizer's group "
                    f"({len(own['params'])})"
                )
        by_index = {}
        for saved, own in zip(groups, self.param_groups, strict=False):
            for idx, p in zip(saved["params"], own["params"], strict=False):
                by_index[int(idx)] = p
        new_state = ParamState()
        for idx, entries in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                raise ValueError(f"loaded optimizer state refers to unknown param index {idx}")
            st = {}
            for k, v in entries.items():
                if isinstance(v, Tensor) or isinstance(v, np.ndarray):
                    arr = v._data if isinstance(v, Tensor) else v
                    want = self._state_shape(k, p._data.shape)
                    if arr.ndim and arr.shape != want:
                        raise ValueError(
                            f"loaded optimizer state '{k}' for param {idx} has shape "
                            f"{tuple(arr.shape)}, {type(self).__name__} keeps {tuple(want)} "
                            f"for a param of shape {tuple(p._data.shape)}"
                        )
                    dt = p._data.dtype if arr.dtype.kind == "f" else arr.dtype
                    v = Tensor._make(np.array(arr, dtype=dt, copy=True))
                st[k] = v
            new_state[p] = st
        for saved, own in zip(groups, self.param_groups, strict=False):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state

    def _state_shape(self, key: str, param_shape: tuple) -> tuple:
        """The shape of the array state entry `key` for a parameter of param_shape."""
        return tuple(param_shape)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)
