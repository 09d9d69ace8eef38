"""Captum's gradient and perturbation attribution classes in the eager style."""

from __future__ import annotations

from typing import Any

from ....core import attribution as A
from ._backend import EagerBackend
from ._format import baselines_arg, extra_tuple, inputs_tuple, target_arg, tensor, wrap


class Attribution:
    """Base of the attribution classes: holds the model (any callable returning a Tensor)."""

    def __init__(self, forward_func: Any) -> None:
        if not callable(forward_func):
            raise TypeError(f"{type(self).__name__}: forward_func must be callable")
        self.forward_func = forward_func

    def _backend(self) -> EagerBackend:
        return EagerBackend(self.forward_func, type(self).__name__)

    def has_convergence_delta(self) -> bool:
        """Whether attribute() can return a convergence delta."""
        return False


class Saliency(Attribution):
    """Gradients of the target with respect to the inputs (absolute values by default)."""

    def attribute(
        self, inputs: Any, target: Any = None, abs: bool = True, additional_forward_args: Any = None
    ) -> Any:
        """Saliency maps, one per input."""
        xs, is_tuple = inputs_tuple(type(self).__name__, inputs)
        out = A.saliency(self._backend(), xs, target_arg(target),
                         extra_tuple(additional_forward_args), abs)  # fmt: skip
        return wrap(out, is_tuple)


class InputXGradient(Attribution):
    """Each input times the gradient of the target with respect to it."""

    def __init__(self, forward_func: Any) -> None:
        super().__init__(forward_func)

    def attribute(
        self, inputs: Any, target: Any = None, additional_forward_args: Any = None
    ) -> Any:
        """Input x gradient, one map per input."""
        xs, is_tuple = inputs_tuple(type(self).__name__, inputs)
        out = A.input_x_gradient(self._backend(), xs, target_arg(target),
                                 extra_tuple(additional_forward_args))  # fmt: skip
        return wrap(out, is_tuple)


class IntegratedGradients(Attribution):
    """Integrated gradients (Gauss-Legendre by default, or a Riemann rule), steps batched."""

    def __init__(self, forward_func: Any, multiply_by_inputs: bool = True) -> None:
        super().__init__(forward_func)
        self.multiplies_by_inputs = multiply_by_inputs

    def has_convergence_delta(self) -> bool:
        """Integrated gradients reports a convergence delta."""
        return True

    def attribute(
        self,
        inputs: Any,
        baselines: Any = None,
        target: Any = None,
        additional_forward_args: Any = None,
        n_steps: int = 50,
        method: str = "gausslegendre",
        internal_batch_size: int | None = None,
        return_convergence_delta: bool = False,
    ) -> Any:
        """Attributions (and the per-example convergence delta when asked)."""
        xs, is_tuple = inputs_tuple(type(self).__name__, inputs)
        res = A.integrated_gradients(
            self._backend(), xs, baselines_arg(baselines, len(xs)), target_arg(target),
            extra_tuple(additional_forward_args), n_steps, method, internal_batch_size,
            self.multiplies_by_inputs, return_convergence_delta, batch=xs[0].shape[0],
        )  # fmt: skip
        if return_convergence_delta:
            return wrap(res[0], is_tuple), tensor(res[1])
        return wrap(res, is_tuple)


class GradientShap(Attribution):
    """Expected gradients over random baselines drawn from `baselines` and random path points."""

    def __init__(self, forward_func: Any, multiply_by_inputs: bool = True) -> None:
        super().__init__(forward_func)
        self.multiplies_by_inputs = multiply_by_inputs

    def has_convergence_delta(self) -> bool:
        """GradientShap reports a convergence delta (one per random sample)."""
        return True

    def attribute(
        self,
        inputs: Any,
        baselines: Any,
        n_samples: int = 5,
        stdevs: Any = 0.0,
        target: Any = None,
        additional_forward_args: Any = None,
        return_convergence_delta: bool = False,
    ) -> Any:
        """Attributions averaged over n_samples draws per example (and, when asked, the
        convergence delta of every draw, shape (batch * n_samples,))."""
        xs, is_tuple = inputs_tuple(type(self).__name__, inputs)
        if callable(baselines):
            baselines = baselines(wrap(xs, is_tuple))
        bs = baselines_arg(baselines, len(xs))
        res = A.gradient_shap(self._backend(), xs, bs if isinstance(bs, tuple) else (bs,),
                              n_samples, stdevs, target_arg(target),
                              extra_tuple(additional_forward_args),
                              self.multiplies_by_inputs, return_convergence_delta)  # fmt: skip
        if return_convergence_delta:
            return wrap(res[0], is_tuple), tensor(res[1])
        return wrap(res, is_tuple)


