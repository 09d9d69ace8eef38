"""Model interpretation in the graph style: attribution tensors built into the model's graph.

Each function takes the model's output tensor and its input placeholder(s), rebuilds the model
on the tensors a method needs (path points, occluded copies) with `core.replay`, and returns
attribution tensors to fetch with `Session.run`. The arithmetic is the shared
`duograd.core.attribution`, so the eager style's Captum classes give the same bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core import attribution as A
from ...core.attribution.backend import LayerBackend, shape_of
from ...core.attribution.rescale import deep_lift as _deep_lift
from ...core.attribution.rescale import rescaled
from ...core.attribution.visualization import (  # noqa: F401 - re-exported
    VisualizationDataRecord,
    visualize_image_attr,
    visualize_image_attr_multiple,
    visualize_text,
)
from ...core.ir import Value
from ...core.replay import replay
from . import random_ops
from .gradients import gradients

# the TF op types DeepLift's rescale rule applies to (as a gradient_override_map would name them)
RESCALED_TYPES = ("Relu", "Sigmoid", "Tanh")


class GraphBackend(LayerBackend):
    """Reaches the model through its graph: the output rebuilt on other input tensors."""

    def __init__(
        self, output: Value, inputs: Sequence[Value], name: str, extra: Sequence[Value] = ()
    ) -> None:
        if not isinstance(output, Value):
            raise TypeError(f"{name}: output must be the model's output tensor, got {output!r}")
        for i, x in enumerate(inputs):
            if not isinstance(x, Value) or x.graph is not output.graph:
                raise TypeError(
                    f"{name}: input {i} must be a tensor of the output's graph, got {x!r}"
                )
        for i, a in enumerate(extra):
            if not isinstance(a, Value) or a.graph is not output.graph:
                raise TypeError(
                    f"{name}: additional forward argument {i} must be a tensor of the output's "
                    f"graph (one the model reads, e.g. a placeholder), got {a!r}"
                )
        self.output = output
        self.inputs = tuple(inputs)
        self.extra = tuple(extra)
        self.name = name

    def leaf(self, x: Any) -> Any:
        """Any tensor can be differentiated against."""
        return x

    def _map(self, inputs: Sequence[Any], extra: Sequence[Any] = ()) -> dict:
        m = {id(p): x for p, x in zip(self.inputs, inputs, strict=True) if x is not p}
        if extra:
            # the additional tensors, expanded with the batch where a method expands it
            m.update({id(p): a for p, a in zip(self.extra, extra, strict=True) if a is not p})
        return m

    def forward(self, inputs: Sequence[Any], extra: Sequence[Any]) -> Any:
        """The output rebuilt on `inputs` (the output itself when they are the placeholders)."""
        mapping = self._map(inputs, extra)
        return replay([self.output], mapping)[0] if mapping else self.output

    def grad(self, y: Any, xs: Sequence[Any]) -> tuple:
        """Gradient tensors (zeros where x does not reach y)."""
        return tuple(gradients(y, list(xs), unconnected_gradients="zero"))

    def random(self, kind: str, like: Any, dtype: np.dtype, a: float, b: float) -> Any:
        """Draws shaped like `like` from the shared stream at run time."""
        shape = shape_of(like)
        if None in shape:
            raise ValueError(
                f"{self.name}: random draws need a known batch size; give the input placeholder "
                f"a batch dimension (its shape is {shape})"
            )
        if kind == "normal":
            return random_ops.random_normal(shape, a, b, dtype=dtype)
        return random_ops.random_uniform(shape, a, b, dtype=dtype)

    def forward_layer(self, inputs, extra, layer, replace=None) -> tuple:
        """(output, layer tensor) rebuilt on `inputs`, the layer's value replaced when asked."""
        check_layer(self.name, self.output, layer)
        mapping = self._map(inputs, extra)
        if replace is not None:
            mapping[id(layer)] = replace
        if not mapping:
            return self.output, layer
        out, lay = replay([self.output, layer], mapping)
        return out, lay

    def forward_rescaled(self, inputs, extra, eps: float) -> Any:
        """The output rebuilt on `inputs` with each Relu / Sigmoid / Tanh op rescaled."""

        def rewrite(node, new):
            if node.attrs.get("type") not in RESCALED_TYPES or len(node.inputs) != 1:
                return None
            x = new.node.inputs[0]
            return rescaled(x, new, x, new, eps)

        return replay([self.output], self._map(inputs, extra), rewrite)[0]


