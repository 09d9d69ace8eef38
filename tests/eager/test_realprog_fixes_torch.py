"""Names found missing by running real PyTorch programs unchanged, checked against torch."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest

RNG = np.random.default_rng(11)


def _params(lib, arrays):
    return [lib.nn.Parameter(lib.tensor(a)) for a in arrays]


def _backward(lib, params, weights):
    total = sum((p * lib.tensor(w)).pow(2).sum() for p, w in zip(params, weights, strict=True))
    total.backward()


@pytest.mark.parametrize("max_norm,norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, 1.0)])
def test_clip_grad_norm_deprecated_spelling_matches_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,)]]
    weights = [RNG.standard_normal(a.shape).astype(np.float32) for a in arrays]
    ours, theirs = _params(dg, arrays), _params(torch, arrays)
    _backward(dg, ours, weights)
    _backward(torch, theirs, weights)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        n_ours = dg.nn.utils.clip_grad_norm(ours, max_norm, norm_type)
    with pytest.warns(FutureWarning):
        n_theirs = torch.nn.utils.clip_grad_norm(theirs, max_norm, norm_type)
    np.testing.assert_allclose(n_ours.numpy(), n_theirs.numpy(), rtol=1e-6)
    assert n_ours.dtype == dg.float32
    for p, q in zip(ours, theirs, strict=True):
        assert p.grad.dtype == dg.float32
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_importable_by_name():
    from duograd.frontends.eager.nn.utils import clip_grad_norm

    assert callable(clip_grad_norm)


def test_vector_to_parameters_matches_torch_and_keeps_training():
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(s).astype(np.float32) for s in [(2, 3), (3,), (1, 1)]]
    vec = RNG.standard_normal(10).astype(np.float32)
    ours, theirs = _params(dg, arrays), _params(torch, arrays)
    dg.nn.utils.vector_to_parameters(dg.tensor(vec), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), theirs)
    for p, q in zip(ours, theirs, strict=True):
        assert p.detach().numpy().tobytes() == q.detach().numpy().tobytes()
        assert p.requires_grad and p.is_leaf
    # the copied values take part in the next backward pass like any parameter value
    weights = [RNG.standard_normal(a.shape).astype(np.float32) for a in arrays]
    _backward(dg, ours, weights)
    _backward(torch, theirs, weights)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)
    round_trip = dg.nn.utils.parameters_to_vector(ours)
    assert round_trip.detach().numpy().tobytes() == vec.tobytes()


def test_vector_to_parameters_rejects_a_wrong_length_and_changes_nothing():
    params = _params(dg, [np.ones((2, 2), np.float32)])
    with pytest.raises(ValueError, match="4 elements"):
        dg.nn.utils.vector_to_parameters(dg.zeros(5), params)
    with pytest.raises(TypeError, match="Tensor"):
        dg.nn.utils.vector_to_parameters(np.zeros(4, np.float32), params)
    assert params[0].detach().numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
