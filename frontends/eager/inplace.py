"""In-place operations (``add_``, ``copy_``, ``x[i] = v``, ...) with PyTorch's autograd rules.

The new values are computed out of place with core ops, then written into the tensor's memory
and its version counter is bumped, so autograd can tell when a value it saved has changed. When
the change must be recorded (grad mode on and the tensor or an operand requires grad), the
computation runs on a snapshot of the old values and the tensor takes over the new node: later
gradients flow through the in-place op just as through an out-of-place one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core import ops
from ...core import random as core_random
from . import _convert as C
from . import dispatch as _dispatch
from . import tensor as _t
from .grad_mode import _State

# read on every operation: no module __getattr__ guard here (see namespaces._guard_module)
__dg_hot__ = True

_LEAF_MSG = (
    "a leaf Variable that requires grad is being used in an in-place operation ({op}). Wrap "
    "parameter updates in `with torch.no_grad():`, or work on a clone()."
)
_VIEW_MSG = (
    "{op}: in-place change of a view of another tensor while recording gradients is not "
    "supported; clone() the view first or write the whole tensor out of place"
)


def bump(t) -> None:
    """Record one in-place change of t's memory."""
    _t._counter(t).v += 1
    if _dispatch._event is not None:
        _dispatch.event("bump", t)


def apply(self, op: str, fn: Callable, *operands: Any):
    """Write fn(self, *operands) into self's memory, recording it when autograd needs to."""
    record = _State.enabled and (
        self._rg or any(isinstance(o, _t.Tensor) and o._rg for o in operands)
    )
    if record:
        if self._node is None and self._rg:
            raise RuntimeError(_LEAF_MSG.format(op=op))
        if self._base is not None:
            return _through_base(self, op, fn, operands)
        # compute from a snapshot: the recorded node must keep the old values intact
        src = _t.Tensor._make(self._data.copy(), self._rg)
        src._node = self._node
        src._acc = self._acc
    else:
        src = self
    res = fn(src, *operands)
    if not isinstance(res, _t.Tensor):
        res = _t.Tensor._make(np.asarray(res))
    if res._data.shape != self._data.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(self._data.shape)} doesn't match the broadcast "
            f"shape {list(res._data.shape)}"
        )
    arr = res._data
    if arr.dtype != self._data.dtype:
        arr = ops.cast(arr, self._data.dtype)
    if not self._data.flags.writeable:
        raise RuntimeError(
            f"{op}: this tensor's memory is read-only (an expand()ed or broadcast view); "
            "clone() it first"
        )
    self._data[...] = arr
    if _dispatch._event is not None:
        _dispatch.event("inplace", self, res)
    bump(self)
    if record:
        self._node = res._node
        self._rg = res._rg
    return self


def _through_base(view, op: str, fn: Callable, operands: tuple):
    """An in-place change of a slice view while recording (``forces[i] += f``): the new values
    are written into the base as a recorded index assignment, and the view then reads the
    base's new version (a recorded slice of it), as torch rebases such a view."""
    key = getattr(view, "_vkey", None)
    if key is None:  # a view of a view, or made by reshape/transpose: no write-back path
        raise RuntimeError(_VIEW_MSG.format(op=op))
    src = _t.Tensor._make(view._data.copy(), view._rg)
    src._node = view._node
    src._acc = view._acc
    res = fn(src, *operands)
    if not isinstance(res, _t.Tensor):
        res = _t.Tensor._make(np.asarray(res))
    if res._data.shape != view._data.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(view._data.shape)} doesn't match the broadcast "
            f"shape {list(res._data.shape)}"
        )
    base = view._base
    setitem(base, key, res)
    fresh = ops.getitem(base, key)
    view._node = fresh._node
    view._rg = fresh._rg
    return view


