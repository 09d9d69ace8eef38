"""Gradients through `tf.while_loop` against real TensorFlow (compat.v1, graph mode): loops with
captured weights, nested structures, shape invariants, nested loops, run-time trip counts."""

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

TOL = {"rtol": 2e-5, "atol": 2e-5}
R = np.random.RandomState(14)
X = R.uniform(-1, 1, (3,)).astype(np.float32)
W = R.uniform(-1, 1, (3, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _both(ref, prog):
    """Run prog(tf) -> (fetches, feeds-builder) in both frameworks, compare values and dtypes."""
    results = []
    for tf in (ref, dg):
        tf.reset_default_graph()
        fetches, feeds = prog(tf)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            results.append(s.run(fetches, feeds))
    want, got = results
    for w, g in zip(want, got, strict=True):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, **TOL)
    return got


def test_rnn_like_loop_gradients_to_weights_input_and_init(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [3])
        w = tf.Variable(W)
        h0 = tf.placeholder(tf.float32, [1, 3])

        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, w) + x)

        _, h = tf.while_loop(lambda i, h: i < 5, body, [tf.constant(0), h0])
        loss = tf.reduce_sum(h * h)
        return [loss] + tf.gradients(loss, [x, w, h0]), {x: X, h0: X[None] * 0.5}

    _both(ref, prog)


def test_nested_structure_and_two_outputs(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [3])

        def body(i, st):
            a, (b, c) = st["a"], st["bc"]
            return i + 1, {"a": a * 0.9 + b, "bc": (tf.sin(b) + c, c * x)}

        init = {"a": tf.zeros([3]), "bc": (x, tf.ones([3]))}
        _, st = tf.while_loop(lambda i, st: i < 4, body, [0, init])
        loss = tf.reduce_sum(st["a"]) + tf.reduce_sum(st["bc"][0] * st["bc"][1])
        return [loss, tf.gradients(loss, x)[0], tf.gradients(st["a"], x)[0]], {x: X}

    _both(ref, prog)


def test_shape_invariants_unknown_batch(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.constant(W)

        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, w)) + tf.reduce_mean(h)

        _, h = tf.while_loop(
            lambda i, h: i < 3,
            body,
            [tf.constant(0), x],
            shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 3])],
        )
        loss = tf.reduce_sum(h * h)
        return [h, tf.gradients(loss, x)[0]], {x: np.stack([X, X * 2.0])}

    _both(ref, prog)


def test_shape_invariants_growing_tensor_values(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [1, 3])

        def body(i, acc):
            return i + 1, tf.concat([acc, tf.sin(acc[-1:]) * 2.0], axis=0)

        _, acc = tf.while_loop(
            lambda i, acc: i < 3,
            body,
            [tf.constant(0), x],
            shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 3])],
        )
        return [acc], {x: X[None]}

    _both(ref, prog)


def test_nested_loops(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [3])

        def inner(v):
            _, r = tf.while_loop(lambda j, r: j < 2, lambda j, r: (j + 1, r * x + 0.1), [0, v])
            return r

        _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, tf.tanh(inner(y))), [0, x])
        loss = tf.reduce_sum(y)
        return [loss, tf.gradients(loss, x)[0]], {x: X}

    _both(ref, prog)


def test_run_time_trip_count_and_maximum_iterations(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [3])
        n = tf.placeholder(tf.int32, [])
        _, y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x + 1.0), [0, x])
        z = tf.while_loop(lambda z: tf.reduce_sum(z) < 1e6, lambda z: z * 3.0, [x * x + 1.0],
                          maximum_iterations=4)  # fmt: skip
        loss = tf.reduce_sum(y) + tf.reduce_sum(z)
        return [loss, tf.gradients(loss, x)[0]], {x: X, n: 3}

    _both(ref, prog)


def test_zero_iterations_pass_the_cotangent_through(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [3])
        y = tf.while_loop(lambda y: tf.reduce_sum(y) > 100.0, lambda y: y * 2.0, [x * 3.0])
        return [tf.gradients(tf.reduce_sum(y * y), x)[0]], {x: X}

    _both(ref, prog)


def test_training_through_a_loop_matches_tf(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [3])
        w = tf.Variable(W * 0.5)
        _, h = tf.while_loop(
            lambda i, h: i < 3, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w))), [0, x[None]]
        )
        loss = tf.reduce_mean((h - 0.25) ** 2)
        step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        return [step, loss], {x: X}

    results = []
    for tf in (ref, dg):
        tf.reset_default_graph()
        (step, loss), feeds = prog(tf)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            results.append([s.run([step, loss], feeds)[1] for _ in range(5)])
    np.testing.assert_allclose(results[1], results[0], **TOL)
    assert results[1][-1] < results[1][0]


def test_back_prop_false_gives_no_gradient():
    dg.reset_default_graph()
    x = dg.placeholder(dg.float32, [3])
    y = dg.while_loop(lambda y: dg.reduce_sum(y) < 10.0, lambda y: y * 2.0, [x], back_prop=False)
    assert dg.gradients(dg.reduce_sum(y), x) == [None]


def test_map_fn_over_a_run_time_batch_has_gradients(ref):
    def prog(tf):
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.Variable(W)
        k = tf.placeholder(tf.float32, [3])

        def row(r):
            h = tf.tanh(tf.matmul(r[None], w))[0]
            return h * k, tf.reduce_sum(r * r)

        a, b = tf.map_fn(row, x, dtype=(tf.float32, tf.float32))
        loss = tf.reduce_sum(a * a) + tf.reduce_sum(b * 0.5)
        return [loss] + tf.gradients(loss, [x, w, k]), {x: np.stack([X, X * 2.0]), k: X}

    _both(ref, prog)
