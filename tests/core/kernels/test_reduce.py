"""Reductions: numpy agreement, the documented summation order, path/thread independence."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import reduce as R

FLOATS = [np.float32, np.float64]
REF = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _scheme_sum(seq, dt):
    """The documented order, transcribed in plain Python with numpy scalars of dtype ``dt``."""
    seq = [dt(v) for v in seq]
    blocks = [seq[i : i + 128] for i in range(0, len(seq), 128)] or [[]]
    stack = []
    for b, blk in enumerate(blocks):
        n8 = len(blk) - len(blk) % 8
        lanes = [dt(0)] * 8
        for i in range(n8):
            lanes[i % 8] = lanes[i % 8] + blk[i]
        s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + (
            (lanes[4] + lanes[5]) + (lanes[6] + lanes[7])
        )
        for v in blk[n8:]:
            s = s + v
        j = b
        while j & 1:
            s = stack.pop() + s
            j >>= 1
        stack.append(s)
    t = stack[-1]
    for v in reversed(stack[:-1]):
        t = v + t
    return t


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 128, 129, 300, 1000, 1100, 2049])
def test_sum_follows_the_documented_order(n):
    x = _data((n,), np.float32, n)
    got = R.reduce("sum", x, None)
    assert got.dtype == np.float32
    assert got.tobytes() == np.float32(_scheme_sum(x, np.float32)).tobytes()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(REF))
@pytest.mark.parametrize(
    "shape,axes",
    [
        ((37, 300), (1,)),
        ((37, 300), (0,)),
        ((300, 37), (0,)),
        ((37, 300), None),
        ((3, 40, 20), (1,)),
        ((3, 40, 20), (0, 2)),
        ((3, 40, 20), (-1, -2)),
        ((3, 40, 20), ()),
        ((5,), (0,)),
        ((), None),
    ],
)
def test_matches_numpy(op, dtype, shape, axes):
    x = _data(shape, dtype, 1)
    if op == "prod":
        x = (1 + x / 50).astype(dtype)  # keep products of hundreds of terms finite
    for keepdims in (False, True):
        got = R.reduce(op, x, axes, keepdims)
        ref = REF[op](x.astype(np.float64), axis=axes, keepdims=keepdims)
        assert got.dtype == dtype and got.shape == np.shape(ref)
        if op in ("max", "min"):
            np.testing.assert_array_equal(got, ref)
        else:
            # error bounds of the blocked scheme: sums ~ (16 + log2 blocks) eps * sum|x|,
            # products ~ n eps * |prod|
            scale = REF[op](np.abs(x.astype(np.float64)), axis=axes, keepdims=keepdims)
            eps = np.finfo(dtype).eps
            tol = (40 if op == "prod" else 4) * eps
            assert np.all(np.abs(got - ref) <= tol * scale + eps)


def test_non_contiguous_inputs():
    x = _data((40, 30), np.float32, 2)
    for v in (x.T, x[::2], x[:, ::-3]):
        for axes in ((0,), (1,), None):
            np.testing.assert_array_equal(
                R.reduce("sum", v, axes), R.reduce("sum", np.ascontiguousarray(v), axes)
            )


@pytest.mark.parametrize("op", ["sum", "max", "prod"])
def test_row_and_column_kernels_agree_bitwise(op):
    # the order depends only on the reduced length: axis 0 of (L, K) == axis 1 of its transpose
    x = _data((1100, 40), np.float32, 3)
    x = (1 + x / 100).astype(np.float32) if op == "prod" else x
    cols = R.reduce(op, x, (0,))
    rows = R.reduce(op, np.ascontiguousarray(x.T), (1,))
    np.testing.assert_array_equal(cols, rows)
    mid = R.reduce(op, np.ascontiguousarray(np.broadcast_to(x[None], (2, 1100, 40))), (1,))
    np.testing.assert_array_equal(mid[1], rows)
    single = np.array([R.reduce(op, x[:, j].copy(), None) for j in range(0, 40, 7)])
    np.testing.assert_array_equal(rows[::7], single)


def test_parallel_kernels_are_bitwise_serial(monkeypatch, parallel_threads):
    rows = _data((40, 700), np.float32, 4)  # many rows: rows in parallel
    few = _data((2, 5000), np.float32, 5)  # few long rows: blocks in parallel
    cols = _data((700, 40), np.float32, 6)  # column reduction in parallel chunks
    cases = [(rows, (1,)), (few, (1,)), (few, None), (cols, (0,))]
    serial = [R.reduce("sum", x, ax) for x, ax in cases]
    monkeypatch.setattr(R, "PARALLEL_MIN", 0)
    for (x, ax), s in zip(cases, serial, strict=True):
        np.testing.assert_array_equal(R.reduce("sum", x, ax), s)


def test_nan_propagation():
    x = _data((6, 50), np.float32, 7)
    x[2, 10] = np.nan
    x[4, 0] = np.nan
    for op in ("max", "min", "sum"):
        rows = R.reduce(op, x, (1,))
        assert np.isnan(rows[[2, 4]]).all() and not np.isnan(rows[[0, 1, 3, 5]]).any()
        cols = R.reduce(op, np.ascontiguousarray(np.repeat(x.T, 3, axis=1)), (0,))
        assert np.isnan(cols.reshape(6, 3)[[2, 4]]).all()
        assert not np.isnan(cols.reshape(6, 3)[[0, 1, 3, 5]]).any()


def test_empty_reductions():
    e = np.zeros((3, 0), np.float32)
    np.testing.assert_array_equal(R.reduce("sum", e, (1,)), np.zeros(3, np.float32))
    np.testing.assert_array_equal(R.reduce("prod", e, (1,)), np.ones(3, np.float32))
    assert np.isnan(R.reduce("mean", e, None))
    assert R.reduce("sum", e, (0,)).shape == (0,)
    assert R.reduce("max", e, (0,)).shape == (0,)  # nothing reduced over an empty set
    for op in ("max", "min"):
        with pytest.raises(ValueError, match=rf"reduce\('{op}'\).*\(3, 0\)"):
            R.reduce(op, e, (1,))


def test_integer_and_bool_dtypes():
    i32 = np.array([[2**30, 2**30, 3], [-1, 5, 7]], np.int32)
    s = R.reduce("sum", i32, (1,))
    assert s.dtype == np.int64
    np.testing.assert_array_equal(s, i32.sum(1, dtype=np.int64))
    assert R.reduce("max", i32, None).dtype == np.int32 and R.reduce("max", i32, None) == 2**30
    assert R.reduce("min", i32, (0,)).tolist() == [-1, 5, 3]
    b = np.array([True, False, True])
    assert R.reduce("sum", b, None).dtype == np.int64 and R.reduce("sum", b, None) == 2
    assert R.reduce("mean", i32, None).dtype == np.float64


def test_axis_errors():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="axis 2 out of range"):
        R.reduce("sum", x, (2,))
    with pytest.raises(ValueError, match="repeated axis"):
        R.reduce("sum", x, (1, -1))
    with pytest.raises(ValueError, match="unknown reduction"):
        R.reduce("median", x, None)


@pytest.mark.parametrize("dtype", FLOATS)
def test_argreduce(dtype):
    x = _data((7, 30), dtype, 8)
    x[3, 5] = x[3, 20] = x[3].max() + 1  # ties: the first occurrence wins
    for op, fn in (("argmax", np.argmax), ("argmin", np.argmin)):
        for axis in (0, 1, -1, None):
            for keepdims in (False, True):
                got = R.argreduce(op, x, axis, keepdims)
                ref = fn(x, axis=axis, keepdims=keepdims)
                assert got.dtype == np.int64 and got.shape == ref.shape
                np.testing.assert_array_equal(got, ref)
    x[1, 4] = x[1, 9] = np.nan
    assert R.argreduce("argmax", x, 1)[1] == 4 and R.argreduce("argmin", x, 1)[1] == 4
    assert R.argreduce("argmax", np.array([3, 9, 9], np.int32), None) == 1
    with pytest.raises(ValueError, match="argmax: empty"):
        R.argreduce("argmax", np.zeros((2, 0), dtype), 1)


@pytest.mark.parametrize(
    "xshape,shape",
    [
        ((4, 5), (5,)),
        ((4, 5), (4, 1)),
        ((4, 5), (1, 1)),
        ((4, 5), ()),
        ((2, 3, 4), (3, 1)),
        ((2, 3, 4), (2, 3, 4)),
    ],
)
def test_sum_to_shape(xshape, shape):
    x = _data(xshape, np.float32, 9)
    got = R.sum_to_shape(x, shape)
    assert got.shape == shape
    if shape == xshape:
        assert got is x
        return
    lead = len(xshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and xshape[lead + i] != 1
    )
    np.testing.assert_array_equal(got, R.reduce("sum", x, axes).reshape(shape))
    np.testing.assert_allclose(got, x.sum(axis=axes).reshape(shape), rtol=1e-5, atol=1e-5)


def test_sum_to_shape_errors():
    with pytest.raises(ValueError, match=r"\(4, 5\) to \(3,\)"):
        R.sum_to_shape(np.ones((4, 5)), (3,))
    with pytest.raises(ValueError, match="cannot reduce"):
        R.sum_to_shape(np.ones((5,)), (2, 5))
