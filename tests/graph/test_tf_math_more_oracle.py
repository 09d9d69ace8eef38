"""Rounding, floor division, running sums/products, reduce_prod, top_k, boolean_mask, exact
GELU and zero_fraction against real TensorFlow (compat.v1 graph mode): values, gradients and
dtypes; and the eager-vs-graph bitwise agreement of the shared compositions."""

import duograd.frontends.graph as dg
import numpy as np
import pytest
from duograd.core import math_compose as MC

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


R = np.random.RandomState(11)
A = R.uniform(-4, 4, (3, 5)).astype(np.float32)
A[0, :4] = [0.5, 1.5, -2.5, -0.5]  # halves: round to even
A[1, 0] = 2.0
B = R.uniform(0.5, 2.0, (3, 5)).astype(np.float32)
I = R.randint(-9, 9, (3, 5)).astype(np.int32)
MASK = np.array([True, False, True])
MASK2 = R.rand(3, 5) > 0.5


def _gelu(tf):
    return dg.nn.gelu if tf is dg else real_tf.nn.gelu


# name -> (program(tf, x) -> y (a tensor or a list), input, differentiable)
PROGRAMS = {
    "floor": (lambda tf, x: tf.floor(x), A, False),
    "ceil": (lambda tf, x: tf.math.ceil(x), A, False),
    "round": (lambda tf, x: tf.round(x), A, False),
    "rint": (lambda tf, x: tf.math.rint(x * 3.0), A, False),
    "floordiv": (lambda tf, x: tf.floordiv(x, tf.constant(B)), A, False),
    "floormod": (lambda tf, x: tf.floormod(x, tf.constant(B)), A, True),
    "floordiv_int": (lambda tf, x: tf.floordiv(tf.constant(I), 4), A, False),
    "mod_int": (lambda tf, x: tf.mod(tf.constant(I), 4), A, False),
    "reduce_prod_all": (lambda tf, x: tf.reduce_prod(x), B, True),
    "reduce_prod_axis": (lambda tf, x: tf.reduce_prod(x, axis=1, keepdims=True), A, True),
    "reduce_prod_0": (lambda tf, x: tf.math.reduce_prod(x, 0), A, True),
    "cumsum": (lambda tf, x: tf.cumsum(x, axis=1), A, True),
    "cumsum_excl_rev": (lambda tf, x: tf.cumsum(x, axis=0, exclusive=True, reverse=True), A, True),
    "cumprod": (lambda tf, x: tf.math.cumprod(x, axis=1), B, True),
    "cumprod_excl": (lambda tf, x: tf.cumprod(x, 1, exclusive=True), B, True),
    "cumsum_int": (lambda tf, x: tf.cumsum(tf.constant(I), 1), A, False),
    "top_k_values": (lambda tf, x: tf.nn.top_k(x, k=3).values, A, True),
    "top_k_indices": (lambda tf, x: tf.nn.top_k(x, 3)[1], A, False),
    "top_k_math": (lambda tf, x: tf.math.top_k(x * x, 2)[0], A, True),
    "boolean_mask": (lambda tf, x: tf.boolean_mask(x, tf.constant(MASK)), A, True),
    "boolean_mask_2d": (lambda tf, x: tf.boolean_mask(x, tf.constant(MASK2)), A, True),
    "boolean_mask_axis": (lambda tf, x: tf.boolean_mask(x, tf.constant(MASK2[0]), axis=1), A, True),
    # compat.v1.nn has no gelu: real TF programs reach it as tf.nn.gelu of TF 2
    "gelu": (lambda tf, x: _gelu(tf)(x), A, True),
    "gelu_tanh": (lambda tf, x: _gelu(tf)(x, approximate=True), A, True),
    "zero_fraction": (lambda tf, x: tf.nn.zero_fraction(tf.nn.relu(x)), A, False),
}


