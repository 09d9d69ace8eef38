"""Captum's layer and neuron attribution classes in the eager style."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ....core import attribution as A
from ._backend import EagerBackend, check_layer
from ._format import baselines_arg, extra_tuple, inputs_tuple, target_arg, tensor, wrap
from ._gradient import Attribution


class _LayerAttribution(Attribution):
    def __init__(self, forward_func: Any, layer: Any, device_ids: Any = None) -> None:
        super().__init__(forward_func)
        check_layer(type(self).__name__, forward_func, layer)
        self.layer = layer
        self.device_ids = device_ids

    def _backend(self, layer_input: bool = False) -> EagerBackend:
        return EagerBackend(self.forward_func, type(self).__name__, layer_input=bool(layer_input))


class LayerGradCam(_LayerAttribution):
    """Grad-CAM: the layer's activations weighted by their spatially averaged gradients."""

    def attribute(
        self,
        inputs: Any,
        target: Any = None,
        additional_forward_args: Any = None,
        attribute_to_layer_input: bool = False,
        relu_attributions: bool = False,
        attr_dim_summation: bool = True,
    ) -> Any:
        """The class activation map at the layer's resolution, shape (batch, 1, ...)."""
        xs, _ = inputs_tuple("LayerGradCam", inputs)
        be = self._backend(attribute_to_layer_input)
        out = A.grad_cam(be, xs, self.layer, target_arg(target),
                         extra_tuple(additional_forward_args), relu_attributions,
                         attr_dim_summation)  # fmt: skip
        return tensor(out)


class LayerIntegratedGradients(_LayerAttribution):
    """Integrated gradients of the layer's output, from its activations at the baselines."""

    def __init__(
        self, forward_func: Any, layer: Any, device_ids: Any = None, multiply_by_inputs: bool = True
    ) -> None:
        super().__init__(forward_func, layer, device_ids)
        self.multiplies_by_inputs = multiply_by_inputs

    def has_convergence_delta(self) -> bool:
        """Layer integrated gradients reports a convergence delta."""
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
        attribute_to_layer_input: bool = False,
    ) -> Any:
        """Attributions of the layer's output (and the convergence delta when asked)."""
        xs, _ = inputs_tuple("LayerIntegratedGradients", inputs)
        from ....core.attribution.gradient import baselines_for

        be = self._backend(attribute_to_layer_input)
        bs = baselines_for(be, xs, baselines_arg(baselines, len(xs)))
        res = A.layer_integrated_gradients(
            be, xs, self.layer, bs, target_arg(target), extra_tuple(additional_forward_args),
            n_steps, method, self.multiplies_by_inputs, return_convergence_delta,
            internal_batch_size, batch=xs[0].shape[0],
        )  # fmt: skip
        if return_convergence_delta:
            return tensor(res[0]), tensor(res[1])
        return tensor(res)


class NeuronGradient(_LayerAttribution):
    """Gradient of one neuron of the layer's output with respect to the inputs."""

    def attribute(
        self,
        inputs: Any,
        neuron_selector: Any,
        additional_forward_args: Any = None,
        attribute_to_neuron_input: bool = False,
    ) -> Any:
        """One gradient map per input."""
        xs, is_tuple = inputs_tuple("NeuronGradient", inputs)
        be = self._backend(attribute_to_neuron_input)
        out = A.neuron_gradient(be, xs, self.layer, neuron_selector,
                                extra_tuple(additional_forward_args))  # fmt: skip
        return wrap(out, is_tuple)


class LayerConductance(_LayerAttribution):
    """Conductance: how much each neuron of the layer carries of the input path's attribution."""

    def has_convergence_delta(self) -> bool:
        """Conductance reports a convergence delta."""
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
        attribute_to_layer_input: bool = False,
    ) -> Any:
        """Conductance of the layer's output neurons, shaped like the layer's output."""
        from ....core.attribution.gradient import baselines_for

        xs, _ = inputs_tuple("LayerConductance", inputs)
        be = self._backend(attribute_to_layer_input)
        bs = baselines_for(be, xs, baselines_arg(baselines, len(xs)))
        res = A.layer_conductance(be, xs, self.layer, bs, target_arg(target),
                                  extra_tuple(additional_forward_args), n_steps, method,
                                  internal_batch_size, xs[0].shape[0],
                                  return_convergence_delta)  # fmt: skip
        if return_convergence_delta:
            return tensor(res[0]), tensor(res[1])
        return tensor(res)


class GuidedGradCam(_LayerAttribution):
    """Guided backpropagation times Grad-CAM (ReLU'd) upsampled to the input's size."""

    def __init__(self, model: Any, layer: Any, device_ids: Any = None) -> None:
        super().__init__(model, layer, device_ids)
        self.model = model

    def attribute(
        self,
        inputs: Any,
        target: Any = None,
        additional_forward_args: Any = None,
        interpolate_mode: str = "nearest",
        attribute_to_layer_input: bool = False,
    ) -> Any:
        """One map per input, shaped like the input."""
        from ....core import ops
        from ....core.attribution.layer import upsample
        from ._hooks import GuidedBackprop

        xs, is_tuple = inputs_tuple("GuidedGradCam", inputs)
        cam = A.grad_cam(
            self._backend(attribute_to_layer_input),
            xs,
            self.layer,
            target_arg(target),
            extra_tuple(additional_forward_args),
            relu_attributions=True,
        )
        gbp = GuidedBackprop(self.model).attribute(wrap(xs, True), target,
                                                   additional_forward_args)  # fmt: skip
        out = []
        for x, g in zip(xs, gbp, strict=True):
            if cam.ndim != x.ndim:
                # as Captum: a map that cannot be resized to this input gives an empty tensor
                warnings.warn(
                    f"GuidedGradCam: the layer's Grad-CAM map of shape {cam.shape} cannot be "
                    f"resized to the input's shape {x.shape}; returning an empty tensor for it",
                    stacklevel=2,
                )
                out.append(np.empty((0,), x.dtype))
                continue
            up = upsample("GuidedGradCam", cam, tuple(x.shape[2:]), interpolate_mode)
            out.append(ops.mul(g._data, up))
        return wrap(out, is_tuple)
