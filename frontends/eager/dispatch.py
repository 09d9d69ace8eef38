"""The eager hot path: run a core primitive on tensors now, and record it for autograd.

`bind_hook` is ``Tensor.__dg_bind__``, what `bind` hands a primitive to when an operand is a
Tensor: it unwraps the arrays, runs the primitive (its cached dispatch ``prim.fast`` when it has
one and the call has no params, else shape rule + kernel), wraps the result and records a tape
node when an operand requires grad. `binary_operator` and `unary_function` build ``x + y``,
``x * 2.0``, ``torch.exp(x)``, ...: for the everyday operands (tensors of one dtype, a float
tensor and a Python number) they do what `bind` -> `bind_hook` would, inlined; anything else
takes the general conversion path (`_convert`) unchanged. `matmul_function` and `full_reduction`
do the same for ``torch.matmul`` of two matrices and ``torch.sum`` over every dim.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.primitives.registry import FRESH
from ...core.saved import saves_for_calls, saves_of
from . import tape
from .grad_mode import _State

# set by tensor.py once the class exists (tensor.py imports this module first)
Tensor: type = None  # type: ignore[assignment]

_new = object.__new__
_empty = np.empty
_ndarray = np.ndarray
_AccumulateGrad = tape.AccumulateGrad
_VersionCounter = tape.VersionCounter
_Node = tape.Node
_NO_PARAMS: dict = {}  # shared by recorded parameterless ops; nothing mutates node params

_FRESH = FRESH


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
    keys = []
    for a in args:
        keys.append(_key(a) if isinstance(a, Tensor) and a._rg else None)
    spec = saves_of(prim, arrays, out._data, params)
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
    out._node = _Node(prim, params, arrays, out._data, tuple(keys), tuple(saved))
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
    out = None
    if plain:
        if not params:
            fast = prim.fast
            if fast is not None:
                out = fast(*arrays)
        else:
            fast = prim.fast_params
            if fast is not None:
                try:
                    out = fast(*arrays, **params)
                except TypeError:  # a bad call (say, a missing param): the rule reports it
                    pass
    if out is None:
        prim.shape_rule(*arrays, **params)
        out = prim.impl(*arrays, **params)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    t = _new(Tensor)
    t._data = out
    t._rg = False
    t._node = t._grad = t._vc = t._acc = t._base = None
    # an output that may be a view of operand 0 shares its version counter, so an in-place
    # change through either is seen by autograd's saved-value check
    if prim.alias is not _FRESH:
        base = args[0]
        if isinstance(base, Tensor) and np.may_share_memory(out, arrays[0]):
            t._vc = _counter(base)
            t._base = base if base._base is None else base._base
    if track and _State.enabled and prim.vjp is not None and out.dtype.kind in "fc":
        record(prim, params, args, tuple(arrays), t)
    return t


def saves(prim: Any, n: int) -> tuple[bool, ...]:
    """For each of the n operands, then the output: whether `prim`'s VJP reads its value."""
    spec = saves_for_calls(prim, n)
    idx, with_out = (range(n), True) if spec is None else spec
    return (*[i in idx for i in range(n)], with_out)


def record1(
    prim: Any,
    save_x: bool,
    save_out: bool,
    a: Any,
    x: np.ndarray,
    t: Any,
    params: dict = _NO_PARAMS,
) -> None:
    """`record` for a one-operand primitive on tensor `a` (requires grad); save_x and save_out
    come from `saves`."""
    saved: tuple = ()
    if save_x:
        vc = a._vc
        if vc is None:
            vc = a._vc = _VersionCounter()
        saved = ((vc, vc.v, 0),)
    if save_out:
        vc = t._vc = _VersionCounter()
        saved += ((vc, 0, -1),)
    n = a._node
    if n is None:
        n = a._acc
        if n is None:
            n = a._acc = _AccumulateGrad(a)
    t._node = _Node(prim, params, (x,), t._data, (n,), saved)
    t._rg = True


