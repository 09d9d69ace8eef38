"""Errors name the operation the user called.

An operation composed of others (``torch.addmv`` of ``mv``, ``F.max_pool1d`` of ``max_pool2d``,
``tf.nn.moments`` of reductions) used to report a bad argument under the inner operation's name,
or under none (a Python or numpy message). `name_errors` wraps each public operation of a
frontend's namespaces once: when an error of a public type leaves it and its message does not
name the operation, the message is prefixed with the operation's name (the type, the rest of
the text and the traceback stay). Aliases share one wrapper (``tf.math.reduce_sum is
tf.reduce_sum`` still holds), and every namespace that holds the original gets the wrapper.

The eager fast paths (closures built by ``dispatch``: ``torch.exp``, ``torch.matmul``, ...) are
left alone: their errors already carry their own name, and an extra call would cost on every op.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..core.domain import RAW_NUMPY, DomainAxisError
from ..core.ir import called_stack

# error types whose message is renamed (internal types such as KeyError are left as they are,
# so tests that look for them still see them)
_RENAMED = (ValueError, TypeError, IndexError, RuntimeError, NotImplementedError, MemoryError)

_WRAPPERS: dict[int, tuple[Callable, Callable]] = {}
_HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the package's folder


def _mentions(msg: str, name: str) -> bool:
    low = msg.lower()
    n = name.lower().rstrip("_")
    return any(f and f in low for f in (n, n.replace("_", " "), n.replace("_", "")))


_RAW = RAW_NUMPY


def _axis_error(e: BaseException) -> bool:
    return type(e) is getattr(getattr(np, "exceptions", np), "AxisError", None)


def _prefixed(e: BaseException, name: str) -> None:
    """Prefix `e`'s message with `name` when it does not name it already (in place)."""
    if not e.args or not isinstance(e.args[0], str) or str(e) != e.args[0]:
        return  # a message not built from its first argument: leave it
    raw = _RAW.get(e.args[0])
    if raw is not None:
        e.args = (f"{name}: {raw}", *e.args[1:])
        return
    if _mentions(e.args[0], name):
        return
    e.args = (f"{name}: {e.args[0]}", *e.args[1:])
    if hasattr(e, "text") and hasattr(e, "op"):  # a DomainError keeps (op, text)
        e.op = name


def named(fn: Callable, name: str, builds: bool = False) -> Callable:
    """`fn` wrapped so that its errors name `name` (one wrapper per function). With `builds`
    (graph operations) the graph nodes the call adds remember `name`, so an inner node's
    run-time error names the operation called (`ir.name_called`)."""
    hit = _WRAPPERS.get(id(fn))
    if hit is not None and hit[0] is fn:
        return hit[1]

    @functools.wraps(fn)
    def operation(*args: Any, **kwargs: Any) -> Any:
        stack = called_stack() if builds else None
        if stack is not None:
            stack.append(name)
        try:
            return fn(*args, **kwargs)
        except OverflowError as e:  # a value past an integer dtype (inf for an int64 tensor)
            raise RuntimeError(
                f"{name}: value cannot be converted to the tensor's type without overflow ({e})"
            ) from None
        except _RENAMED as e:
            if _axis_error(e):  # numpy's AxisError builds its text from (axis, ndim): re-say it
                raise DomainAxisError(name, str(e)) from None
            _prefixed(e, name)
            raise
        finally:
            if stack is not None:
                stack.pop()

    operation.__dg_named__ = name
    _WRAPPERS[id(fn)] = (fn, operation)
    return operation


def _is_operation(fn: Any) -> bool:
    if inspect.isclass(fn) or inspect.ismodule(fn) or not inspect.isfunction(fn):
        return False
    if getattr(fn, "__dg_named__", False) or getattr(fn, "__dg_fast__", False):
        return False  # already named, or an eager fast-path closure (dispatch.py marks them)
    if (
        hasattr(fn, "__wrapped__")
        and not getattr(fn, "_accepts_out", False)
        and not getattr(fn, "__dg_dtype_rule__", False)
        and not getattr(fn, "_unbatched", False)
    ):
        return False  # another wrapper; the out= and unbatched ones are wrapped like functions
    return True


def _public_items(ns: Any) -> list[tuple[str, Any]]:
    """(name, value) of a namespace; for a class, its own and its bases' methods (the nearest
    definition of each name, as attribute lookup finds it)."""
    if not inspect.isclass(ns):
        return list(vars(ns).items())
    seen: dict[str, Any] = {}
    for cls in ns.__mro__[:-1]:
        for attr, fn in vars(cls).items():
            seen.setdefault(attr, fn)
    return list(seen.items())


def name_errors(namespaces: Iterable[Any], also: Iterable[Any] = (), builds: bool = False) -> None:
    """Wrap the public functions of `namespaces` (modules, namespace objects or classes); in
    `also`, replace any attribute holding a wrapped original by its wrapper. `builds`: the
    functions build graph nodes (see `named`)."""
    targets = list(namespaces)
    for ns in targets:
        for attr, fn in _public_items(ns):
            if attr.startswith("_") or not _is_operation(fn):
                continue
            label = fn.__name__ if fn.__name__ != "<lambda>" else attr
            setattr(ns, attr, named(fn, label, builds))
    for ns in [*targets, *also]:
        try:
            items = list(vars(ns).items())
        except TypeError:
            continue
        for attr, fn in items:
            hit = _WRAPPERS.get(id(fn))
            if hit is not None and hit[0] is fn:
                setattr(ns, attr, hit[1])


def namespaces_under(root: Any, depth: int = 3) -> list[Any]:
    """`root` and the duograd modules / namespace objects reachable from it by attributes."""
    seen: dict[int, Any] = {}
    todo = [(root, 0)]
    while todo:
        ns, d = todo.pop()
        if id(ns) in seen:
            continue
        seen[id(ns)] = ns
        if d >= depth:
            continue
        try:
            values = list(vars(ns).values())
        except TypeError:
            continue
        for v in values:
            if inspect.ismodule(v):
                where = getattr(v, "__file__", None)  # built namespaces have no file
                if where is None or str(where).startswith(_HOME):
                    todo.append((v, d + 1))
            elif type(v).__name__ == "Namespace" and type(v).__module__.startswith("duograd"):
                todo.append((v, d + 1))
    return list(seen.values())
