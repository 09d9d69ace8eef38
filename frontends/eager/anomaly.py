"""Anomaly detection: ``torch.autograd.set_detect_anomaly(True)`` / ``detect_anomaly()``.

While it is on, the result of every operation recorded for autograd (and of every operation
taking the general dispatch path, recorded or not) is checked for NaN as it is computed: the
error names the first operation that produced one. Each recorded operation keeps the stack of
the code that created it, and backward checks what every VJP rule returns: the error names the
node (e.g. "Function 'LogBackward0' returned nan values in its 0th output.") and shows where its
forward operation was created.

Near zero cost while off: turning the mode on adds an observer to the one exit every eager
operation leaves through (``dispatch.finish``, which otherwise only tests that no observer is
set) and swaps a checking wrapper in for the sweep the tape runs (``tape.reverse_sweep``);
turning it off removes both.
"""

from __future__ import annotations

import functools
import os
import threading
import traceback
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dispatch, tape
from .tensor import Tensor

__all__ = [
    "detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "set_detect_anomaly",
]  # fmt: skip


class _Mode:
    enabled = False
    check_nan = True


_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_lock = threading.Lock()
_originals: dict[str, Any] = {}
# forward stacks of the nodes recorded while the mode was on (weak: they die with the tape)
_traces: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on."""
    return _Mode.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly detection is on and checks for NaN."""
    return _Mode.enabled and _Mode.check_nan


# ---- forward checks ----------------------------------------------------------------------------


def _has_nan(arr: Any) -> bool:
    if isinstance(arr, np.generic):
        arr = np.asarray(arr)
    return (
        type(arr) is np.ndarray
        and arr.dtype.kind in "fc"
        and arr.size > 0
        and bool(np.isnan(arr).any())
    )


def _describe(x: Any) -> str:
    arr = x._data if isinstance(x, Tensor) else x
    if not isinstance(arr, np.ndarray):
        return type(x).__name__
    return f"[{arr.dtype} tensor of shape {list(arr.shape)}]"


def _check_forward(prim: Any, operands: tuple, out: np.ndarray) -> None:
    if not (_Mode.check_nan and _has_nan(out)):
        return
    arrays = [a._data if isinstance(a, Tensor) else a for a in operands]
    tainted = [i for i, a in enumerate(arrays) if _has_nan(a)]
    shown = ", ".join(_describe(a) for a in operands)
    if tainted:
        origin = (
            f"operand(s) {tainted} already held NaN before it ran: the NaN came from outside "
            "the checked operations (input data, an in-place write, or an operation run "
            "before anomaly detection was enabled)"
        )
    else:
        origin = "none of its operands held NaN: this operation produced it"
    raise RuntimeError(
        f"anomaly detected: '{prim.name}' returned nan values in its output (shape "
        f"{list(out.shape)}); {origin}. Operands: {shown}."
    )


def _observe(prim: Any, params: dict, args: tuple, t: Any) -> None:
    """Every eager result, as `dispatch.finish` builds it: checked, and its node's stack kept."""
    _check_forward(prim, args, t._data)
    if t._node is not None:
        _traces[t._node] = traceback.extract_stack()[:-2]


# ---- backward checks ---------------------------------------------------------------------------


class _CheckedPrim:
    """A primitive's face for the sweep whose VJP checks what the rule returns."""

    __slots__ = ("name", "nondiff", "cotangent_at", "vjp")

    def __init__(self, node: Any) -> None:
        prim = node.prim
        self.name = prim.name
        self.nondiff = prim.nondiff
        self.cotangent_at = prim.cotangent_at
        self.vjp = None if prim.vjp is None else functools.partial(_checked_vjp, node)


def _checked_vjp(node: Any, g: Any, out: Any, *inputs: Any, **kwargs: Any) -> tuple:
    grads = node.prim.vjp(g, out, *inputs, **kwargs)
    if _Mode.check_nan:
        for i, gi in enumerate(grads):
            arr = gi._data if isinstance(gi, Tensor) else gi
            if _has_nan(arr):
                raise RuntimeError(
                    f"Function '{node.name()}' returned nan values in its {i}th output."
                    + _forward_trace(node)
                )
    return grads


def _forward_trace(node: Any) -> str:
    stack = _traces.get(node)
    if not stack:
        return (
            " (its forward operation ran before anomaly detection was enabled, so no "
            "traceback of it was kept)"
        )
    # the user's frames: those inside the frontend only show how the op was dispatched
    user = [f for f in stack if not f.filename.startswith(_HERE)] or list(stack)
    lines = "".join(traceback.format_list(user[-8:]))
    return f"\nTraceback of the forward call that created '{node.name()}':\n{lines}"


class _CheckedNode:
    """A tape node as the sweep sees it, with the checking primitive face."""

    __slots__ = ("prim", "params", "inputs", "output", "input_keys", "output_key")

    def __init__(self, node: Any) -> None:
        self.prim = _CheckedPrim(node)
        self.params = node.params
        self.inputs = node.inputs
        self.output = node.output
        self.input_keys = node.input_keys
        self.output_key = node.output_key


def _checked_sweep(
    nodes, seeds, wanted, keep=(), *, self_keyed=False, all_live=False, release=None
):
    # the checked stand-ins are not their own keys (the tape's nodes are), so the sweep reads
    # output_key; liveness does not depend on which objects stand for the nodes
    checked = [_CheckedNode(n) for n in nodes]
    drop = None
    if release is not None:

        def drop(c):  # a swept stand-in: release it and the tape node it stands for
            c.inputs, c.output = (), None
            release(c.output_key)

    return _originals["reverse_sweep"](
        checked, seeds, wanted, keep, all_live=all_live, release=drop
    )


# ---- switching ---------------------------------------------------------------------------------

_HOOKS = ((tape, "reverse_sweep", _checked_sweep),)


def _set(mode: bool, check_nan: bool) -> None:
    with _lock:
        _Mode.check_nan = bool(check_nan)
        if bool(mode) == _Mode.enabled:
            return
        if mode:
            for module, name, checked in _HOOKS:
                _originals[name] = getattr(module, name)
                setattr(module, name, checked)
            dispatch.add_observer(_observe)
        else:
            for module, name, _ in _HOOKS:
                setattr(module, name, _originals[name])
            dispatch.remove_observer(_observe)
        _Mode.enabled = bool(mode)


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly detection on or off now; as a context manager, restore the old mode after."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (_Mode.enabled, _Mode.check_nan)
        _set(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _set(*self.prev)


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Anomaly detection inside a ``with`` block or a decorated function."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = (False, True)
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self.prev = (_Mode.enabled, _Mode.check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc: Any) -> None:
        _set(*self.prev)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper
