"""Attribution methods written once with core operations, for both frontends.

Each method receives a `Backend` that says how to reach the model in one style (run it on new
inputs, differentiate it, draw noise). The arithmetic in between is core operations, so the
eager and graph styles run the same kernels in the same order and give the same bits.
"""

from .approximation import step_sizes_and_alphas
from .backend import Backend, LayerBackend
from .gradient import gradient_shap, input_x_gradient, integrated_gradients, noise_tunnel, saliency
from .layer import (
    grad_cam,
    layer_conductance,
    layer_integrated_gradients,
    neuron_gradient,
    upsample_nearest,
)
from .perturbation import feature_ablation, occlusion
from .rescale import deep_lift
from .shapley import shapley_value_sampling

__all__ = [
    "Backend", "LayerBackend", "feature_ablation", "grad_cam", "gradient_shap",
    "input_x_gradient", "integrated_gradients", "layer_integrated_gradients", "neuron_gradient",
    "noise_tunnel", "occlusion", "saliency", "step_sizes_and_alphas", "deep_lift",
    "layer_conductance", "shapley_value_sampling", "upsample_nearest",
]  # fmt: skip
