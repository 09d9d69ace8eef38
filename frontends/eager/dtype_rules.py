"""Dtype rules of composed operations, declared once and applied by one wrapper.

A primitive's shape rule refuses the dtypes its kernel has no meaning for; an operation the
eager frontend composes of several primitives often casts its operands to float first, and so
used to accept integer or bool tensors PyTorch refuses. PyTorch's refusals follow from a few
rules, declared here per operation (by the positions of the tensor arguments they read):

- ``float``: a floating (or complex) kernel only (``cdist``);
- ``no_bool``: the operation subtracts or negates its operand (PyTorch refuses ``-`` on bool),
  or has no bool kernel (``topk``, ``cov``, ``trapezoid``, ``hardtanh`` under ``relu6``);
- ``float_input``: the result is written into a tensor of the input's dtype (the loss's
  ``out=`` form), so a non-float input cannot hold it (``huber_loss``, ``soft_margin_loss``);
- ``some_float``: the result's dtype is inferred from the operands and an integer result is
  refused (``l1_loss``'s mean, ``addcdiv``'s integer division); bool operands are refused too;
- ``same``: the operands must share one dtype (the fused products ``addmm`` and its family
  promote nothing).

`install` wraps each named function once, in its defining module (so Tensor methods that call
it see the wrapper) and in every namespace holding it.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .tensor import Tensor

RULES: dict[str, tuple[str, tuple[int, ...]]] = {
    "cdist": ("float", (0, 1)),
    "binary_cross_entropy_with_logits": ("float", (0, 1)),
    "pdist": ("float", (0,)),
    "topk": ("no_bool", (0,)),
    "cov": ("no_bool", (0,)),
    "corrcoef": ("no_bool", (0,)),
    "trapezoid": ("no_bool", (0, 1)),
    "trapz": ("no_bool", (0, 1)),
    "cumulative_trapezoid": ("no_bool", (0, 1)),
    "relu6": ("no_bool", (0,)),
    "tanhshrink": ("no_bool", (0,)),
    "pairwise_distance": ("no_bool", (0, 1)),
    "multilabel_soft_margin_loss": ("no_bool", (1,)),
    "huber_loss": ("float_input", (0, 1)),
    "soft_margin_loss": ("float_input", (0, 1)),
    "l1_loss": ("some_float", (0, 1)),
    "addcdiv": ("some_float", (1, 2)),
    "addmm": ("same", (0, 1, 2)),
    "addmv": ("same", (0, 1, 2)),
    "addbmm": ("same", (0, 1, 2)),
    "baddbmm": ("same", (0, 1, 2)),
    "addr": ("same", (0, 1, 2)),
    "cholesky_solve": ("same", (0, 1)),
    "cross": ("same", (0, 1)),
    "binary_cross_entropy": ("same", (0, 1)),
    "bilinear": ("same", (0, 1, 2)),
}

_TYPE = {"b": "Bool", "i": "Long", "u": "Byte", "f": "Float", "c": "ComplexFloat"}


def check(op: str, rule: str, dtypes: list) -> None:
    """Raise PyTorch's RuntimeError when operands of these dtypes break `rule`."""
    if not dtypes:
        return
    if rule == "same":
        if len(set(dtypes)) > 1:
            raise RuntimeError(
                f"{op}: the input tensors must have the same dtype, but got "
                f"{', '.join(str(d) for d in dtypes)}"
            )
        return
    kinds = [d.kind for d in dtypes]
    if rule == "float" and any(k not in "fc" for k in kinds):
        bad = next(k for k in kinds if k not in "fc")
        raise RuntimeError(f"{op} only supports floating-point dtypes, got {_TYPE.get(bad, bad)}")
    if "b" in kinds and rule in ("no_bool", "float_input", "some_float"):
        raise RuntimeError(
            f"{op}: bool tensors are not supported (PyTorch refuses subtraction, negation and "
            "this kernel on bool; convert with .float() first)"
        )
    if rule == "float_input" and kinds[0] not in "fc":
        raise RuntimeError(
            f"{op}: result type Float can't be cast to the desired output type "
            f"{_TYPE.get(kinds[0], kinds[0])} (the input must be floating point)"
        )
    if rule == "some_float" and all(k not in "fc" for k in kinds):
        raise RuntimeError(
            f"{op}: could not infer a floating output dtype from integer operands "
            f"({', '.join(_TYPE.get(k, k) for k in kinds)}); convert them to float first"
        )


def guarded(fn: Callable, op: str) -> Callable:
    """`fn` with the dtype rule of `op` checked on its arguments first."""
    rule, positions = RULES[op]
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    names = [params[i] if i < len(params) else None for i in positions]

    @functools.wraps(fn)
    def operation(*args: Any, **kwargs: Any) -> Any:
        kinds = []
        for i, name in zip(positions, names, strict=True):
            x = args[i] if i < len(args) else kwargs.get(name) if name else None
            if isinstance(x, Tensor):
                kinds.append(x._data.dtype)
        check(op, rule, kinds)
        return fn(*args, **kwargs)

    operation.__dg_dtype_rule__ = rule
    return operation


def install(namespaces: Iterable[Any]) -> None:
    """Wrap every function of `RULES` found in `namespaces` (and its defining module)."""
    targets = list(namespaces)
    done: dict[int, Callable] = {}
    for ns in targets:
        for op in RULES:
            fn = vars(ns).get(op)
            if fn is None or not inspect.isfunction(fn) or id(fn) in done:
                continue
            done[id(fn)] = guarded(fn, op)
            home = sys.modules.get(getattr(fn, "__module__", ""), None)
            if home is not None and getattr(home, op, None) is fn:
                setattr(home, op, done[id(fn)])
    for ns in targets:
        for attr, v in list(vars(ns).items()):
            w = done.get(id(v))
            if w is not None:
                setattr(ns, attr, w)
