"""Session.run: fetch structures, feeds and their checks, plan caching, state, threads."""

import collections
import threading

import duograd.frontends.graph as tf
import numpy as np
import pytest


@pytest.fixture
def tiny():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.multiply(x, 2.0, name="y")
    return x, y


def test_nested_fetch_structures(tiny):
    x, y = tiny
    z = tf.reduce_sum(y, name="z")
    Pair = collections.namedtuple("Pair", "a b")
    feed = {x: [[1.0, 2.0, 3.0]]}
    with tf.Session() as sess:
        out = sess.run({"y": y, "rest": [z, (y, "z:0")], "pair": Pair(z, y)}, feed)
    np.testing.assert_array_equal(out["y"], [[2.0, 4.0, 6.0]])
    assert isinstance(out["rest"], list) and isinstance(out["rest"][1], tuple)
    assert out["rest"][0] == 12.0 and out["rest"][1][1] == 12.0
    assert isinstance(out["pair"], Pair) and out["pair"].a == 12.0


def test_fetching_an_operation_gives_none_and_runs_it():
    v = tf.Variable(1.0)
    inc = tf.assign_add(v, 1.0).op
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(inc) is None
        assert sess.run([inc, "Variable"]) == [None, None]
        assert sess.run(v) == 3.0


def test_feed_keys_may_be_names(tiny):
    x, y = tiny
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": [[1, 1, 1]]}), [[2, 2, 2]])


def test_duplicate_fetches_are_computed_once_and_independent():
    calls = tf.Variable([0.0])  # a vector: rank-0 fetches come back as numpy scalars, as TF's
    bump = calls.assign_add([1.0])
    with tf.Session() as sess:
        sess.run(calls.initializer)
        a, b = sess.run([bump, bump])
        assert a[0] == b[0] == 1.0
        a[...] = 99.0  # writing into one fetched array changes neither the other nor the state
        assert b[0] == 1.0 and sess.run(calls)[0] == 1.0


def test_fetched_arrays_never_alias_state_or_feeds():
    v = tf.Variable(np.zeros(3, np.float32))
    x = tf.placeholder(tf.float32, [3])
    r = tf.reshape(v, [3, 1])
    with tf.Session() as sess:
        sess.run(v.initializer)
        got = sess.run(v)
        got[0] = 5.0
        sess.run(r)[0, 0] = 7.0
        assert sess.run(v)[0] == 0.0
        fed = np.ones(3, np.float32)
        out = sess.run(x, {x: fed})
        out[0] = 3.0
        assert fed[0] == 1.0


def test_unfed_placeholder_error_names_it(tiny):
    x, y = tiny
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as e:
            sess.run(y)
    assert (
        "You must feed a value for placeholder tensor 'x' with dtype float and shape [?,3]"
        in str(e.value)
    )


def test_wrong_feed_shape_names_placeholder_and_shapes(tiny):
    x, y = tiny
    with tf.Session() as sess:
        with pytest.raises(ValueError) as e:
            sess.run(y, {x: np.zeros((2, 4), np.float32)})
    msg = str(e.value)
    assert "x:0" in msg and "(2, 4)" in msg and "(None, 3)" in msg


def test_wrong_feed_dtype_names_placeholder_and_dtypes():
    n = tf.placeholder(tf.int32, [2], name="n")
    out = n + 1
    with tf.Session() as sess:
        with pytest.raises(TypeError) as e:
            sess.run(out, {n: np.array([1.5, 2.5])})
        assert "n:0" in str(e.value) and "float64" in str(e.value) and "int32" in str(e.value)
        with pytest.raises(TypeError, match="does not fit"):
            sess.run(out, {n: np.array([2**40, 1])})
        # lossless conversions are accepted, as TF does
        np.testing.assert_array_equal(sess.run(out, {n: [1, 2]}), [2, 3])
        np.testing.assert_array_equal(sess.run(out, {n: np.array([1, 2], np.int64)}), [2, 3])


def test_float64_data_feeds_a_float32_placeholder(tiny):
    x, y = tiny
    with tf.Session() as sess:
        out = sess.run(y, {x: np.ones((1, 3))})
    assert out.dtype == np.float32


def test_unknown_feed_key_and_tensor_feed_value(tiny):
    x, y = tiny
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key"):
            sess.run(y, {"nope:0": 1.0, x: [[1, 2, 3]]})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key"):
            sess.run(y, {3: 1.0})
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(y, {x: y})


def test_fetch_from_another_graph_or_invalid_fetch():
    g = tf.Graph()
    with g.as_default():
        other = tf.constant(1.0)
    tf.constant(2.0)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="not an element of this graph"):
            sess.run(other)
        with pytest.raises(TypeError, match="invalid type"):
            sess.run(np.zeros(2))
        with pytest.raises(TypeError, match="invalid type"):
            sess.run([None])


def test_closed_session_raises():
    c = tf.constant(1.0)
    sess = tf.Session()
    assert sess.run(c) == 1.0
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(c)


