"""Op forwards against numpy, TF's dtype rules, build-time shape errors, unknown ranks."""

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import random as core_random

R = np.random.RandomState(7)
A = R.uniform(-2, 2, (3, 4)).astype(np.float32)
B = R.uniform(0.5, 2, (4,)).astype(np.float32)
P = R.uniform(0.5, 2, (3, 4)).astype(np.float32)


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


BINARY = [
    (tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply),
    (tf.divide, np.divide), (tf.maximum, np.maximum), (tf.minimum, np.minimum),
    (tf.squared_difference, lambda a, b: np.square(a - b)),
    (tf.equal, np.equal), (tf.not_equal, np.not_equal), (tf.less, np.less),
    (tf.less_equal, np.less_equal), (tf.greater, np.greater),
    (tf.greater_equal, np.greater_equal),
]  # fmt: skip


@pytest.mark.parametrize("op,ref", BINARY, ids=[o.__name__ for o, _ in BINARY])
def test_binary_ops_broadcast(op, ref):
    np.testing.assert_allclose(run(op(tf.constant(A), tf.constant(B))), ref(A, B), rtol=1e-6)


UNARY = [
    (tf.negative, np.negative), (tf.abs, np.abs), (tf.square, np.square),
    (tf.exp, np.exp), (tf.tanh, np.tanh), (tf.sign, np.sign),
    (tf.sigmoid, lambda x: 1 / (1 + np.exp(-x))), (tf.nn.relu, lambda x: np.maximum(x, 0)),
]  # fmt: skip


@pytest.mark.parametrize("op,ref", UNARY, ids=[o.__name__ for o, _ in UNARY])
def test_unary_ops(op, ref):
    np.testing.assert_allclose(run(op(tf.constant(A))), ref(A), rtol=1e-6, atol=1e-7)


