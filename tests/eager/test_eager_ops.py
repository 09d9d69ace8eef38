"""Operators and functions: values against numpy, shape/dtype errors naming the operands."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core.errors import DTypeError, ShapeError

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, size=(3, 4)).astype(np.float32)
B = RNG.uniform(0.5, 2.0, size=(4,)).astype(np.float32)


@pytest.mark.parametrize(
    "ours,ref",
    [
        (lambda a, b: a + b, np.add),
        (lambda a, b: a - b, np.subtract),
        (lambda a, b: a * b, np.multiply),
        (lambda a, b: a / b, np.divide),
        (lambda a, b: a**b, np.power),
        (torch.maximum, np.maximum),
        (torch.minimum, np.minimum),
        (lambda a, b: a > b, np.greater),
        (lambda a, b: a <= b, np.less_equal),
        (lambda a, b: a == b, np.equal),
        (lambda a, b: a != b, np.not_equal),
    ],
)
def test_binary_ops_broadcast_like_numpy(ours, ref):
    got = ours(torch.tensor(A), torch.tensor(B)).numpy()
    np.testing.assert_allclose(got, ref(A, B), rtol=1e-6)


@pytest.mark.parametrize(
    "name,ref",
    [
        ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("abs", np.abs),
        ("tanh", np.tanh), ("neg", np.negative), ("square", np.square), ("sin", np.sin),
        ("cos", np.cos), ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("relu", lambda x: x),
    ],
)  # fmt: skip
def test_unary_functions_and_methods(name, ref):
    x = torch.tensor(A)
    np.testing.assert_allclose(getattr(torch, name)(x).numpy(), ref(A), rtol=2e-6)
    np.testing.assert_allclose(getattr(x, name)().numpy(), ref(A), rtol=2e-6)


def test_reductions():
    x = torch.tensor(A)
    np.testing.assert_allclose(x.sum().item(), A.sum(dtype=np.float64), rtol=1e-6)
    np.testing.assert_allclose(x.sum(dim=1).numpy(), A.sum(1), rtol=1e-6)
    np.testing.assert_allclose(x.mean(0, keepdim=True).numpy(), A.mean(0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(torch.sum(x, (0, 1)).item(), A.sum(dtype=np.float64), rtol=1e-6)
    values, indices = x.max(dim=1)
    assert np.array_equal(values.numpy(), A.max(1)) and np.array_equal(indices.numpy(), A.argmax(1))
    assert x.min(0).indices.tolist() == A.argmin(0).tolist()
    assert x.argmax().item() == A.argmax() and x.argmin(dim=0).tolist() == A.argmin(0).tolist()
    assert torch.max(x, torch.tensor(B)).shape == (3, 4)
    np.testing.assert_allclose(x.norm().item(), np.linalg.norm(A), rtol=1e-6)
    np.testing.assert_allclose(x.var(1).numpy(), A.var(1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(x.std(unbiased=False).item(), A.std(), rtol=1e-5)
    np.testing.assert_allclose(
        x.logsumexp(1).numpy(), np.log(np.exp(A.astype(np.float64)).sum(1)), rtol=1e-6
    )
    assert torch.tensor([1, 2, 3]).sum().dtype == torch.int64
    assert torch.tensor([True, False, True]).sum().item() == 2
    assert (x > 1).any().item() is True and (x > 0).all().item() is True
    assert (x > 1).all(dim=1).shape == (3,)
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        torch.tensor([1, 2]).mean()


def test_matmul_family():
    a = torch.tensor(A)
    b = torch.tensor(A.T.copy())
    np.testing.assert_allclose((a @ b).numpy(), A @ A.T, rtol=1e-5)
    np.testing.assert_allclose(a.mm(b).numpy(), A @ A.T, rtol=1e-5)
    np.testing.assert_allclose(torch.matmul(a, torch.tensor(B)).numpy(), A @ B, rtol=1e-5)
    batch = torch.tensor(np.stack([A, A]))
    assert torch.bmm(batch, torch.tensor(np.stack([A.T, A.T]))).shape == (2, 3, 3)
    with pytest.raises(ShapeError, match=r"matmul: inner dimensions differ: \(3, 4\) @ \(3, 4\)"):
        a @ a
    with pytest.raises(RuntimeError, match="mm: both operands must be matrices"):
        torch.mm(a, torch.tensor(B))


def test_shape_errors_name_the_shapes():
    with pytest.raises(ShapeError, match=r"add: shapes \(3, 4\) and \(3,\) cannot be broadcast"):
        torch.tensor(A) + torch.ones(3)
    with pytest.raises(ShapeError, match=r"cannot reshape \(3, 4\) \(12 elements\)"):
        torch.tensor(A).reshape(5, 2)
    with pytest.raises(ShapeError, match="concat"):
        torch.cat([torch.ones(2, 3), torch.ones(2, 4)])
    with pytest.raises(ShapeError, match="stack: all tensors need one shape"):
        torch.stack([torch.ones(2), torch.ones(3)])
    with pytest.raises(DTypeError, match="where: the condition must be bool|condition"):
        from duograd.core import ops

        ops.where(torch.ones(2), torch.ones(2), torch.ones(2))


def test_shape_functions():
    x = torch.arange(24).reshape(2, 3, 4)
    a = np.arange(24).reshape(2, 3, 4)
    assert np.array_equal(x.view(6, 4).numpy(), a.reshape(6, 4))
    assert np.array_equal(x.view(-1).numpy(), a.reshape(-1))
    assert np.array_equal(x.flatten(1).numpy(), a.reshape(2, 12))
    assert np.array_equal(x.transpose(0, 2).numpy(), a.transpose(2, 1, 0))
    assert np.array_equal(x.permute(2, 0, 1).numpy(), a.transpose(2, 0, 1))
    assert np.array_equal(torch.permute(x, (2, 0, 1)).numpy(), a.transpose(2, 0, 1))
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert torch.zeros(1, 3, 1).squeeze().shape == (3,)
    assert torch.zeros(1, 3, 1).squeeze(1).shape == (1, 3, 1)  # not of length 1: unchanged
    assert torch.zeros(3, 1).expand(3, 5).shape == (3, 5)
    assert torch.zeros(2).expand_as(torch.zeros(4, 2)).shape == (4, 2)
    assert torch.tensor([[1, 2]]).repeat(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert [t.shape for t in x.split(2, dim=2)] == [(2, 3, 2), (2, 3, 2)]
    assert [t.shape[1] for t in torch.split(x, [1, 2], 1)] == [1, 2]
    assert [t.shape[0] for t in torch.arange(5).chunk(2)] == [3, 2]
    assert [t.tolist() for t in torch.tensor([[1, 2], [3, 4]]).unbind(1)] == [[1, 3], [2, 4]]
    assert torch.arange(4).flip(0).tolist() == [3, 2, 1, 0]
    assert torch.t(torch.zeros(2, 3)).shape == (3, 2) and torch.zeros(2, 3).T.shape == (3, 2)
    assert torch.cat([torch.ones(2), torch.zeros(1, dtype=torch.int64)]).dtype == torch.float32
    assert torch.stack([torch.ones(2), torch.zeros(2)], dim=1).tolist() == [[1, 0], [1, 0]]
    idx = torch.tensor([[0, 1], [1, 0]])
    assert torch.tensor([[1, 2], [3, 4]]).gather(1, idx).tolist() == [[1, 2], [4, 3]]


def test_where_clamp_and_logic():
    x = torch.tensor([-2.0, 0.5, 3.0])
    assert torch.where(x > 0, x, torch.zeros(3)).tolist() == [0.0, 0.5, 3.0]
    assert torch.where(x > 0, 1.0, -1.0).tolist() == [-1.0, 1.0, 1.0]
    assert torch.where(x > 0)[0].tolist() == [1, 2]
    assert x.clamp(min=0).tolist() == [0.0, 0.5, 3.0]
    assert x.clamp(max=1).tolist() == [-2.0, 0.5, 1.0]
    assert torch.clamp(x, -1, 1).tolist() == [-1.0, 0.5, 1.0]
    m = x > 0
    assert (~m).tolist() == [True, False, False]
    assert (m & (x < 1)).tolist() == [False, True, False]
    assert (m | (x < -1)).tolist() == [True, True, True]
    assert torch.allclose(x, x + 1e-9) and not torch.allclose(x, x + 1)
    assert torch.equal(x, x.clone()) and not torch.equal(x, x[:2])
    assert torch.isnan(torch.tensor([float("nan"), 1.0])).tolist() == [True, False]


def test_clone_detach_and_contiguous():
    x = torch.ones(2, requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and c._data is not x._data
    d = x.detach()
    assert d._data is x._data and not d.requires_grad
    assert x.contiguous() is x and x.is_contiguous()