def check_layer(name: str, output: Value, layer: Any) -> None:
    """Raise a named error unless `layer` is a tensor the output depends on."""
    if not isinstance(layer, Value) or layer.graph is not output.graph:
        raise ValueError(f"{name}: the layer must be a tensor of the model's graph, got {layer!r}")
    if layer.node.index > output.node.index or not _reaches(layer, output):
        raise ValueError(
            f"{name}: the layer tensor '{layer.node.name}' is not part of the model: the output "
            f"'{output.node.name}' does not depend on it"
        )


def _reaches(src: Value, dst: Value) -> bool:
    live = {id(src)}
    for node in src.graph.nodes[src.node.index + 1 : dst.node.index + 1]:
        if any(id(i) in live for i in node.inputs):
            live.add(id(node.output))
    return id(dst) in live


def _inputs(inputs: Any) -> tuple[tuple, bool]:
    is_tuple = isinstance(inputs, (tuple, list))
    return (tuple(inputs) if is_tuple else (inputs,)), is_tuple


def _extra(args: Any) -> tuple:
    """additional_forward_args as a tuple of tensors."""
    if args is None:
        return ()
    return tuple(args) if isinstance(args, (tuple, list)) else (args,)


def _out(res: tuple, is_tuple: bool) -> Any:
    return list(res) if is_tuple else res[0]


def saliency(
    output: Value,
    inputs: Any,
    target: Any = None,
    abs: bool = True,
    additional_forward_args: Any = None,
) -> Any:
    """Gradients of the target with respect to the inputs (absolute values by default)."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    return _out(A.saliency(GraphBackend(output, xs, "saliency", ex), xs, target, ex, abs), t)


def input_x_gradient(
    output: Value, inputs: Any, target: Any = None, additional_forward_args: Any = None
) -> Any:
    """Each input times the gradient of the target with respect to it."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "input_x_gradient", ex)
    return _out(A.input_x_gradient(be, xs, target, ex), t)


def integrated_gradients(
    output: Value,
    inputs: Any,
    target: Any = None,
    baselines: Any = None,
    n_steps: int = 50,
    method: str = "gausslegendre",
    internal_batch_size: int | None = None,
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
    additional_forward_args: Any = None,
) -> Any:
    """Integrated gradients tensors (and the per-example convergence delta when asked)."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "integrated_gradients", ex)
    res = A.integrated_gradients(be, xs, baselines, target, ex, n_steps, method,
                                 internal_batch_size, multiply_by_inputs,
                                 return_convergence_delta, batch=shape_of(xs[0])[0])  # fmt: skip
    if return_convergence_delta:
        return _out(res[0], t), res[1]
    return _out(res, t)


_METHODS = {"saliency": A.saliency, "input_x_gradient": A.input_x_gradient,
            "integrated_gradients": A.integrated_gradients}  # fmt: skip


def noise_tunnel(
    output: Value,
    inputs: Any,
    method: str = "saliency",
    nt_type: str = "smoothgrad",
    nt_samples: int = 5,
    stdevs: Any = 1.0,
    target: Any = None,
    draw_baseline_from_distrib: bool = False,
    nt_samples_batch_size: int | None = None,
    additional_forward_args: Any = None,
    **kwargs: Any,
) -> Any:
    """SmoothGrad / SmoothGrad-squared / VarGrad of "saliency", "input_x_gradient" or
    "integrated_gradients" (noise from the shared stream, drawn at each run); for integrated
    gradients `baselines` may be a distribution to draw rows from and
    `return_convergence_delta=True` adds the delta of every noisy copy."""
    if method not in _METHODS:
        raise ValueError(f"noise_tunnel: method must be one of {sorted(_METHODS)}, got {method!r}")
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "noise_tunnel", ex)
    fn = _METHODS[method]
    delta = bool(kwargs.pop("return_convergence_delta", False))
    if delta and method != "integrated_gradients":
        raise ValueError(f"noise_tunnel: return_convergence_delta=True, but {method} has no delta")
    has_bases = "baselines" in kwargs
    bases = kwargs.pop("baselines", None)
    if has_bases:
        bases = (0.0,) * len(xs) if bases is None else bases
        bases = tuple(bases) if isinstance(bases, (tuple, list)) else (bases,) * len(xs)
    if delta:
        kwargs["return_convergence_delta"] = True

    def run(noisy, tgt, ext, bs):
        more = dict(kwargs) if bs is None else dict(kwargs, baselines=bs)
        return fn(be, noisy, target=tgt, extra=ext, **more)

    res = A.noise_tunnel(be, run, xs, nt_type, nt_samples, stdevs, target, ex, bases,
                         draw_baseline_from_distrib, delta, nt_samples_batch_size)  # fmt: skip
    return (_out(res[0], t), res[1]) if delta else _out(res, t)


def gradient_shap(
    output: Value,
    inputs: Any,
    baselines: Any,
    n_samples: int = 5,
    stdevs: Any = 0.0,
    target: Any = None,
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
    additional_forward_args: Any = None,
) -> Any:
    """GradientShap (expected gradients) tensors; draws from the shared stream at each run
    (with the convergence delta of every draw when asked)."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    bs = tuple(baselines) if isinstance(baselines, (tuple, list)) else (baselines,)
    be = GraphBackend(output, xs, "gradient_shap", ex)
    res = A.gradient_shap(be, xs, bs, n_samples, stdevs, target, ex, multiply_by_inputs,
                          return_convergence_delta)  # fmt: skip
    return (_out(res[0], t), res[1]) if return_convergence_delta else _out(res, t)


