"""tf names of host_top.py (the assert_* checks, dimension helpers, initializer helpers,
orthogonal / uniform-unit-scaling initializers, count_up_to, saturate_cast, switch_case,
py_function, UnconnectedGradients, tf.test) against real TensorFlow (compat.v1 graph mode)."""

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _both(ref, build, feed=None):
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            fetch, feeds = build(tf)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                outs.append(s.run(fetch, feeds))
    return outs


@pytest.mark.parametrize(
    "build",
    [
        lambda tf: (tf.assert_rank(tf.constant([[1.0]]), 3), "rank"),
        lambda tf: (tf.assert_rank_at_least(tf.constant([1.0]), 2), "rank"),
        lambda tf: (tf.assert_rank_in(tf.constant(1.0), [1, 2]), "rank"),
        lambda tf: (tf.assert_scalar(tf.constant([1.0])), "scalar"),
        lambda tf: (tf.assert_type(tf.constant([1.0]), tf.int32), "type"),
        lambda tf: (tf.assert_integer(tf.constant([1.0])), "integer"),
        lambda tf: (tf.assert_proper_iterable(np.ones(2)), "iterable"),
        lambda tf: (
            tf.assert_same_float_dtype([tf.constant(1.0), tf.constant(1.0, tf.float64)]),
            "float",
        ),  # noqa: E501
    ],
)
def test_static_checks_fail_when_built_as_tf(ref, build):
    kinds = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            with pytest.raises((ValueError, TypeError)) as caught:
                build(tf)
            kinds.append(caught.type.__mro__[-3])  # ValueError or TypeError
    assert kinds[0] is kinds[1]


def test_our_static_check_messages_name_the_op():
    with dg.Graph().as_default():
        with pytest.raises(ValueError, match="assert_rank: .* must have rank 3, it has rank 2"):
            dg.assert_rank(dg.constant([[1.0]]), 3)
        with pytest.raises(TypeError, match="assert_type: .* must be of type int32"):
            dg.assert_type(dg.constant([1.0]), dg.int32)
        with pytest.raises(ValueError, match="assert_scalar"):
            dg.assert_scalar(dg.constant([1.0]))


def test_passing_checks_and_run_time_checks(ref):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32)
            ops = [
                tf.assert_rank(x, 2),
                tf.assert_rank_at_least(x, 1),
                tf.assert_rank_in(x, [1, 2]),
            ]
            near = tf.assert_near(x, x + 1e-3, atol=1e-2)
            far = tf.assert_near(x, x + 1.0)
            assert tf.assert_scalar(tf.constant(2.0)) is not None
            tf.assert_type(tf.constant(1), tf.int32)
            tf.assert_integer(tf.constant([1, 2]))
            tf.assert_proper_iterable([1, 2])
            assert tf.assert_same_float_dtype([tf.constant(1.0)]) == tf.float32
            with tf.Session() as s:
                value = np.ones((2, 3), np.float32)
                s.run(ops + [near], {x: value})
                with pytest.raises(tf.errors.InvalidArgumentError):
                    s.run(ops[0], {x: np.ones(3, np.float32)})
                with pytest.raises(tf.errors.InvalidArgumentError):
                    s.run(far, {x: value})


def test_dimension_helpers_and_is_numeric(ref):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, 3])
            assert tf.dimension_value(x.shape[1]) == 3
            assert tf.dimension_value(x.shape[0]) is None
            assert tf.dimension_at_index(x.shape, 1) == 3
            assert tf.is_numeric_tensor(x) and not tf.is_numeric_tensor(tf.constant(True))
            assert not tf.is_numeric_tensor(np.ones(2))


def test_initializer_helpers(ref):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            a = tf.Variable([1.0, 2.0], name="a")
            b = tf.Variable([3.0], name="b")
            ema = tf.train.ExponentialMovingAverage(0.9)
            ema.apply([a])
            assert [v.name for v in tf.moving_average_variables()] == ["a:0"]
            assert tf.no_regularizer(a) is None
            check = tf.assert_variables_initialized([a, b])
            with tf.Session() as s:
                s.run(tf.tables_initializer())
                s.run(tf.initialize_all_tables())
                s.run(tf.initialize_variables([a]))
                np.testing.assert_array_equal(s.run(a), [1.0, 2.0])
                if tf is dg:  # real TF 2's resource variables let this check pass here
                    with pytest.raises(tf.errors.InvalidArgumentError, match="uninitialized"):
                        s.run(check)
                s.run(tf.initialize_variables([b]))
                s.run(check)


