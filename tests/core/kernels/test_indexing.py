"""gather / scatter_add / pick / pick_grad against numpy, with bounds errors."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import indexing as IX


def _data(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_matches_take(axis):
    x = _data((5, 6, 4))
    idx = np.array([[0, 3], [2, 2], [1, 3]])
    np.testing.assert_array_equal(IX.gather(x, idx, axis), np.take(x, idx, axis=axis))
    # negative indices are refused, as torch.gather / index_select and tf.gather on CPU do
    with pytest.raises(IndexError, match=r"index -1 is out of bounds .*valid \[0, "):
        IX.gather(x, np.array([0, -1]), axis)
    np.testing.assert_array_equal(IX.gather(x, np.array(2), axis), np.take(x, 2, axis=axis))
    empty = IX.gather(x, np.zeros(0, np.int64), axis)
    assert empty.shape == np.take(x, np.zeros(0, np.int64), axis=axis).shape


def test_gather_errors():
    x = _data((5, 3))
    with pytest.raises(IndexError, match="index 5 is out of bounds for size 5"):
        IX.gather(x, np.array([1, 5, 7]))
    with pytest.raises(IndexError, match="index -4 is out of bounds for size 3"):
        IX.gather(x, np.array([-4]), axis=1)
    with pytest.raises(TypeError, match="integers"):
        IX.gather(x, np.array([0.5]))
    with pytest.raises(ValueError, match="axis 2 out of range"):
        IX.gather(x, np.array([0]), axis=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_scatter_add_is_gathers_vjp(dtype, axis):
    shape = (4, 5, 3)
    idx = np.array([[1, 1, 2], [0, 1, 2]])  # duplicates accumulate
    upd_shape = shape[:axis] + idx.shape + shape[axis + 1 :]
    upd = _data(upd_shape, dtype, 1)
    got = IX.scatter_add(shape, idx, upd, axis)
    ref = np.zeros(shape, dtype)
    sl = (slice(None),) * axis
    np.add.at(ref, sl + (idx,), upd)  # sequential in index order, like the kernel
    assert got.dtype == dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(got, ref)
    # VJP identity: <gather(x), u> == <x, scatter_add(u)>
    x = _data(shape, np.float64, 2)
    lhs = (IX.gather(x, idx, axis) * upd).sum()
    np.testing.assert_allclose(lhs, (x * got).sum(), rtol=1e-5)


def test_scatter_add_options_and_errors():
    out = IX.scatter_add((3,), np.array([2, 2, 0]), np.array([1, 2, 3], np.int64), dtype=np.float64)
    assert out.dtype == np.float64 and out.tolist() == [3.0, 0.0, 3.0]
    with pytest.raises(ValueError, match=r"need \(2, 4\)"):
        IX.scatter_add((3, 4), np.array([0, 1]), np.zeros((2, 3)))
    with pytest.raises(IndexError, match="index 3 is out of bounds"):
        IX.scatter_add((3,), np.array([3]), np.zeros(1))


def test_pick_and_pick_grad():
    x = _data((2, 3, 5))
    labels = np.array([[0, 4, 2], [1, 1, 3]])
    got = IX.pick(x, labels)
    np.testing.assert_array_equal(got, np.take_along_axis(x, labels[..., None], -1)[..., 0])
    g = _data((2, 3), seed=3)
    grad = IX.pick_grad(g, labels, 5)
    assert grad.shape == (2, 3, 5) and grad.dtype == np.float32
    ref = np.zeros((2, 3, 5), np.float32)
    for i, j in np.ndindex(2, 3):
        ref[i, j, labels[i, j]] = g[i, j]
    np.testing.assert_array_equal(grad, ref)
    np.testing.assert_allclose((IX.pick(x, labels) * g).sum(), (x * grad).sum(), rtol=1e-6)


def test_pick_errors():
    x = _data((3, 4))
    with pytest.raises(IndexError, match=r"pick \(labels\): index 4 is out of bounds for size 4"):
        IX.pick(x, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match="index -1"):
        IX.pick(x, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"labels have shape \(2,\), expected \(3,\)"):
        IX.pick(x, np.array([0, 1]))
    with pytest.raises(IndexError, match="pick_grad"):
        IX.pick_grad(np.ones(2, np.float32), np.array([0, 9]), 3)
