"""Sanity checks: integrated gradients' completeness and the model-randomisation check."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.eager.explain as E
import duograd.frontends.graph as tf
import duograd.frontends.graph.explain as G
import numpy as np
import pytest
from explain_models import eager_cnn, graph_cnn, images, weights

X = images()


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_middle"])
def test_ig_completeness_eager(method):
    m = eager_cnn(weights())
    x = torch.from_numpy(X)
    attr, delta = E.IntegratedGradients(m).attribute(
        x, target=1, n_steps=64, method=method, return_convergence_delta=True
    )
    with torch.no_grad():
        gap = (m(x)[:, 1] - m(torch.zeros_like(x))[:, 1]).numpy()
    total = attr.numpy().reshape(4, -1).sum(axis=1)
    # the reported delta is exactly sum(attributions) - (f(x) - f(baseline)) ...
    np.testing.assert_allclose(total - gap, delta.numpy(), rtol=1e-4, atol=1e-5)
    # ... and small next to the gap it explains
    assert np.all(np.abs(delta.numpy()) <= 0.02 * np.abs(gap).max())


def test_ig_completeness_graph():
    g = tf.Graph()
    with g.as_default():
        px, _, logits = graph_cnn(weights())
        attr, delta = G.integrated_gradients(
            logits, px, 0, n_steps=64, return_convergence_delta=True
        )
        with tf.Session() as s:
            a, d, full = s.run([attr, delta, logits], {px: X})
            base = s.run(logits, {px: np.zeros_like(X)})
    gap = full[:, 0] - base[:, 0]
    np.testing.assert_allclose(a.reshape(4, -1).sum(axis=1) - gap, d, rtol=1e-4, atol=1e-5)
    assert np.all(np.abs(d) <= 0.02 * np.abs(gap).max())


def _methods(m):
    x = torch.from_numpy(X)
    bl = torch.from_numpy(images(2, 8))
    return {
        "Saliency": lambda: E.Saliency(m).attribute(x, target=1),
        "InputXGradient": lambda: E.InputXGradient(m).attribute(x, target=1),
        "IntegratedGradients": lambda: E.IntegratedGradients(m).attribute(x, target=1, n_steps=8),
        "GradientShap": lambda: (torch.manual_seed(0),
                                 E.GradientShap(m).attribute(x, bl, target=1))[1],
        "NoiseTunnel": lambda: (torch.manual_seed(0), E.NoiseTunnel(E.Saliency(m)).attribute(
            x, nt_samples=2, stdevs=0.1, target=1))[1],
        "GuidedBackprop": lambda: E.GuidedBackprop(m).attribute(x, target=1),
        "Deconvolution": lambda: E.Deconvolution(m).attribute(x, target=1),
        "DeepLift": lambda: E.DeepLift(m).attribute(x, target=1),
        "DeepLiftShap": lambda: E.DeepLiftShap(m).attribute(x, bl, target=1),
        "LayerGradCam": lambda: E.LayerGradCam(m, m.conv).attribute(x, target=1),
        "LayerIntegratedGradients": lambda: E.LayerIntegratedGradients(m, m.conv).attribute(
            x, target=1, n_steps=8),
        "LayerConductance": lambda: E.LayerConductance(m, m.conv).attribute(x, target=1,
                                                                            n_steps=8),
        "NeuronGradient": lambda: E.NeuronGradient(m, m.conv).attribute(x, (0, 3, 3)),
        "LRP": lambda: E.LRP(m).attribute(x, target=1),
        "LRP_GammaRule": lambda: (setattr(m.conv, "rule", E.GammaRule()),
                                  E.LRP(m).attribute(x, target=1))[1],
        "LRP_Alpha1_Beta0_Rule": lambda: (setattr(m.conv, "rule", E.Alpha1_Beta0_Rule()),
                                          E.LRP(m).attribute(x, target=1))[1],
        "GuidedGradCam": lambda: E.GuidedGradCam(m, m.conv).attribute(x, target=1),
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(_methods(None)))
def test_model_randomisation(name):
    # attributions that stay the same when the weights are re-drawn explain nothing of the model
    trained = _methods(eager_cnn(weights(0)))[name]().numpy()
    rand = _methods(eager_cnn(weights(11)))[name]().numpy()
    assert np.isfinite(trained).all() and np.isfinite(rand).all()
    corr = np.corrcoef(np.abs(trained).ravel(), np.abs(rand).ravel())[0, 1]
    assert not np.allclose(trained, rand, rtol=1e-3, atol=1e-6)
    assert corr < 0.9, f"{name}: attributions barely change with new weights (corr {corr:.3f})"