def record2(
    prim: Any,
    spec: tuple,
    a: Any,
    b: Any,
    x: np.ndarray,
    y: np.ndarray,
    t: Any,
    params: dict = _NO_PARAMS,
) -> None:
    """`record` for a two-operand primitive; a and b are tensors or arrays, spec comes from
    `saves`."""
    save_x, save_y, save_out = spec
    saved: tuple = ()
    ka = kb = None
    if type(a) is not _ndarray:
        if a._rg:
            ka = a._node
            if ka is None:
                ka = a._acc
                if ka is None:
                    ka = a._acc = _AccumulateGrad(a)
        if save_x:
            vc = a._vc
            if vc is None:
                vc = a._vc = _VersionCounter()
            saved = ((vc, vc.v, 0),)
    if type(b) is not _ndarray:
        if b._rg:
            kb = b._node
            if kb is None:
                kb = b._acc
                if kb is None:
                    kb = b._acc = _AccumulateGrad(b)
        if save_y:
            vc = b._vc
            if vc is None:
                vc = b._vc = _VersionCounter()
            saved += ((vc, vc.v, 1),)
    if save_out:
        vc = t._vc = _VersionCounter()
        saved += ((vc, 0, -1),)
    t._node = _Node(prim, params, (x, y), t._data, (ka, kb), saved)
    t._rg = True


# ---- operators and math functions ----------------------------------------------------------------


def _complex_op(prim: Any, a: Any, b: Any, reflected: bool) -> Any:
    """An operator with a complex operand: the core's complex arithmetic (see spectral.py)."""
    from .spectral import complex_binary

    op = {"add": "add", "sub": "sub", "mul": "mul", "div": "div"}.get(prim.name)
    if op is None:
        raise TypeError(f"{prim.name} is not supported for complex tensors")
    return complex_binary(b, a, op) if reflected else complex_binary(a, b, op)


def binary_operator(
    prim: Any, slow: Callable, reflected: bool = False, float_only: bool = False
) -> Callable:
    """A ``Tensor.__add__``-style method running `prim` at once on the everyday operands.

    Those are another tensor of the same dtype, a Python float next to a float tensor, and a
    Python int next to a float or integer tensor (the number becomes a 0-d array of the
    tensor's dtype, as `_convert.pair` makes it). With `float_only`, only float tensors qualify
    (`div` and `pow` cast the others first). Everything else goes to ``slow(self, other)``
    (``slow(other, self)`` when `reflected`), the functional form the operator used to call.
    """
    fast = prim.fast
    # the dispatcher's table, read here directly: the kernel entry for (shapes, dtypes) that
    # `fast` would look up, without the call (see kernels.elementwise.dispatcher)
    table = fast.table
    has_vjp = prim.vjp is not None
    spec = saves(prim, 2)
    scalar_kinds = "f" if float_only else "fi"

    def method(self: Any, other: Any) -> Any:
        x = self._data
        dt = x.dtype
        if isinstance(other, Tensor):
            y = other._data
            if y.dtype is not dt or (float_only and dt.kind != "f") or dt.kind == "c":
                if dt.kind == "c" or y.dtype.kind == "c":
                    return _complex_op(prim, self, other, reflected)
                return slow(other, self) if reflected else slow(self, other)
            track = self._rg or other._rg
        else:
            tp = type(other)
            if not ((tp is float and dt.kind == "f") or (tp is int and dt.kind in scalar_kinds)):
                if dt.kind == "c" or tp is complex:
                    return _complex_op(prim, self, other, reflected)
                return slow(other, self) if reflected else slow(self, other)
            other = y = constant(other, dt)
            track = self._rg
        # what bind -> Tensor.__dg_bind__ -> fast would do, inlined
        if reflected:
            e = table.get((y.shape, x.shape, dt, dt))
            if e is None or e[0] is None:
                out = fast(y, x)
            else:
                out = _empty(e[1], e[2])
                e[0](y.ravel(), x.ravel(), out.ravel())
        else:
            e = table.get((x.shape, y.shape, dt, dt))
            if e is None or e[0] is None:
                out = fast(x, y)
            else:
                out = _empty(e[1], e[2])
                e[0](x.ravel(), y.ravel(), out.ravel())
        t = _new(Tensor)
        t._data = out
        t._rg = False
        t._node = t._grad = t._vc = t._acc = t._base = None
        if track and _State.enabled and has_vjp:
            if reflected:
                record2(prim, spec, other, self, y, x, t)
            else:
                record2(prim, spec, self, other, x, y, t)
        return t

    method.__name__ = f"__{'r' if reflected else ''}{prim.name}__"
    method.__doc__ = slow.__doc__
    return method


