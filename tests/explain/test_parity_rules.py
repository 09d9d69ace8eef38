"""Guided backprop, deconvolution, guided Grad-CAM and LRP (every rule): eager == graph, bitwise."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.eager.explain as E
import duograd.frontends.graph as tf
import duograd.frontends.graph.explain as G
import numpy as np
import pytest
from explain_models import eager_cnn, graph_cnn, graph_mlp, images, mlp, mlp_weights, weights

W = weights()
X = images()


def _run(build, model=graph_cnn, w=W, **kw):
    g = tf.Graph()
    with g.as_default():
        px, *rest = model(w, **kw)
        t = build(px, *rest)
        with tf.Session() as s:
            return s.run(t, {px: X})


def _equal(a, b):
    a = a.numpy() if hasattr(a, "numpy") else np.asarray(a)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a, b), np.max(np.abs(a - b))


@pytest.mark.parametrize("batch", [None, 4])
def test_rectified_backward_passes(batch):
    m, x = eager_cnn(W), torch.from_numpy(X)
    _equal(E.GuidedBackprop(m).attribute(x, target=1),
           _run(lambda p, a, y: G.guided_backprop(y, p, 1), batch=batch))  # fmt: skip
    _equal(E.Deconvolution(m).attribute(x, target=[2, 0, 1, 1]),
           _run(lambda p, a, y: G.deconvolution(y, p, [2, 0, 1, 1]), batch=batch))  # fmt: skip
    _equal(E.GuidedGradCam(m, m.relu).attribute(x, target=0),
           _run(lambda p, a, y: G.guided_grad_cam(y, a, p, 0), batch=batch))  # fmt: skip


def _cnn_rules(m, p, a, y, gamma, alpha, eps):
    """The same rules on the eager modules and on the graph's layer tensors."""
    m.conv.rule, m.fc.rule, m.pool.rule = gamma, alpha, eps
    conv_out = a.node.inputs[0]  # the bias add the relu reads
    pooled = [n.output for n in y.graph.nodes if n.attrs.get("type") in ("MaxPool", "AvgPool")]
    return {conv_out: gamma, y: alpha, pooled[0]: eps}


@pytest.mark.parametrize("pool", [True, False])
def test_lrp_rules_on_a_cnn(pool):
    x = torch.from_numpy(X)
    m = eager_cnn(W, pool)
    _equal(E.LRP(m).attribute(x, target=1), _run(lambda p, a, y: G.lrp(y, p, 1), pool=pool))
    for gamma, alpha, eps in [
        (E.GammaRule(0.5, set_bias_to_zero=True), E.Alpha1_Beta0_Rule(), E.EpsilonRule(0.01)),
        (E.Alpha1_Beta0_Rule(set_bias_to_zero=True), E.GammaRule(), E.EpsilonRule(1.0)),
    ]:
        m = eager_cnn(W, pool)

        def build(p, a, y, m=m, r=(gamma, alpha, eps)):
            rules = _cnn_rules(m, p, a, y, *r)
            return G.lrp(y, p, [1, 2, 0, 1], rules=rules, return_convergence_delta=True)

        ga, gd = _run(build, pool=pool)
        ea, ed = E.LRP(m).attribute(x, target=[1, 2, 0, 1], return_convergence_delta=True)
        _equal(ea, ga)
        _equal(ed, gd)


def test_lrp_rules_on_an_mlp():
    w = mlp_weights()
    m = mlp(torch, w)
    m.layers[0].rule = E.GammaRule(0.3)
    m.layers[1].rule = E.IdentityRule()
    m.layers[3].rule = E.Alpha1_Beta0_Rule(set_bias_to_zero=True)
    rules = {"0": G.GammaRule(0.3), "1": G.IdentityRule(),
             "3": G.Alpha1_Beta0_Rule(set_bias_to_zero=True)}  # fmt: skip

    def build(p, y, outs):
        return G.lrp(y, p, 2, rules={outs[k]: r for k, r in rules.items()},
                     return_convergence_delta=True)  # fmt: skip

    ga, gd = _run(build, model=graph_mlp, w=w)
    ea, ed = E.LRP(m).attribute(torch.from_numpy(X), target=2, return_convergence_delta=True)
    _equal(ea, ga)
    _equal(ed, gd)


