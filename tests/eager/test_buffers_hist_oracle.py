"""torch.frombuffer, torch.histogram / Tensor.histogram and torch.cholesky_solve against real
torch (values, dtypes, gradients of cholesky_solve)."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")
R = np.random.default_rng(5)


def test_frombuffer_shares_memory_like_torch():
    raw = np.arange(6, dtype=np.float32).tobytes()
    for kw in ({}, dict(count=2, offset=8)):
        a = torch.frombuffer(bytearray(raw), dtype=torch.float32, **kw)
        b = rt.frombuffer(bytearray(raw), dtype=rt.float32, **kw)
        assert a.dtype == torch.float32
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    buf = bytearray(np.zeros(3, np.int64).tobytes())
    t = torch.frombuffer(buf, dtype=torch.int64)
    t[1] = 7
    assert np.frombuffer(bytes(buf), np.int64)[1] == 7
    with pytest.raises(ValueError, match="frombuffer: count 9"):
        torch.frombuffer(bytearray(raw), dtype=torch.float32, count=9)
    with pytest.raises(ValueError, match="not a multiple"):
        torch.frombuffer(bytearray(raw), dtype=torch.float64, offset=4)


@pytest.mark.parametrize(
    "kw",
    [dict(bins=4), dict(bins=6, range=(-1.0, 2.0)), dict(bins=5, density=True),
     dict(bins=3, weight=True)],
)  # fmt: skip
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_histogram_against_torch(kw, dt):
    x = R.normal(size=(4, 5)).astype(dt)
    kw = dict(kw)
    outs = []
    for lib in (torch, rt):
        k = dict(kw)
        if k.get("weight"):
            k["weight"] = lib.tensor(np.abs(x) + 0.5)
        outs.append(lib.histogram(lib.tensor(x), **k))
    (ha, ea), (hb, eb) = outs
    assert ha.numpy().dtype == hb.numpy().dtype == dt
    np.testing.assert_allclose(ea.numpy(), eb.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ha.numpy(), hb.numpy(), rtol=1e-5)
    m = torch.tensor(x).histogram(torch.tensor(eb.numpy()))
    np.testing.assert_allclose(m.hist.numpy(), rt.tensor(x).histogram(eb).hist.numpy())


def test_histogram_refuses_integers():
    with pytest.raises(RuntimeError, match="histogram: expects a floating tensor"):
        torch.histogram(torch.tensor([1, 2]), 2)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_cholesky_solve_against_torch(upper, dt):
    a = R.uniform(-1, 1, (2, 3, 3))
    spd = a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)
    b = R.normal(size=(2, 3, 2)).astype(dt)
    out = []
    for lib in (torch, rt):
        f = lib.linalg.cholesky(lib.tensor(spd.astype(dt)))
        f = (f.transpose(-2, -1) if upper else f).detach().requires_grad_()
        bt = lib.tensor(b, requires_grad=True)
        x = lib.cholesky_solve(bt, f, upper=upper)
        (x * lib.tensor(np.cos(np.arange(12)).reshape(2, 3, 2).astype(dt))).sum().backward()
        out.append((x.detach().numpy(), bt.grad.numpy(), f.grad.numpy()))
    tol = dict(rtol=2e-4, atol=2e-5) if dt == np.float32 else dict(rtol=1e-9, atol=1e-11)
    for p, q in zip(*out, strict=True):
        assert p.dtype == q.dtype
        np.testing.assert_allclose(p, q, **tol)
