"""Tensors: creation, dtypes and promotion, properties, conversion, printing, indexing."""

from __future__ import annotations

import copy
import math
import pickle

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core import random as core_random


def test_tensor_infers_pytorch_dtypes():
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor([True, False]).dtype == torch.bool
    assert torch.tensor(np.zeros(2, np.float64)).dtype == torch.float64
    assert torch.tensor(np.zeros(2, np.int32)).dtype == torch.int32
    assert torch.tensor([1, 2], dtype=torch.float).dtype == torch.float32
    assert torch.tensor([1, 2], dtype=torch.double).dtype is torch.float64
    assert torch.long is torch.int64 and torch.float is torch.float32
    assert torch.get_default_dtype() == torch.float32


def test_tensor_copies_but_from_numpy_and_as_tensor_share_memory():
    arr = np.arange(4, dtype=np.float32)
    t = torch.tensor(arr)
    f = torch.from_numpy(arr)
    a = torch.as_tensor(arr)
    arr[0] = 9.0
    assert t[0].item() == 0.0
    assert f[0].item() == 9.0 and a[0].item() == 9.0
    f.add_(1)
    assert arr[1] == 2.0


def test_from_numpy_refuses_unsupported_dtypes():
    # float16 / uint8 / int8 / int16 are storage dtypes now (as torch keeps them); float128 is not
    with pytest.raises(TypeError, match="float128"):
        torch.from_numpy(np.zeros(2, np.longdouble))
    assert torch.from_numpy(np.zeros(2, np.float16)).dtype == torch.float16


def test_factories():
    assert torch.zeros(2, 3).shape == (2, 3)
    assert torch.zeros((2, 3)).tolist() == [[0.0] * 3] * 2
    assert torch.ones([2]).tolist() == [1.0, 1.0]
    assert torch.full((2,), 7).dtype == torch.int64
    assert torch.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert torch.empty(3).shape == (3,)
    assert torch.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert torch.arange(4).tolist() == [0, 1, 2, 3]
    assert torch.arange(4).dtype == torch.int64
    assert torch.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert torch.arange(0, 1, 0.25).dtype == torch.float32
    assert torch.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    x = torch.ones(2, 3, dtype=torch.float64)
    assert torch.zeros_like(x).dtype == torch.float64
    assert torch.ones_like(x).shape == (2, 3)
    assert torch.full_like(x, 3).tolist() == [[3.0] * 3] * 2
    assert torch.empty_like(x).shape == (2, 3)


def test_random_draws_follow_the_shared_stream():
    torch.manual_seed(123)
    a = torch.randn(3, 4)
    b = torch.rand(2)
    core_random.manual_seed(123)
    ref_a = core_random.default_generator.normal((3, 4), np.float32)
    ref_b = core_random.default_generator.uniform((2,), np.float32)
    assert np.array_equal(a.numpy(), ref_a) and np.array_equal(b.numpy(), ref_b)
    torch.manual_seed(123)
    assert np.array_equal(torch.randn(3, 4).numpy(), ref_a)


def test_generator_objects_and_randint():
    g = torch.Generator().manual_seed(5)
    x = torch.rand(4, generator=g)
    g.manual_seed(5)
    assert np.array_equal(torch.rand(4, generator=g).numpy(), x.numpy())
    r = torch.randint(0, 10, (50,))
    assert r.dtype == torch.int64 and 0 <= r.min().item() and r.max().item() < 10
    assert torch.randint(3, (4,)).shape == (4,)
    assert sorted(torch.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    t = torch.zeros(1000)
    t.uniform_(-1, 1)
    assert -1 <= t.min().item() and t.max().item() < 1
    t.normal_(5.0, 0.1)
    assert abs(t.mean().item() - 5.0) < 0.05


def test_properties_and_python_conversion():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert repr(x.shape) == "torch.Size([2, 3])"
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6 and len(x) == 2
    assert str(x.device) == "cpu" and x.to("cpu") is x and x.cpu() is x
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert isinstance(x.numpy(), np.ndarray) and np.asarray(x).shape == (2, 3)
    assert x[1, 2].item() == 6.0 and float(x[0, 0]) == 1.0 and int(x[1, 0]) == 4
    assert [r.tolist() for r in x] == x.tolist()
    assert f"{x.sum():.2f}" == "21.00"
    assert not x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="6 elements cannot be converted"):
        x.item()
    with pytest.raises(TypeError, match="0-d"):
        len(torch.tensor(1.0))
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


def test_numpy_refuses_tensors_that_require_grad():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        w.numpy()
    assert w.detach().numpy().tolist() == [1.0, 1.0]