def occlusion(
    output: Value,
    inputs: Any,
    sliding_window_shapes: Any,
    strides: Any = None,
    baselines: Any = None,
    target: Any = None,
    perturbations_per_eval: int = 1,
    additional_forward_args: Any = None,
) -> Any:
    """Occlusion tensors: the mean output drop when a sliding window takes the baseline."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    if not t:
        sliding_window_shapes = (sliding_window_shapes,)
        strides = None if strides is None else (strides,)
    be = GraphBackend(output, xs, "occlusion", ex)
    return _out(A.occlusion(be, xs, sliding_window_shapes, strides, baselines, target, ex,
                            perturbations_per_eval), t)  # fmt: skip


def feature_ablation(
    output: Value,
    inputs: Any,
    baselines: Any = None,
    target: Any = None,
    feature_mask: Any = None,
    perturbations_per_eval: int = 1,
    additional_forward_args: Any = None,
) -> Any:
    """Feature ablation tensors: the output drop when each feature group takes the baseline."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "feature_ablation", ex)
    return _out(A.feature_ablation(be, xs, baselines, target, ex, feature_mask,
                                   perturbations_per_eval), t)  # fmt: skip


def grad_cam(
    output: Value,
    layer_tensor: Value,
    target: Any = None,
    relu_attributions: bool = False,
    attr_dim_summation: bool = True,
) -> Value:
    """Grad-CAM at `layer_tensor` (NCHW): activations weighted by their mean gradient."""
    be = GraphBackend(output, (), "grad_cam")
    return A.grad_cam(be, (), layer_tensor, target, (), relu_attributions, attr_dim_summation)


def layer_integrated_gradients(
    output: Value,
    layer_tensor: Value,
    inputs: Any,
    baselines: Any = None,
    target: Any = None,
    n_steps: int = 50,
    method: str = "gausslegendre",
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
    internal_batch_size: int | None = None,
    additional_forward_args: Any = None,
) -> Any:
    """Integrated gradients of `layer_tensor` along the path from its value at the baselines."""
    from ...core.attribution.gradient import baselines_for

    xs, _ = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "layer_integrated_gradients", ex)
    bs = baselines_for(be, xs, baselines)
    return A.layer_integrated_gradients(
        be, xs, layer_tensor, bs, target, ex, n_steps, method, multiply_by_inputs,
        return_convergence_delta, internal_batch_size, batch=shape_of(xs[0])[0],
    )  # fmt: skip


