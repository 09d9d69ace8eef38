"""NoiseTunnel / GradientShap / DeepLiftShap deltas, drawn baselines, tuple targets vs Captum."""

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
def m():
    w, x = weights(), images()
    return {"d": eager_cnn(w), "t": torch_cnn(w), "d_avg": eager_cnn(w, pool=False),
            "t_avg": torch_cnn(w, pool=False), "dx": torch.from_numpy(x),
            "tx": rt.from_numpy(x)}  # fmt: skip


def _same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            _same(u, v)
        return
    assert tuple(a.shape) == tuple(b.shape)
    assert_matches(a.numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_noise_tunnel_convergence_delta(m, nt_type):
    # zero noise: the draws do not matter, so attributions and per-copy deltas are comparable
    kw = dict(nt_type=nt_type, nt_samples=3, stdevs=0.0, target=[0, 1, 2, 1], n_steps=5,
              return_convergence_delta=True)  # fmt: skip
    a = E.NoiseTunnel(E.IntegratedGradients(m["d"])).attribute(m["dx"], **kw)
    b = C.NoiseTunnel(C.IntegratedGradients(m["t"])).attribute(m["tx"], **kw)
    assert tuple(a[1].shape) == (12,)
    _same(a, b)


def test_noise_tunnel_per_example_baselines_and_deeplift(m):
    bl = images(4, 3)
    a = E.NoiseTunnel(E.IntegratedGradients(m["d"])).attribute(
        m["dx"], nt_samples=2, stdevs=0.0, target=1, n_steps=5,
        baselines=torch.from_numpy(bl), return_convergence_delta=True,
    )  # fmt: skip
    b = C.NoiseTunnel(C.IntegratedGradients(m["t"])).attribute(
        m["tx"], nt_samples=2, stdevs=0.0, target=1, n_steps=5,
        baselines=rt.from_numpy(bl), return_convergence_delta=True,
    )  # fmt: skip
    _same(a, b)
    _same(
        E.NoiseTunnel(E.DeepLift(m["d_avg"])).attribute(
            m["dx"], nt_samples=2, stdevs=0.0, target=2, baselines=0.1,
            return_convergence_delta=True),
        C.NoiseTunnel(C.DeepLift(m["t_avg"])).attribute(
            m["tx"], nt_samples=2, stdevs=0.0, target=2, baselines=0.1,
            return_convergence_delta=True),
    )  # fmt: skip


def test_draw_baseline_from_distrib_one_row(m):
    # a distribution of one row: every draw is that row, in both libraries
    bl = images(1, 4)
    kw = dict(nt_samples=3, stdevs=0.0, target=1, n_steps=5, draw_baseline_from_distrib=True,
              return_convergence_delta=True)  # fmt: skip
    _same(
        E.NoiseTunnel(E.IntegratedGradients(m["d"])).attribute(
            m["dx"], baselines=torch.from_numpy(bl), **kw),
        C.NoiseTunnel(C.IntegratedGradients(m["t"])).attribute(
            m["tx"], baselines=rt.from_numpy(bl), **kw),
    )  # fmt: skip


def test_draw_baseline_from_distrib_draws_rows_of_the_distribution():
    # on a linear model IG is w * (x - b): each attribution reveals the row that was drawn
    lw = np.random.default_rng(2).uniform(0.5, 1.5, (3, 64)).astype(np.float32)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    with torch.no_grad():
        net[1].weight.copy_(torch.from_numpy(lw))
    x, bl = images(6, 1), images(5, 8)
    torch.manual_seed(0)
    a = E.NoiseTunnel(E.IntegratedGradients(net)).attribute(
        torch.from_numpy(x), nt_samples=1, stdevs=0.0, target=0, n_steps=2,
        baselines=torch.from_numpy(bl), draw_baseline_from_distrib=True,
    )  # fmt: skip
    drawn = x - a.numpy() / lw[0].reshape(1, 1, 8, 8)
    dist = np.abs(drawn[:, None] - bl[None]).reshape(6, 5, -1).max(axis=2)
    assert (dist.min(axis=1) < 1e-4).all()
    assert len(set(dist.argmin(axis=1).tolist())) > 1  # not always the same row


def test_gradient_shap_delta():
    lw = np.random.default_rng(2).standard_normal((3, 64)).astype(np.float32)
    dl = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    tl = rt.nn.Sequential(rt.nn.Flatten(), rt.nn.Linear(64, 3))
    with torch.no_grad():
        dl[1].weight.copy_(torch.from_numpy(lw))
    with rt.no_grad():
        tl[1].weight.copy_(rt.from_numpy(lw))
        tl[1].bias.copy_(rt.from_numpy(dl[1].bias.detach().numpy()))
    x, bl = images(), images(3, 3)
    # a linear model and one baseline row: the random path points do not matter
    a, d = E.GradientShap(dl).attribute(
        torch.from_numpy(x),
        torch.from_numpy(bl[:1]),
        n_samples=4,
        target=1,
        return_convergence_delta=True,
    )
    b, e = C.GradientShap(tl).attribute(rt.from_numpy(x), rt.from_numpy(bl[:1]), n_samples=4,
                                        target=1, return_convergence_delta=True)  # fmt: skip
    _same((a, d), (b, e))
    assert tuple(d.shape) == (16,)


def test_gradient_shap_delta_is_the_completeness_gap(m):
    # one sample, no noise: delta = sum(attribution) - (f(x) - f(drawn baseline)), with f the
    # real torch model and the drawn baseline the single row
    bl = images(1, 6)
    a, d = E.GradientShap(m["d"]).attribute(m["dx"], torch.from_numpy(bl), n_samples=1,
                                            target=2, return_convergence_delta=True)  # fmt: skip
    with rt.no_grad():
        gap = (m["t"](m["tx"])[:, 2] - m["t"](rt.from_numpy(bl))[:, 2]).numpy()
    want = a.numpy().reshape(4, -1).sum(axis=1) - gap
    assert_matches(d.numpy(), want, rtol=RTOL, atol=ATOL)
    assert np.abs(d.numpy()).max() > 1e-3  # a one-point estimate is not complete


def test_deeplift_shap_delta(m):
    bl = images(3, 5)
    a = E.DeepLiftShap(m["d_avg"]).attribute(
        m["dx"], baselines=torch.from_numpy(bl), target=1, return_convergence_delta=True
    )
    b = C.DeepLiftShap(m["t_avg"]).attribute(
        m["tx"], baselines=rt.from_numpy(bl), target=1, return_convergence_delta=True
    )
    assert tuple(a[1].shape) == (12,)
    _same(a, b)


def test_bad_requests(m):
    with pytest.raises(ValueError, match="Saliency has no convergence delta"):
        E.NoiseTunnel(E.Saliency(m["d"])).attribute(
            m["dx"], target=1, return_convergence_delta=True
        )
    with pytest.raises(ValueError, match="draw_baseline_from_distrib needs baselines"):
        E.NoiseTunnel(E.IntegratedGradients(m["d"])).attribute(
            m["dx"], target=1, draw_baseline_from_distrib=True
        )
    with pytest.raises(ValueError, match=r"baseline 0 must be rows shaped like one example"):
        E.NoiseTunnel(E.IntegratedGradients(m["d"])).attribute(
            m["dx"], target=1, baselines=torch.zeros(2, 8, 8), draw_baseline_from_distrib=True
        )


@pytest.mark.parametrize("batch_size", [1, 2, 4])
def test_noise_tunnel_samples_in_chunks(m, batch_size):
    # chunks of samples (a remainder chunk for 2 of 5) give Captum's aggregation and deltas
    kw = dict(nt_type="vargrad", nt_samples=5, nt_samples_batch_size=batch_size, stdevs=0.0,
              target=[0, 1, 2, 1], n_steps=4, return_convergence_delta=True)  # fmt: skip
    a = E.NoiseTunnel(E.IntegratedGradients(m["d"])).attribute(m["dx"], **kw)
    b = C.NoiseTunnel(C.IntegratedGradients(m["t"])).attribute(m["tx"], **kw)
    assert tuple(a[1].shape) == (20,)
    _same(a, b)


def test_a_list_of_tuple_targets(m):
    # a model with (batch, 3, 2) outputs: one (row, column) target per example
    def dfun(x):
        return torch.reshape(torch.cat([m["d"](x), m["d"](x * 0.5)], 1), (-1, 3, 2))

    def tfun(x):
        return rt.reshape(rt.cat([m["t"](x), m["t"](x * 0.5)], 1), (-1, 3, 2))

    target = [(0, 1), (2, 0), (1, 1), (2, 1)]
    _same(E.Saliency(dfun).attribute(m["dx"], target=target),
          C.Saliency(tfun).attribute(m["tx"], target=target))  # fmt: skip
    kw = dict(target=target, n_steps=4, return_convergence_delta=True)
    _same(E.IntegratedGradients(dfun).attribute(m["dx"], **kw),
          C.IntegratedGradients(tfun).attribute(m["tx"], **kw))  # fmt: skip
    _same(
        E.Occlusion(dfun).attribute(m["dx"], (1, 4, 4), strides=(1, 4, 4), target=target),
        C.Occlusion(tfun).attribute(m["tx"], (1, 4, 4), strides=(1, 4, 4), target=target),
    )
    kw = dict(nt_samples=2, stdevs=0.0, target=target, n_steps=3)
    _same(E.NoiseTunnel(E.IntegratedGradients(dfun)).attribute(m["dx"], **kw),
          C.NoiseTunnel(C.IntegratedGradients(tfun)).attribute(m["tx"], **kw))  # fmt: skip
    with pytest.raises(IndexError, match="Saliency: target tuples"):
        E.Saliency(dfun).attribute(m["dx"], target=[(0, 1), (3, 0), (1, 1), (2, 1)])


def _times_two(multipliers, inputs, baselines):
    return tuple(2 * m * (x - b) for m, x, b in zip(multipliers, inputs, baselines, strict=True))


def _squared(multipliers):
    return tuple(m * m for m in multipliers)


@pytest.mark.parametrize("func", [_times_two, _squared])
def test_deeplift_custom_attribution_func(m, func):
    kw = dict(baselines=0.1, target=1, custom_attribution_func=func, return_convergence_delta=True)
    _same(E.DeepLift(m["d_avg"]).attribute(m["dx"], **kw),
          C.DeepLift(m["t_avg"]).attribute(m["tx"], **kw))  # fmt: skip
    bl = images(3, 5)
    _same(
        E.DeepLiftShap(m["d_avg"]).attribute(m["dx"], torch.from_numpy(bl), target=1,
                                             custom_attribution_func=func),
        C.DeepLiftShap(m["t_avg"]).attribute(m["tx"], rt.from_numpy(bl), target=1,
                                             custom_attribution_func=func),
    )  # fmt: skip


def test_noise_tunnel_around_layer_methods(m):
    kw = dict(nt_type="smoothgrad_sq", nt_samples=3, stdevs=0.0, target=1)
    _same(
        E.NoiseTunnel(E.LayerGradCam(m["d"], m["d"].conv)).attribute(m["dx"], **kw),
        C.NoiseTunnel(C.LayerGradCam(m["t"], m["t"].conv)).attribute(m["tx"], **kw),
    )
    kw = dict(nt_samples=2, stdevs=0.0, target=2, n_steps=4, return_convergence_delta=True)
    _same(
        E.NoiseTunnel(E.LayerIntegratedGradients(m["d"], m["d"].relu)).attribute(m["dx"], **kw),
        C.NoiseTunnel(C.LayerIntegratedGradients(m["t"], m["t"].relu)).attribute(m["tx"], **kw),
    )