def unary_function(prim: Any, slow: Callable, float_only: bool = True) -> Callable:
    """``torch.exp``-style function running `prim` at once on a tensor (a float one when
    `float_only`: the general path casts the others first); anything else goes to `slow`."""
    fast = prim.fast
    table = fast.table  # as in binary_operator
    has_vjp = prim.vjp is not None
    save_x, save_out = saves(prim, 1)

    def fn(input: Any) -> Any:  # noqa: A002 - PyTorch's name
        if isinstance(input, Tensor):
            x = input._data
            dt = x.dtype
            if not float_only or dt.kind == "f":
                e = table.get((x.shape, dt))
                if e is None or e[0] is None:
                    out = fast(x)
                else:
                    out = _empty(e[1], e[2])
                    e[0](x.ravel(), out.ravel())
                t = _new(Tensor)
                t._data = out
                t._rg = False
                t._node = t._grad = t._vc = t._acc = t._base = None
                if input._rg and _State.enabled and has_vjp:
                    record1(prim, save_x, save_out, input, x, t)
                return t
        return slow(input)

    fn.__name__ = fn.__qualname__ = slow.__name__
    fn.__doc__ = slow.__doc__
    fn.__module__ = slow.__module__
    fn.__wrapped__ = slow
    return fn


def matmul_function(prim: Any, slow: Callable) -> Callable:
    """``torch.matmul``: two matrices of one dtype go straight to the tensors' bind hook with
    what `_convert.pair` + `ops.matmul` would hand it for them; anything else goes to `slow`."""
    params = {"transpose_a": False, "transpose_b": False}  # shared: nothing mutates node params
    fast = prim.fast_params
    plain_hook = bind_hook
    spec = saves(prim, 2)

    def fn(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            x = input._data
            y = other._data
            if x.ndim == 2 and y.ndim == 2 and x.dtype is y.dtype:
                # the hook `bind` would pick (anomaly mode swaps its own in on the class)
                hook = type(input).__dg_bind__
                if hook is plain_hook and type(x) is _ndarray and type(y) is _ndarray:
                    # what that hook does for two matrices, inlined
                    try:
                        out = fast(x, y, False, False)
                    except TypeError:  # its rule's error (a DTypeError), raised by the hook
                        return hook(input, prim, (input, other), params)
                    t = _new(Tensor)
                    t._data = out
                    t._rg = False
                    t._node = t._grad = t._vc = t._acc = t._base = None
                    if (input._rg or other._rg) and _State.enabled:
                        record2(prim, spec, input, other, x, y, t, params)
                    return t
                return hook(input, prim, (input, other), params)
        return slow(input, other)

    fn.__name__ = fn.__qualname__ = slow.__name__
    fn.__doc__ = slow.__doc__
    fn.__module__ = slow.__module__
    fn.__wrapped__ = slow
    return fn


def full_reduction(prim: Any, slow: Callable) -> Callable:
    """``torch.sum``-style function: a tensor reduced over all its dims (dim and dtype None, a
    bool keepdim) goes straight to its bind hook with the params `ops.sum` would hand it;
    anything else goes to `slow`."""
    params_of: dict = {}  # (ndim, keepdim) -> params, shared: nothing mutates node params
    fast = prim.fast_params
    plain_hook = bind_hook
    save_x, save_out = saves(prim, 1)

    def fn(input: Any, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:  # noqa: A002
        if dim is None and dtype is None and isinstance(input, Tensor) and type(keepdim) is bool:
            x = input._data
            key = (x.ndim, keepdim)
            params = params_of.get(key)
            if params is None:
                params = params_of[key] = {"axes": tuple(range(key[0])), "keepdims": keepdim}
            hook = type(input).__dg_bind__
            if hook is not plain_hook or type(x) is not _ndarray:
                return hook(input, prim, (input,), params)
            # what the hook does for one plain operand, inlined
            try:
                out = fast(x, params["axes"], keepdim)
            except TypeError:  # the rule reports it, through the hook
                return hook(input, prim, (input,), params)
            if type(out) is not _ndarray:
                out = np.asarray(out)
            t = _new(Tensor)
            t._data = out
            t._rg = False
            t._node = t._grad = t._vc = t._acc = t._base = None
            if input._rg and _State.enabled and out.dtype.kind in "fc":
                record1(prim, save_x, save_out, input, x, t, params)
            return t
        return slow(input, dim, keepdim, dtype)

    fn.__name__ = fn.__qualname__ = slow.__name__
    fn.__doc__ = slow.__doc__
    fn.__module__ = slow.__module__
    fn.__wrapped__ = slow
    return fn