class NoiseTunnel:
    """SmoothGrad, SmoothGrad-squared or VarGrad around another attribution method."""

    def __init__(self, attribution_method: Any) -> None:
        if not hasattr(attribution_method, "attribute"):
            raise TypeError("NoiseTunnel: give an attribution method object (e.g. Saliency(m))")
        self.attribution_method = attribution_method
        self.forward_func = getattr(attribution_method, "forward_func", None)

    def has_convergence_delta(self) -> bool:
        """Whether the wrapped method reports a convergence delta."""
        has = getattr(self.attribution_method, "has_convergence_delta", None)
        return bool(has()) if has is not None else False

    def attribute(
        self,
        inputs: Any,
        nt_type: str = "smoothgrad",
        nt_samples: int = 5,
        nt_samples_batch_size: int | None = None,
        stdevs: Any = 1.0,
        draw_baseline_from_distrib: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The wrapped method's attributions aggregated over noisy copies of the inputs (and,
        with return_convergence_delta=True, the delta of every noisy copy)."""
        delta = bool(kwargs.pop("return_convergence_delta", False))
        if delta and not self.has_convergence_delta():
            raise ValueError(
                f"NoiseTunnel: return_convergence_delta=True, but "
                f"{type(self.attribution_method).__name__} has no convergence delta"
            )
        xs, is_tuple = inputs_tuple("NoiseTunnel", inputs)
        be = EagerBackend(self.forward_func, "NoiseTunnel")
        target = kwargs.pop("target", None)
        extra = extra_tuple(kwargs.pop("additional_forward_args", None))
        has_bases = "baselines" in kwargs
        bases = baselines_arg(kwargs.pop("baselines", None), len(xs))
        if has_bases and bases is None:
            bases = (0.0,) * len(xs)
        if bases is not None and not isinstance(bases, tuple):
            bases = (bases,)
        method = self.attribution_method

        def run(noisy, tgt, ext, bs):
            more = dict(kwargs)
            if bs is not None:
                more["baselines"] = tuple(tensor(b) if getattr(b, "ndim", 0) else b for b in bs)
            if delta:
                more["return_convergence_delta"] = True
            res = method.attribute(wrap(noisy, is_tuple), target=_tgt(tgt),
                                   additional_forward_args=ext or None, **more)  # fmt: skip
            attrs = res[0] if delta else res
            # as Captum: the result is a tuple when the method returned one (layer methods
            # return one tensor whatever the inputs)
            out_tuple[0] = isinstance(attrs, tuple)
            attrs = tuple(r._data for r in (attrs if out_tuple[0] else (attrs,)))
            return (attrs, res[1]._data) if delta else attrs

        out_tuple = [is_tuple]

        res = A.noise_tunnel(be, run, xs, nt_type, nt_samples, stdevs, target_arg(target), extra,
                             bases, draw_baseline_from_distrib, delta,
                             nt_samples_batch_size)  # fmt: skip
        if delta:
            return wrap(res[0], out_tuple[0]), tensor(res[1])
        return wrap(res, out_tuple[0])


def _tgt(t: Any) -> Any:
    import numpy as np

    return tensor(t) if isinstance(t, np.ndarray) else t


class Occlusion(Attribution):
    """Slide a window of baseline values over the inputs; the mean output drop per element."""

    def attribute(
        self,
        inputs: Any,
        sliding_window_shapes: Any,
        strides: Any = None,
        baselines: Any = None,
        target: Any = None,
        additional_forward_args: Any = None,
        perturbations_per_eval: int = 1,
        show_progress: bool = False,
    ) -> Any:
        """Occlusion attributions, one map per input."""
        xs, is_tuple = inputs_tuple(type(self).__name__, inputs)
        if not is_tuple:
            sliding_window_shapes, strides = (sliding_window_shapes,), (
                None if strides is None else (strides,))  # fmt: skip
        out = A.occlusion(self._backend(), xs, sliding_window_shapes, strides,
                          baselines_arg(baselines, len(xs)), target_arg(target),
                          extra_tuple(additional_forward_args),
                          perturbations_per_eval)  # fmt: skip
        return wrap(out, is_tuple)


class FeatureAblation(Attribution):
    """Replace each feature (group) by its baseline; the output drop is its attribution."""

    def attribute(
        self,
        inputs: Any,
        baselines: Any = None,
        target: Any = None,
        additional_forward_args: Any = None,
        feature_mask: Any = None,
        perturbations_per_eval: int = 1,
        show_progress: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Feature ablation attributions, one map per input."""
        xs, is_tuple = inputs_tuple(type(self).__name__, inputs)
        out = A.feature_ablation(self._backend(), xs, baselines_arg(baselines, len(xs)),
                                 target_arg(target), extra_tuple(additional_forward_args),
                                 feature_mask, perturbations_per_eval)  # fmt: skip
        return wrap(out, is_tuple)


class ShapleyValueSampling(Attribution):
    """Shapley values estimated from random orders of the feature groups."""

    def attribute(
        self,
        inputs: Any,
        baselines: Any = None,
        target: Any = None,
        additional_forward_args: Any = None,
        feature_mask: Any = None,
        n_samples: int = 25,
        perturbations_per_eval: int = 1,
        show_progress: bool = False,
    ) -> Any:
        """Sampled Shapley values, one map per input (orders from the shared stream)."""
        xs, is_tuple = inputs_tuple(type(self).__name__, inputs)
        out = A.shapley_value_sampling(self._backend(), xs, baselines_arg(baselines, len(xs)),
                                       target_arg(target), extra_tuple(additional_forward_args),
                                       feature_mask, n_samples,
                                       perturbations_per_eval)  # fmt: skip
        return wrap(out, is_tuple)
