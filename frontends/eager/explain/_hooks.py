"""Attribution methods that change the backward pass of nonlinearity modules through hooks.

DeepLift's rescale rule, guided backpropagation and deconvolution replace the gradient a ReLU
(Sigmoid, Tanh) module passes back, with `register_full_backward_hook`, as Captum does.
Nonlinearities called as functions (F.relu) are not modules and keep their plain gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import ops
from ....core.attribution.backend import select_target
from ....core.attribution.gradient import baselines_for
from ..nn.layers import ReLU, Sigmoid, Tanh
from ..tensor import Tensor
from ._backend import EagerBackend
from ._format import baselines_arg, extra_tuple, inputs_tuple, target_arg, tensor, wrap
from ._gradient import Attribution

NONLINEAR = (ReLU, Sigmoid, Tanh)


def _hooked(model: Any, backward_hook: Any, forward_hook: Any = None) -> list:
    handles = []
    for m in model.modules():
        if isinstance(m, NONLINEAR):
            handles.append(m.register_full_backward_hook(backward_hook))
            if forward_hook is not None:
                handles.append(m.register_forward_hook(forward_hook))
    return handles


class _ReluOverride(Attribution):
    """Gradients where each ReLU module passes back a rectified gradient."""

    guided = True

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.model = model

    def attribute(self, inputs: Any, target: Any = None,
                  additional_forward_args: Any = None) -> Any:
        """One attribution map per input."""
        name = type(self).__name__
        xs, is_tuple = inputs_tuple(name, inputs)
        seen: dict = {}

        def fwd(module, args, out):
            seen[id(module)] = args[0]._data

        def bwd(module, grad_input, grad_output):
            g = ops.relu(grad_output[0]._data)
            if self.guided:
                x = seen[id(module)]
                g = ops.mul(g, ops.cast(ops.greater(x, np.zeros((), x.dtype)), x.dtype))
            return (Tensor._make(np.ascontiguousarray(g)),)

        handles = [h for m in self.model.modules() if isinstance(m, ReLU)
                   for h in (m.register_forward_hook(fwd), m.register_full_backward_hook(bwd))]
        try:
            be = EagerBackend(self.forward_func, name)
            leaves = tuple(be.leaf(x) for x in xs)
            out = be.forward(leaves, extra_tuple(additional_forward_args))
            grads = be.grad(ops.sum(select_target(name, out, target_arg(target))), leaves)
        finally:
            for h in handles:
                h.remove()
        return wrap(grads, is_tuple)


class GuidedBackprop(_ReluOverride):
    """Guided backpropagation: only positive gradients through positive ReLU inputs."""

    guided = True


class Deconvolution(_ReluOverride):
    """Deconvolution: the gradient rectified at every ReLU, whatever the ReLU's input."""

    guided = False


class DeepLift(Attribution):
    """DeepLift with the rescale rule on ReLU / Sigmoid / Tanh modules."""

    def __init__(self, model: Any, multiply_by_inputs: bool = True, eps: float = 1e-10) -> None:
        super().__init__(model)
        self.model = model
        self.multiplies_by_inputs = multiply_by_inputs
        self.eps = eps

    def has_convergence_delta(self) -> bool:
        """DeepLift reports a convergence delta."""
        return True

    def attribute(self, inputs: Any, baselines: Any = None, target: Any = None,
                  additional_forward_args: Any = None, return_convergence_delta: bool = False,
                  custom_attribution_func: Any = None) -> Any:
        """Attributions (and the per-example convergence delta when asked)."""
        if custom_attribution_func is not None:
            raise NotImplementedError("DeepLift: custom_attribution_func")
        name = type(self).__name__
        xs, is_tuple = inputs_tuple(name, inputs)
        be = EagerBackend(self.forward_func, name)
        bases = tuple(np.ascontiguousarray(b) for b in
                      baselines_for(be, xs, baselines_arg(baselines, len(xs))))  # fmt: skip
        extra = extra_tuple(additional_forward_args)
        grads = rescale_gradients(be, self.model, xs, bases, target_arg(target), extra, self.eps)
        if self.multiplies_by_inputs:
            attrs = tuple(ops.mul(ops.sub(x, b), g) for x, b, g in zip(xs, bases, grads))
        else:
            attrs = grads
        if not return_convergence_delta:
            return wrap(attrs, is_tuple)
        from ....core.attribution.backend import per_example_sum, target_values

        end = target_values(be, xs, extra, target_arg(target))
        start = target_values(be, bases, extra, target_arg(target))
        total = None
        for a in attrs:
            s = per_example_sum(a)
            total = s if total is None else ops.add(total, s)
        return wrap(attrs, is_tuple), tensor(ops.sub(total, ops.sub(end, start)))


def rescale_gradients(be, model, xs, bases, target, extra, eps) -> tuple:
    """Gradients of the target where each nonlinearity passes back the rescale multiplier."""
    n = xs[0].shape[0]
    seen: dict = {}

    def fwd(module, args, out):
        seen[id(module)] = (args[0]._data, out._data)

    def bwd(module, grad_input, grad_output):
        x, y = seen[id(module)]
        dx = ops.sub(x[:n], x[n:])
        dy = ops.sub(y[:n], y[n:])
        dx2, dy2 = np.concatenate([dx, dx]), np.concatenate([dy, dy])
        small = ops.less(ops.abs(dx2), np.asarray(eps, x.dtype))
        safe = ops.where(small, np.ones((), x.dtype), dx2)
        g = ops.where(small, grad_input[0]._data,
                      ops.mul(grad_output[0]._data, ops.div(dy2, safe)))  # fmt: skip
        return (Tensor._make(np.ascontiguousarray(g)),)

    handles = _hooked(model, bwd, fwd)
    try:
        leaves = tuple(be.leaf(np.concatenate([x, b])) for x, b in zip(xs, bases))
        ext = tuple(np.concatenate([a, a]) if isinstance(a, np.ndarray) and a.ndim else a
                    for a in extra)  # fmt: skip
        out = be.forward(leaves, ext)
        grads = be.grad(ops.sum(select_target(be.name, out, target, repeat=2)), leaves)
    finally:
        for h in handles:
            h.remove()
    return tuple(g[:n] for g in grads)


class DeepLiftShap(DeepLift):
    """DeepLift averaged over a distribution of baselines (one row each)."""

    def attribute(self, inputs: Any, baselines: Any, target: Any = None,
                  additional_forward_args: Any = None, return_convergence_delta: bool = False,
                  custom_attribution_func: Any = None) -> Any:
        """The mean DeepLift attribution over the baseline rows."""
        if return_convergence_delta or custom_attribution_func is not None:
            raise NotImplementedError("DeepLiftShap: convergence delta / custom functions")
        xs, is_tuple = inputs_tuple("DeepLiftShap", inputs)
        bs = baselines_arg(baselines, len(xs))
        bs = bs if isinstance(bs, tuple) else (bs,)
        rows = bs[0].shape[0]
        total = None
        for r in range(rows):
            res = DeepLift.attribute(self, wrap(xs, True), tuple(b[r:r + 1] for b in bs), target,
                                     additional_forward_args)  # fmt: skip
            arrs = tuple(t._data for t in res)
            total = arrs if total is None else tuple(ops.add(a, b) for a, b in zip(total, arrs))
        k = np.asarray(rows, total[0].dtype)
        return wrap(tuple(ops.div(t, k) for t in total), is_tuple)
