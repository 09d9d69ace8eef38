"""The tiny-product kernel gives the bits of the general drivers and of the plain FMA chain."""

import duograd.core.kernels.matmul as mm
import numpy as np
import pytest
from duograd.core import ShapeError, ops
from duograd.core.kernels.matmul_tiny import TINY_MAX_WORK
from numba.core import config
from test_matmul import reference  # the plain FMA chain, the contract every path meets

pytestmark = pytest.mark.skipif(
    bool(config.DISABLE_JIT), reason="matmul needs compiled code (NUMBA_DISABLE_JIT=1)"
)

FLAGS = [(False, False), (True, False), (False, True), (True, True)]


def assert_bits(x, y):
    assert x.shape == y.shape and x.dtype == y.dtype
    np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8))


# (M, K, N): single elements, vectors, squares, and the largest products the kernel takes
TINY_SHAPES = [(1, 1, 1), (1, 7, 1), (4, 4, 4), (3, 5, 2), (1, 256, 10), (10, 1, 9), (16, 16, 16)]


def _stored(rng, m, k, n, ta, tb, dtype, layout):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    if layout == "F":
        a, b = np.asfortranarray(a), np.asfortranarray(b)
    return a, b


def _general(a, b, ta, tb):
    """The product through the general driver choice, never through a plan."""
    batch, m, n, k = mm._check(a, b, ta, tb)
    return mm._run(a, b, np.empty(batch + (m, n), a.dtype), ta, tb, batch, m, n, k)


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", FLAGS)
@pytest.mark.parametrize("mkn", TINY_SHAPES)
def test_tiny_plans_give_the_general_and_plain_chain_bits(mkn, ta, tb, dtype, layout):
    m, k, n = mkn
    assert m * n * k <= TINY_MAX_WORK
    a, b = _stored(np.random.default_rng(m * 100 + k * 10 + n), m, k, n, ta, tb, dtype, layout)
    plan = mm.plan(a, b, ta, tb)
    assert plan is not None and plan[0] is not None  # the tiny kernel runs this product
    got = mm.run_plan(plan, a, b)
    assert_bits(got, _general(a, b, ta, tb))
    assert_bits(got, reference(a, b, ta, tb))
    assert_bits(mm.matmul(a, b, ta, tb), got)
    assert_bits(ops.matmul(a, b, transpose_a=ta, transpose_b=tb), got)


@pytest.mark.parametrize("path", ["serial", "direct"])
def test_tiny_kernel_matches_every_forced_driver(monkeypatch, path):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((4, 9)).astype(np.float32)
    b = rng.standard_normal((9, 6)).astype(np.float32)
    want = mm.matmul(a, b)  # through the plan, so the tiny kernel
    monkeypatch.setattr(mm, "_force_path", path)
    assert_bits(mm.matmul(a, b), want)


def test_special_values_keep_their_bits():
    # signed zeros, infinities, NaN and subnormals go through the same chain as elsewhere
    tiny32 = np.float32(1e-45)
    vals = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, tiny32, 3e38], np.float32)
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.choice(vals, (3, 4)).astype(np.float32)
        b = rng.choice(vals, (4, 5)).astype(np.float32)
        with np.errstate(all="ignore"):
            assert_bits(mm.matmul(a, b), _general(a, b, False, False))
    # -0.0 products sum from +0.0, as in the micro-kernel
    z = mm.matmul(np.array([[-0.0]], np.float32), np.array([[1.0]], np.float32))
    assert_bits(z, _general(np.array([[-0.0]], np.float32), np.array([[1.0]], np.float32), 0, 0))


def test_read_only_and_batch_of_one_operands():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((1, 3, 5))
    b = rng.standard_normal((5, 2))
    a.flags.writeable = False
    b.flags.writeable = False
    plan = mm.plan(a, b)
    assert plan is not None and plan[0] is not None
    for _ in range(2):
        assert_bits(mm.matmul(a, b), _general(a, b, False, False))


def test_larger_products_keep_the_other_drivers():
    a = np.ones((32, 32), np.float32)
    plan = mm.plan(a, a)
    assert plan is not None and plan[0] is None


def test_errors_are_unchanged_once_a_tiny_plan_exists():
    a = np.ones((2, 3), np.float32)
    ops.matmul(a, np.ones((3, 2), np.float32))
    ops.matmul(a, np.ones((3, 2), np.float32))
    with pytest.raises(ShapeError, match=r"inner dimensions differ.*\(3 vs 4\)"):
        ops.matmul(a, np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match="contraction mismatch"):
        mm.matmul(a, np.ones((4, 2), np.float32))
