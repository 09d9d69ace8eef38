"""Bad inputs raise named errors: targets, baselines, layers, methods, parameters."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.eager.explain as E
import duograd.frontends.graph as tf
import duograd.frontends.graph.explain as G
import numpy as np
import pytest
from explain_models import eager_cnn, graph_cnn, images, weights

X = torch.from_numpy(images())


@pytest.fixture(scope="module")
def m():
    return eager_cnn(weights())


def test_target_out_of_range(m):
    with pytest.raises(IndexError, match="IntegratedGradients: target 3 is out of range"):
        E.IntegratedGradients(m).attribute(X, target=3)
    with pytest.raises(IndexError, match=r"Saliency: targets must lie in \[0, 3\)"):
        E.Saliency(m).attribute(X, target=[0, 1, 5, 0])
    with pytest.raises(ValueError, match="Saliency: 2 targets for a batch of 4"):
        E.Saliency(m).attribute(X, target=[0, 1])
    with pytest.raises(ValueError, match="give a target"):
        E.Saliency(m).attribute(X)


def test_baselines_of_the_wrong_shape(m):
    with pytest.raises(ValueError, match=r"IntegratedGradients: baseline 0 has shape \(1, 7, 8\)"):
        E.IntegratedGradients(m).attribute(X, baselines=torch.zeros(1, 7, 8), target=0)
    with pytest.raises(ValueError, match="Occlusion: baseline 0 has shape"):
        E.Occlusion(m).attribute(X, (1, 2, 2), baselines=torch.zeros(3, 8), target=0)
    with pytest.raises(ValueError, match="2 baselines for 1 inputs"):
        E.IntegratedGradients(m).attribute(X, baselines=(0.0, 0.0), target=0)


def test_layer_not_in_the_model(m):
    other = torch.nn.Conv2d(1, 4, 3)
    with pytest.raises(ValueError, match="LayerGradCam: the layer Conv2d is not part of the model"):
        E.LayerGradCam(m, other)

    def fn(x):
        return m(x)

    with pytest.raises(ValueError, match="was not called when the model ran"):
        E.LayerGradCam(fn, other).attribute(X, target=0)


def test_bad_parameters(m):
    with pytest.raises(ValueError, match="method must be one of"):
        E.IntegratedGradients(m).attribute(X, target=0, method="simpson")
    with pytest.raises(ValueError, match="needs n_steps >= 2"):
        E.IntegratedGradients(m).attribute(X, target=0, n_steps=1, method="riemann_left")
    with pytest.raises(ValueError, match="internal_batch_size 2 is smaller than the batch of 4"):
        E.IntegratedGradients(m).attribute(X, target=0, internal_batch_size=2)
    with pytest.raises(ValueError, match="nt_type must be one of"):
        E.NoiseTunnel(E.Saliency(m)).attribute(X, nt_type="smooth", target=0)
    with pytest.raises(ValueError, match="sliding window .* exceeds"):
        E.Occlusion(m).attribute(X, (1, 9, 2), target=0)
    with pytest.raises(TypeError, match="input 0 must be a float tensor"):
        E.Saliency(m).attribute(torch.zeros(2, 1, 8, 8, dtype=torch.int64), target=0)


def test_graph_errors():
    g = tf.Graph()
    with g.as_default():
        px, act, logits = graph_cnn(weights())
        stray = tf.placeholder(tf.float32, [None, 4, 8, 8])
        with pytest.raises(ValueError, match="grad_cam: the layer tensor .* is not part"):
            G.grad_cam(logits, stray, 0)
        with pytest.raises(IndexError, match="integrated_gradients: target 7 is out of range"):
            G.integrated_gradients(logits, px, 7)
        with pytest.raises(ValueError, match="baseline 0 has shape"):
            G.integrated_gradients(logits, px, 0, baselines=np.zeros((2, 8), np.float32))
        with pytest.raises(ValueError, match="random draws need a known batch size"):
            G.noise_tunnel(logits, px, target=0)
        with pytest.raises(ValueError, match="noise_tunnel: method must be one of"):
            G.noise_tunnel(logits, px, method="occlusion", target=0)


def test_a_failed_attribution_leaves_the_model_unhooked(m):
    with pytest.raises(IndexError):
        E.GuidedBackprop(m).attribute(X, target=9)
    with pytest.raises(IndexError):
        E.DeepLift(m).attribute(X, target=9)
    assert not any(mod._forward_hooks or mod._backward_hooks for mod in m.modules())
    x = X.clone().requires_grad_()
    m(x)[:, 1].sum().backward()
    np.testing.assert_array_equal(
        E.Saliency(m).attribute(X, target=1, abs=False).numpy(), x.grad.numpy()
    )