@pytest.mark.parametrize("shape", [[6, 4], [3, 7], [2, 3, 5]])
def test_orthogonal_initializer_is_orthogonal_as_tf(ref, shape):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            w = tf.get_variable("w", shape, initializer=tf.orthogonal_initializer(gain=2.0))
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                m = s.run(w).reshape(-1, shape[-1])
        small = m if m.shape[0] >= m.shape[1] else m.T
        np.testing.assert_allclose(small.T @ small, 4.0 * np.eye(small.shape[1]), atol=1e-4)


def test_uniform_unit_scaling_bounds_match_tf(ref):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            w = tf.get_variable(
                "w", [400, 50], initializer=tf.uniform_unit_scaling_initializer(factor=1.5)
            )
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                m = s.run(w)
        bound = np.sqrt(3.0 / 400) * 1.5
        assert np.abs(m).max() <= bound and np.abs(m).max() > 0.95 * bound


def test_count_up_to(ref):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            v = tf.Variable(0, dtype=tf.int32)
            c = tf.count_up_to(v, 2)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                assert [s.run(c), s.run(c)] == [0, 1]
                with pytest.raises(tf.errors.OutOfRangeError):
                    s.run(c)
                assert s.run(v) == 2


def test_saturate_cast_matches_tf(ref):
    def build(tf):
        x = tf.constant([-1e10, -3.7, 3.7, 300.0, 1e10])
        y = tf.constant([-(2**40), 5, 2**40], tf.int64)
        z = tf.constant([1e300, -2.0], tf.float64)
        casts = [(x, tf.int32), (y, tf.int32), (z, tf.float32)]
        return [tf.saturate_cast(v, dt) for v, dt in casts], None

    ours, theirs = _both(ref, build)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_to_complex_matches_tf(ref):
    def build(tf):
        x = tf.constant([1.5, -2.0])
        return [tf.to_complex64(x), tf.to_complex128(tf.cast(x, tf.float64))], None

    ours, theirs = _both(ref, build)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_switch_case_values_and_gradients(ref):
    def build(tf):
        i = tf.placeholder(tf.int32, [])
        x = tf.constant([1.0, 2.0])
        y = tf.switch_case(i, [lambda: x * 2.0, lambda: x * x, lambda: -x])
        return [y, tf.gradients(tf.reduce_sum(y), x)[0]], {i: 1}

    ours, theirs = _both(ref, build)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b)
    with dg.Graph().as_default():
        i = dg.placeholder(dg.int32, [])
        y = dg.switch_case(i, {0: lambda: dg.constant(1.0), 1: lambda: dg.constant(2.0)},
                           default=lambda: dg.constant(-1.0))  # fmt: skip
        with dg.Session() as s:
            assert [s.run(y, {i: k}) for k in (0, 1, 5)] == [1.0, 2.0, -1.0]


def test_py_function_passes_values_that_answer_numpy(ref):
    def build(tf):
        x = tf.constant([1.0, 2.0, 3.0])
        y = tf.py_function(lambda a: a.numpy() * 2.0 + 1.0, [x], tf.float32)
        return y, None

    ours, theirs = _both(ref, build)
    np.testing.assert_array_equal(ours, theirs)


def test_unconnected_gradients_and_aggregation_method(ref):
    def build(tf):
        x, z = tf.constant([1.0, 2.0]), tf.constant([3.0])
        y = tf.reduce_sum(x * x)
        g = tf.gradients(
            y, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO,
            aggregation_method=tf.AggregationMethod.ADD_N,
        )  # fmt: skip
        return g, None

    ours, theirs = _both(ref, build)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


class _Example(dg.test.TestCase):
    def test_session_and_asserts(self):
        with self.session() as s:
            x = dg.constant([1.0, 2.0])
            self.assertAllClose(s.run(x * 2.0), [2.0, 4.0])
            self.assertAllEqual(s.run(dg.shape(x)), [2])
            self.assertShapeEqual(np.zeros(2), x)
            self.assertAllClose({"a": [1.0]}, {"a": np.array([1.0 + 1e-8])})
            with self.assertRaises(AssertionError):
                self.assertAllClose([1.0], [1.1])


def test_tf_test_case_runs_like_tfs():
    import unittest

    result = unittest.TextTestRunner(stream=open("/dev/null", "w")).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(_Example)
    )
    assert result.wasSuccessful() and result.testsRun == 1
    assert not dg.test.is_gpu_available() and dg.test.gpu_device_name() == ""
