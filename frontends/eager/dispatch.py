"""The eager hot path: every eager operation runs a core primitive and leaves through `finish`.

Each entry point reads the primitive's record (its cached kernel choice ``prim.fast`` /
``prim.fast_params`` and the dispatcher's table, its alias, its VJP and what the VJP saves) and
computes the output array; `finish` is the one place a result becomes a tensor: the view
bookkeeping, the tape node when an operand requires grad, and the observers (anomaly mode, graph
capture by ``torch.compile``) that must see every operation. `bind_hook` is
``Tensor.__dg_bind__``, what `bind` hands a primitive to when an operand is a Tensor;
`binary_operator`, `unary_function`, `matmul_function` and `full_reduction` build ``x + y``,
``torch.exp(x)``, ``torch.matmul`` of two matrices and ``torch.sum`` over every dim for the
everyday operands, and hand anything else to the general conversion path (`_convert`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.autodiff import no_higher_order
from ...core.primitives.registry import FRESH
from ...core.saved import saves_for_calls, saves_of
from ..op_errors import named
from . import tape
from .grad_mode import _State

# read on every operation: no module __getattr__ guard here (see namespaces._guard_module)
__dg_hot__ = True

# set by tensor.py once the class exists (tensor.py imports this module first)
Tensor: type = None  # type: ignore[assignment]

_new = object.__new__
_empty = np.empty
_ndarray = np.ndarray
_AccumulateGrad = tape.AccumulateGrad
_VersionCounter = tape.VersionCounter
_Node = tape.Node
_unread_dropped = tape.unread_dropped
_STUB_MIN = tape.STUB_MIN
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


# ---- observers: code that must see every eager operation -----------------------------------------

# Called as ``observer(prim, params, args, result)`` after every operation, in order; None when
# nobody watches (the hot path then pays one global read and one comparison).
_observe: Callable | None = None
_observers: list = []


def add_observer(fn: Callable) -> None:
    """Have `fn(prim, params, args, result)` called after every eager operation."""
    global _observe
    _observers.append(fn)
    _observe = _observers[0] if len(_observers) == 1 else _observe_all


def remove_observer(fn: Callable) -> None:
    """Stop calling `fn` (added by `add_observer`)."""
    global _observe
    _observers.remove(fn)
    _observe = None if not _observers else _observers[0] if len(_observers) == 1 else _observe_all


def _observe_all(prim: Any, params: dict, args: tuple, t: Any) -> None:
    for fn in tuple(_observers):
        fn(prim, params, args, t)


# ---- the one exit --------------------------------------------------------------------------------


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


def record(
    prim: Any,
    params: dict,
    args: tuple,
    arrays: tuple,
    out: Any,
    spec: tuple | None = None,
    drop_unread: bool = True,
) -> None:
    """Attach the tape node of `prim` (run on `args`) to its fresh output tensor `out`; `spec`
    (from `saves`, else derived for this call) says which values the VJP reads. With
    `drop_unread` False the node keeps every array (`spec` then only picks version stamps)."""
    keys = []
    saved = []
    if spec is None:
        spec = saves_of(prim, arrays, out._data, params)
        if spec is None:
            spec = (range(len(args)), True)
    idx, with_out = spec
    for a in args:
        rg = type(a) is not _ndarray and isinstance(a, Tensor) and a._rg
        keys.append(_key(a) if rg else None)
    for i in idx:
        a = args[i]
        if type(a) is not _ndarray and isinstance(a, Tensor):
            vc = _counter(a)
            saved.append((vc, vc.v, i))
    if with_out:
        vc = out._vc = _VersionCounter()
        saved.append((vc, 0, -1))
    ins, kept = arrays, out._data
    if drop_unread and (
        kept.size >= _STUB_MIN or any(type(a) is _ndarray and a.size >= _STUB_MIN for a in arrays)
    ):
        ins, kept = _unread_dropped(arrays, kept, idx, with_out)
    out._node = _Node(prim, params, ins, kept, tuple(keys), tuple(saved))
    out._rg = True


def _one_sided(prim: Any, params: dict, arrays: tuple, out: Any, spec: tuple, first: bool) -> tuple:
    """The saved-value spec of a two-operand rule when only operand 0 (`first`) or only operand
    1 wants a gradient (cached per primitive for parameterless calls)."""
    wants = (True, False) if first else (False, True)
    cache = prim.__dict__.get("_one_sided")
    if cache is None:
        cache = prim.__dict__["_one_sided"] = {}
    key = (wants, spec) if not params else None
    if key is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    narrowed = saves_of(prim, arrays, out, params, wants)
    if narrowed is None:
        narrowed = spec
    if key is not None:
        cache[key] = narrowed
    return narrowed


def _record2(prim: Any, params: dict, a: Any, b: Any, arrays: tuple, t: Any, spec: tuple) -> None:
    # `record` unrolled for two operands (the everyday binary operators), which keeps a
    # recorded ``x + y`` as cheap as before the dispatch paths were merged
    ta = type(a) is not _ndarray and isinstance(a, Tensor)
    tb = type(b) is not _ndarray and isinstance(b, Tensor)
    if (ta and a._rg) is not (tb and b._rg):  # one side wants a gradient: save what it reads
        spec = _one_sided(prim, params, arrays, t._data, spec, ta and a._rg)
    idx, with_out = spec
    saved: tuple = ()
    ka = kb = None
    if ta:
        if a._rg:
            ka = a._node
            if ka is None:
                ka = a._acc
                if ka is None:
                    ka = a._acc = _AccumulateGrad(a)
        if 0 in idx:
            vc = a._vc
            if vc is None:
                vc = a._vc = _VersionCounter()
            saved = ((vc, vc.v, 0),)
    if tb:
        if b._rg:
            kb = b._node
            if kb is None:
                kb = b._acc
                if kb is None:
                    kb = b._acc = _AccumulateGrad(b)
        if 1 in idx:
            vc = b._vc
            if vc is None:
                vc = b._vc = _VersionCounter()
            saved += ((vc, vc.v, 1),)
    if with_out:
        vc = t._vc = _VersionCounter()
        saved += ((vc, 0, -1),)
    kept = t._data
    x, y = arrays
    # small operands and output (the common per-op case) are kept as they are: the stand-in
    # check costs more than it saves there
    if (
        kept.size < _STUB_MIN
        and (type(x) is not _ndarray or x.size < _STUB_MIN)
        and (type(y) is not _ndarray or y.size < _STUB_MIN)
    ):
        ins = arrays
    else:
        ins, kept = _unread_dropped(arrays, kept, idx, with_out)
    t._node = _Node(prim, params, ins, kept, (ka, kb), saved)
    t._rg = True


def _record_operator(
    prim: Any,
    a: Any,
    b: Any,
    ta: bool,
    tb: bool,
    x: Any,
    y: Any,
    t: Any,
    specs: list,
    params: dict = _NO_PARAMS,
    elementwise: bool = True,
) -> None:
    # `_record2` for the operator and matmul closures, where the caller already knows which
    # operands are tensors (`ta`, `tb`) and that the result is fresh; `specs` caches, per
    # (a wants a gradient) + 2 * (b wants one), what the VJP reads as (reads operand 0, reads
    # operand 1, reads the output, operand indexes), so no call tests tuple membership. An
    # `elementwise` result is at least as large as each operand, so its size alone decides
    # whether stand-ins are worth making.
    ra = ta and a._rg
    rb = tb and b._rg
    slot = 3 if ra and rb else 1 if ra else 2
    spec = specs[slot]
    if spec is None:
        idx, out_read = (
            specs[0] if slot == 3 else _one_sided(prim, params, (x, y), t._data, specs[0], ra)
        )
        spec = specs[slot] = (0 in idx, 1 in idx, out_read, idx)
    s0, s1, with_out, idx = spec
    saved: tuple = ()
    ka = kb = None
    if ra:
        ka = a._node
        if ka is None:
            ka = a._acc
            if ka is None:
                ka = a._acc = _AccumulateGrad(a)
    if s0 and ta:
        vc = a._vc
        if vc is None:
            vc = a._vc = _VersionCounter()
        saved = ((vc, vc.v, 0),)
    if rb:
        kb = b._node
        if kb is None:
            kb = b._acc
            if kb is None:
                kb = b._acc = _AccumulateGrad(b)
    if s1 and tb:
        vc = b._vc
        if vc is None:
            vc = b._vc = _VersionCounter()
        saved += ((vc, vc.v, 1),)
    if with_out:
        vc = t._vc = _VersionCounter()
        saved += ((vc, 0, -1),)
    kept = t._data
    ins = (x, y)
    if kept.size >= _STUB_MIN or not elementwise and (x.size >= _STUB_MIN or y.size >= _STUB_MIN):
        ins, kept = _unread_dropped(ins, kept, idx, with_out)
    t._node = _Node(prim, params, ins, kept, (ka, kb), saved)
    t._rg = True


def _operator_specs(spec: tuple) -> list:
    """The per-call cache `_record_operator` reads: slot 0 holds the two-sided spec `spec` (as
    `saves` gives it), slots 1-3 are filled on first use."""
    return [spec, None, None, None]


def _record_unary(
    prim: Any, a: Any, x: Any, t: Any, read_x: bool, with_out: bool, save_x: tuple
) -> None:
    # `record` for the math-function closures: one tensor operand that requires grad and a
    # fresh output of its shape; `read_x` is ``0 in save_x``, decided when the closure was made
    saved: tuple = ()
    if read_x:
        vc = a._vc
        if vc is None:
            vc = a._vc = _VersionCounter()
        saved = ((vc, vc.v, 0),)
    if with_out:
        vc = t._vc = _VersionCounter()
        saved += ((vc, 0, -1),)
    k = a._node
    if k is None:
        k = a._acc
        if k is None:
            k = a._acc = _AccumulateGrad(a)
    kept = t._data
    ins = (x,)
    if kept.size >= _STUB_MIN:
        ins, kept = _unread_dropped(ins, kept, save_x, with_out)
    t._node = _Node(prim, _NO_PARAMS, ins, kept, (k,), saved)
    t._rg = True


def _record_reduced(prim: Any, params: dict, a: Any, x: Any, t: Any, spec: tuple) -> None:
    # `record` for the full-reduction closures: one tensor operand that requires grad and a
    # fresh output no larger than it (so only the operand's size decides the stand-ins)
    idx, with_out = spec
    saved: tuple = ()
    if 0 in idx:
        vc = a._vc
        if vc is None:
            vc = a._vc = _VersionCounter()
        saved = ((vc, vc.v, 0),)
    if with_out:
        vc = t._vc = _VersionCounter()
        saved += ((vc, 0, -1),)
    k = a._node
    if k is None:
        k = a._acc
        if k is None:
            k = a._acc = _AccumulateGrad(a)
    kept = t._data
    ins = (x,)
    if x.size >= _STUB_MIN:
        ins, kept = _unread_dropped(ins, kept, idx, with_out)
    t._node = _Node(prim, params, ins, kept, (k,), saved)
    t._rg = True


def plain(out: np.ndarray) -> Any:
    """A new tensor holding `out`, outside autograd: the one place eager results are made."""
    t = _new(Tensor)
    t._data = out
    t._rg = False
    t._node = t._grad = t._vc = t._acc = t._base = None
    return t


def finish(
    prim: Any,
    params: dict,
    args: tuple,
    arrays: tuple,
    out: np.ndarray,
    track: bool,
    spec: tuple | None = None,
) -> Any:
    """The tensor holding `out`, the result of `prim` on `args` (their arrays `arrays`): the one
    place an eager result is built, shares its base's version counter when it may be a view,
    gets its tape node when `track` (an operand requires grad) and is shown to the observers."""
    t = plain(out)
    # an output that may be a view of operand 0 shares its version counter, so an in-place
    # change through either is seen by autograd's saved-value check
    if prim.alias is not _FRESH:
        base = args[0]
        if isinstance(base, Tensor) and np.may_share_memory(out, arrays[0]):
            t._vc = _counter(base)
            t._base = base if base._base is None else base._base
            if base._base is None and prim.cotangent_at is not None:
                t._vkey = prim.cotangent_at(params)  # a slice of the base (see inplace.apply)
    if track and _State.enabled:
        if prim.vjp is not None:
            if out.dtype.kind in "fc":
                if spec is not None and len(args) == 2:
                    _record2(prim, params, args[0], args[1], arrays, t, spec)
                else:
                    record(prim, params, args, arrays, t, spec)
        elif getattr(prim, "derivative_of", None) is not None:  # a backward, create_graph=True
            raise no_higher_order(prim)
    if _observe is not None:
        _observe(prim, params, args, t)
    return t


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
        if prim.checks:  # the record's domain checks (core/domain.py)
            for check in prim.checks:
                check(*arrays, **params)
        prim.shape_rule(*arrays, **params)
        out = prim.impl(*arrays, **params)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    return finish(prim, params, args, tuple(arrays), out, track)


def saves(prim: Any, n: int) -> tuple:
    """(operand indexes, reads the output) of `prim`'s VJP on the everyday calls of n operands
    (derived once, from the rule), as `record` takes it."""
    spec = saves_for_calls(prim, n)
    return (tuple(range(n)), True) if spec is None else spec


# ---- operators and math functions ----------------------------------------------------------------


def _wrapped(fn: Callable, slow: Callable) -> Callable:
    fn.__name__ = fn.__qualname__ = slow.__name__
    fn.__doc__ = slow.__doc__
    fn.__module__ = slow.__module__
    fn.__wrapped__ = slow
    fn._accepts_out = True  # the fast functions take `out=` themselves (out_arg.py)
    fn.__dg_fast__ = True  # and name their own errors (op_errors.py leaves them unwrapped)
    return fn


def _complex_op(prim: Any, a: Any, b: Any, reflected: bool) -> Any:
    """An operator with a complex operand: the core's complex arithmetic (see spectral.py)."""
    from .spectral import complex_binary

    op = {"add": "add", "sub": "sub", "mul": "mul", "div": "div"}.get(prim.name)
    if op is None:
        raise TypeError(f"{prim.name} is not supported for complex tensors")
    return complex_binary(b, a, op) if reflected else complex_binary(a, b, op)


