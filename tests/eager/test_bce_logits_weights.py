"""`F.binary_cross_entropy_with_logits` / `nn.BCEWithLogitsLoss` with `weight` and
`pos_weight` (class imbalance): values and gradients against torch."""

import duograd.frontends.eager as dg
import numpy as np
import pytest

Z = np.linspace(-3, 3, 12).reshape(3, 4)
T = (np.arange(12).reshape(3, 4) % 3 == 0).astype(np.float64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "weights",
    [
        {"pos_weight": np.array([1.0, 2.0, 3.0, 0.5])},
        {"weight": np.array([0.5, 1.0, 2.0, 1.5])},
        {"weight": np.array([[2.0], [1.0], [0.5]]), "pos_weight": np.array([3.0, 1.0, 1.0, 2.0])},
    ],
)
def test_weighted_bce_matches_torch(dtype, reduction, weights):
    torch = pytest.importorskip("torch")
    got = []
    for t in (dg, torch):
        dt = getattr(t, dtype)
        z = t.tensor(Z, dtype=dt, requires_grad=True)
        kw = {k: t.tensor(v, dtype=dt) for k, v in weights.items()}
        loss = t.nn.functional.binary_cross_entropy_with_logits(
            z, t.tensor(T, dtype=dt), reduction=reduction, **kw
        )
        module = t.nn.BCEWithLogitsLoss(reduction=reduction, **kw)(z, t.tensor(T, dtype=dt))
        (loss.sum() + module.sum()).backward()
        got.append((loss.detach().numpy(), module.detach().numpy(), z.grad.numpy()))
    tol = 1e-6 if dtype == "float32" else 1e-12
    for a, b in zip(got[0], got[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_weights_are_buffers_in_the_state_dict():
    loss = dg.nn.BCEWithLogitsLoss(pos_weight=dg.ones(3))
    assert list(loss.state_dict()) == ["pos_weight"]
