"""tf / tf.math names of math_top.py (inverse hyperbolic functions, atan2, erfc, NaN-safe
products, truncating division, lbeta, polyval, cumulative_logsumexp, norms, ordering tests)
against real TensorFlow (compat.v1 graph mode): values, gradients and dtypes, in float32 and
float64; and the graph against the same core compositions run on arrays, bitwise."""

import duograd.frontends.graph as dg
import numpy as np
import pytest
from duograd.core import tf_math_more as C
from tf_program_oracle import assert_programs_agree

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


R = np.random.RandomState(5)
WIDE = R.uniform(-4, 4, (3, 5))
WIDE[0, :3] = [0.0, 1e-4, -1e-3]
UNIT = R.uniform(-0.95, 0.95, (3, 5))
ABOVE1 = R.uniform(1.05, 6.0, (3, 5))
POS = R.uniform(0.2, 3.0, (3, 5))
OTHER = R.uniform(-3, 3, (3, 5))
OTHER[0, :4] = [0.5, 0.0, -2.0, 2.0]  # the origin itself: see test_atan2_quadrants_and_axes
WITH_ZEROS = R.uniform(-2, 2, (3, 5))
WITH_ZEROS[1, ::2] = 0.0


def _k(tf, v, x):
    return tf.constant(v.astype(x.dtype.as_numpy_dtype))


# name -> (program(tf, x) -> y, input, differentiable)
PROGRAMS = {
    "asinh": (lambda tf, x: tf.asinh(x), WIDE, True),
    "math.asinh": (lambda tf, x: tf.math.asinh(x * 100.0), WIDE, True),
    "acosh": (lambda tf, x: tf.acosh(x), ABOVE1, True),
    "atanh": (lambda tf, x: tf.math.atanh(x), UNIT, True),
    "atan2_y": (lambda tf, x: tf.atan2(x, _k(tf, OTHER, x)), WIDE, True),
    "atan2_x": (lambda tf, x: tf.math.atan2(_k(tf, OTHER, x), x), WIDE, True),
    "erfc": (lambda tf, x: tf.erfc(x * 0.5), WIDE, True),
    "erfcinv": (lambda tf, x: tf.math.erfcinv(x * 0.2 + 1.0), UNIT, True),
    "is_finite": (lambda tf, x: tf.is_finite(tf.log(x)), WIDE, False),
    "is_inf": (lambda tf, x: tf.math.is_inf(1.0 / x), WITH_ZEROS, False),
    "xlogy": (lambda tf, x: tf.math.xlogy(_k(tf, WITH_ZEROS, x), x), POS, True),
    "xlogy_x": (lambda tf, x: tf.math.xlogy(x, _k(tf, POS, x)), WITH_ZEROS, True),
    "xlog1py": (lambda tf, x: tf.math.xlog1py(x, _k(tf, POS, x)), WITH_ZEROS, True),
    "xdivy": (lambda tf, x: tf.math.xdivy(_k(tf, WITH_ZEROS, x), x), POS, True),
    "xdivy_x": (lambda tf, x: tf.math.xdivy(x, _k(tf, POS, x)), WITH_ZEROS, True),
    "multiply_no_nan": (
        lambda tf, x: tf.math.multiply_no_nan(x, _k(tf, WITH_ZEROS, x)),
        WIDE,
        True,
    ),
    "multiply_no_nan_inf": (
        lambda tf, x: tf.math.multiply_no_nan(1.0 / x, _k(tf, WITH_ZEROS, x)),
        WITH_ZEROS,
        False,
    ),
    "reciprocal_no_nan": (lambda tf, x: tf.math.reciprocal_no_nan(x), WITH_ZEROS, True),
    "truncatediv": (lambda tf, x: tf.truncatediv(tf.cast(x * 3.0, tf.int32), 4), WIDE, False),
    "truncatemod": (lambda tf, x: tf.truncatemod(tf.cast(x * 3.0, tf.int32), -4), WIDE, False),
    "truncatemod_float": (lambda tf, x: tf.truncatemod(x, _k(tf, POS, x)), WIDE, False),
    "lbeta": (lambda tf, x: tf.lbeta(x), POS, True),
    "polyval": (
        lambda tf, x: tf.math.polyval([x * 0.0 + 2.0, x * 0.5, x * 0.0 - 1.0], x),
        WIDE,
        True,
    ),
    "cumulative_logsumexp": (lambda tf, x: tf.math.cumulative_logsumexp(x, axis=1), WIDE, True),
    "cumulative_logsumexp_excl_rev": (
        lambda tf, x: tf.math.cumulative_logsumexp(x, 0, exclusive=True, reverse=True),
        WIDE,
        True,
    ),
    "reduce_euclidean_norm": (lambda tf, x: tf.math.reduce_euclidean_norm(x), WIDE, True),
    "reduce_euclidean_norm_axis": (
        lambda tf, x: tf.math.reduce_euclidean_norm(x, axis=1, keepdims=True),
        WIDE,
        True,
    ),
    "scalar_mul": (lambda tf, x: tf.math.scalar_mul(3.0, x), WIDE, True),
    "accumulate_n": (lambda tf, x: tf.accumulate_n([x, x * x, 2.0 * x]), WIDE, True),
    "is_non_decreasing": (lambda tf, x: tf.is_non_decreasing(tf.cumsum(x * x, 1)), WIDE, False),
    "is_non_decreasing_no": (lambda tf, x: tf.math.is_non_decreasing(x), WIDE, False),
    "is_strictly_increasing": (
        lambda tf, x: tf.is_strictly_increasing(tf.cumsum(x * x + 0.1, 1)),
        WIDE,
        False,
    ),
    "is_strictly_increasing_ties": (
        lambda tf, x: tf.math.is_strictly_increasing(tf.constant([1, 2, 2])),
        WIDE,
        False,
    ),
    "invert_permutation": (
        lambda tf, x: tf.invert_permutation(tf.constant([3, 0, 4, 1, 2])),
        WIDE,
        False,
    ),
    "log_sigmoid": (lambda tf, x: tf.log_sigmoid(x), WIDE, True),
    "math.softmax": (lambda tf, x: tf.math.softmax(x), WIDE, True),
    "math.log_softmax": (lambda tf, x: tf.math.log_softmax(x, axis=0), WIDE, True),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_real_tf(ref, name, dtype):
    program, x, diff = PROGRAMS[name]
    tol = 3e-5 if dtype == np.float32 else 1e-10
    assert_programs_agree(dg, ref, name, program, x.astype(dtype), diff, tol)


def test_atan2_quadrants_and_axes(ref):
    y = np.array([1.0, 1.0, -1.0, -1.0, 0.0, 0.0, 3.0, -3.0, 0.0], np.float32)
    x = np.array([1.0, -1.0, 1.0, -1.0, 2.0, -2.0, 0.0, 0.0, 0.0], np.float32)
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            out = tf.atan2(tf.constant(y), tf.constant(x))
            with tf.Session() as s:
                outs.append(s.run(out))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=1e-7)