def _float_result(prim: Any, n: int) -> bool:
    """True when `prim` on n float32 operands gives a float (so a recorded call of the fast
    paths, whose operands share one float dtype, needs no per-call test of the result's dtype)."""
    try:
        aval = prim.shape_rule(*[np.zeros((), np.float32)] * n)
    except Exception:  # noqa: BLE001 - unknown: the fast path tests each result instead
        return False
    return np.dtype(aval.dtype).kind == "f"


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
    spec = saves(prim, 2)
    fresh = prim.alias is _FRESH
    recorded = prim.vjp is not None
    float_out = _float_result(prim, 2)
    # saved-value specs per (operand 0 wants a gradient) + 2 * (operand 1 does); the one-sided
    # ones are derived on first use
    specs = _operator_specs(spec)
    scalar_kinds = "f" if float_only else "fi"

    def method(self: Any, other: Any) -> Any:
        x = self._data
        dt = x.dtype
        if isinstance(other, Tensor):
            y = other._data
            if y.dtype is not dt or (float_only and dt.kind != "f"):
                if dt.kind == "c" or y.dtype.kind == "c":
                    return _complex_op(prim, self, other, reflected)
                return slow(other, self) if reflected else slow(self, other)
            track = self._rg or other._rg
            ta = tb = True
        else:
            tp = type(other)
            if not ((tp is float and dt.kind == "f") or (tp is int and dt.kind in scalar_kinds)):
                if dt.kind == "c" or tp is complex:
                    return _complex_op(prim, self, other, reflected)
                return slow(other, self) if reflected else slow(self, other)
            other = y = constant(other, dt)
            track = self._rg
            ta, tb = True, False
        if reflected:
            self, other, x, y, ta, tb = other, self, y, x, tb, ta
        e = table.get((x.shape, y.shape, dt, dt))
        if e is None or e[0] is None:
            # complex operands never enter the table (the rule refuses them), so this test
            # costs only the calls that miss it
            if dt.kind == "c":
                return _complex_op(prim, self, other, False)
            out = fast(x, y)
        else:
            out = _empty(e[1], e[2])
            e[0](x.ravel(), y.ravel(), out.ravel())
        if _observe is not None or not fresh:
            return finish(prim, _NO_PARAMS, (self, other), (x, y), out, track, spec)
        # what `finish` does for a fresh result nobody observes, inlined: the per-op path
        t = _new(Tensor)
        t._data = out
        t._rg = False
        t._node = t._grad = t._vc = t._acc = t._base = None
        if track and recorded and _State.enabled and (float_out or out.dtype.kind in "fc"):
            _record_operator(prim, self, other, ta, tb, x, y, t, specs)
        return t

    method.__name__ = f"__{'r' if reflected else ''}{prim.name}__"
    method.__doc__ = slow.__doc__
    return method


