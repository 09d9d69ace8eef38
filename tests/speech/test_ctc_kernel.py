"""The CTC kernels' rescaled linear-space recursion against the plain log-space one: the same
losses and gradients on ordinary, very confident and extreme (thousands of nats) inputs, where
the kernel must notice lost probability and fall back to the log-space recursion."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import ctc as K


def _log_space(lp, tg, il, tl, blank, collapse, merge):
    nll = np.zeros(lp.shape[1])
    grad = np.zeros(lp.shape, lp.dtype)
    for n in range(lp.shape[1]):
        ext = K._extended(tg, n, tl[n], blank, collapse)
        nll[n] = K._nll(K._alpha(lp, n, il[n], ext, merge), il[n], ext.shape[0])
        if np.isfinite(nll[n]):
            K._backward_log(lp, n, il[n], ext, merge, nll[n], 1.0, grad)
    return nll, grad


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


@pytest.mark.parametrize("scale", [1.0, 8.0, 40.0, 300.0, 3000.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaled_recursion_matches_log_space(scale, dtype):
    rng = np.random.default_rng(int(scale) + 7)
    tol = 2e-5 if dtype == np.float32 else 1e-10
    for trial in range(12):
        T, N, C, S = 30, 3, 6, 8
        lp = _log_softmax(rng.standard_normal((T, N, C)) * scale).astype(dtype)
        tg = rng.integers(1, C, (N, S)).astype(np.int64)
        il = rng.integers(0, T + 1, N).astype(np.int64)
        tl = rng.integers(0, S + 1, N).astype(np.int64)
        collapse, merge = trial % 3 == 0, trial % 4 != 0
        want, want_g = _log_space(lp, tg, il, tl, 0, collapse, merge)
        got = K.ctc_forward(lp, tg, il, tl, 0, collapse, merge, False)
        got_g = K.ctc_backward(lp, tg, il, tl, np.ones(N, dtype), 0, collapse, merge, False)
        assert np.array_equal(np.isinf(got), np.isinf(want))
        fin = np.isfinite(want)
        np.testing.assert_allclose(got[fin], want[fin], rtol=tol, atol=tol)
        for n in np.flatnonzero(fin):
            np.testing.assert_allclose(got_g[:, n], want_g[:, n], rtol=tol, atol=tol)


def test_confident_long_sequence_stays_exact():
    """A trained-looking model (one class near 0 nats per frame, the rest far below)."""
    rng = np.random.default_rng(1)
    T, N, C, S = 200, 4, 30, 40
    tg = rng.integers(1, C, (N, S)).astype(np.int64)
    x = rng.standard_normal((T, N, C)) * 2.0
    for n in range(N):  # the path: label k around frame 5k, blanks elsewhere
        for t in range(T):
            k = t // 5
            x[t, n, tg[n, k] if k < S and t % 5 == 2 else 0] += 25.0
    lp = _log_softmax(x)
    il, tl = np.full(N, T, np.int64), np.full(N, S, np.int64)
    want, want_g = _log_space(lp, tg, il, tl, 0, False, True)
    got = K.ctc_forward(lp, tg, il, tl, 0, False, True, False)
    got_g = K.ctc_backward(lp, tg, il, tl, np.ones(N), 0, False, True, False)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got_g, want_g, rtol=1e-9, atol=1e-12)
