"""`out=` on torch's functions: the result is written into `out` (resized when its shape
differs) and `out` is returned, as torch does; checked against torch."""

import duograd.frontends.eager as dg
import numpy as np
import pytest

CALLS = {
    "matmul": lambda t, o: t.matmul(t.ones(2, 3), t.arange(6.0).view(3, 2), out=o),
    "mm": lambda t, o: t.mm(t.ones(2, 3), t.arange(6.0).view(3, 2), out=o),
    "mul": lambda t, o: t.mul(t.arange(4.0), t.arange(4.0), out=o),
    "add": lambda t, o: t.add(t.arange(4.0), 2.5, out=o),
    "exp": lambda t, o: t.exp(t.arange(4.0), out=o),
    "tanh": lambda t, o: t.tanh(t.arange(4.0), out=o),
    "sum_dim": lambda t, o: t.sum(t.arange(6.0).view(2, 3), 1, out=o),
    "mean_dim": lambda t, o: t.mean(t.arange(6.0).view(2, 3), 0, out=o),
    "cat": lambda t, o: t.cat([t.ones(2), t.zeros(3)], out=o),
    "stack": lambda t, o: t.stack([t.ones(2), t.zeros(2)], out=o),
    "clamp": lambda t, o: t.clamp(t.arange(5.0), 1, 3, out=o),
    "arange": lambda t, o: t.arange(5.0, out=o),
    "zeros": lambda t, o: t.zeros(2, 2, out=o),
    "pow": lambda t, o: t.pow(t.arange(4.0), 2, out=o),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("start_shape", [(4,), (2, 3)])
def test_out_matches_torch(name, start_shape):
    torch = pytest.importorskip("torch")
    results = []
    for t in (dg, torch):
        o = t.full(start_shape, 7.0)
        r = CALLS[name](t, o)
        assert r is o
        results.append(o.numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
    assert results[0].shape == results[1].shape


def test_tuple_out_of_max_with_dim():
    torch = pytest.importorskip("torch")
    got = []
    for t in (dg, torch):
        v, i = t.empty(2), t.empty(2, dtype=t.long)
        t.max(t.tensor([[1.0, 5.0], [7.0, 2.0]]), 1, out=(v, i))
        got.append((v.numpy().copy(), i.numpy().copy()))
    for a, b in zip(got[0], got[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_out_that_requires_grad_is_refused_in_grad_mode():
    o = dg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="out="):
        dg.exp(dg.ones(3), out=o)
    np.testing.assert_array_equal(o.detach().numpy(), np.zeros(3))