def unary_function(prim: Any, slow: Callable, float_only: bool = True) -> Callable:
    """``torch.exp``-style function running `prim` at once on a tensor (a float one when
    `float_only`: the general path casts the others first); anything else goes to `slow`."""
    fast = prim.fast
    table = fast.table  # as in binary_operator
    spec = saves(prim, 1)
    save_x, with_out = spec
    read_x = 0 in save_x
    fresh = prim.alias is _FRESH
    recorded = prim.vjp is not None
    float_out = _float_result(prim, 1)

    # `out` is positional-or-keyword, not keyword-only as in PyTorch: CPython 3.11 does not
    # specialise calls of a function with keyword-only parameters, which would cost every call
    def fn(input: Any, out: Any = None) -> Any:  # noqa: A002 - PyTorch's name
        if out is not None:
            return write_out(fn(input), out, prim.name)
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
                if _observe is not None or not fresh:
                    return finish(prim, _NO_PARAMS, (input,), (x,), out, input._rg, spec)
                t = _new(Tensor)  # `finish` for a fresh, unobserved result, inlined
                t._data = out
                t._rg = False
                t._node = t._grad = t._vc = t._acc = t._base = None
                if (
                    input._rg
                    and recorded
                    and _State.enabled
                    and (float_out or out.dtype.kind in "fc")
                ):
                    _record_unary(prim, input, x, t, read_x, with_out, save_x)
                return t
        return slow(input)

    return _wrapped(fn, slow)