def test_repr_like_pytorch():
    assert repr(torch.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(torch.tensor([0.1, 2.0])) == "tensor([0.1000, 2.0000])"
    assert repr(torch.tensor(2.5)) == "tensor(2.5000)"
    assert repr(torch.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(torch.tensor([True, False])) == "tensor([ True, False])"
    assert repr(torch.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(torch.tensor([1.5], dtype=torch.float64)) == "tensor([1.5000], dtype=torch.float64)"
    assert repr(torch.tensor([1, 2], dtype=torch.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(torch.zeros(0)) == "tensor([])"
    assert (
        repr(torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True))
        == "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)"
    )
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(torch.tensor([float("inf"), 1.5])) == "tensor([   inf, 1.5000])"
    assert "..." in repr(torch.zeros(2000))


def test_python_scalars_never_upcast_and_ints_promote():
    f32 = torch.tensor([1.0, 2.0])
    assert (f32 * 2.5).dtype == torch.float32
    assert (f32 + 1).dtype == torch.float32
    assert (2**f32).dtype == torch.float32
    i64 = torch.tensor([1, 2])
    assert (i64 + 1).dtype == torch.int64
    assert (i64 * 1.5).dtype == torch.float32 and (i64 * 1.5).tolist() == [1.5, 3.0]
    assert (i64 / 2).dtype == torch.float32 and (i64 / 2).tolist() == [0.5, 1.0]
    assert (i64 + f32).dtype == torch.float32
    assert (f32 + torch.tensor([1.0], dtype=torch.float64)).dtype == torch.float64
    # a 0-d tensor decides only when its category is higher (PyTorch's rule)
    assert (f32 * torch.tensor(2.0, dtype=torch.float64)).dtype == torch.float32
    assert (i64 * torch.tensor(2.5, dtype=torch.float64)).dtype == torch.float64
    assert (torch.tensor([True]) + 1).dtype == torch.int64
    assert (i64 > 1).dtype == torch.bool and (i64 > 1).tolist() == [False, True]
    assert (i64**2).tolist() == [1, 4] and (i64**2).dtype == torch.int64


def test_dtype_conversions():
    x = torch.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.long().dtype == torch.int64
    assert x.int().dtype == torch.int32
    assert x.double().dtype == torch.float64
    assert x.bool().tolist() == [True, True]
    assert x.to(torch.float64).dtype == torch.float64
    assert x.to(dtype=torch.int64).tolist() == [1, -2]
    assert x.to(torch.zeros(1, dtype=torch.float64)).dtype == torch.float64
    assert x.type() == "torch.FloatTensor" and x.type(torch.float64).dtype == torch.float64
    assert torch.tensor([1, 0]).float().dtype == torch.float32


def test_indexing_matches_numpy():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = torch.tensor(a)
    cases = [
        (1,),
        (slice(None), 1),
        (Ellipsis, -1),
        (slice(None), slice(0, 2), slice(None, None, 2)),
        (None, 0),
        (np.array([1, 0]),),
        (a > 10,),
        (0, [2, 0]),
    ]
    for idx in cases:
        assert np.array_equal(x[idx].numpy(), a[idx]), idx
    assert x[torch.tensor([1, 0])].shape == (2, 3, 4)
    assert x[torch.tensor(a > 10)].tolist() == a[a > 10].tolist()
    assert x[torch.tensor(1)].shape == (3, 4)


def test_setitem_without_grad():
    x = torch.zeros(2, 3)
    x[0] = 5
    x[:, 1] += 1
    x[1, torch.tensor([0, 2])] = torch.tensor([7.0, 8.0])
    assert x.tolist() == [[5.0, 6.0, 5.0], [7.0, 1.0, 8.0]]
    m = torch.ones(4)
    m[m > 0] = 2.0
    assert m.tolist() == [2.0] * 4


def test_views_share_memory_with_their_base():
    x = torch.zeros(2, 3)
    v = x.view(6)
    v[0] = 1.0
    r = x[1]
    r.add_(2)
    assert x.tolist() == [[1.0, 0.0, 0.0], [2.0, 2.0, 2.0]]


def test_inplace_ops_keep_dtype_and_refuse_float_into_int():
    x = torch.tensor([1.0, 2.0])
    assert x.add_(1).tolist() == [2.0, 3.0]
    assert x.sub_(torch.tensor([1.0, 1.0]), alpha=2).tolist() == [0.0, 1.0]
    assert x.mul_(3).tolist() == [0.0, 3.0]
    assert x.div_(2).tolist() == [0.0, 1.5]
    assert x.clamp_(0.5, 1.0).tolist() == [0.5, 1.0]
    assert x.fill_(4).tolist() == [4.0, 4.0]
    assert x.zero_().tolist() == [0.0, 0.0]
    assert x.copy_(torch.tensor([1, 2])).tolist() == [1.0, 2.0]
    x += 1
    x *= 2
    assert x.tolist() == [4.0, 6.0]
    i = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        torch.zeros(2).add_(torch.ones(3, 2))


def test_deepcopy_and_pickle_roundtrip():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    c = copy.deepcopy(w)
    assert c.requires_grad and c.tolist() == [1.0, 2.0] and c._data is not w._data
    p = pickle.loads(pickle.dumps(w))
    assert p.requires_grad and p.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(w * 2)


def test_sin_and_the_tutorial_data():
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    assert y.shape == (2000,)
    assert np.allclose(y.numpy(), np.sin(x.numpy().astype(np.float64)), atol=1e-6)
