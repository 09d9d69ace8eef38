"""Row sums with a fused elementwise prologue equal the unfused group-then-reduce, to the bit.

The generated kernels re-implement the reduction order of `kernels/reduce_template.py` (blocks
of 128, 8 lanes, a binary counter over blocks), so they are checked against the reduction
kernels themselves on lengths around every boundary of that order, every operand layout, both
dtypes and the serial, row-parallel and block-parallel variants.
"""

from __future__ import annotations

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.kernels import reduce as R
from duograd.core.kernels.elementwise import compile_elementwise
from duograd.core.passes.program import REDUCE_FUSED
from duograd.core.passes.reduce_fuse import _grid, _kinds, _views
from duograd.core.passes.reduce_kernel import kernels
from duograd.core.passes.verify import same_bits

PROGRAM = (("mul", 0, 1), ("sub", -1, 2), ("mul", -1, 3), ("sigmoid", -1))
LENGTHS = [1, 7, 8, 9, 127, 128, 129, 1000, 128 * 5 + 3, 128 * 17]


def _operands(rows, n, dtype, rng):
    full = rng.standard_normal((rows, n)).astype(dtype)
    row = rng.standard_normal(n).astype(dtype)
    col = rng.standard_normal((rows, 1)).astype(dtype)
    one = rng.standard_normal(()).astype(dtype)
    return [full, row, col, one]  # F, R, C, S against the (rows, n) grid


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 3, 20])
@pytest.mark.parametrize("variant", ["rows", "rows_par", "blocks_par"])
def test_generated_row_sums_match_the_reduction_kernels(dtype, rows, variant):
    rng = np.random.default_rng(rows)
    ew = compile_elementwise(PROGRAM, [dtype] * 4)
    for n in LENGTHS:
        arrays = _operands(rows, n, dtype, rng)
        expected = R.reduce("sum", ew(*arrays), (1,))
        oshape = (rows, n)
        _, _, axes, _ = _grid("sum", {"axes": (1,), "keepdims": False}, oshape, None)
        kinds = _kinds(arrays, oshape, axes)
        if rows > 1 and n > 1:
            assert kinds == ("F", "R", "C", "S")
        mod = kernels(PROGRAM, [np.dtype(dtype)] * 4, kinds)
        out = np.empty(rows, dtype)
        getattr(mod, variant)(*_views(arrays, kinds, rows, n), n, np.dtype(dtype).type(0), out)
        assert same_bits(out, expected), (n, out, expected)


@pytest.mark.parametrize("parallel_min", [1 << 30, 0])
def test_runner_means_sums_and_unbroadcast_sums(monkeypatch, parallel_min):
    monkeypatch.setattr(R, "PARALLEL_MIN", parallel_min)
    x = tf.placeholder(tf.float32, [None, 300])
    b = tf.placeholder(tf.float32, [300])
    h = tf.exp(x * 0.5) - b
    mean = tf.reduce_mean(h * h, axis=1, keepdims=True)
    total = tf.reduce_sum(tf.sqrt(tf.abs(h)) + 1.0)
    z = tf.placeholder(tf.float32, [5, 300])
    (gb,) = tf.gradients(tf.reduce_sum(tf.exp(z * b)), [b])  # a column sum: stays unfused
    (gx,) = tf.gradients(tf.reduce_sum(tf.reduce_mean(x * x, axis=1) * 2.0), [x])
    fetches = [mean, total, gb, gx]
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((5, 300)).astype(np.float32)
    feed = {x: xv, z: xv * 0.5, b: rng.standard_normal(300).astype(np.float32)}
    opt = tf.Session()
    a = opt.run(fetches, feed)
    p = tf.Session(optimize=False).run(fetches, feed)
    for u, v in zip(a, p, strict=True):
        assert same_bits(u, v)
    plan = opt.plan_for(fetches, feed)
    assert len([s for s in plan.steps if s.kind == REDUCE_FUSED]) >= 2
    assert plan.program.decisions("sum_fold", "refused")


def test_operands_that_do_not_fit_rows_take_the_unfused_path():
    g = tf.placeholder(tf.float32, [None, None])
    s = tf.reduce_sum(tf.exp(g) * 2.0, axis=1)
    sess = tf.Session()
    rng = np.random.default_rng(4)
    base = rng.standard_normal((6, 8)).astype(np.float32)
    for value in (base, base.T, base[:, ::2], base[:1]):  # C order, transposed, strided, one row
        got = sess.run(s, {g: value})
        want = tf.Session(optimize=False).run(s, {g: value})
        assert same_bits(got, want)


def test_an_identity_unbroadcast_sum_hands_back_the_group_result():
    a = tf.placeholder(tf.float32, [None, 4])
    c = tf.placeholder(tf.float32, [None, 4])
    loss = tf.reduce_sum(tf.exp(a) * c)
    (ga,) = tf.gradients(loss, [a])
    sess = tf.Session()
    rng = np.random.default_rng(5)
    for shapes in (((3, 4), (3, 4)), ((1, 4), (3, 4))):
        feed = {a: rng.standard_normal(shapes[0]).astype(np.float32),
                c: rng.standard_normal(shapes[1]).astype(np.float32)}  # fmt: skip
        got = sess.run(ga, feed)
        assert same_bits(got, tf.Session(optimize=False).run(ga, feed))
        assert got.shape == shapes[0]


def test_runner_checks_unknown_dims_with_the_rules():
    x, y = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [None, 3])
    s = tf.reduce_sum(x * y, axis=1)
    with pytest.raises(ValueError, match="node 'mul'"):
        tf.Session().run(s, {x: np.ones((2, 3)), y: np.ones((4, 3))})