def test_positive_domain_ops():
    p = tf.constant(P)
    np.testing.assert_allclose(run(tf.sqrt(p)), np.sqrt(P), rtol=1e-6)
    np.testing.assert_allclose(run(tf.log(p)), np.log(P), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(run(tf.pow(p, 1.5)), P**1.5, rtol=1e-6)
    np.testing.assert_allclose(run(tf.rsqrt(p)), 1 / np.sqrt(P), rtol=1e-6)
    np.testing.assert_allclose(run(tf.reciprocal(p)), 1 / P, rtol=1e-6)


def test_operators_and_scalars():
    a = tf.constant(A)
    np.testing.assert_allclose(run(2.0 * a + 1), 2 * A + 1, rtol=1e-6)
    np.testing.assert_allclose(run(1 - a), 1 - A, rtol=1e-6)
    np.testing.assert_allclose(run(a / 4), A / 4, rtol=1e-6)
    np.testing.assert_allclose(run(3.0 / tf.constant(P)), 3 / P, rtol=1e-6)
    np.testing.assert_allclose(run(-a), -A)
    np.testing.assert_allclose(run(abs(a)), np.abs(A))
    np.testing.assert_allclose(run(tf.constant(P) ** 2), P**2, rtol=1e-6)
    np.testing.assert_allclose(run(a @ tf.constant(A.T)), A @ A.T, rtol=1e-5)
    np.testing.assert_array_equal(run(a > 0), A > 0)
    np.testing.assert_array_equal(run((a > 0) & (a < 1)), (A > 0) & (A < 1))
    np.testing.assert_array_equal(run((a > 1) | (a < -1)), (A > 1) | (A < -1))
    np.testing.assert_array_equal(run(~(a > 0)), ~(A > 0))
    np.testing.assert_allclose(run(np.float32(2) * a), 2 * A)
    assert (2 * a).dtype == tf.float32  # a Python scalar never upcasts


def test_mixed_dtypes_raise_type_error_as_tf():
    i = tf.constant([1, 2, 3])
    f = tf.constant([1.0, 2.0, 3.0])
    assert i.dtype == tf.int32 and f.dtype == tf.float32
    with pytest.raises(TypeError, match="int32|float"):
        i + f
    with pytest.raises(TypeError):
        tf.matmul(tf.ones([2, 2]), tf.ones([2, 2], tf.float64))
    with pytest.raises(TypeError):
        i + 1.5  # a float into an int tensor
    assert (i + 1).dtype == tf.int32


def test_constant_dtype_inference_and_shape():
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant(np.float64(1.0)).dtype == tf.float64
    assert tf.constant(np.array([1, 2], np.int64)).dtype == tf.int64
    assert tf.constant([True, False]).dtype == tf.bool
    assert tf.constant(2**40).dtype == tf.int64
    np.testing.assert_array_equal(run(tf.constant(7, shape=[2, 2])), np.full((2, 2), 7))
    np.testing.assert_array_equal(run(tf.constant([1, 2, 3, 4], shape=[2, 2])), [[1, 2], [3, 4]])
    assert tf.constant(1, dtype="float").dtype == tf.float32
    with pytest.raises(TypeError):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.constant("text")


def test_integer_division_is_float64_as_tf():
    out = tf.constant([3, 4]) / tf.constant([2, 8])
    assert out.dtype == tf.float64
    np.testing.assert_array_equal(run(out), [1.5, 0.5])


REDUCE = [
    (tf.reduce_sum, np.sum), (tf.reduce_mean, np.mean), (tf.reduce_max, np.max),
    (tf.reduce_min, np.min),
]  # fmt: skip


@pytest.mark.parametrize("op,ref", REDUCE, ids=[o.__name__ for o, _ in REDUCE])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, [0, 1]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(op, ref, axis, keepdims):
    ax = tuple(axis) if isinstance(axis, list) else axis
    got = run(op(tf.constant(A), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(got, ref(A, axis=ax, keepdims=keepdims), rtol=1e-6)


def test_reduction_aliases_and_int_dtypes():
    a = tf.constant(A)
    np.testing.assert_allclose(run(tf.reduce_sum(a, reduction_indices=[1], keep_dims=True)),
                               A.sum(1, keepdims=True), rtol=1e-6)  # fmt: skip
    i = tf.constant([[1, 2], [3, 6]])
    s = tf.reduce_sum(i, 0)
    assert s.dtype == tf.int32
    np.testing.assert_array_equal(run(s), [4, 8])
    m = tf.reduce_mean(tf.constant([1, 2]))
    assert m.dtype == tf.int32 and run(m) == 1  # TF's integer mean truncates
    np.testing.assert_array_equal(
        run(tf.reduce_any(tf.constant([[True, False], [False, False]]), axis=1)), [True, False]
    )
    np.testing.assert_array_equal(
        run(tf.reduce_all(tf.constant([[True, True], [False, True]]), axis=1)), [True, False]
    )


def test_argmax_argmin_cast_accuracy():
    a = tf.constant(A)
    am = tf.argmax(a, 1)
    assert am.dtype == tf.int64
    np.testing.assert_array_equal(run(am), A.argmax(1))
    np.testing.assert_array_equal(run(tf.argmin(a, axis=0)), A.argmin(0))
    np.testing.assert_array_equal(run(tf.argmax(a)), A.argmax(0))  # TF1 default axis 0
    assert tf.argmax(a, 1, output_type=tf.int32).dtype == tf.int32
    labels = tf.constant(A.argmax(1).astype(np.int64))
    acc = tf.reduce_mean(tf.cast(tf.equal(am, labels), tf.float32))
    assert run(acc) == 1.0
    np.testing.assert_array_equal(run(tf.cast(tf.constant([1.7, -1.7]), tf.int32)), [1, -1])
    assert tf.cast(a, tf.float32) is a


def test_shape_ops():
    a = tf.constant(A)
    np.testing.assert_array_equal(run(tf.reshape(a, [2, -1])), A.reshape(2, -1))
    np.testing.assert_array_equal(run(tf.transpose(a)), A.T)
    np.testing.assert_array_equal(run(tf.expand_dims(a, 1)).shape, (3, 1, 4))
    np.testing.assert_array_equal(run(tf.squeeze(tf.expand_dims(a, 0))), A)
    np.testing.assert_array_equal(run(tf.concat([a, a], 1)), np.concatenate([A, A], 1))
    np.testing.assert_array_equal(run(tf.stack([a, a], 0)), np.stack([A, A], 0))
    parts = run(tf.unstack(a, axis=1))
    assert len(parts) == 4 and np.array_equal(parts[2], A[:, 2])
    halves = run(tf.split(a, 2, axis=1))
    np.testing.assert_array_equal(halves[1], A[:, 2:])
    np.testing.assert_array_equal(run(tf.tile(a, [2, 1])), np.tile(A, (2, 1)))
    np.testing.assert_array_equal(run(tf.slice(a, [1, 0], [2, -1])), A[1:3, :])
    np.testing.assert_array_equal(run(a[1:, ::2]), A[1:, ::2])
    np.testing.assert_array_equal(run(a[..., tf.newaxis]), A[..., None])
    np.testing.assert_array_equal(run(a[-1]), A[-1])
    np.testing.assert_array_equal(run(tf.gather(a, [2, 0])), A[[2, 0]])
    np.testing.assert_array_equal(run(tf.gather(a, tf.constant([1, 1]), axis=1)), A[:, [1, 1]])


def test_runtime_shape_size_rank_and_dynamic_reshape():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    s, n, r = tf.shape(x), tf.size(x), tf.rank(x)
    assert s.dtype == tf.int32 and s.shape.as_list() == [2]
    flat = tf.reshape(x, [tf.shape(x)[0] * 4])
    z = tf.zeros(tf.shape(x))
    with tf.Session() as sess:
        out = sess.run([s, n, r, flat, z], {x: A})
    assert list(out[0]) == [3, 4] and out[1] == 12 and out[2] == 2
    np.testing.assert_array_equal(out[3], A.reshape(-1))
    np.testing.assert_array_equal(out[4], np.zeros((3, 4)))


def test_fill_ops_where_onehot_clip_addn():
    a = tf.constant(A)
    np.testing.assert_array_equal(run(tf.zeros([2, 3])), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(run(tf.ones([2], tf.int32)), [1, 1])
    np.testing.assert_array_equal(run(tf.fill([2, 2], 5)), np.full((2, 2), 5))
    np.testing.assert_array_equal(run(tf.zeros_like(a)), np.zeros_like(A))
    np.testing.assert_array_equal(run(tf.ones_like(a, dtype=tf.int64)), np.ones((3, 4), np.int64))
    np.testing.assert_array_equal(run(tf.where(a > 0, a, tf.zeros_like(a))), np.where(A > 0, A, 0))
    np.testing.assert_array_equal(run(tf.where(a > 0, a, 0.0)), np.where(A > 0, A, 0))
    oh = tf.one_hot(tf.constant([0, 2, 5]), 3)
    np.testing.assert_array_equal(run(oh), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(
        run(tf.one_hot([1, 0], 2, on_value=5.0, off_value=-1.0)), [[-1, 5], [5, -1]]
    )
    np.testing.assert_array_equal(run(tf.one_hot([1, 0], 2, axis=0)), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(run(tf.clip_by_value(a, -0.5, 0.5)), np.clip(A, -0.5, 0.5))
    np.testing.assert_allclose(run(tf.add_n([a, a, a])), A + A + A, rtol=1e-6)
    np.testing.assert_array_equal(run(tf.range(5)), np.arange(5))
    np.testing.assert_array_equal(run(tf.identity(a)), A)
    np.testing.assert_array_equal(run(tf.stop_gradient(a)), A)


def test_shape_errors_at_build_time_name_the_op():
    a = tf.placeholder(tf.float32, [None, 3], name="a")
    b = tf.placeholder(tf.float32, [4, 2], name="b")
    with pytest.raises(ValueError, match=r"matmul.*\(None, 3\).*\(4, 2\).*MatMul"):
        tf.matmul(a, b)
    with pytest.raises(ValueError, match="broadcast"):
        tf.add(tf.ones([2, 3]), tf.ones([4]))
    with pytest.raises(ValueError, match="reshape"):
        tf.reshape(tf.ones([2, 3]), [4, 2])
    with pytest.raises(ValueError, match="axis"):
        tf.reduce_sum(a, 2)
    with pytest.raises(TypeError, match="float"):
        tf.sqrt(tf.constant([1, 2]))


def test_unknown_rank_placeholders_broadcast_and_reduce_at_run_time():
    x = tf.placeholder(tf.float32, name="x")
    w = tf.constant(2.0)
    y = x * w + 1.0
    total = tf.reduce_sum(y)
    mean = tf.reduce_mean(y)
    assert y.shape.ndims is None and total.shape.as_list() == []
    with tf.Session() as sess:
        assert sess.run(total, {x: 1.0}) == 3.0
        assert sess.run(total, {x: [1.0, 2.0]}) == 8.0
        assert sess.run(mean, {x: [[1.0, 2.0], [3.0, 4.0]]}) == 6.0
    with pytest.raises(ValueError, match="rank of"):
        tf.nn.softmax(x)
    with pytest.raises(ValueError, match="rank of"):
        tf.reduce_sum(x, axis=0)


def test_random_ops_draw_from_the_seeded_stream_each_run():
    tf.set_random_seed(3)
    n = tf.random_normal([2, 3], mean=1.0, stddev=2.0)
    u = tf.random_uniform([4], minval=-1, maxval=1)
    t = tf.truncated_normal([1000])
    k = tf.random_uniform([5], 0, 10, dtype=tf.int32)
    with tf.Session() as sess:
        tf.set_random_seed(3)
        first = sess.run(n)
        second = sess.run(n)
        uu, tt, kk = sess.run([u, t, k])
    ref = core_random.Generator(3)
    np.testing.assert_array_equal(first, ref.normal((2, 3), np.float32, 1.0, 2.0))
    np.testing.assert_array_equal(second, ref.normal((2, 3), np.float32, 1.0, 2.0))
    assert not np.array_equal(first, second)
    assert uu.dtype == np.float32 and np.all((uu >= -1) & (uu < 1))
    assert np.all(np.abs(tt) <= 2.0)
    assert kk.dtype == np.int32 and np.all((kk >= 0) & (kk < 10))
    assert tf.random.normal is tf.random_normal


def test_dtype_objects():
    assert tf.float32 == tf.as_dtype("float") == tf.as_dtype(np.float32)
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.int64.is_integer and tf.float64.is_floating and tf.bool.is_bool
    assert tf.float32.base_dtype is tf.float32 and tf.double is tf.float64
    assert tf.int32.max == 2**31 - 1
    assert np.dtype(tf.float64) == np.float64
    assert tf.as_dtype("complex128") is tf.complex128 and tf.complex64.real_dtype is tf.float32
    with pytest.raises(TypeError):
        tf.as_dtype("string")


def test_compat_v1_is_the_module():
    assert tf.compat.v1 is tf
    assert tf.compat.v1.placeholder is tf.placeholder
    tf.disable_eager_execution()
    tf.compat.v1.disable_v2_behavior()
    assert tf.math.reduce_sum is tf.reduce_sum and tf.linalg.matmul is tf.matmul