def matmul_function(prim: Any, slow: Callable) -> Callable:
    """``torch.matmul``: two matrices of one dtype run the primitive's cached kernel with the
    params `_convert.pair` + `ops.matmul` would give it; anything else goes to `slow`."""
    params = {"transpose_a": False, "transpose_b": False}  # shared: nothing mutates node params
    fast = prim.fast_params
    spec = saves(prim, 2)
    specs = _operator_specs(spec)
    fresh = prim.alias is _FRESH and prim.vjp is not None

    # `out` is positional-or-keyword, not keyword-only as in PyTorch: CPython 3.11 does not
    # specialise calls of a function with keyword-only parameters, which would cost every call
    def fn(input: Any, other: Any, out: Any = None) -> Any:  # noqa: A002 - PyTorch's name
        if out is not None:
            return write_out(fn(input, other), out, "matmul")
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            x = input._data
            y = other._data
            if x.ndim == 2 and y.ndim == 2 and x.dtype is y.dtype:
                args = (input, other)
                if type(x) is not _ndarray or type(y) is not _ndarray:
                    return bind_hook(input, prim, args, params)
                try:
                    out = fast(x, y, False, False)
                except TypeError:  # its rule's error (a DTypeError), raised by the general path
                    return bind_hook(input, prim, args, params)
                if _observe is not None or not fresh:
                    return finish(prim, params, args, (x, y), out, input._rg or other._rg, spec)
                # what `finish` does for a fresh result nobody observes, inlined
                t = _new(Tensor)
                t._data = out
                t._rg = False
                t._node = t._grad = t._vc = t._acc = t._base = None
                if (input._rg or other._rg) and _State.enabled and out.dtype.kind in "fc":
                    _record_operator(prim, input, other, True, True, x, y, t, specs, params, False)
                return t
        return slow(input, other)

    return _wrapped(fn, slow)


