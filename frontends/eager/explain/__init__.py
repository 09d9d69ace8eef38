"""Model interpretation in the eager style with Captum's `captum.attr` interface.

`from captum.attr import IntegratedGradients` becomes
`from duograd.frontends.eager.explain import IntegratedGradients`; the arithmetic is the shared
`duograd.core.attribution`, so the graph style's `explain` gives the same bits.
"""

from ....core.attribution.rules import (
    Alpha1_Beta0_Rule,
    EpsilonRule,
    GammaRule,
    IdentityRule,
    PropagationRule,
)
from ....core.attribution.visualization import (
    VisualizationDataRecord,
    visualize_image_attr,
    visualize_image_attr_multiple,
    visualize_text,
)
from ._gradient import (
    Attribution,
    FeatureAblation,
    GradientShap,
    InputXGradient,
    IntegratedGradients,
    NoiseTunnel,
    Occlusion,
    Saliency,
    ShapleyValueSampling,
)
from ._hooks import Deconvolution, DeepLift, DeepLiftShap, GuidedBackprop
from ._layer import (
    GuidedGradCam,
    LayerConductance,
    LayerGradCam,
    LayerIntegratedGradients,
    NeuronGradient,
)
from ._lrp import LRP

__all__ = [
    "Alpha1_Beta0_Rule", "EpsilonRule", "GammaRule", "IdentityRule", "PropagationRule",
    "Attribution", "Deconvolution", "DeepLift", "DeepLiftShap", "FeatureAblation",
    "GradientShap", "GuidedBackprop", "GuidedGradCam", "InputXGradient", "IntegratedGradients",
    "LRP", "LayerConductance", "LayerGradCam", "LayerIntegratedGradients", "NeuronGradient",
    "NoiseTunnel", "Occlusion", "Saliency", "ShapleyValueSampling", "VisualizationDataRecord",
    "visualize_image_attr", "visualize_image_attr_multiple", "visualize_text",
]  # fmt: skip
