"""The eager hot path: run a core primitive on tensors, record it, and the common operator cases.

`apply` is the body of ``Tensor.__dg_bind__`` (what `bind` hands a primitive to when an operand
is a Tensor). `binary_operator` and `unary_function` build ``x + y``, ``x * 2.0``,
``torch.exp(x)``, ...: for the everyday operands (tensors of one dtype, a float tensor and a
Python number) they call `apply`'s two-operand form directly, which is exactly what ``bind``
would do; anything else takes the general conversion path (`_convert`), unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import tape
from .grad_mode import _State

# set by tensor.py once the class exists (tensor.py imports this module first)
Tensor: type = None  # type: ignore[assignment]

_new = object.__new__
_ndarray = np.ndarray
_AccumulateGrad = tape.AccumulateGrad
_VersionCounter = tape.VersionCounter
_Node = tape.Node
_SAVES = tape.SAVES
_NO_PARAMS: dict = {}  # shared by recorded parameterless ops; nothing mutates node params

# Primitives whose kernel may return a view of operand 0: the result shares its version
# counter, so an in-place change through either is seen by autograd's saved-value check.
VIEW_PRIMS = frozenset(
    (
        "reshape", "reshape_like", "transpose", "expand_dims", "squeeze", "broadcast_to",
        "broadcast_like", "getitem", "stop_gradient",
    )
)  # fmt: skip


def wrap(arr: np.ndarray) -> Any:
    """A fresh Tensor around `arr` (no copy, no grad)."""
    t = _new(Tensor)
    t._data = arr
    t._rg = False
    t._node = None
    t._grad = None
    t._vc = None
    t._acc = None
    t._base = None
    return t


# ---- 0-d constants for Python numbers ------------------------------------------------------------

_CONSTS: dict = {}
_MAX_CONSTS = 1024


def constant(value: float | int, dt: np.dtype) -> np.ndarray:
    """``np.asarray(value, dtype=dt)``, shared between calls for the same nonzero number.

    Zeros are never shared (0.0 and -0.0 are equal dict keys but different operands) and
    neither is NaN (never equal to itself). The arrays only ever feed core ops as operands, which
    never write to them.
    """
    key = (value, dt)
    c = _CONSTS.get(key)
    if c is None:
        c = np.asarray(value, dtype=dt)
        if value and value == value:
            if len(_CONSTS) >= _MAX_CONSTS:
                _CONSTS.clear()
            _CONSTS[key] = c
    return c


# ---- running and recording ---------------------------------------------------------------------


def _key(t: Any) -> Any:
    n = t._node
    if n is None:
        n = t._acc
        if n is None:
            n = t._acc = _AccumulateGrad(t)
    return n


def _counter(t: Any) -> Any:
    vc = t._vc
    if vc is None:
        vc = t._vc = _VersionCounter()
    return vc


def record(prim: Any, params: dict, args: tuple, arrays: tuple, out: Any) -> None:
    """Attach the tape node of `prim` (run on `args`) to its fresh output tensor `out`."""
    keys = tuple([_key(a) if isinstance(a, Tensor) and a._rg else None for a in args])
    spec = _SAVES.get(prim.name)
    saved = []
    if spec is None:
        idx, with_out = range(len(args)), True
    else:
        idx, with_out = spec
    for i in idx:
        a = args[i]
        if isinstance(a, Tensor):
            vc = _counter(a)
            saved.append((vc, vc.v, i))
    if with_out:
        vc = out._vc = _VersionCounter()
        saved.append((vc, 0, -1))
    out._node = _Node(prim, params, arrays, out._data, keys, tuple(saved))
    out._rg = True


def bind_hook(self: Any, prim: Any, args: tuple, params: dict) -> Any:
    """Run `prim` on tensors now (cached rule check + kernel); record it when grads are needed."""
    arrays = []
    track = False
    plain = True
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            if a._rg:
                track = True
        else:
            arrays.append(a)
            if type(a) is not _ndarray:
                plain = False
    fast = prim.fast
    if fast is not None and plain and not params:
        out = fast(*arrays)
    else:
        prim.shape_rule(*arrays, **params)
        out = prim.impl(*arrays, **params)
        if type(out) is not _ndarray:
            out = np.asarray(out)
    t = wrap(out)
    base = args[0]
    if prim.name in VIEW_PRIMS and isinstance(base, Tensor) and np.may_share_memory(out, arrays[0]):
        t._vc = _counter(base)
        t._base = base if base._base is None else base._base
    if track and _State.enabled and prim.vjp is not None and out.dtype.kind == "f":
        record(prim, params, args, tuple(arrays), t)
    return t


def apply1(prim: Any, fast: Callable, a: Any, x: np.ndarray) -> Any:
    """`bind_hook` for a parameterless elementwise primitive on tensor `a` (array x)."""
    t = wrap(fast(x))
    if a._rg and _State.enabled and prim.vjp is not None:
        record(prim, _NO_PARAMS, (a,), (x,), t)
    return t


def apply2(prim: Any, fast: Callable, a: Any, b: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """`bind_hook` for a parameterless elementwise primitive on a and b (arrays x and y)."""
    t = wrap(fast(x, y))
    if (
        _State.enabled
        and ((type(a) is not _ndarray and a._rg) or (type(b) is not _ndarray and b._rg))
        and prim.vjp is not None
    ):
        record(prim, _NO_PARAMS, (a, b), (x, y), t)
    return t


# ---- operators and math functions ----------------------------------------------------------------


def binary_operator(
    prim: Any, slow: Callable, reflected: bool = False, float_only: bool = False
) -> Callable:
    """A ``Tensor.__add__``-style method running `prim` at once on the everyday operands.

    Those are: another tensor of the same dtype, or a Python float (int) next to a float
    (float or int) tensor, which becomes a 0-d array of the tensor's dtype as `_convert.pair`
    makes it. With `float_only`, only float tensors qualify (`div`, `pow` cast the others).
    Everything else goes to ``slow(self, other)`` (``slow(other, self)`` when `reflected`).
    """
    fast = prim.fast
    kinds = "f" if float_only else "fib"
    scalar_kinds = "f" if float_only else "fi"

    def method(self: Any, other: Any) -> Any:
        x = self._data
        dt = x.dtype
        if isinstance(other, Tensor):
            y = other._data
            if y.dtype is not dt or dt.kind not in kinds:
                return slow(other, self) if reflected else slow(self, other)
        else:
            tp = type(other)
            if not ((tp is float and dt.kind == "f") or (tp is int and dt.kind in scalar_kinds)):
                return slow(other, self) if reflected else slow(self, other)
            other = y = constant(other, dt)
        if reflected:
            return apply2(prim, fast, other, self, y, x)
        return apply2(prim, fast, self, other, x, y)

    method.__name__ = f"__{'r' if reflected else ''}{prim.name}__"
    method.__doc__ = slow.__doc__
    return method


def unary_function(prim: Any, slow: Callable, float_only: bool = True) -> Callable:
    """``torch.exp``-style function running `prim` at once on a tensor (a float one when
    `float_only`: the general path casts the others first); anything else goes to `slow`."""
    fast = prim.fast

    def fn(input: Any) -> Any:  # noqa: A002 - PyTorch's name
        if isinstance(input, Tensor):
            x = input._data
            if not float_only or x.dtype.kind == "f":
                return apply1(prim, fast, input, x)
        return slow(input)

    fn.__name__ = fn.__qualname__ = slow.__name__
    fn.__doc__ = slow.__doc__
    fn.__module__ = slow.__module__
    fn.__wrapped__ = slow
    return fn