def full_reduction(prim: Any, slow: Callable) -> Callable:
    """``torch.sum``-style function: a tensor reduced over all its dims (dim and dtype None, a
    bool keepdim) runs the primitive's cached kernel with the params `ops.sum` would give it;
    anything else goes to `slow`."""
    params_of: dict = {}  # (ndim, keepdim) -> params, shared: nothing mutates node params
    fast = prim.fast_params
    spec = saves(prim, 1)
    recorded = prim.vjp is not None
    # the general path's errors name the operation (as op_errors' wrapper would), so the
    # Tensor method calling this closure needs no wrapper frame of its own on every call
    slow = named(slow, slow.__name__)

    def fn(
        input: Any,  # noqa: A002 - PyTorch's name
        dim: Any = None,
        keepdim: bool = False,
        dtype: Any = None,
        out: Any = None,  # positional-or-keyword for a specialised call (see unary_function)
    ) -> Any:
        if out is not None:
            return write_out(fn(input, dim, keepdim, dtype), out, prim.name)
        if dim is None and dtype is None and isinstance(input, Tensor) and type(keepdim) is bool:
            x = input._data
            key = (x.ndim, keepdim)
            params = params_of.get(key)
            if params is None:
                params = params_of[key] = {"axes": tuple(range(key[0])), "keepdims": keepdim}
            if type(x) is not _ndarray:
                return bind_hook(input, prim, (input,), params)
            try:
                out = fast(x, params["axes"], keepdim)
            except TypeError:  # the rule reports it, through the general path
                return bind_hook(input, prim, (input,), params)
            if type(out) is not _ndarray:
                out = np.asarray(out)
            if _observe is not None or not key[0] or not recorded:
                # a 0-d operand's reduction over no axes may hand it back: `finish` links them
                return finish(prim, params, (input,), (x,), out, input._rg, spec)
            # what `finish` does for a fresh result nobody observes, inlined: the per-op path
            t = _new(Tensor)
            t._data = out
            t._rg = False
            t._node = t._grad = t._vc = t._acc = t._base = None
            if input._rg and _State.enabled and out.dtype.kind in "fc":
                _record_reduced(prim, params, input, x, t, spec)
            return t
        return slow(input, dim, keepdim, dtype)

    return _wrapped(fn, slow)