def same_dtype_operand(self, other: Any, op: str) -> Any:
    """An operand converted to self's dtype (in-place results keep the tensor's dtype)."""
    dt = self._data.dtype
    if isinstance(other, _t.Tensor):
        C.check_castable(op, dt, C.promoted(dt, (other,)))
        return other if other._data.dtype == dt else ops.cast(other, dt)
    if C.is_scalar(other):
        C.check_castable(op, dt, C.promoted(dt, (other,)))
        return np.asarray(other, dtype=dt)
    return same_dtype_operand(self, C.wrap_array(other), op)


def binary(self, other: Any, core_op: Callable, op: str, alpha: Any = 1):
    """self = core_op(self, alpha * other) in place."""
    if op.startswith("sub") and isinstance(other, _t.Tensor) and other._data.dtype == np.bool_:
        # cast to self's dtype below, the bool operand would no longer be seen by sub's rule
        raise RuntimeError(f"{op}: subtraction with a bool tensor is not supported")
    o = same_dtype_operand(self, other, op)
    if alpha != 1:
        o = ops.mul(o, np.asarray(alpha, dtype=self._data.dtype))
    return apply(self, op, core_op, o)


def fill(self, value: Any, op: str = "fill_"):
    """Set every element to `value` (a number or a one-element tensor)."""
    if isinstance(value, _t.Tensor):
        value = value.item()
    if not (_State.enabled and self._rg):
        if not self._data.flags.writeable:
            raise RuntimeError(f"{op}: this tensor's memory is read-only; clone() it first")
        self._data.fill(value)
        bump(self)
        return self

    # recorded: the old values get a zero gradient (as PyTorch's fill_ backward)
    def refill(s):
        return ops.where(ops.fill_like(s, True, np.bool_), ops.fill_like(s, value), s)

    return apply(self, op, refill)


def copy_from(self, src: Any):
    """Copy `src` (broadcast to self's shape, cast to self's dtype) into self."""
    src = C.as_tensor_operand(src, like=self)

    def copy(s, v):
        v = C.to_dtype(v, s._data.dtype)
        return ops.identity(ops.broadcast_like(v, s))

    return apply(self, "copy_", copy, src)


def draw(self, op: str, sample: Callable):
    """Fill self with random draws (uniform_, normal_)."""
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {self.dtype}")
    values = sample(self._data.shape, self._data.dtype)
    return apply(self, op, lambda s: _t.Tensor._make(values))


def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None):
    """Fill with draws uniform on [a, b) from the shared (or the given) generator."""
    gen = core_random.default_generator if generator is None else generator._gen
    if not a <= b:  # NaN bounds included, as PyTorch
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}"
        )
    if self._data.dtype.kind == "f" and not b - a <= np.finfo(self._data.dtype).max:
        raise RuntimeError(
            f"uniform_ expects to-from <= the largest {self.dtype} value, but found to={b} and "
            f"from={a}"
        )
    return draw(self, "uniform_", lambda shape, dt: gen.uniform(shape, dt, a, b))


def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None):
    """Fill with normal draws from the shared (or the given) generator."""
    gen = core_random.default_generator if generator is None else generator._gen
    return draw(self, "normal_", lambda shape, dt: gen.normal(shape, dt, mean, std))


def setitem(self, index: Any, value: Any) -> None:
    """``self[index] = value``: a plain write, or a recorded one when gradients need it."""
    from .shaping import index_key

    key = index_key(index)
    record = _State.enabled and (self._rg or (isinstance(value, _t.Tensor) and value._rg))
    if not record:
        v = value._data if isinstance(value, _t.Tensor) else value
        if not self._data.flags.writeable:
            raise RuntimeError("index assignment: this tensor's memory is read-only; clone() it")
        self._data[key] = np.asarray(v).astype(self._data.dtype, copy=False)
        bump(self)
        return
    val = C.as_tensor_operand(value, like=self)

    def assign(s, v):
        v = C.to_dtype(v, s._data.dtype)
        part = ops.getitem(s, key)
        placed = ops.getitem_grad(ops.broadcast_like(v, part), s, key)
        mask = ops.getitem_grad(ops.fill_like(part, True, np.bool_), s, key)
        return ops.where(mask, placed, s)

    apply(self, "index assignment", assign, val)