def _run(tf, program, x_value, diff):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, x_value.shape)
        y = program(tf, x)
        fetch = [y]
        if diff:
            fetch += tf.gradients(tf.reduce_sum(y * y), x)
        with tf.Session(graph=g) as s:
            return s.run(fetch, {x: x_value})


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_real_tf(ref, name):
    program, x, diff = PROGRAMS[name]
    ours = _run(dg, program, x, diff)
    theirs = _run(ref, program, x, diff)
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        assert a.shape == b.shape, (name, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, err_msg=name)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "rint"])
def test_rounding_has_no_gradient_as_in_tf(ref, name):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [3])
            fn = getattr(tf.math, name)
            assert tf.gradients(fn(x), x) == [None]


def test_rounding_passes_nan_inf_and_huge_values():
    x = np.array([np.nan, np.inf, -np.inf, 3e9, -2.5e30, -0.5, 0.49999997], np.float32)
    np.testing.assert_array_equal(MC.floor(x), np.floor(x))
    np.testing.assert_array_equal(MC.ceil(x), np.ceil(x))
    np.testing.assert_array_equal(MC.round_half_even(x), np.round(x))
    d = np.array([-1e300, 4503599627370495.5, -7.5, 2.5], np.float64)
    np.testing.assert_array_equal(MC.round_half_even(d), np.round(d))


def test_boolean_mask_of_fed_mask_has_run_time_length(ref):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, 5])
            m = tf.placeholder(tf.bool, [None])
            y = tf.boolean_mask(x, m)
            assert y.shape.as_list() == [None, 5]
            with tf.Session() as s:
                out = s.run(y, {x: A, m: MASK})
            np.testing.assert_array_equal(out, A[MASK])


def test_eager_arrays_and_graph_agree_bitwise():
    # the compositions take arrays too: the eager style runs the same primitives
    with dg.Graph().as_default():
        x = dg.placeholder(dg.float32, A.shape)
        ys = [dg.cumsum(x, 1), dg.reduce_prod(x, 0), dg.nn.top_k(x, 2).values, dg.floor(x)]
        with dg.Session() as s:
            got = s.run(ys, {x: A})
    want = [MC.cumsum(A, 1), MC.prod(A, 0), MC.top_k(A, 2)[0], MC.floor(A)]
    for a, b in zip(got, want, strict=True):
        assert a.tobytes() == np.asarray(b).tobytes()


def test_bad_inputs_name_the_op():
    with dg.Graph().as_default():
        with pytest.raises(TypeError, match="floor"):
            dg.floor(dg.constant([1, 2]))
        with pytest.raises(ValueError, match="top_k"):
            dg.nn.top_k(dg.constant([1.0, 2.0]), 3)
        with pytest.raises(ValueError, match="cumsum"):
            dg.cumsum(dg.placeholder(dg.float32, [None]), 0)
        with pytest.raises(TypeError, match="boolean_mask"):
            dg.boolean_mask(dg.constant([1.0, 2.0]), dg.constant([1, 0]))


def test_contrib_regularizers_feed_the_regularization_losses(ref):
    # tf.contrib is gone from real TF 2: compare with what the regularizers compute there,
    # scale * l2_loss(w) and scale * sum(|w|)
    with dg.Graph().as_default():
        x = dg.constant(A)
        dg.layers.dense(x, 2, kernel_regularizer=dg.contrib.layers.l2_regularizer(0.1))
        dg.layers.dense(x, 2, kernel_regularizer=dg.contrib.layers.l1_regularizer(0.2))
        kernels = [v for v in dg.trainable_variables() if "kernel" in v.name]
        reg = dg.losses.get_regularization_loss()
        with dg.Session() as s:
            s.run(dg.global_variables_initializer())
            k0, k1, total = s.run([*kernels, reg])
    want = 0.1 * np.sum(k0 * k0) / 2 + 0.2 * np.sum(np.abs(k1))
    np.testing.assert_allclose(total, want, rtol=1e-5)
    assert dg.contrib.layers.l2_regularizer(0.0)(dg.constant(A)) is None
