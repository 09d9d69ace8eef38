"""Softmax family: float64 references, -inf masking, any axis, serial/parallel bit-identity."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import softmax as S

FLOATS = [np.float32, np.float64]


def _data(shape, dtype, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


def _ref_softmax(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _ref_lse(x, axis, keepdims=False):
    x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


def _tol(dtype):
    return dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(dtype, axis):
    x = _data((4, 7, 9), dtype)
    y = S.softmax(x, axis)
    ly = S.log_softmax(x, axis)
    assert y.dtype == dtype and y.shape == x.shape and y.flags.c_contiguous
    ref = _ref_softmax(x, axis)
    np.testing.assert_allclose(y, ref, **_tol(dtype))
    np.testing.assert_allclose(ly, np.log(ref), **_tol(dtype))


def test_other_axes_are_the_last_axis_moved():
    x = _data((6, 11), np.float32, 1)
    np.testing.assert_array_equal(S.softmax(x, 0), S.softmax(x.T.copy(), 1).T)
    np.testing.assert_array_equal(S.log_softmax(x.T, 0), S.log_softmax(x, 1).T)


def test_masked_rows():
    x = np.array([[-np.inf, 1.0, 2.0, -np.inf], [-np.inf] * 4, [0.0, np.inf, 1.0, 2.0]], np.float32)
    y = S.softmax(x)
    assert y[0, 0] == 0 and y[0, 3] == 0
    np.testing.assert_allclose(y[0, 1:3], _ref_softmax(x[:1, 1:3], -1)[0], rtol=1e-6)
    assert np.isnan(y[1]).all()  # all -inf: NaN, as torch
    assert np.isnan(y[2]).all()  # +inf: NaN, as numpy/torch
    ly = S.log_softmax(x)
    assert ly[0, 0] == -np.inf and np.isfinite(ly[0, 1:3]).all() and np.isnan(ly[1]).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp(dtype):
    x = _data((3, 5, 6), dtype, 2)
    for axis in (-1, 0, (0, 2), None):
        for keepdims in (False, True):
            got = S.logsumexp(x, axis, keepdims)
            ref = _ref_lse(x, axis, keepdims)
            assert got.shape == np.shape(ref) and got.dtype == dtype
            np.testing.assert_allclose(got, ref, **_tol(dtype))
    inf = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], [-np.inf, 0.0]], dtype)
    got = S.logsumexp(inf, -1)
    assert got[0] == -np.inf and got[1] == np.inf and np.isnan(got[2]) and got[3] == 0
    assert S.logsumexp(np.zeros((2, 0), dtype), -1).tolist() == [-np.inf, -np.inf]
    big = np.array([1000.0, 1000.0], dtype)  # no overflow
    np.testing.assert_allclose(S.logsumexp(big, 0), 1000 + np.log(2), rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axis", [-1, 0])
def test_gradients(dtype, axis):
    x = _data((5, 8), dtype, 3)
    g = _data((5, 8), dtype, 4)
    y = S.softmax(x, axis)
    ly = S.log_softmax(x, axis)
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    eps = np.finfo(dtype).eps
    # both formulas subtract nearby terms: bound the error by the terms' size, not the result's
    s = (g64 * y64).sum(axis, keepdims=True)
    ref = y64 * (g64 - s)
    atol = 8 * eps * np.abs(y64 * (np.abs(g64) + np.abs(s))).max()
    np.testing.assert_allclose(S.softmax_grad(y, g, axis), ref, rtol=0, atol=atol)
    e, s = np.exp(ly.astype(np.float64)), g64.sum(axis, keepdims=True)
    ref = g64 - e * s
    atol = 8 * eps * (np.abs(g64) + np.abs(e * s)).max()
    np.testing.assert_allclose(S.log_softmax_grad(ly, g, axis), ref, rtol=0, atol=atol)


def test_gradient_matches_finite_differences():
    x = _data((3, 6), np.float64, 5)
    g = _data((3, 6), np.float64, 6)
    for fwd, bwd in ((S.softmax, S.softmax_grad), (S.log_softmax, S.log_softmax_grad)):
        analytic = bwd(fwd(x), g)
        num = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            d = np.zeros_like(x)
            d[idx] = 1e-6
            num[idx] = ((fwd(x + d) - fwd(x - d)) * g).sum() / 2e-6
        np.testing.assert_allclose(analytic, num, rtol=1e-6, atol=1e-8)


def test_parallel_rows_are_bitwise_serial(monkeypatch, parallel_threads):
    x = _data((40, 33), np.float32, 7)
    g = _data((40, 33), np.float32, 8)
    fns = [
        lambda: S.softmax(x),
        lambda: S.log_softmax(x),
        lambda: S.logsumexp(x, -1),
        lambda: S.softmax_grad(S.softmax(x), g),
        lambda: S.log_softmax_grad(S.log_softmax(x), g),
    ]
    serial = [f() for f in fns]
    monkeypatch.setattr(S, "PARALLEL_MIN", 0)
    for f, s in zip(fns, serial, strict=True):
        np.testing.assert_array_equal(f(), s)
    # a row's result does not depend on which other rows are present
    np.testing.assert_array_equal(S.softmax(x[7:8]), serial[0][7:8])


def test_edge_shapes_and_errors():
    assert S.softmax(np.float32(3.0)).tolist() == 1.0
    assert S.logsumexp(np.float32(3.0)).tolist() == 3.0
    assert S.softmax(np.zeros((0, 4), np.float32)).shape == (0, 4)
    assert S.softmax(np.zeros((4, 0), np.float32)).shape == (4, 0)
    with pytest.raises(TypeError, match="float32 or float64"):
        S.softmax(np.arange(3))
    with pytest.raises(ValueError, match="axis 2 out of range"):
        S.softmax(np.zeros((2, 2), np.float32), 2)
    with pytest.raises(ValueError, match="differ"):
        S.softmax_grad(np.zeros((2, 2)), np.zeros((2, 3)))


@pytest.mark.parametrize("n", [1, 5, 8, 9, 23, 64])
def test_row_max_is_the_maximum_or_the_first_nan(n):
    rng = np.random.default_rng(n)
    for trial in range(20):
        row = rng.standard_normal(n).astype(np.float32)
        if trial % 3 == 1:  # one or two NaNs somewhere, with different payloads
            k = rng.integers(n)
            row[k] = np.float32(np.nan)
            row[rng.integers(n)] = -np.float32(np.nan)
        first_nan = np.flatnonzero(np.isnan(row))
        got = S._row_max(row)
        if len(first_nan):
            want = row[first_nan[0]]
            assert np.isnan(got) and np.float32(got).view(np.int32) == want.view(np.int32)
        else:
            assert got == row.max()


def test_softmax_exp_has_the_exp_ops_bits():
    from duograd.core.kernels import elementwise as ew

    x = np.random.default_rng(5).uniform(-30, 30, (6, 37)).astype(np.float32)
    e = ew.unary("exp", x - x.max(axis=1, keepdims=True))
    want = e / e.sum(axis=1, keepdims=True, dtype=np.float32)
    np.testing.assert_allclose(S.softmax(x, -1), want, rtol=1e-6)
    # log_softmax's backward uses exp(y) with the same bits as the op
    y = S.log_softmax(x, -1)
    g = np.zeros_like(x)
    g[:, 0] = 1.0
    back = S.log_softmax_grad(y, g, -1)
    np.testing.assert_array_equal(back[:, 1:], -ew.unary("exp", y[:, 1:]))