def write_out(result: Any, out: Any, op: str) -> Any:
    """`out=`: result copied into `out` (see out_arg.py)."""
    from .out_arg import write_into

    return write_into(result, out, op)


# ---- what leaves the traced world ----------------------------------------------------------------

# Set while ``torch.compile`` captures a call: ``_event(kind, *details)`` hears of what the
# operations above do not show (a tensor's value read by Python, an in-place write, backward(),
# an optimizer step). None otherwise, so each such site pays one global read.
_event: Callable | None = None


def event(kind: str, *details: Any) -> None:
    """Tell the capture in progress (if any) about `kind` ("escape", "inplace", "call", ...)."""
    if _event is not None:
        _event(kind, *details)


def replayed(method: Callable) -> Callable:
    """Mark a call a captured program repeats as a call (``loss.backward()``, ``opt.step()``):
    a capture in progress records it, and hears nothing of what the call itself does."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _event
        hook = _event
        if hook is None:
            return method(*args, **kwargs)
        hook("call", method, args, kwargs)
        _event = None
        try:
            out = method(*args, **kwargs)
        except BaseException:
            _event = hook
            hook("raised")
            raise
        _event = hook
        hook("returned", out)  # tensors a call returns are its outputs at replay
        return out

    wrapper.__name__ = method.__name__
    wrapper.__qualname__ = method.__qualname__
    wrapper.__doc__ = method.__doc__
    wrapper.__module__ = method.__module__
    wrapper.__wrapped__ = method
    return wrapper


def replayed_pure(name: str) -> Callable:
    """`replayed` for a call that changes nothing outside its result (``autograd.grad``): a
    graph break named `name` that runs eagerly at each replay, with nothing to undo."""

    def mark(method: Callable) -> Callable:
        method._capture_pure = name
        return replayed(method)

    return mark
