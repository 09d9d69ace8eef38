"""The same model with the same weights in both styles gives bitwise-equal attributions."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.eager.explain as E
import duograd.frontends.graph as tf
import duograd.frontends.graph.explain as G
import numpy as np
import pytest
from explain_models import eager_cnn, graph_cnn, images, weights

W = weights()
X = images()


def _graph(build, batch=None, pool=True, seed=None):
    g = tf.Graph()
    with g.as_default():
        px, act, logits = graph_cnn(W, batch, pool)
        if seed is not None:
            tf.set_random_seed(seed)
        t = build(px, act, logits)
        with tf.Session() as s:
            return s.run(t, {px: X})


def _equal(a, b):
    a = a.numpy() if hasattr(a, "numpy") else np.asarray(a)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a, b), np.max(np.abs(a - b))


@pytest.fixture(scope="module")
def model():
    return eager_cnn(W), torch.from_numpy(X)


@pytest.mark.parametrize("batch", [None, 4])
def test_gradient_methods(model, batch):
    m, x = model
    _equal(E.Saliency(m).attribute(x, target=1), _graph(lambda p, a, y: G.saliency(y, p, 1), batch))
    _equal(
        E.InputXGradient(m).attribute(x, target=[0, 1, 2, 0]),
        _graph(lambda p, a, y: G.input_x_gradient(y, p, [0, 1, 2, 0]), batch),
    )
    ea, ed = E.IntegratedGradients(m).attribute(
        x, target=1, n_steps=8, return_convergence_delta=True
    )
    ga, gd = _graph(
        lambda p, a, y: G.integrated_gradients(y, p, 1, n_steps=8, return_convergence_delta=True),
        batch,
    )
    _equal(ea, ga)
    _equal(ed, gd)  # fmt: skip


def test_riemann_and_internal_batch(model):
    m, x = model
    _equal(E.IntegratedGradients(m).attribute(x, baselines=0.3, target=2, n_steps=6,
                                              method="riemann_trapezoid", internal_batch_size=8),
           _graph(lambda p, a, y: G.integrated_gradients(
               y, p, 2, 0.3, 6, "riemann_trapezoid", internal_batch_size=8), 4))  # fmt: skip


def test_perturbation_methods(model):
    m, x = model
    _equal(
        E.Occlusion(m).attribute(
            x, (1, 3, 3), strides=(1, 2, 2), target=0, perturbations_per_eval=4
        ),
        _graph(
            lambda p, a, y: G.occlusion(
                y, p, (1, 3, 3), (1, 2, 2), target=0, perturbations_per_eval=4
            )
        ),
    )
    fm = np.arange(64).reshape(1, 1, 8, 8) // 16
    _equal(
        E.FeatureAblation(m).attribute(x, target=1, feature_mask=torch.from_numpy(fm)),
        _graph(lambda p, a, y: G.feature_ablation(y, p, target=1, feature_mask=fm)),
    )
    torch.manual_seed(5)
    e = E.ShapleyValueSampling(m).attribute(
        x, target=1, feature_mask=torch.from_numpy(fm), n_samples=2, perturbations_per_eval=3
    )
    _equal(
        e,
        _graph(
            lambda p, a, y: G.shapley_value_sampling(
                y, p, target=1, feature_mask=fm, n_samples=2, perturbations_per_eval=3
            ),
            seed=5,
        ),
    )


def test_layer_methods(model):
    m, x = model
    _equal(
        E.LayerGradCam(m, m.relu).attribute(x, target=1),
        _graph(lambda p, a, y: G.grad_cam(y, a, 1)),
    )
    _equal(
        E.LayerIntegratedGradients(m, m.relu).attribute(x, target=1, n_steps=5),
        _graph(lambda p, a, y: G.layer_integrated_gradients(y, a, p, target=1, n_steps=5)),
    )
    _equal(
        E.LayerConductance(m, m.relu).attribute(x, target=2, n_steps=5),
        _graph(lambda p, a, y: G.layer_conductance(y, a, p, target=2, n_steps=5)),
    )
    _equal(E.NeuronGradient(m, m.relu).attribute(x, (1, 2, 3)),
           _graph(lambda p, a, y: G.neuron_gradient(y, a, p, (1, 2, 3))))  # fmt: skip


def test_deep_lift():
    m = eager_cnn(W, pool=False)
    a, d = E.DeepLift(m).attribute(
        torch.from_numpy(X), baselines=0.1, target=1, return_convergence_delta=True
    )
    b, e = _graph(
        lambda p, _a, y: G.deep_lift(y, p, 0.1, 1, return_convergence_delta=True), pool=False
    )
    _equal(a, b)
    _equal(d, e)


def test_random_methods_with_the_same_seed(model):
    m, x = model
    torch.manual_seed(3)
    a = E.NoiseTunnel(E.Saliency(m)).attribute(
        x, nt_type="vargrad", nt_samples=3, stdevs=0.2, target=1
    )
    _equal(
        a,
        _graph(
            lambda p, _a, y: G.noise_tunnel(y, p, "saliency", "vargrad", 3, 0.2, 1), batch=4, seed=3
        ),
    )
    bl = images(3, 7)
    torch.manual_seed(4)
    a = E.GradientShap(m).attribute(
        x, baselines=torch.from_numpy(bl), n_samples=3, stdevs=0.1, target=1
    )
    _equal(
        a,
        _graph(lambda p, _a, y: G.gradient_shap(y, p, tf.constant(bl), 3, 0.1, 1), batch=4, seed=4),
    )


def test_layer_methods_chunked_and_deltas(model):
    m, x = model
    ea, ed = E.LayerConductance(m, m.relu).attribute(
        x, target=2, n_steps=6, internal_batch_size=12, return_convergence_delta=True
    )
    ga, gd = _graph(
        lambda p, a, y: G.layer_conductance(
            y, a, p, target=2, n_steps=6, internal_batch_size=12, return_convergence_delta=True
        ),
        4,
    )
    _equal(ea, ga)
    _equal(ed, gd)
    _equal(
        E.LayerIntegratedGradients(m, m.relu).attribute(x, target=1, n_steps=5,
                                                        internal_batch_size=8),
        _graph(lambda p, a, y: G.layer_integrated_gradients(y, a, p, target=1, n_steps=5,
                                                            internal_batch_size=8), 4),
    )  # fmt: skip


def test_random_methods_with_deltas_and_drawn_baselines(model):
    m, x = model
    bl = images(3, 7)
    torch.manual_seed(6)
    ea, ed = E.NoiseTunnel(E.IntegratedGradients(m)).attribute(
        x, nt_samples=2, stdevs=0.1, target=1, n_steps=4, baselines=torch.from_numpy(bl),
        draw_baseline_from_distrib=True, return_convergence_delta=True,
    )  # fmt: skip
    ga, gd = _graph(
        lambda p, _a, y: G.noise_tunnel(
            y,
            p,
            "integrated_gradients",
            "smoothgrad",
            2,
            0.1,
            1,
            draw_baseline_from_distrib=True,
            baselines=tf.constant(bl),
            n_steps=4,
            return_convergence_delta=True,
        ),
        batch=4,
        seed=6,
    )
    _equal(ea, ga)
    _equal(ed, gd)
    torch.manual_seed(8)
    ea, ed = E.GradientShap(m).attribute(
        x, baselines=torch.from_numpy(bl), n_samples=3, stdevs=0.1, target=2,
        return_convergence_delta=True,
    )  # fmt: skip
    ga, gd = _graph(
        lambda p, _a, y: G.gradient_shap(
            y, p, tf.constant(bl), 3, 0.1, 2, return_convergence_delta=True
        ),
        batch=4,
        seed=8,
    )
    _equal(ea, ga)
    _equal(ed, gd)


def test_noise_tunnel_in_chunks(model):
    m, x = model
    torch.manual_seed(9)
    a = E.NoiseTunnel(E.Saliency(m)).attribute(
        x, nt_type="smoothgrad_sq", nt_samples=5, nt_samples_batch_size=2, stdevs=0.3, target=0
    )
    _equal(
        a,
        _graph(
            lambda p, _a, y: G.noise_tunnel(
                y, p, "saliency", "smoothgrad_sq", 5, 0.3, 0, nt_samples_batch_size=2
            ),
            batch=4,
            seed=9,
        ),
    )


def test_deep_lift_custom_attribution_func():
    def func(mults, inputs, bases):
        return tuple(m * m * (x - b) for m, x, b in zip(mults, inputs, bases, strict=True))

    m = eager_cnn(W, pool=False)
    a, d = E.DeepLift(m).attribute(
        torch.from_numpy(X),
        baselines=0.1,
        target=1,
        custom_attribution_func=func,
        return_convergence_delta=True,
    )
    b, e = _graph(
        lambda p, _a, y: G.deep_lift(
            y, p, 0.1, 1, return_convergence_delta=True, custom_attribution_func=func
        ),
        pool=False,
    )
    _equal(a, b)
    _equal(d, e)
