"""Every eager attribution method against real Captum on real torch with the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from explain_models import eager_cnn, images, torch_cnn, weights
from oracle_check import assert_matches

rt = pytest.importorskip("torch")
C = pytest.importorskip("captum.attr")

import duograd.frontends.eager as torch  # noqa: E402
import duograd.frontends.eager.explain as E  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

RTOL, ATOL = 1e-4, 1e-5


@pytest.fixture(scope="module")
def models():
    w = weights()
    x = images()
    return {
        "d": eager_cnn(w), "t": torch_cnn(w), "d_avg": eager_cnn(w, pool=False),
        "t_avg": torch_cnn(w, pool=False), "dx": torch.from_numpy(x), "tx": rt.from_numpy(x),
    }  # fmt: skip


def _same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            _same(u, v)
        return
    assert_matches(a.numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("target", [1, [0, 1, 2, 1]])
def test_saliency_and_input_x_gradient(models, target):
    m = models
    tt = rt.tensor(target) if isinstance(target, list) else target
    _same(
        E.Saliency(m["d"]).attribute(m["dx"], target=target),
        C.Saliency(m["t"]).attribute(m["tx"], target=tt),
    )
    _same(
        E.Saliency(m["d"]).attribute(m["dx"], target=target, abs=False),
        C.Saliency(m["t"]).attribute(m["tx"], target=tt, abs=False),
    )
    _same(E.InputXGradient(m["d"]).attribute(m["dx"], target=torch.tensor(target)),
          C.InputXGradient(m["t"]).attribute(m["tx"], target=tt))  # fmt: skip


@pytest.mark.parametrize(
    "method",
    ["gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid"],
)
def test_integrated_gradients(models, method):
    m = models
    a, d = E.IntegratedGradients(m["d"]).attribute(
        m["dx"], baselines=0.2, target=2, n_steps=12, method=method, return_convergence_delta=True
    )
    b, e = C.IntegratedGradients(m["t"]).attribute(
        m["tx"], baselines=0.2, target=2, n_steps=12, method=method, return_convergence_delta=True
    )
    _same(a, b)
    _same(d, e)


def test_integrated_gradients_tuple_inputs_and_internal_batch(models):
    m = models
    x2 = images(4, 9)
    lw = np.random.default_rng(4).standard_normal((64, 3)).astype(np.float32)

    def dfun(a, b):
        return m["d"](a) + torch.tanh(torch.flatten(b, 1) @ torch.from_numpy(lw))

    def tfun(a, b):
        return m["t"](a) + rt.tanh(rt.flatten(b, 1) @ rt.from_numpy(lw))

    a = E.IntegratedGradients(dfun).attribute(
        (m["dx"], torch.from_numpy(x2)), target=0, n_steps=6, internal_batch_size=8
    )
    b = C.IntegratedGradients(tfun).attribute(
        (m["tx"], rt.from_numpy(x2)), target=0, n_steps=6, internal_batch_size=8
    )
    assert isinstance(a, tuple) and len(a) == 2
    _same(a, b)


def test_integrated_gradients_additional_forward_args(models):
    m = models
    scale = np.full((4, 1), 2.0, np.float32)
    a = E.IntegratedGradients(lambda x, s: m["d"](x) * s).attribute(
        m["dx"], target=1, n_steps=5, additional_forward_args=torch.from_numpy(scale)
    )
    b = C.IntegratedGradients(lambda x, s: m["t"](x) * s).attribute(
        m["tx"], target=1, n_steps=5, additional_forward_args=rt.from_numpy(scale)
    )
    _same(a, b)


def test_perturbation_methods(models):
    m = models
    _same(
        E.Occlusion(m["d"]).attribute(m["dx"], (1, 3, 3), strides=(1, 2, 2), target=0),
        C.Occlusion(m["t"]).attribute(m["tx"], (1, 3, 3), strides=(1, 2, 2), target=0),
    )
    _same(
        E.Occlusion(m["d"]).attribute(
            m["dx"], (1, 2, 2), target=1, baselines=0.5, perturbations_per_eval=16
        ),
        C.Occlusion(m["t"]).attribute(m["tx"], (1, 2, 2), target=1, baselines=0.5),
    )
    fm = np.arange(64).reshape(1, 1, 8, 8) // 8
    _same(
        E.FeatureAblation(m["d"]).attribute(m["dx"], target=0, feature_mask=torch.from_numpy(fm)),
        C.FeatureAblation(m["t"]).attribute(m["tx"], target=0, feature_mask=rt.from_numpy(fm)),
    )
    _same(E.FeatureAblation(m["d"]).attribute(m["dx"][:1], target=2, perturbations_per_eval=9),
          C.FeatureAblation(m["t"]).attribute(m["tx"][:1], target=2))  # fmt: skip


def test_shapley_value_sampling_on_an_additive_model():
    # for an additive model every order gives the same exact Shapley values, so random
    # orders in the two libraries must agree
    lw = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    dl = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    tl = rt.nn.Sequential(rt.nn.Flatten(), rt.nn.Linear(64, 3))
    with torch.no_grad():
        dl[1].weight.copy_(torch.from_numpy(lw))
    with rt.no_grad():
        tl[1].weight.copy_(rt.from_numpy(lw))
        tl[1].bias.copy_(rt.from_numpy(dl[1].bias.detach().numpy()))
    x = images()
    fm = np.arange(64).reshape(1, 1, 8, 8) // 4
    _same(
        E.ShapleyValueSampling(dl).attribute(
            torch.from_numpy(x),
            target=2,
            feature_mask=torch.from_numpy(fm),
            n_samples=3,
            perturbations_per_eval=5,
        ),
        C.ShapleyValueSampling(tl).attribute(
            rt.from_numpy(x), target=2, feature_mask=rt.from_numpy(fm), n_samples=3
        ),
    )


def test_layer_methods(models):
    m = models
    _same(
        E.LayerGradCam(m["d"], m["d"].conv).attribute(m["dx"], target=1),
        C.LayerGradCam(m["t"], m["t"].conv).attribute(m["tx"], target=1),
    )
    _same(
        E.LayerGradCam(m["d"], m["d"].relu).attribute(
            m["dx"], target=[1, 0, 2, 2], relu_attributions=True
        ),
        C.LayerGradCam(m["t"], m["t"].relu).attribute(
            m["tx"], target=[1, 0, 2, 2], relu_attributions=True
        ),
    )
    a, d = E.LayerIntegratedGradients(m["d"], m["d"].conv).attribute(
        m["dx"], target=1, n_steps=10, return_convergence_delta=True
    )
    b, e = C.LayerIntegratedGradients(m["t"], m["t"].conv).attribute(
        m["tx"], target=1, n_steps=10, return_convergence_delta=True
    )
    _same(a, b)
    _same(d, e)
    _same(
        E.LayerConductance(m["d"], m["d"].conv).attribute(m["dx"], target=1, n_steps=10),
        C.LayerConductance(m["t"], m["t"].conv).attribute(m["tx"], target=1, n_steps=10),
    )
    _same(
        E.NeuronGradient(m["d"], m["d"].conv).attribute(m["dx"], (1, 2, 3)),
        C.NeuronGradient(m["t"], m["t"].conv).attribute(m["tx"], (1, 2, 3)),
    )
    _same(E.GuidedGradCam(m["d"], m["d"].conv).attribute(m["dx"], target=1),
          C.GuidedGradCam(m["t"], m["t"].conv).attribute(m["tx"], target=1))  # fmt: skip


def test_backprop_overrides(models):
    m = models
    _same(
        E.GuidedBackprop(m["d"]).attribute(m["dx"], target=1),
        C.GuidedBackprop(m["t"]).attribute(m["tx"], target=1),
    )
    _same(E.Deconvolution(m["d"]).attribute(m["dx"], target=2),
          C.Deconvolution(m["t"]).attribute(m["tx"], target=2))  # fmt: skip


def test_deeplift_and_deepliftshap(models):
    m = models
    a, d = E.DeepLift(m["d_avg"]).attribute(
        m["dx"], baselines=0.1, target=1, return_convergence_delta=True
    )
    b, e = C.DeepLift(m["t_avg"]).attribute(
        m["tx"], baselines=0.1, target=1, return_convergence_delta=True
    )
    _same(a, b)
    _same(d, e)
    bl = images(3, 5)
    _same(
        E.DeepLiftShap(m["d_avg"]).attribute(m["dx"], baselines=torch.from_numpy(bl), target=1),
        C.DeepLiftShap(m["t_avg"]).attribute(m["tx"], baselines=rt.from_numpy(bl), target=1),
    )


@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_noise_tunnel_aggregation(models, nt_type):
    # with zero noise the draws do not matter, so the aggregation itself is compared
    m = models
    _same(
        E.NoiseTunnel(E.IntegratedGradients(m["d"])).attribute(
            m["dx"], nt_type=nt_type, nt_samples=3, stdevs=0.0, target=1, n_steps=5
        ),
        C.NoiseTunnel(C.IntegratedGradients(m["t"])).attribute(
            m["tx"], nt_type=nt_type, nt_samples=3, stdevs=0.0, target=1, n_steps=5
        ),
    )


def test_gradient_shap_on_a_linear_model():
    # a linear model has one gradient everywhere, so the random path points do not matter
    lw = np.random.default_rng(2).standard_normal((3, 64)).astype(np.float32)
    dl = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    tl = rt.nn.Sequential(rt.nn.Flatten(), rt.nn.Linear(64, 3))
    with torch.no_grad():
        dl[1].weight.copy_(torch.from_numpy(lw))
    with rt.no_grad():
        tl[1].weight.copy_(rt.from_numpy(lw))
    x, bl = images(), images(1, 3)
    _same(
        E.GradientShap(dl).attribute(torch.from_numpy(x), torch.from_numpy(bl), target=1),
        C.GradientShap(tl).attribute(rt.from_numpy(x), rt.from_numpy(bl), target=1),
    )


@pytest.mark.parametrize("pool", [True, False])
def test_lrp(pool):
    w = weights()
    d, t = eager_cnn(w, pool), torch_cnn(w, pool)
    x = images()
    a, da = E.LRP(d).attribute(torch.from_numpy(x), target=1, return_convergence_delta=True)
    b, db = C.LRP(t).attribute(rt.from_numpy(x), target=1, return_convergence_delta=True)
    _same(a, b)
    _same(da, db)
