"""`tf.tile` on dims or multiples known only when run, and `tf.where(condition)` (the
coordinates of the true entries): values, static shapes and gradients against real TF1."""

import duograd.frontends.graph as dtf
import numpy as np
import pytest

V = np.arange(6, dtype=np.float32).reshape(2, 3) / 3 - 0.7


@pytest.fixture(scope="module")
def tf1():
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    return v1


TILES = {
    "batch_unknown": lambda tf, x, n: tf.tile(x, [2, 1]),
    "multiples_tensor": lambda tf, x, n: tf.tile(x, tf.stack([1, n])),
    "expand_then_tile": lambda tf, x, n: tf.tile(tf.expand_dims(x, 1), [1, 4, 1]),
    "zero_multiple": lambda tf, x, n: tf.tile(x, [0, 2]),
}


def _tile_run(tf, build):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        n = tf.placeholder(tf.int32, [])
        y = build(tf, x, n)
        w = tf.constant(np.linspace(-1, 1, 64, dtype=np.float32))
        loss = tf.reduce_sum(tf.reshape(y, [-1]) * w[: tf.size(y)])
        grad = tf.gradients(loss, x)[0]
        with tf.Session(graph=g) as sess:
            return y.shape.as_list(), sess.run([y, grad], {x: V, n: 3})


@pytest.mark.parametrize("case", sorted(TILES))
def test_run_time_tile_matches_real_tf(tf1, case):
    our_shape, ours = _tile_run(dtf, TILES[case])
    their_shape, theirs = _tile_run(tf1, TILES[case])
    assert our_shape == their_shape
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "value",
    [np.array([[True, False, True], [False, False, True]]), np.zeros((2, 3), bool), V > 0],
)
def test_where_coordinates_match_real_tf(tf1, value):
    got = []
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            c = tf.placeholder(tf.bool, [None, 3])
            f = tf.placeholder(tf.float32, [None])
            coords, flat = tf.where(c), tf.where(f > 0.0)
            with tf.Session(graph=g) as sess:
                out = sess.run([coords, flat], {c: value, f: V.reshape(-1)})
            got.append((out, coords.shape.as_list(), coords.dtype.name))
    (ours, our_shape, our_dt), (theirs, their_shape, their_dt) = got
    assert our_shape == their_shape and our_dt == their_dt
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


SLICES = {
    "head": lambda x, n: x[:n],
    "columns": lambda x, n: x[:, :n],
    "from_one": lambda x, n: x[1:n],
    "scalar_row": lambda x, n: x[n],
    "scalar_column": lambda x, n: x[:, n],
    "tail": lambda x, n: x[-n:],
    "ellipsis": lambda x, n: x[..., n],
    "new_axis": lambda x, n: x[None, :n],
    "mixed": lambda x, n: x[:n, 1],
    "stepped": lambda x, n: x[:, ::2][:n],
}


@pytest.mark.parametrize("case", sorted(SLICES))
def test_slices_with_tensor_bounds_match_real_tf(tf1, case):
    value = np.arange(20, dtype=np.float32).reshape(4, 5) / 7
    got = []
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, 5])
            n = tf.placeholder(tf.int32, [])
            y = SLICES[case](x, n)
            grad = tf.gradients(tf.reduce_sum(y * y), x)[0]
            with tf.Session(graph=g) as sess:
                got.append((y.shape.as_list(), sess.run([y, grad], {x: value, n: 2})))
    (our_shape, ours), (their_shape, theirs) = got
    assert our_shape == their_shape
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_gather_nd_on_run_time_dims_matches_real_tf(tf1):
    """Each sequence's last output: gather_nd(outputs, stack([range(batch), lengths - 1], 1))."""
    outputs = np.arange(3 * 4 * 2, dtype=np.float32).reshape(3, 4, 2) / 5
    got = []
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, None, 2])
            lengths = tf.placeholder(tf.int32, [None])
            pick = tf.stack([tf.range(tf.shape(x)[0]), lengths - 1], axis=1)
            last = tf.gather_nd(x, pick)
            grad = tf.gradients(tf.reduce_sum(last * last), x)[0]
            with tf.Session(graph=g) as sess:
                got.append(
                    (last.shape.as_list(), sess.run([last, grad], {x: outputs, lengths: [4, 1, 2]}))
                )
                with pytest.raises(tf.errors.InvalidArgumentError):
                    sess.run(last, {x: outputs, lengths: [5, 1, 2]})
    assert got[0][0] == got[1][0]
    for a, b in zip(got[0][1], got[1][1], strict=True):
        np.testing.assert_array_equal(a, b)