def test_graph_and_arrays_agree_bitwise():
    # the compositions take arrays too: eager code calling them runs the same primitives
    x = WIDE.astype(np.float32)
    o = OTHER.astype(np.float32)
    with dg.Graph().as_default():
        p = dg.placeholder(dg.float32, x.shape)
        ys = [dg.asinh(p), dg.atan2(p, o), dg.math.xlogy(p * p, o * o), dg.erfc(p)]
        ys.append(dg.math.cumulative_logsumexp(p, 1))
        with dg.Session() as s:
            got = s.run(ys, {p: x})
    want = [C.asinh(x), C.atan2(x, o), C.xlogy(x * x, o * o), C.erfc(x)]
    want.append(C.cumulative_logsumexp(x, 1))
    for a, b in zip(got, want, strict=True):
        assert a.tobytes() == np.asarray(b).tobytes()


def test_bad_inputs_name_the_op():
    with dg.Graph().as_default():
        with pytest.raises(TypeError, match="asinh"):
            dg.asinh(dg.constant([1, 2]))
        with pytest.raises(TypeError, match="atan2"):
            dg.atan2(dg.constant([1.0]), dg.constant([1.0], dg.float64))
        with pytest.raises(ValueError, match="lbeta"):
            dg.lbeta(dg.constant(1.0))
        with pytest.raises(ValueError, match="invert_permutation"):
            dg.invert_permutation(dg.placeholder(dg.int32, [None]))
        with pytest.raises(ValueError, match="polyval"):
            dg.math.polyval(dg.constant([1.0, 2.0]), 3.0)
