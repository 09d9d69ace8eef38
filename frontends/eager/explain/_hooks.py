"""Attribution methods that change the backward pass of nonlinearity modules through hooks.

Guided backpropagation and deconvolution give each ReLU module's output the shared rectified
backward rule (`core.attribution.rules`, through a forward hook); DeepLift's rescale rule
replaces the output of each ReLU / Sigmoid / Tanh module (a forward hook) by the shared
`core.attribution.rescale.rescaled`.
Nonlinearities called as functions (F.relu) are not modules and keep their plain gradient.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ....core import ops
from ....core.attribution.rescale import deep_lift
from ....core.attribution.rules import deconv_relu, guided_relu, rectified_backprop
from ..nn.layers import ReLU
from ..tensor import Tensor
from ._backend import EagerBackend
from ._format import baselines_arg, extra_tuple, inputs_tuple, target_arg, tensor, wrap
from ._gradient import Attribution


class RectifiedBackend(EagerBackend):
    """Runs the model with each ReLU module's backward pass rectified (shared core rules)."""

    def __init__(self, forward_func: Any, name: str, model: Any) -> None:
        super().__init__(forward_func, name)
        self.model = model

    def forward_rectified(self, inputs, extra, guided: bool) -> Tensor:
        """The output, every ReLU module giving guided_relu / deconv_relu."""
        rule = guided_relu if guided else deconv_relu
        handles = [m.register_forward_hook(lambda mod, a, out: rule(a[0], out))
                   for m in self.model.modules() if isinstance(m, ReLU)]  # fmt: skip
        try:
            return self.forward(inputs, extra)
        finally:
            for h in handles:
                h.remove()


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
        be = RectifiedBackend(self.forward_func, name, self.model)
        grads = rectified_backprop(be, xs, target_arg(target),
                                   extra_tuple(additional_forward_args), self.guided)  # fmt: skip
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
        name = type(self).__name__
        xs, is_tuple = inputs_tuple(name, inputs)
        be = EagerBackend(self.forward_func, name, rescale_model=self.model)
        res = deep_lift(be, xs, baselines_arg(baselines, len(xs)), target_arg(target),
                        extra_tuple(additional_forward_args), self.eps,
                        self.multiplies_by_inputs, return_convergence_delta,
                        _custom(name, custom_attribution_func))  # fmt: skip
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
                                     additional_forward_args, return_convergence_delta,
                                     custom_attribution_func)  # fmt: skip
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


def _custom(name: str, func: Any) -> Any:
    """Captum's custom_attribution_func (1 to 3 parameters) on arrays, through tensors."""
    if func is None:
        return None
    if not callable(func):
        raise TypeError(f"{name}: custom_attribution_func must be callable, got {func!r}")
    n = len(inspect.signature(func).parameters)
    if not 1 <= n <= 3:
        raise ValueError(
            f"{name}: custom_attribution_func must take 1 to 3 arguments (multipliers, inputs, "
            f"baselines), it takes {n}"
        )

    def call(mults, inputs, bases):
        args = (wrap(mults, True), wrap(inputs, True), wrap(bases, True))[:n]
        res = func(*args)
        res = res if isinstance(res, (tuple, list)) else (res,)
        if len(res) != len(mults) or not all(isinstance(r, Tensor) for r in res):
            raise ValueError(
                f"{name}: custom_attribution_func must return one tensor per input "
                f"({len(mults)}), got {len(res)} values"
            )
        return tuple(r._data for r in res)

    return call
