"""Layer methods attributing to a layer's input, chunked steps and conductance deltas vs Captum."""

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
LAYERS = ["conv", "relu", "pool", "fc"]


@pytest.fixture(scope="module")
def m():
    w, x = weights(), images()
    return {"d": eager_cnn(w), "t": torch_cnn(w), "dx": torch.from_numpy(x),
            "tx": rt.from_numpy(x)}  # fmt: skip


def _same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            _same(u, v)
        return
    assert tuple(a.shape) == tuple(b.shape)
    assert_matches(a.numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)


def _pair(m, cls_name, layer, *args, **kw):
    d = getattr(E, cls_name)(m["d"], getattr(m["d"], layer)).attribute(m["dx"], *args, **kw)
    t = getattr(C, cls_name)(m["t"], getattr(m["t"], layer)).attribute(m["tx"], *args, **kw)
    return d, t


@pytest.mark.parametrize("layer", LAYERS)
def test_grad_cam_and_guided_grad_cam_at_the_layer_input(m, layer):
    _same(*_pair(m, "LayerGradCam", layer, target=1, attribute_to_layer_input=True))
    _same(*_pair(m, "LayerGradCam", layer, target=[2, 0, 1, 1], relu_attributions=True,
                 attribute_to_layer_input=True))  # fmt: skip
    _same(*_pair(m, "GuidedGradCam", layer, target=2, attribute_to_layer_input=True))


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_integrated_gradients_and_conductance_at_the_layer_input(m, layer):
    for cls in ("LayerIntegratedGradients", "LayerConductance"):
        a, b = _pair(m, cls, layer, target=1, n_steps=8, attribute_to_layer_input=True,
                     return_convergence_delta=True)  # fmt: skip
        _same(a, b)


@pytest.mark.parametrize("layer", LAYERS)
def test_neuron_gradient_at_the_layer_input(m, layer):
    sel = {"conv": (0, 2, 3), "relu": (1, 2, 3), "pool": (3, 5, 1), "fc": (5,)}[layer]
    _same(*_pair(m, "NeuronGradient", layer, sel, attribute_to_neuron_input=True))


@pytest.mark.parametrize("ibs", [4, 12, 40])
def test_layer_methods_internal_batch_size(m, ibs):
    # chunks of steps (overlapping by one point for conductance) give Captum's numbers
    _same(*_pair(m, "LayerIntegratedGradients", "conv", target=2, n_steps=7,
                 internal_batch_size=ibs, baselines=0.1))  # fmt: skip
    if ibs >= 8:
        _same(*_pair(m, "LayerConductance", "relu", target=2, n_steps=7,
                     internal_batch_size=ibs, return_convergence_delta=True))  # fmt: skip


def test_chunked_steps_match_one_batch(m):
    full = E.LayerConductance(m["d"], m["d"].conv).attribute(m["dx"], target=0, n_steps=9)
    part = E.LayerConductance(m["d"], m["d"].conv).attribute(
        m["dx"], target=0, n_steps=9, internal_batch_size=12
    )
    np.testing.assert_allclose(part.numpy(), full.numpy(), rtol=1e-5, atol=1e-6)


def test_bad_layer_input_requests(m):
    with pytest.raises(ValueError, match="internal_batch_size 4 is smaller than 2 x the batch"):
        E.LayerConductance(m["d"], m["d"].conv).attribute(m["dx"], target=0, internal_batch_size=4)

    class Two(torch.nn.Module):
        def forward(self, a, b):
            return a + b

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.two = Two()
            self.fc = torch.nn.Linear(64, 3)

        def forward(self, x):
            h = torch.flatten(x, 1)
            return self.fc(self.two(h, h))

    net = Net()
    with pytest.raises(TypeError, match="LayerGradCam: attribute_to_layer_input needs a layer"):
        E.LayerGradCam(net, net.two).attribute(m["dx"], target=0, attribute_to_layer_input=True)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "area"])
def test_guided_grad_cam_interpolation(m, mode):
    # the pooled layer is 4x4: its map is resized to the 8x8 input
    _same(*_pair(m, "GuidedGradCam", "pool", target=[0, 2, 1, 1], interpolate_mode=mode))
    with pytest.raises(ValueError, match="GuidedGradCam: interpolate_mode must be one of"):
        E.GuidedGradCam(m["d"], m["d"].pool).attribute(
            m["dx"], target=0, interpolate_mode="bicubic"
        )


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "area"])
@pytest.mark.parametrize("size", [(7, 9), (3, 4), (5, 5)])
def test_resizing_matches_torch_interpolate(mode, size):
    from duograd.core.attribution.layer import upsample

    x = np.random.default_rng(3).standard_normal((2, 3, 5, 6)).astype(np.float32)
    kw = {} if mode in ("nearest", "area") else {"align_corners": False}
    want = rt.nn.functional.interpolate(rt.from_numpy(x), size=size, mode=mode, **kw).numpy()
    assert_matches(np.asarray(upsample("t", x, size, mode)), want, rtol=1e-5, atol=1e-6)
