"""`nn.utils.weight_norm` / `spectral_norm` (and their remove_*): parameter names, the weight
each forward uses, training through them, against torch with the same starting weights."""

import duograd.frontends.eager as dg
import numpy as np
import pytest

W = np.linspace(-1, 1, 12).reshape(4, 3)
X = np.linspace(-2, 2, 6).reshape(2, 3)


def _linear(t):
    layer = t.nn.Linear(3, 4)
    with t.no_grad():
        layer.weight.copy_(t.tensor(W, dtype=t.float32))
        layer.bias.zero_()
    return layer


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    torch = pytest.importorskip("torch")
    got = []
    for t in (dg, torch):
        layer = t.nn.utils.weight_norm(_linear(t), dim=dim)
        names = sorted(n for n, _ in layer.named_parameters())
        opt = t.optim.SGD(layer.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            (layer(t.tensor(X, dtype=t.float32)) ** 2).sum().backward()
            opt.step()
        out = layer(t.tensor(X, dtype=t.float32)).detach().numpy()
        t.nn.utils.remove_weight_norm(layer)
        got.append((names, out, sorted(n for n, _ in layer.named_parameters())))
    assert got[0][0] == got[1][0] and got[0][2] == got[1][2]
    np.testing.assert_allclose(got[0][1], got[1][1], rtol=1e-5, atol=1e-6)


def test_spectral_norm_divides_by_the_largest_singular_value():
    torch = pytest.importorskip("torch")
    names = []
    for t in (dg, torch):
        t.manual_seed(0)
        layer = t.nn.utils.spectral_norm(_linear(t), n_power_iterations=30)
        layer(t.tensor(X, dtype=t.float32))
        sigma = np.linalg.svd(W, compute_uv=False)[0]
        np.testing.assert_allclose(layer.weight.detach().numpy(), W / sigma, rtol=1e-4)
        names.append((sorted(n for n, _ in layer.named_parameters()), sorted(layer.state_dict())))
        (layer(t.tensor(X, dtype=t.float32)) ** 2).sum().backward()
        assert layer.weight_orig.grad is not None
    assert names[0] == names[1]
