"""The `out=` keyword of torch's functions: `torch.matmul(a, b, out=c)` writes the result into c.

Each listed function of the torch namespace is wrapped once, at import: a call without `out`
goes straight through; with it, the result is computed as usual and copied into `out` (resized
first when its shape differs, as torch does), and `out` is returned. As in torch, a tensor
that requires grad cannot be an `out` while grad mode is on.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from .grad_mode import is_grad_enabled, no_grad
from .tensor import Tensor

# torch functions that take `out=` and that real programs call with it
NAMES = (
    "abs", "acos", "add", "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "amax", "amin",
    "arange", "argmax", "argmin", "asin", "atan", "atan2", "baddbmm", "bmm", "cat", "ceil",
    "clamp", "clip", "concat", "cos", "cosh", "cross", "cumprod", "cumsum", "diag", "div", "dot",
    "eq", "erf", "exp", "expm1", "eye", "floor", "fmod", "full", "gather", "ge", "gt",
    "index_select", "le", "lerp", "linspace", "log", "log10", "log1p", "log2", "logspace",
    "logsumexp", "lt", "masked_select", "matmul", "max", "maximum", "mean", "median", "min",
    "minimum", "mm", "mul", "mv", "nansum", "ne", "neg", "nonzero", "norm", "ones", "outer",
    "pow", "prod", "rand", "randint", "randn", "randperm", "reciprocal", "remainder", "round",
    "rsqrt", "sigmoid", "sign", "sin", "sinh", "sort", "sqrt", "square", "stack", "std", "sub",
    "sum", "take", "tan", "tanh", "topk", "tril", "triu", "true_divide", "trunc", "var",
    "where", "zeros",
)  # fmt: skip


def _write(dst: Any, src: Any, op: str) -> None:
    if not isinstance(dst, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be a Tensor, not {type(dst).__name__}")
    if dst.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad; use the result without out=, or run under "
            "torch.no_grad()"
        )
    with no_grad():
        if tuple(dst.shape) != tuple(src.shape):
            dst.resize_(tuple(src.shape))
        dst.copy_(src)


def write_into(res: Any, out: Any, op: str) -> Any:
    """The result `res` of `op` copied into the tensor (or tuple of tensors) `out`; `out`."""
    if isinstance(out, (tuple, list)):
        if not isinstance(res, tuple) or len(res) != len(out):
            raise TypeError(f"{op}(): out must be one tensor for this call")
        for dst, src in zip(out, res, strict=True):
            _write(dst, src, op)
        return type(res)(*out) if hasattr(res, "_fields") else tuple(out)
    _write(out, res, op)
    return out


def accepting_out(fn: Callable, op: str) -> Callable:
    """fn, taking `out=` too."""

    @functools.wraps(fn)
    def wrapper(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        res = fn(*args, **kwargs)
        if out is None:
            return res
        return write_into(res, out, op)

    wrapper._accepts_out = True
    return wrapper


def install(namespace: str) -> None:
    """Wrap the listed functions of the module `namespace` (each once)."""
    mod = sys.modules[namespace]
    for name in NAMES:
        fn = mod.__dict__.get(name)
        if callable(fn) and not getattr(fn, "_accepts_out", False) and not isinstance(fn, type):
            setattr(mod, name, accepting_out(fn, name))
