"""tf.random_shuffle / tf.random.shuffle and tf.random_crop against real TensorFlow (compat.v1
graph mode): the same kind of result (a permutation of the rows; a window of the input), the
same gradients, fresh draws each run, reproducible under tf.set_random_seed."""

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


X = np.arange(24.0).reshape(8, 3)
IMG = np.arange(60.0).reshape(5, 4, 3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_shuffle_permutes_rows_without_gradient_as_tf(ref, dtype):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            tf.set_random_seed(3)
            p = tf.placeholder(getattr(tf, dtype), X.shape)
            y = tf.random.shuffle(p) if tf is dg else tf.random_shuffle(p)
            assert tf.gradients(tf.reduce_sum(y * y), p) == [None]  # none defined, as TF's
            with tf.Session() as s:
                runs = [s.run(y, {p: X.astype(dtype)}) for _ in range(4)]
        for out in runs:
            assert out.dtype == np.dtype(dtype)
            assert sorted(map(tuple, out)) == sorted(map(tuple, X))
        assert len({tuple(out[:, 0]) for out in runs}) > 1  # fresh order per run


def test_shuffle_is_reproducible_under_the_graph_seed():
    orders = []
    for _ in range(2):
        with dg.Graph().as_default():
            dg.set_random_seed(7)
            y = dg.random_shuffle(dg.constant(X))
            with dg.Session() as s:
                orders.append(s.run(y))
    np.testing.assert_array_equal(orders[0], orders[1])


@pytest.mark.parametrize("size", [[2, 3, 3], [5, 1, 2], [1, 4, 3]])
def test_crop_is_a_window_with_tfs_gradient(ref, size):
    for tf in (dg, ref):
        with tf.Graph().as_default():
            p = tf.placeholder(tf.float32, IMG.shape)
            y = tf.random_crop(p, size)
            g = tf.gradients(tf.reduce_sum(y), p)[0]
            with tf.Session() as s:
                for _ in range(3):
                    out, grad = s.run([y, g], {p: IMG.astype(np.float32)})
                    assert list(out.shape) == size
                    starts = [int(np.argmax(grad.sum(axis=tuple(a for a in range(3) if a != k))
                                            > 0)) for k in range(3)]  # fmt: skip
                    window = tuple(slice(b, b + s) for b, s in zip(starts, size, strict=True))
                    np.testing.assert_array_equal(out, IMG[window])
                    assert grad.sum() == np.prod(size)


def test_crop_bad_size_names_the_op():
    with dg.Graph().as_default():
        with pytest.raises(ValueError, match="random_crop"):
            dg.random_crop(dg.constant(IMG), [6, 1, 1])
        with pytest.raises(ValueError, match="random_shuffle"):
            dg.random_shuffle(dg.placeholder(dg.float32, [None, 2]))