def test_bad_graph_rules():
    def not_a_layer(p, a, y):
        return G.lrp(y, p, 0, rules={a: G.GammaRule()})  # the relu's output is no rule layer

    with pytest.raises(ValueError, match="lrp: rules were given for"):
        _run(not_a_layer)

    def not_a_rule(p, a, y):
        return G.lrp(y, p, 0, rules={y: "gamma"})

    with pytest.raises(TypeError, match="lrp: the rule of 'add_1' must be a PropagationRule"):
        _run(not_a_rule)

    def identity_on_conv(p, a, y):
        return G.lrp(y, p, 0, rules={a.node.inputs[0]: G.IdentityRule()})

    with pytest.raises(ValueError, match="lrp: IdentityRule on 'Conv2D' needs"):
        _run(identity_on_conv)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "area"])
def test_guided_grad_cam_interpolated(mode):
    m, x = eager_cnn(W), torch.from_numpy(X)

    def build(p, a, y):
        pooled = [n.output for n in y.graph.nodes if n.attrs.get("type") == "MaxPool"][0]
        return G.guided_grad_cam(y, pooled, p, 1, interpolate_mode=mode)

    _equal(E.GuidedGradCam(m, m.pool).attribute(x, target=1, interpolate_mode=mode), _run(build))


def test_additional_forward_args():
    # the model reads a second tensor (a per-example scale): expanded with the batch wherever a
    # method expands it (IG steps, occluded copies, noisy copies, DeepLift's stacked baselines)
    scale = np.array([[2.0], [0.5], [-1.0], [1.5]], np.float32)

    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = eager_cnn(W, pool=False)

        def forward(self, x, s):
            return self.net(x) * s

    m, x, s = Scaled(), torch.from_numpy(X), torch.from_numpy(scale)

    def run(build):
        g = tf.Graph()
        with g.as_default():
            px, _, logits = graph_cnn(W, 4, pool=False)
            ps = tf.placeholder(tf.float32, [4, 1])
            t = build(px, logits * ps, ps)
            with tf.Session() as sess:
                return sess.run(t, {px: X, ps: scale})

    torch.manual_seed(2)
    eager = [
        E.IntegratedGradients(m).attribute(x, target=1, n_steps=4, additional_forward_args=s),
        E.Occlusion(m).attribute(x, (1, 4, 4), strides=(1, 4, 4), target=0,
                                 additional_forward_args=s, perturbations_per_eval=2),
        E.DeepLift(m).attribute(x, baselines=0.1, target=2, additional_forward_args=s),
        E.GuidedBackprop(m).attribute(x, target=1, additional_forward_args=s),
        E.LRP(m).attribute(x, target=1, additional_forward_args=s),
        E.NoiseTunnel(E.Saliency(m)).attribute(x, nt_samples=2, stdevs=0.2, target=1,
                                               additional_forward_args=s),
    ]  # fmt: skip

    def build(p, y, ps):
        tf.set_random_seed(2)
        return [
            G.integrated_gradients(y, p, 1, n_steps=4, additional_forward_args=ps),
            G.occlusion(y, p, (1, 4, 4), (1, 4, 4), target=0, perturbations_per_eval=2,
                        additional_forward_args=ps),
            G.deep_lift(y, p, 0.1, 2, additional_forward_args=ps),
            G.guided_backprop(y, p, 1, additional_forward_args=ps),
            G.lrp(y, p, 1, additional_forward_args=ps),
            G.noise_tunnel(y, p, "saliency", "smoothgrad", 2, 0.2, 1, additional_forward_args=ps),
        ]  # fmt: skip

    for e, g in zip(eager, run(build), strict=True):
        _equal(e, g)
