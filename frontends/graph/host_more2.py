"""More TF1 names programs use around their graphs: `tf.make_template`, `tf.init_scope`,
`tf.get_local_variable`, `tf.model_variables`, the `tf.assert_*` checks, `tf.hessians`,
`tf.foldl` / `tf.foldr` and `tf.summary.FileWriterCache`."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import array_ops as A
from . import math_ops as M
from .convert import convert_to_tensor
from .graph import GraphKeys, get_default_graph
from .variable_scope import get_variable, variable_scope

# ---- templates: a function whose variables are made on the first call and shared after ------


class Template:
    """A function run in one variable scope: the first call makes its variables, later calls
    reuse them (tf.make_template)."""

    def __init__(self, name: str, func: Any, create_scope_now: bool, unique_name: Any) -> None:
        self._name, self._func, self._unique = name, func, unique_name
        self._scope: Any = None
        self._called = False
        if create_scope_now:
            with variable_scope(self._unique, self._name) as vs:
                self._scope = vs

    @property
    def variable_scope(self) -> Any:
        """The template's scope (None before the first call unless made at creation)."""
        return self._scope

    @property
    def variable_scope_name(self) -> str | None:
        """The scope's name."""
        return None if self._scope is None else self._scope.name

    @property
    def name(self) -> str:
        """The name given to make_template."""
        return self._name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._scope is None:
            with variable_scope(self._unique, self._name) as vs:
                self._scope = vs
                out = self._func(*args, **kwargs)
        else:
            with variable_scope(self._scope, reuse=self._called or None):
                out = self._func(*args, **kwargs)
        self._called = True
        return out


def make_template(
    name_: str, func_: Any, create_scope_now_: bool = False, unique_name_: Any = None,
    custom_getter_: Any = None, **kwargs: Any,
) -> Template:  # fmt: skip
    """Wrap func_ (with kwargs bound) so all calls share the variables of the first."""
    if custom_getter_ is not None:
        raise NotImplementedError("make_template: custom_getter_ is not provided by duograd")
    fn = functools.partial(func_, **kwargs) if kwargs else func_
    return Template(name_, fn, create_scope_now_, unique_name_)


@contextlib.contextmanager
def init_scope() -> Iterator[None]:
    """Ops made inside ignore the surrounding control dependencies (as variables' do)."""
    with get_default_graph().control_dependencies(None):
        yield


def get_local_variable(name: str, *args: Any, **kwargs: Any) -> Any:
    """get_variable in the LOCAL_VARIABLES collection, not trained."""
    kwargs["collections"] = [GraphKeys.LOCAL_VARIABLES]
    kwargs.setdefault("trainable", False)
    return get_variable(name, *args, **kwargs)


def model_variables(scope: str | None = None) -> list:
    """The variables of the MODEL_VARIABLES collection."""
    return get_default_graph().get_collection("model_variables", scope)


# ---- assertions: an op failing the run with InvalidArgumentError ------------------------------


def _assert(cond: Any, data: Any, message: Any, summarize: Any, name: str, text: str) -> Any:
    from .runtime_ops import Assert

    if data is None:
        data = [f"Condition {text} did not hold element-wise:"]
    data = ([message] if message else []) + list(data)
    return Assert(M.reduce_all(cond), data, summarize, name=name)


def _binary(op: Any, sym: str, default: str):
    def check(
        x: Any, y: Any, data: Any = None, summarize: Any = None, message: Any = None,
        name: str | None = None,
    ) -> Any:  # fmt: skip
        tx = convert_to_tensor(x)
        ty = convert_to_tensor(y, dtype=tx.dtype) if not hasattr(y, "dtype") else y
        ty = convert_to_tensor(ty)
        if data is None:
            data = [f"Condition x {sym} y did not hold element-wise:", "x = ", tx, "y = ", ty]
        return _assert(op(tx, ty), data, message, summarize, name or default, f"x {sym} y")

    check.__name__ = check.__qualname__ = default
    check.__doc__ = f"An op failing the run unless x {sym} y everywhere."
    return check


