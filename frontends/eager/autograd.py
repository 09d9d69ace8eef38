"""``torch.autograd``: backward() and grad() over the tape, through the core's reverse sweep."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dispatch as _dispatch
from . import higher_order, tape
from . import hooks as _hooks  # Tensor.register_hook
from .anomaly import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, _counter, _key

__all__ = [
    "Function", "FunctionCtx", "Variable", "backward", "detect_anomaly", "enable_grad", "grad",
    "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
    "set_detect_anomaly", "set_grad_enabled",
]  # fmt: skip


class _VariableMeta(type):
    """``Variable(t)`` returns the tensor itself (keeping its dtype), as PyTorch >= 0.4 does."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)

    def __call__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False):
        t = data if isinstance(data, Tensor) else Tensor(data)
        if requires_grad and not t._rg:
            t.requires_grad_(True)
        return t


class Variable(metaclass=_VariableMeta):
    """Old PyTorch programs wrap data in Variable(...): the tensor itself comes back."""


def _as_list(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, (Tensor, np.ndarray)):
        return [x]
    return list(x)


def _seed(out: Tensor, g: Any, i: int) -> np.ndarray:
    """The cotangent an output starts with: ones for a scalar, else the given gradient."""
    if g is None:
        if out._data.size != 1:
            raise RuntimeError(
                "grad can be implicitly created only for scalar outputs; the output has shape "
                f"{tuple(out.shape)}: pass gradient= (a tensor of that shape), or reduce it "
                "first (e.g. .sum())"
            )
        shape = out._data.shape
        # a 0-d seed (the everyday scalar loss) without np.ones' Python-level overhead
        return np.array(1, out._data.dtype) if not shape else np.ones(shape, out._data.dtype)
    arr = g._data if isinstance(g, Tensor) else np.asarray(g)
    if arr.shape != out._data.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(arr.shape)} and "
            f"output[{i}] has a shape of {tuple(out._data.shape)}."
        )
    if arr.dtype != out._data.dtype:
        raise RuntimeError(
            f"Mismatch in dtype: grad_output[{i}] is {arr.dtype} but output[{i}] is "
            f"{out._data.dtype}"
        )
    return arr


def _roots(outputs: list, grads: list) -> list[tuple[Any, np.ndarray]]:
    if grads and len(grads) != len(outputs):
        raise RuntimeError(
            f"got {len(grads)} gradients for {len(outputs)} outputs; pass one per output"
        )
    roots = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"output {i} is a {type(out).__name__}, not a Tensor")
        if not out._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                "nothing that requires grad was used to compute it (set requires_grad=True on "
                "the inputs, and do not compute it under no_grad())"
            )
        roots.append((_key(out), _seed(out, grads[i] if grads else None, i)))
    return roots


@_dispatch.replayed
def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate gradients of `tensors` into the ``.grad`` of the leaves (or of `inputs`)."""
    outputs = _as_list(tensors)
    roots = _roots(outputs, _as_list(grad_tensors) if grad_tensors is not None else [])
    if create_graph:
        _backward_create_graph(roots, _as_list(grad_tensors), _as_list(inputs))
        return
    retain = bool(retain_graph)
    targets = _as_list(inputs)
    wanted = None if not targets else [_key(t) for t in targets]
    owned: set = set()
    with no_grad():
        cts, leaves, nodes = tape.run_backward(roots, wanted, retain, owned)
        if targets:
            for t in targets:
                g = cts.get(_key(t))
                if g is not None:
                    if t._acc is not None and t._acc.pre_hooks:
                        g = _hooks.leaf_grad(t._acc, g)
                    tape.accumulate_into(t, g, id(g) in owned)
                    if t._acc is not None and t._acc.post_hooks:
                        tape.run_post_hooks(t._acc)
            return
        for acc in leaves:
            g = cts.pop(acc, None)
            if g is not None:
                if acc.pre_hooks:
                    g = _hooks.leaf_grad(acc, g)
                tape.accumulate_into(acc.variable, g, id(g) in owned)
                if acc.post_hooks:
                    tape.run_post_hooks(acc)
        if not tape._retaining:  # no tensor ever called retain_grad(): no node is retained
            return
        for n in nodes:
            if n.retained is not None and n in cts:
                t = n.retained()
                if t is not None:
                    tape.accumulate_into(t, cts[n])


@_dispatch.replayed_pure("torch.autograd.grad")
def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, returned (``.grad`` is untouched)."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t._rg:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) does not require grad"
            )
    roots = _roots(outs, _as_list(grad_outputs) if grad_outputs is not None else [])
    keys = [_key(t) for t in ins]
    if create_graph:
        roots = _tensor_seeds(roots, _as_list(grad_outputs))
        cts, _ = higher_order.sweep(roots, keys)
    else:
        with no_grad():
            cts, _, _ = tape.run_backward(roots, keys, bool(retain_graph))
    result = []
    for i, (t, k) in enumerate(zip(ins, keys, strict=False)):
        g = cts.get(k)
        if g is None:
            if materialize_grads:
                result.append(Tensor._make(np.zeros(t._data.shape, t._data.dtype)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
        elif create_graph:
            result.append(g)
        else:
            result.append(Tensor._make(np.array(g, dtype=t._data.dtype, copy=True)))
    return tuple(result)


def _tensor_seeds(roots: list, given: list) -> list:
    """Seeds given as tensors stay tensors under create_graph (their history is kept)."""
    return [
        (k, given[i] if i < len(given) and isinstance(given[i], Tensor) else s)
        for i, (k, s) in enumerate(roots)
    ]


def _backward_create_graph(roots: list, given: list, targets: list) -> None:
    """backward(create_graph=True): leaves' ``.grad`` get gradients that have a history."""
    roots = _tensor_seeds(roots, given)
    wanted = None if not targets else [_key(t) for t in targets]
    cts, leaves = higher_order.sweep(roots, wanted)
    for t in targets or [acc.variable for acc in leaves]:
        g = cts.get(_key(t))
        if g is not None:
            if t._acc is not None and t._acc.pre_hooks:
                g = _hooks.leaf_grad(t._acc, g)
            higher_order.accumulate(t, g)
            if t._acc is not None and t._acc.post_hooks:
                tape.run_post_hooks(t._acc)


