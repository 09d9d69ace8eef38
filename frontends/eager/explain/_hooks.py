"""Attribution methods that change the backward pass of nonlinearity modules through hooks.

Guided backpropagation and deconvolution replace the gradient a ReLU module passes back, with
`register_full_backward_hook`, as Captum does; DeepLift's rescale rule replaces the output of each
ReLU / Sigmoid / Tanh module (a forward hook) by the shared `core.attribution.rescale.rescaled`.
Nonlinearities called as functions (F.relu) are not modules and keep their plain gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....core import ops
from ....core.attribution.backend import select_target
from ....core.attribution.rescale import deep_lift
from ..nn.layers import ReLU
from ..tensor import Tensor
from ._backend import EagerBackend
from ._format import baselines_arg, extra_tuple, inputs_tuple, target_arg, tensor, wrap
from ._gradient import Attribution


class _ReluOverride(Attribution):
    """Gradients where each ReLU module passes back a rectified gradient."""

    guided = True

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.model = model

    def attribute(
        self, inputs: Any, target: Any = None, additional_forward_args: Any = None
    ) -> Any:
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

        handles = [
            h
            for m in self.model.modules()
            if isinstance(m, ReLU)
            for h in (m.register_forward_hook(fwd), m.register_full_backward_hook(bwd))
        ]
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

    def attribute(
        self,
        inputs: Any,
        baselines: Any = None,
        target: Any = None,
        additional_forward_args: Any = None,
        return_convergence_delta: bool = False,
        custom_attribution_func: Any = None,
    ) -> Any:
        """Attributions (and the per-example convergence delta when asked)."""
        if custom_attribution_func is not None:
            raise NotImplementedError("DeepLift: custom_attribution_func")
        name = type(self).__name__
        xs, is_tuple = inputs_tuple(name, inputs)
        be = EagerBackend(self.forward_func, name, rescale_model=self.model)
        res = deep_lift(be, xs, baselines_arg(baselines, len(xs)), target_arg(target),
                        extra_tuple(additional_forward_args), self.eps,
                        self.multiplies_by_inputs, return_convergence_delta)  # fmt: skip
        if return_convergence_delta:
            return wrap(res[0], is_tuple), tensor(res[1])
        return wrap(res, is_tuple)


class DeepLiftShap(DeepLift):
    """DeepLift averaged over a distribution of baselines (one row each)."""

    def attribute(
        self,
        inputs: Any,
        baselines: Any,
        target: Any = None,
        additional_forward_args: Any = None,
        return_convergence_delta: bool = False,
        custom_attribution_func: Any = None,
    ) -> Any:
        """The mean DeepLift attribution over the baseline rows (and, when asked, the delta of
        every (example, baseline row) pair, example-major as Captum: shape (batch * rows,))."""
        if custom_attribution_func is not None:
            raise NotImplementedError("DeepLiftShap: custom_attribution_func")
        xs, is_tuple = inputs_tuple("DeepLiftShap", inputs)
        if callable(baselines):
            baselines = baselines(wrap(xs, is_tuple))
        bs = baselines_arg(baselines, len(xs))
        bs = bs if isinstance(bs, tuple) else (bs,)
        if any(getattr(b, "ndim", 0) == 0 or b.shape[0] < 1 for b in bs):
            raise ValueError("DeepLiftShap: baselines must be tensors of one or more rows")
        rows = bs[0].shape[0]
        total, deltas = None, []
        for r in range(rows):
            res = DeepLift.attribute(self, wrap(xs, True), tuple(b[r:r + 1] for b in bs), target,
                                     additional_forward_args,
                                     return_convergence_delta)  # fmt: skip
            if return_convergence_delta:
                res, d = res
                deltas.append(d._data)
            arrs = tuple(t._data for t in res)
            total = (
                arrs
                if total is None
                else tuple(ops.add(a, b) for a, b in zip(total, arrs, strict=True))
            )
        k = np.asarray(rows, total[0].dtype)
        out = wrap(tuple(ops.div(t, k) for t in total), is_tuple)
        if not return_convergence_delta:
            return out
        # rows computed baseline-major; Captum orders the pairs example-major
        return out, tensor(ops.reshape(ops.transpose(ops.stack(deltas, 0), (1, 0)), (-1,)))