def test_session_context_sets_default_session_and_graph():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(3.0)
    with tf.Session(graph=g) as sess:
        assert tf.get_default_session() is sess
        assert tf.get_default_graph() is g
        assert c.eval() == 3.0
    assert tf.get_default_session() is None
    with pytest.raises(ValueError, match="No default session"):
        c.eval()
    sess2 = tf.Session(graph=g)
    assert c.eval(session=sess2) == 3.0
    with sess2.as_default():
        assert c.eval() == 3.0


def test_interactive_session_is_default_until_closed():
    c = tf.constant(2.0) * 2.0
    sess = tf.InteractiveSession()
    try:
        assert c.eval() == 4.0
        c.op.run()
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_plans_are_cached_and_invalidated_when_the_graph_grows(tiny):
    x, y = tiny
    sess = tf.Session()
    sess.run(y, {x: [[1, 2, 3]]})
    sess.run(y, {x: [[4, 5, 6]]})
    assert len(sess._cache) == 1
    plan = next(iter(sess._cache.values())).plan
    sess.run([y, y], {x: [[1, 2, 3]]})
    assert len(sess._cache) == 2
    z = y + 1.0  # the graph grows: cached plans are dropped, then rebuilt on demand
    sess.run(y, {x: [[1, 2, 3]]})
    assert len(sess._cache) == 1 and next(iter(sess._cache.values())).plan is not plan
    np.testing.assert_array_equal(sess.run(z, {x: [[1, 2, 3]]}), [[3, 5, 7]])


def test_only_the_needed_subgraph_runs():
    bad = tf.placeholder(tf.float32, [2], name="never_fed")
    broken = bad * 2.0
    ok = tf.constant(1.0) + 1.0
    with tf.Session() as sess:
        assert sess.run(ok) == 2.0
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run([ok, broken])


def test_feeding_an_intermediate_tensor_cuts_the_graph():
    x = tf.placeholder(tf.float32, [2], name="x")
    mid = x * 10.0
    out = mid + 1.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out, {mid: [1.0, 2.0]}), [2.0, 3.0])


def test_variables_keep_values_across_runs_and_sessions_are_separate():
    v = tf.Variable(1.0)
    inc = v.assign_add(1.0)
    s1, s2 = tf.Session(), tf.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    s1.run(inc)
    s1.run(inc)
    assert s1.run(v) == 3.0 and s2.run(v) == 1.0


def test_uninitialized_variable_raises_failed_precondition():
    v = tf.Variable(1.0, name="w")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized variable 'w'"):
            sess.run(v * 2.0)


def test_failed_run_changes_no_variable():
    v = tf.Variable(np.array([1.0, 2.0], np.float32), name="v")
    w = tf.Variable(np.array([5.0], np.float32), name="w")
    x = tf.placeholder(tf.float32, None, name="x")
    step_v = v.assign_add([1.0, 1.0])
    bad_w = w.assign(x)  # fails at run time when x has the wrong shape
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ValueError, match="Assign"):
            sess.run([step_v, bad_w], {x: np.ones(3, np.float32)})
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(w), [5.0])
        sess.run([step_v, bad_w], {x: np.ones(1, np.float32)})
        np.testing.assert_array_equal(sess.run(v), [2.0, 3.0])


def test_run_from_many_threads():
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.reduce_sum(x * x)
    counter = tf.Variable(0.0)
    inc = counter.assign_add(1.0)
    sess = tf.Session()
    sess.run(counter.initializer)
    errors = []

    def work(k: int) -> None:
        try:
            for i in range(50):
                data = np.full(k + 1, float(i), np.float32)
                got = sess.run(y, {x: data})
                if got != np.float32((k + 1) * i * i):
                    errors.append((k, i, got))
                sess.run(inc)
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sess.run(counter) == 200.0


def test_make_callable():
    x = tf.placeholder(tf.float32, [2])
    y = x * 3.0
    with tf.Session() as sess:
        f = sess.make_callable(y, [x])
        np.testing.assert_array_equal(f(np.ones(2, np.float32)), [3.0, 3.0])


def test_placeholder_with_default():
    d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), shape=[None], name="d")
    out = d * 2.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out), [2.0, 4.0])
        np.testing.assert_array_equal(sess.run(out, {d: [5.0, 6.0, 7.0]}), [10.0, 12.0, 14.0])
    assert d.shape.as_list() == [None]


def test_runtime_shape_errors_name_the_node_after_earlier_good_runs():
    a = tf.placeholder(tf.float32, [None, 3], name="a")
    b = tf.placeholder(tf.float32, [None, 3], name="b")
    total = tf.add(a, b, name="total")
    with tf.Session() as sess:
        ok = sess.run(total, {a: np.ones((2, 3)), b: np.ones((2, 3))})
        np.testing.assert_array_equal(ok, np.full((2, 3), 2.0))
        with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 3\).*total"):
            sess.run(total, {a: np.ones((2, 3)), b: np.ones((4, 3))})
        np.testing.assert_array_equal(sess.run(total, {a: np.ones((1, 3)), b: np.ones((1, 3))}),
                                      np.full((1, 3), 2.0))  # fmt: skip