def _unary(op: Any, sym: str, default: str):
    def check(
        x: Any, data: Any = None, summarize: Any = None, message: Any = None,
        name: str | None = None,
    ) -> Any:  # fmt: skip
        tx = convert_to_tensor(x)
        zero = np.zeros((), np.dtype(getattr(tx.dtype, "np_dtype", tx.dtype)))
        if data is None:
            data = [f"Condition x {sym} 0 did not hold element-wise:", "x = ", tx]
        return _assert(op(tx, zero), data, message, summarize, name or default, f"x {sym} 0")

    check.__name__ = check.__qualname__ = default
    check.__doc__ = f"An op failing the run unless x {sym} 0 everywhere."
    return check


assert_equal = _binary(M.equal, "==", "assert_equal")
assert_none_equal = _binary(M.not_equal, "!=", "assert_none_equal")
assert_less = _binary(M.less, "<", "assert_less")
assert_less_equal = _binary(M.less_equal, "<=", "assert_less_equal")
assert_greater = _binary(M.greater, ">", "assert_greater")
assert_greater_equal = _binary(M.greater_equal, ">=", "assert_greater_equal")
assert_positive = _unary(M.greater, ">", "assert_positive")
assert_negative = _unary(M.less, "<", "assert_negative")
assert_non_negative = _unary(M.greater_equal, ">=", "assert_non_negative")
assert_non_positive = _unary(M.less_equal, "<=", "assert_non_positive")


# ---- hessians, folds ---------------------------------------------------------------------------


def hessians(
    ys: Any, xs: Any, gate_gradients: bool = False, aggregation_method: Any = None,
    name: str = "hessians", colocate_gradients_with_ops: bool = True,
) -> list:  # fmt: skip
    """For each x: d^2 sum(ys) / dx dx, shaped x.shape + x.shape (static shapes needed)."""
    from .gradients import gradients

    xs = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    out = []
    for x in xs:
        dims = list(x.shape)
        if any(d is None for d in dims):
            raise ValueError(f"hessians: the shape of {x} must be known when the graph is built")
        n = int(np.prod(dims)) if dims else 1
        (g,) = gradients(ys, x)
        if g is None:
            out.append(None)
            continue
        flat = A.reshape(g, [n])
        rows = []
        for j in range(n):
            (h,) = gradients(flat[j], x, unconnected_gradients="zero")
            rows.append(A.reshape(h, [n]))
        out.append(A.reshape(A.stack(rows), dims + dims))
    return out


def _fold(fn: Any, elems: Any, initializer: Any, name: str, reverse: bool) -> Any:
    from .control_flow_more import _flatten, _pack

    flat = [convert_to_tensor(e) for e in _flatten(elems)]
    n = flat[0].shape[0] if flat[0].shape else None
    if n is None:
        raise NotImplementedError(
            f"{name}: the first dimension of elems must be known when the graph is built"
        )
    cols = [A.unstack(x, num=n) for x in flat]
    order = list(range(n))[::-1] if reverse else list(range(n))
    if initializer is None:
        acc, order = _pack(elems, [c[order[0]] for c in cols]), order[1:]
    else:
        acc = initializer
    with get_default_graph().name_scope(name):
        for i in order:
            acc = fn(acc, _pack(elems, [c[i] for c in cols]))
    return acc


def foldl(
    fn: Any, elems: Any, initializer: Any = None, parallel_iterations: int = 10,
    back_prop: bool = True, swap_memory: bool = False, name: str | None = None,
) -> Any:  # fmt: skip
    """acc = fn(acc, x) over the first axis of elems, left to right; the last acc."""
    return _fold(fn, elems, initializer, name or "foldl", False)


def foldr(
    fn: Any, elems: Any, initializer: Any = None, parallel_iterations: int = 10,
    back_prop: bool = True, swap_memory: bool = False, name: str | None = None,
) -> Any:  # fmt: skip
    """acc = fn(acc, x) over the first axis of elems, right to left; the last acc."""
    return _fold(fn, elems, initializer, name or "foldr", True)


class FileWriterCache:
    """One shared FileWriter per log folder."""

    _writers: dict = {}

    @staticmethod
    def get(logdir: str) -> Any:
        """The writer of `logdir` (made on first use)."""
        from .summary import FileWriter

        w = FileWriterCache._writers.get(logdir)
        if w is None:
            w = FileWriterCache._writers[logdir] = FileWriter(logdir, graph=None)
        return w

    @staticmethod
    def clear() -> None:
        """Close and forget every cached writer."""
        for w in FileWriterCache._writers.values():
            w.close()
        FileWriterCache._writers.clear()