# ---- custom operations: torch.autograd.Function ------------------------------------------------


class FunctionCtx:
    """What forward() hands to backward(): saved tensors and which inputs need gradients."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._versions: list = []

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors for backward (an in-place change to them is detected)."""
        self._saved = tensors
        self._versions = [(_counter(t), _counter(t).v) for t in tensors if isinstance(t, Tensor)]

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward."""
        for counter, version in self._versions:
            if counter.v != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    "an inplace operation (a tensor saved with save_for_backward)"
                )
        return self._saved

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Accepted for compatibility (outputs that are ints never carry gradients anyway)."""


class Function:
    """A custom differentiable operation: subclass with static forward(ctx, ...) and
    backward(ctx, grad_output), then call ``MyFunction.apply(...)``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        """The computation (runs without recording)."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        """Gradients with respect to forward's inputs (None for those that need none)."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward now and record one node whose VJP calls backward."""
        needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            out = cls.forward(ctx, *args)
        if not (is_grad_enabled() and any(needs)):
            return out
        if not isinstance(out, Tensor):
            raise NotImplementedError(
                f"{cls.__name__}.forward must return one Tensor to be differentiable here"
            )
        out = Tensor._make(out._data)
        inputs = tuple(
            a._data if isinstance(a, Tensor) else np.zeros((), np.int8) for a in args
        )  # non-tensors get an int placeholder: the sweep never asks for their gradient
        keys = tuple(_key(a) if need else None for a, need in zip(args, needs, strict=True))
        out._node = tape.Node(_primitive(cls), {"ctx": ctx}, inputs, out._data, keys, ())
        out._rg = True
        return out


_PRIMS: dict[type, Any] = {}


def _primitive(cls: type) -> Any:
    """A primitive record for a Function subclass (its VJP runs the user's backward)."""
    prim = _PRIMS.get(cls)
    if prim is None:
        from ...core.primitives.registry import Primitive

        def vjp(g, out, *inputs, wants, ctx):
            with no_grad():
                grads = cls.backward(ctx, Tensor._make(g))
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(inputs):
                raise RuntimeError(
                    f"function {cls.__name__}Backward returned an incorrect number of gradients "
                    f"(expected {len(inputs)}, got {len(grads)})"
                )
            result = []
            for i, (gr, x) in enumerate(zip(grads, inputs, strict=True)):
                if gr is None or not wants[i]:
                    result.append(None)
                    continue
                arr = gr._data if isinstance(gr, Tensor) else np.asarray(gr, dtype=x.dtype)
                if arr.shape != x.shape:
                    raise RuntimeError(
                        f"function {cls.__name__}Backward returned an invalid gradient at index "
                        f"{i} - got {list(arr.shape)} but expected shape compatible with "
                        f"{list(x.shape)}"
                    )
                result.append(arr)
            return tuple(result)

        prim = Primitive(cls.__name__, impl=None, shape_rule=None, vjp=vjp)
        _PRIMS[cls] = prim
    return prim


# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from .missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.autograd", globals())

# torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp) over grad(create_graph=True)
from . import autograd_functional as functional  # noqa: E402, F401
