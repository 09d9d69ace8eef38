"""LRP with Captum's rules assigned per layer (`module.rule`) against Captum's LRP."""

from __future__ import annotations

import numpy as np
import pytest
from explain_models import eager_cnn, images, mlp, mlp_weights, torch_cnn, weights
from oracle_check import assert_matches

rt = pytest.importorskip("torch")
C = pytest.importorskip("captum.attr")
CR = pytest.importorskip("captum.attr._utils.lrp_rules")

import duograd.frontends.eager as torch  # noqa: E402
import duograd.frontends.eager.explain as E  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

RTOL, ATOL = 1e-4, 1e-5

CNN_RULES = {
    "gamma": {"conv": ("GammaRule", {"gamma": 0.5})},
    "gamma_no_bias": {"conv": ("GammaRule", {"set_bias_to_zero": True}),
                      "fc": ("EpsilonRule", {"epsilon": 0.1})},
    "alpha1_beta0": {"conv": ("Alpha1_Beta0_Rule", {}),
                     "fc": ("Alpha1_Beta0_Rule", {"set_bias_to_zero": True})},
    "epsilons": {"conv": ("EpsilonRule", {"epsilon": 1e-3}),
                 "pool": ("EpsilonRule", {"epsilon": 1e-2}),
                 "fc": ("EpsilonRule", {"epsilon": 0.5})},
}  # fmt: skip

MLP_RULES = {
    "identity_gamma_epsilon": {"1": ("IdentityRule", {}), "0": ("GammaRule", {"gamma": 0.3}),
                               "6": ("EpsilonRule", {"epsilon": 0.01})},
    "alpha1_beta0_gamma": {"0": ("Alpha1_Beta0_Rule", {}),
                           "3": ("GammaRule", {"set_bias_to_zero": True})},
    "defaults": {},
}  # fmt: skip


def _assign(d_layer, t_layer, rule, kw):
    d_layer.rule = getattr(E, rule)(**kw)
    t_layer.rule = getattr(CR, rule)(**kw)


def _same(a, b):
    for u, v in zip(a, b, strict=True):
        assert tuple(u.shape) == tuple(v.shape)
        assert_matches(u.numpy(), v.detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("pool", [True, False])
@pytest.mark.parametrize("config", sorted(CNN_RULES))
def test_cnn_rules(pool, config):
    w = weights()
    d, t = eager_cnn(w, pool), torch_cnn(w, pool)
    for layer, (rule, kw) in CNN_RULES[config].items():
        _assign(getattr(d, layer), getattr(t, layer), rule, kw)
    x = images()
    a = E.LRP(d).attribute(torch.from_numpy(x), target=1, return_convergence_delta=True)
    b = C.LRP(t).attribute(rt.from_numpy(x), target=1, return_convergence_delta=True)
    _same(a, b)
    # the rules change weights only for the relevance pass
    for k, p in d.named_parameters():
        assert np.array_equal(p.detach().numpy(), w[k])


@pytest.mark.parametrize("config", sorted(MLP_RULES))
def test_mlp_rules(config):
    # IdentityRule sits on a layer fed by another rule layer: there Captum's hooks pass the
    # relevance through unchanged (after a ReLU / Tanh module Captum's activation hook returns
    # the gradient it saw before the IdentityRule's replacement, so the two are not comparable)
    w = mlp_weights()
    d, t = mlp(torch, w), mlp(rt, w)
    for layer, (rule, kw) in MLP_RULES[config].items():
        _assign(d.layers[int(layer)], t.layers[int(layer)], rule, kw)
    x = images()
    target = [0, 1, 2, 0]
    a = E.LRP(d).attribute(torch.from_numpy(x), target=target, return_convergence_delta=True)
    b = C.LRP(t).attribute(rt.from_numpy(x), target=target, return_convergence_delta=True)
    _same(a, b)


def test_rules_change_the_relevance():
    w = weights()
    x = torch.from_numpy(images())
    d = eager_cnn(w)
    base = E.LRP(d).attribute(x, target=1).numpy()
    d.conv.rule = E.GammaRule(gamma=1.0)
    gamma = E.LRP(d).attribute(x, target=1).numpy()
    d.conv.rule = E.Alpha1_Beta0_Rule()
    alpha = E.LRP(d).attribute(x, target=1).numpy()
    assert not np.allclose(base, gamma) and not np.allclose(base, alpha)


def test_bad_rules():
    w = weights()
    d = eager_cnn(w)
    d.conv.rule = "gamma"
    with pytest.raises(TypeError, match="LRP: the rule of Conv2d must be a PropagationRule"):
        E.LRP(d)
    d = eager_cnn(w)
    d.conv.rule = E.IdentityRule()
    with pytest.raises(ValueError, match="IdentityRule on Conv2d needs the layer's output shape"):
        E.LRP(d).attribute(torch.from_numpy(images()), target=0)
    for k, p in d.named_parameters():  # a failed attribution leaves the model as it was
        assert np.array_equal(p.detach().numpy(), w[k])

    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(64, 64)

        def forward(self, x):
            return self.fc(self.fc(torch.flatten(x, 1)))

    with pytest.raises(RuntimeError, match="LRP: the module Linear runs more than once"):
        E.LRP(Twice()).attribute(torch.from_numpy(images()), target=0)

    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = torch.nn.LayerNorm(64)

        def forward(self, x):
            return self.norm(torch.flatten(x, 1))

    with pytest.raises(TypeError, match="LRP: no rule for the module LayerNorm"):
        E.LRP(Odd()).attribute(torch.from_numpy(images()), target=0)