def neuron_gradient(
    output: Value,
    layer_tensor: Value,
    inputs: Any,
    neuron_selector: Any,
    additional_forward_args: Any = None,
) -> Any:
    """Gradient of one neuron of `layer_tensor` with respect to the inputs."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "neuron_gradient", ex)
    return _out(A.neuron_gradient(be, xs, layer_tensor, neuron_selector, ex), t)


def deep_lift(
    output: Value,
    inputs: Any,
    baselines: Any = None,
    target: Any = None,
    eps: float = 1e-10,
    multiply_by_inputs: bool = True,
    return_convergence_delta: bool = False,
    custom_attribution_func: Any = None,
    additional_forward_args: Any = None,
) -> Any:
    """DeepLift (rescale rule at every Relu / Sigmoid / Tanh op between inputs and output);
    `custom_attribution_func(multipliers[, inputs[, baselines]])` (tuples of tensors) may
    turn the multipliers into attributions, as Captum's."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "deep_lift", ex)
    custom = None
    if custom_attribution_func is not None:
        import inspect

        n = len(inspect.signature(custom_attribution_func).parameters)

        def custom(mults, ins, bases):
            res = custom_attribution_func(*(mults, ins, bases)[:n])
            return res if isinstance(res, (tuple, list)) else (res,)

    res = _deep_lift(be, xs, baselines, target, ex, eps, multiply_by_inputs,
                     return_convergence_delta, custom)  # fmt: skip
    if return_convergence_delta:
        return _out(res[0], t), res[1]
    return _out(res, t)


def shapley_value_sampling(
    output: Value,
    inputs: Any,
    baselines: Any = None,
    target: Any = None,
    feature_mask: Any = None,
    n_samples: int = 25,
    perturbations_per_eval: int = 1,
    additional_forward_args: Any = None,
) -> Any:
    """Sampled Shapley values (feature orders drawn from the shared stream at build time)."""
    xs, t = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "shapley_value_sampling", ex)
    return _out(A.shapley_value_sampling(be, xs, baselines, target, ex, feature_mask, n_samples,
                                         perturbations_per_eval), t)  # fmt: skip


def layer_conductance(
    output: Value,
    layer_tensor: Value,
    inputs: Any,
    baselines: Any = None,
    target: Any = None,
    n_steps: int = 50,
    method: str = "gausslegendre",
    internal_batch_size: int | None = None,
    return_convergence_delta: bool = False,
    additional_forward_args: Any = None,
) -> Any:
    """Conductance of the neurons of `layer_tensor` along the input path."""
    from ...core.attribution.gradient import baselines_for

    xs, _ = _inputs(inputs)
    ex = _extra(additional_forward_args)
    be = GraphBackend(output, xs, "layer_conductance", ex)
    bs = baselines_for(be, xs, baselines)
    return A.layer_conductance(be, xs, layer_tensor, bs, target, ex, n_steps, method,
                               internal_batch_size, shape_of(xs[0])[0],
                               return_convergence_delta)  # fmt: skip


__all__ = [
    "GraphBackend", "VisualizationDataRecord", "deep_lift", "feature_ablation", "grad_cam",
    "gradient_shap", "input_x_gradient", "integrated_gradients", "layer_conductance",
    "layer_integrated_gradients", "shapley_value_sampling",
    "neuron_gradient", "noise_tunnel", "occlusion", "saliency", "visualize_image_attr",
    "visualize_image_attr_multiple", "visualize_text",
]  # fmt: skip

# rewritten backward passes (guided backprop, deconvolution, LRP) and LRP's rules
from ...core.attribution.rules import (  # noqa: E402
    Alpha1_Beta0_Rule,
    EpsilonRule,
    GammaRule,
    IdentityRule,
    PropagationRule,
)
from .explain_rules import deconvolution, guided_backprop, guided_grad_cam, lrp  # noqa: E402

__all__ += [
    "Alpha1_Beta0_Rule", "EpsilonRule", "GammaRule", "IdentityRule", "PropagationRule",
    "deconvolution", "guided_backprop", "guided_grad_cam", "lrp",
]  # fmt: skip
