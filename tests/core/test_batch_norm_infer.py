"""Eval-mode BatchNorm as one primitive (batch_norm_infer): the same bits as the composed ops
the graph style runs, one kernel per layer in eager eval mode, gradients against PyTorch, and
named errors."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest
from duograd.core import functional as CF
from duograd.core.errors import ShapeError
from duograd.core.primitives import REGISTRY
from duograd.core.primitives.batchnorm_infer import batch_norm_infer

RNG = np.random.default_rng(11)
# (shape, channel axis): NCHW, NHWC, (N, C), (N, C, L), channels first, a batch-1 image
CASES = [((4, 6, 5, 7), 1), ((3, 5, 4, 6), 3), ((9, 4), 1), ((2, 3, 8), 1), ((5, 2, 3), 0),
         ((1, 16, 32, 32), 1)]  # fmt: skip


def _vectors(c, dt):
    mean = RNG.standard_normal(c).astype(dt)
    var = RNG.uniform(0.01, 3.0, c).astype(dt)
    scale = RNG.uniform(-1.5, 1.5, c).astype(dt)
    offset = RNG.standard_normal(c).astype(dt)
    return mean, var, scale, offset


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fused_gives_the_composed_bits(case, dtype):
    shape, axis = CASES[case]
    x = (RNG.standard_normal(shape) * 3).astype(dtype)
    x.reshape(-1)[:3] = (0.0, -0.0, 1e-30)
    mean, var, scale, offset = _vectors(shape[axis], dtype)
    eps = 1e-5
    want = CF.batch_norm(x, scale, offset, mean, var, eps, axis=axis)
    got = CF.batch_norm(x, scale, offset, mean, var, eps, axis=axis, fused=True)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    ref = REGISTRY["batch_norm_infer"].reference(x, mean, var, scale, offset, axis, eps)
    np.testing.assert_allclose(got, ref, rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_eager_eval_runs_one_kernel_per_layer(monkeypatch):
    calls = []
    prim = REGISTRY["batch_norm_infer"]
    real = prim.impl
    monkeypatch.setattr(prim, "impl", lambda *a, **k: calls.append(1) or real(*a, **k))
    m = dg.nn.BatchNorm2d(6).eval()
    x = RNG.standard_normal((2, 6, 3, 3)).astype(np.float32)
    y = m(dg.tensor(x))
    assert len(calls) == 1
    want = CF.batch_norm(x, *(t.detach().numpy() for t in (m.weight, m.bias, m.running_mean,
                                                   m.running_var)), 1e-5, axis=1)  # fmt: skip
    np.testing.assert_array_equal(y.detach().numpy(), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eval_mode_gradients_match_torch(dtype):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4, 5, 2)).astype(dtype)
    g = RNG.standard_normal(x.shape).astype(dtype)
    mean, var, scale, offset = _vectors(4, dtype)
    out = {}
    for lib in (torch, dg):
        # torch takes no gradient for the running statistics (the op-table row checks those
        # against finite differences)
        mt, vt = lib.tensor(mean.copy()), lib.tensor(var.copy())
        ts = [lib.tensor(v.copy(), requires_grad=True) for v in (x, scale, offset)]
        xt, st, ot = ts
        y = lib.nn.functional.batch_norm(xt, mt, vt, st, ot, training=False, eps=1e-3)
        (y * lib.tensor(g)).sum().backward()
        out[lib] = [y.detach().numpy()] + [t.grad.numpy() for t in ts]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(out[torch], out[dg], strict=True):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def test_bad_vectors_name_the_op():
    x = np.zeros((2, 3, 4, 4), np.float32)
    good = [np.ones(3, np.float32)] * 4
    with pytest.raises(ShapeError, match="batch_norm_infer: var must be a vector of the 3"):
        batch_norm_infer(x, good[0], np.ones(4, np.float32), good[2], good[3], 1, 1e-5)
    with pytest.raises(ShapeError, match="batch_norm_infer: mean"):
        batch_norm_infer(x, np.ones((1, 3), np.float32), *good[1:], 1, 1e-5)
    with pytest.raises(TypeError, match="batch_norm_infer"):
        batch_norm_infer(x, *good[:3], np.ones(3, np.float64), 1, 1e-5)


def test_a_remembered_verdict_never_hides_a_bad_call():
    # the rule's verdict is kept per shapes after a good call; bad calls must still raise
    x = np.zeros((2, 3, 4, 4), np.float32)
    good = [np.ones(3, np.float32)] * 4
    for _ in range(2):
        assert batch_norm_infer(x, *good, 1, 1e-5).shape == (2, 3, 4, 4)
        with pytest.raises(ShapeError, match="batch_norm_infer: offset must be a vector"):
            batch_norm_infer(x, *good[:3], np.ones(2, np.float32), 1, 1e-5)
        with pytest.raises(TypeError, match="batch_norm_infer"):
            batch_norm_infer(x, *good[:3], np.ones(3, np.float64), 1, 1e-5)
    # the same shapes on another channel axis are another verdict (axis 3 has 4 channels)
    with pytest.raises(ShapeError, match="batch_norm_infer: mean must be a vector of the 4"):
        batch_norm_infer(x, *good, 3, 1e-5)
