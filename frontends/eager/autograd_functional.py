"""``torch.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp over ``autograd.grad``
(with ``create_graph=True`` where a second derivative is needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import enable_grad
from .tensor import Tensor


def _inputs(inputs: Any) -> tuple[tuple[Tensor, ...], bool]:
    single = isinstance(inputs, Tensor)
    xs = (inputs,) if single else tuple(inputs)
    return tuple(x.detach().requires_grad_(True) for x in xs), single


def _grad(out: Tensor, xs: tuple, v: Any, create_graph: bool) -> tuple:
    from .autograd import grad

    gs = grad(out, xs, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    return tuple(
        Tensor._make(np.zeros(x._data.shape, x._data.dtype)) if g is None else g
        for g, x in zip(gs, xs, strict=True)
    )


def _finish(ts: tuple, create_graph: bool) -> tuple:
    return ts if create_graph else tuple(t.detach() for t in ts)


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at `inputs`."""
    xs, single = _inputs(inputs)
    with enable_grad():
        out = func(*xs)
        gs = _grad(out, xs, v, create_graph)
    gs = _finish(gs, create_graph)
    return out.detach(), gs[0] if single else gs


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of func at inputs, of shape out.shape + input.shape (one row at a time)."""
    xs, single = _inputs(inputs)
    with enable_grad():
        out = func(*xs)
        outs = (out,) if isinstance(out, Tensor) else tuple(out)
        result = []
        for o in outs:
            flat = o.reshape(-1)
            rows = [_grad(flat[i], xs, None, True) for i in range(flat.shape[0])]
            per_input = []
            for j, x in enumerate(xs):
                stacked = [r[j].reshape(-1) for r in rows]
                if stacked:
                    from .shaping import stack

                    jac = stack(stacked, 0)
                else:
                    jac = Tensor._make(np.zeros((0, x.numel()), x._data.dtype))
                per_input.append(jac.reshape(*o.shape, *x.shape))
            result.append(_finish(tuple(per_input), create_graph))
    if isinstance(out, Tensor):
        return result[0][0] if single else result[0]
    return tuple(r[0] if single else r for r in result)


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar func at inputs (the Jacobian of its gradient)."""
    xs, single = _inputs(inputs)

    def gradient(*zs: Tensor) -> Any:
        with enable_grad():
            gs = _grad(func(*zs), zs, None, True)
        return gs[0] if single else gs

    jac = jacobian(gradient, xs[0] if single else xs, create_graph=create_graph)
    return jac


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict=False):
    """(func(inputs), H v): the Hessian-vector product (H symmetric, so also v^T H)."""
    xs, single = _inputs(inputs)
    vs = (v,) if isinstance(v, Tensor) else tuple(v)
    with enable_grad():
        out = func(*xs)
        gs = _grad(out, xs, None, True)
        dot = sum((g * vi).sum() for g, vi in zip(gs, vs, strict=True))
        hv = _grad(dot, xs, None, create_graph)
    hv = _finish(hv, create_graph)
    return out.detach(), hv[0] if single else hv


vhp = hvp  # the Hessian of a twice-differentiable scalar function is symmetric


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict=False):
    """(func(inputs), J v), by the double-backward trick (a VJP of the VJP)."""
    xs, single = _inputs(inputs)
    vs = (v,) if isinstance(v, Tensor) else tuple(v)
    with enable_grad():
        out = func(*xs)
        u = Tensor._make(np.zeros(out._data.shape, out._data.dtype)).requires_grad_(True)
        gs = _grad(out, xs, u, True)  # J^T u, linear in u
        dot = sum((g * vi).sum() for g, vi in zip(gs, vs, strict=True))
        (jv,) = _grad(dot, (u,), None, create_graph)
    return out.detach(), jv if create_graph else jv.detach()


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
