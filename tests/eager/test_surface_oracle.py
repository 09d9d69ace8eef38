"""The wider torch surface (surface.py) against real PyTorch: values, gradients and dtypes."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4)).astype(np.float32)
MASK = RNG.random((3, 4)) > 0.5

# (name, f(lib, x) -> tensor): each is run on a requires-grad x in both libraries
CASES = [
    ("erf", lambda T, x: T.erf(x)),
    ("erf_method", lambda T, x: x.erf()),
    ("tril", lambda T, x: T.tril(x)),
    ("tril_k", lambda T, x: T.tril(x, diagonal=-1)),
    ("triu", lambda T, x: T.triu(x, 1)),
    ("triu_method", lambda T, x: x.triu()),
    ("masked_fill", lambda T, x: x.masked_fill(T.from_numpy(MASK), -1.5)),
    ("masked_fill_fn", lambda T, x: T.masked_fill(x, T.from_numpy(MASK), 2.0)),
    ("masked_fill_inf", lambda T, x: x.masked_fill(T.from_numpy(MASK), float("-inf")).softmax(-1)),
    ("ravel", lambda T, x: x.ravel() * 2),
    ("type_as", lambda T, x: x.type_as(T.ones(1, dtype=T.float64)) * 3),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_value_and_grad_match_torch(name, fn):
    xt = torch.tensor(X, requires_grad=True)
    xd = dg.tensor(X, requires_grad=True)
    yt, yd = fn(torch, xt), fn(dg, xd)
    assert str(yd.dtype) == str(yt.dtype)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), rtol=2e-6, atol=1e-7)
    w = RNG.standard_normal(tuple(yt.shape)).astype(yt.detach().numpy().dtype)
    finite = np.isfinite(yt.detach().numpy())
    (yt[torch.from_numpy(finite)] * torch.from_numpy(w[finite])).sum().backward()
    (yd[dg.from_numpy(finite)] * dg.from_numpy(w[finite])).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=2e-5, atol=1e-6)


INPLACE = ["exp", "log", "sqrt", "abs", "sigmoid", "tanh", "sin", "erf", "square", "reciprocal"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_variants_match_torch(name):
    a = np.abs(X) + 0.5
    t, d = torch.tensor(a), dg.tensor(a)
    rt, rd = getattr(t, name + "_")(), getattr(d, name + "_")()
    assert rd is d and rt is t
    np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=2e-6)


def test_inplace_variant_records_gradient_like_torch():
    def run(T):
        x = T.tensor(X, requires_grad=True)
        y = x * 2
        y.masked_fill_(T.from_numpy(MASK), 0.0)
        y.tanh_()
        y.sum().backward()
        return x.grad.numpy()

    np.testing.assert_allclose(run(dg), run(torch), rtol=2e-6, atol=1e-7)


def test_round_is_half_to_even_like_torch():
    v = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4999], np.float32)
    np.testing.assert_array_equal(dg.round(dg.tensor(v)).numpy(), torch.round(torch.tensor(v)))
    np.testing.assert_allclose(
        dg.tensor(v).round(decimals=1).numpy(), torch.tensor(v).round(decimals=1).numpy()
    )


@pytest.mark.parametrize("ctor", ["LongTensor", "IntTensor", "DoubleTensor", "BoolTensor"])
def test_typed_constructors_match_torch(ctor):
    data = [[1, 0, 3], [0, 5, 1]]
    t, d = getattr(torch, ctor)(data), getattr(dg, ctor)(data)
    assert str(d.dtype) == str(t.dtype)
    np.testing.assert_array_equal(d.numpy(), t.numpy())
    assert isinstance(d, getattr(dg, ctor)) and not isinstance(dg.ones(1, dtype=dg.float32),
                                                               getattr(dg, ctor))  # fmt: skip
    assert tuple(getattr(dg, ctor)(2, 3).shape) == (2, 3)


NEW = [
    ("new_zeros", (2, 3)),
    ("new_ones", ((4,),)),
    ("new_full", ((2, 2), 7.0)),
    ("new_empty", (3,)),
]


@pytest.mark.parametrize("method,args", NEW)
def test_new_family_keeps_dtype_like_torch(method, args):
    for dt in ("float64", "int64"):
        t = getattr(torch.zeros(1, dtype=getattr(torch, dt)), method)(*args)
        d = getattr(dg.zeros(1, dtype=getattr(dg, dt)), method)(*args)
        assert str(d.dtype) == str(t.dtype) and tuple(d.shape) == tuple(t.shape)
        if method != "new_empty":
            np.testing.assert_array_equal(d.numpy(), t.numpy())
    assert str(dg.zeros(1).new_tensor([1, 2]).dtype) == str(torch.zeros(1).new_tensor([1, 2]).dtype)


def test_resize_keeps_leading_values_like_torch():
    t, d = torch.arange(6.0), dg.arange(6.0)
    t.resize_(2, 2)
    d.resize_(2, 2)
    np.testing.assert_array_equal(d.numpy(), t.numpy())


def test_multinomial_draws_valid_indices_with_the_right_frequencies():
    dg.manual_seed(0)
    p = dg.tensor([0.1, 0.0, 0.6, 0.3])
    draws = dg.multinomial(p, 4000, replacement=True)
    assert draws.dtype == dg.int64 and tuple(draws.shape) == (4000,)
    freq = np.bincount(draws.numpy(), minlength=4) / 4000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.03)
    rows = dg.multinomial(dg.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]]), 2)
    for r, allowed in zip(rows.numpy(), ({0, 1}, {1, 2}), strict=True):
        assert set(r.tolist()) == allowed
    with pytest.raises(RuntimeError, match="without replacement"):
        dg.multinomial(p, 5)


def test_normal_shapes_and_moments():
    dg.manual_seed(0)
    z = dg.normal(dg.full((20000,), 2.0), dg.full((20000,), 3.0))
    assert abs(float(z.mean()) - 2.0) < 0.1 and abs(float(z.std()) - 3.0) < 0.1
    assert tuple(dg.normal(0.0, 1.0, size=(2, 3)).shape) == (2, 3)


def test_variable_keeps_dtype_and_floor_division_matches_torch():
    from duograd.frontends.eager.autograd import Variable

    v = Variable(dg.LongTensor([3, 7]))
    assert v.dtype == dg.int64 and isinstance(v, Variable)
    assert Variable(dg.ones(2), requires_grad=True).requires_grad
    a = np.array([7, -7, 9], np.int64)
    np.testing.assert_array_equal((dg.tensor(a) // 2).numpy(), (torch.tensor(a) // 2).numpy())
    f = np.array([7.5, -7.5], np.float32)
    np.testing.assert_array_equal((dg.tensor(f) // 2).numpy(), (torch.tensor(f) // 2).numpy())
