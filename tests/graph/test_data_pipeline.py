"""tf.data in the graph style: sources, transformations, iterators and end of data."""

from __future__ import annotations

import threading

import duograd.frontends.graph as tf
import numpy as np
import pytest


def _drain(fetch, sess, feed=None):
    out = []
    while True:
        try:
            out.append(sess.run(fetch, feed))
        except tf.errors.OutOfRangeError:
            return out


def _values(ds):
    nxt = tf.compat.v1.data.make_one_shot_iterator(ds).get_next()
    with tf.Session() as s:
        return _drain(nxt, s)


def _real_values(real, build):
    """Elements of a real TF pipeline, read in a TF1 session (eager mode on or off)."""
    with real.Graph().as_default():
        nxt = real.compat.v1.data.make_one_shot_iterator(build()).get_next()
        out = []
        with real.compat.v1.Session() as s:
            while True:
                try:
                    out.append(s.run(nxt))
                except real.errors.OutOfRangeError:
                    return out


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()
    yield


def test_slices_map_filter_batch_nested_tuple():
    x = np.arange(10, dtype=np.float32)
    y = np.arange(10, dtype=np.int64)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.map(lambda a, b: (a * 2.0, b + 1), num_parallel_calls=2)
    ds = ds.filter(lambda a, b: b > 2).batch(3)
    assert ds.output_types == (tf.float32, tf.int64)
    assert ds.output_shapes[0].as_list() == [None]
    got = _values(ds)
    assert [g[1].tolist() for g in got] == [[3, 4, 5], [6, 7, 8], [9, 10]]
    assert got[0][0].dtype == np.float32
    np.testing.assert_array_equal(got[0][0], [4.0, 6.0, 8.0])


def test_map_traced_once_into_graph_ops():
    calls = []

    def fn(a):
        calls.append(a)
        return tf.square(a) + 1.0

    ds = tf.data.Dataset.from_tensor_slices(np.arange(5, dtype=np.float32)).map(fn)
    assert len(calls) == 1 and isinstance(calls[0], tf.Tensor)
    assert [float(v) for v in _values(ds)] == [1.0, 2.0, 5.0, 10.0, 17.0]
    assert len(calls) == 1


def test_dict_elements_and_drop_remainder():
    ds = tf.data.Dataset.from_tensor_slices(
        {"img": np.ones((7, 2, 2), np.float32), "lab": np.arange(7, dtype=np.int32)}
    ).batch(3, drop_remainder=True)
    assert ds.output_shapes["img"].as_list() == [3, 2, 2]
    got = _values(ds)
    assert len(got) == 2 and got[1]["lab"].tolist() == [3, 4, 5]


def test_range_take_skip_repeat_enumerate_zip_concatenate():
    r = tf.data.Dataset.range(10)
    assert [int(v) for v in _values(r.skip(2).take(3).repeat(2))] == [2, 3, 4, 2, 3, 4]
    z = tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(5, 10)))
    assert [tuple(map(int, v)) for v in _values(z)] == [(0, 5), (1, 6), (2, 7)]
    e = tf.data.Dataset.range(3, 6).enumerate(start=1)
    assert [(int(i), int(v)) for i, v in _values(e)] == [(1, 3), (2, 4), (3, 5)]
    c = tf.data.Dataset.range(2).concatenate(tf.data.Dataset.range(7, 9))
    assert [int(v) for v in _values(c)] == [0, 1, 7, 8]


def test_padded_batch_unbatch_flat_map_interleave():
    ds = tf.data.Dataset.range(1, 5).flat_map(
        lambda n: tf.data.Dataset.from_tensors(np.arange(int(n), dtype=np.int64))
    )
    got = _values(ds.padded_batch(2, padded_shapes=[None]))
    assert got[0].tolist() == [[0, 0], [0, 1]]
    assert got[1].tolist() == [[0, 1, 2, 0], [0, 1, 2, 3]]
    un = _values(tf.data.Dataset.from_tensors(np.arange(6).reshape(3, 2)).unbatch())
    assert [v.tolist() for v in un] == [[0, 1], [2, 3], [4, 5]]
    il = tf.data.Dataset.range(1, 4).interleave(
        lambda n: tf.data.Dataset.from_tensors(n).repeat(n),
        cycle_length=2,
        block_length=1,
    )
    # as TF: [1, 2, 2, 3, 3, 3] interleaved two at a time
    assert [int(v) for v in _values(il)] == [1, 2, 3, 2, 3, 3]


def test_from_generator_and_bad_shape():
    def gen():
        for i in range(3):
            yield np.full((i + 1,), i, np.float32), i

    ds = tf.data.Dataset.from_generator(gen, (tf.float32, tf.int32), ([None], []))
    got = _values(ds)
    assert [v[0].tolist() for v in got] == [[0.0], [1.0, 1.0], [2.0, 2.0, 2.0]]

    def bad():
        yield np.zeros((2, 2), np.float32)

    tf.reset_default_graph()
    ds2 = tf.data.Dataset.from_generator(bad, tf.float32, [None])
    with pytest.raises(TypeError, match="from_generator.*incompatible"):
        _values(ds2)


def test_shuffle_seeded_is_a_permutation_and_reshuffles():
    ds = tf.data.Dataset.range(20).shuffle(5, seed=3).repeat(2)
    got = [int(v) for v in _values(ds)]
    assert sorted(got[:20]) == list(range(20)) and sorted(got[20:]) == list(range(20))
    assert got[:20] != got[20:]
    tf.reset_default_graph()
    again = [int(v) for v in _values(tf.data.Dataset.range(20).shuffle(5, seed=3).repeat(2))]
    assert again == got
    tf.reset_default_graph()
    fixed = tf.data.Dataset.range(20).shuffle(50, seed=3, reshuffle_each_iteration=False)
    got2 = [int(v) for v in _values(fixed.repeat(2))]
    assert got2[:20] == got2[20:]


def test_prefetch_cache_and_list_files(tmp_path):
    for n in ("b.txt", "a.txt"):
        (tmp_path / n).write_text("x")
    files = tf.data.Dataset.list_files(str(tmp_path / "*.txt"), shuffle=False)
    names = []
    it = files.make_initializable_iterator()
    # string elements stay on the host: they cannot be get_next tensors
    with pytest.raises(TypeError, match="string elements"):
        it.get_next()
    names = [int(v) for v in _values(files.map(lambda f: np.int64(len(f))).prefetch(2))]
    assert names == [len(str(tmp_path / "a.txt"))] * 2
    seen = []

    def fn(x):
        seen.append(1)
        return x

    tf.reset_default_graph()
    src = tf.data.Dataset.from_generator(lambda: (seen.append(0) or i for i in range(3)), tf.int64)
    ds = src.cache().repeat(3).prefetch(tf.data.experimental.AUTOTUNE)
    assert [int(v) for v in _values(ds)] == [0, 1, 2] * 3
    assert len(seen) == 3  # the generator ran once


def test_prefetch_uses_a_background_thread():
    names = []

    def gen():
        for i in range(3):
            names.append(threading.current_thread().name)
            yield i

    ds = tf.data.Dataset.from_generator(gen, tf.int64).prefetch(1)
    assert [int(v) for v in _values(ds)] == [0, 1, 2]
    assert all(n == "tf.data prefetch" for n in names)


def test_initializable_iterator_with_placeholders_and_reinit():
    ph = tf.placeholder(tf.float32, [None])
    ds = tf.data.Dataset.from_tensor_slices(ph).map(lambda v: v + 1.0).batch(2)
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as s:
        with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
            s.run(nxt)
        s.run(it.initializer, {ph: [1.0, 2.0, 3.0]})
        assert [v.tolist() for v in _drain(nxt, s)] == [[2.0, 3.0], [4.0]]
        with pytest.raises(tf.errors.OutOfRangeError):
            s.run(nxt)
        s.run(it.initializer, {ph: [10.0]})
        assert s.run(nxt).tolist() == [11.0]


def test_reinitializable_iterator_from_structure():
    train = tf.data.Dataset.range(4).map(lambda v: tf.cast(v, tf.float32))
    valid = tf.data.Dataset.range(10, 12).map(lambda v: tf.cast(v, tf.float32))
    it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    nxt = it.get_next()
    init_t, init_v = it.make_initializer(train), it.make_initializer(valid)
    with pytest.raises(TypeError, match="do not match"):
        it.make_initializer(tf.data.Dataset.range(3))
    with tf.Session() as s:
        s.run(init_t)
        assert [float(v) for v in _drain(nxt, s)] == [0.0, 1.0, 2.0, 3.0]
        s.run(init_v)
        assert [float(v) for v in _drain(nxt, s)] == [10.0, 11.0]


def test_get_next_feeds_a_training_step():
    x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(-1, 1)
    y = 3.0 * x
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
    xb, yb = tf.compat.v1.data.make_one_shot_iterator(ds).get_next()
    w = tf.Variable(np.zeros((1, 1), np.float32))
    loss = tf.reduce_mean(tf.square(tf.matmul(xb, w) - yb))
    step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for _ in range(60):
            s.run(step)
        assert abs(float(s.run(w)[0, 0]) - 3.0) < 1e-2


def test_one_element_per_run_for_all_outputs_of_one_get_next():
    ds = tf.data.Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 10))
    a, b = ds.make_one_shot_iterator().get_next()
    with tf.Session() as s:
        assert [tuple(map(int, s.run([a, b]))) for _ in range(3)] == [(0, 0), (1, 10), (2, 20)]


def test_bad_inputs_name_the_op():
    with pytest.raises(ValueError, match="same first dimension"):
        tf.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        tf.data.Dataset.range(3).batch(0)
    with pytest.raises(ValueError, match="scalar tf.bool"):
        tf.data.Dataset.range(3).filter(lambda v: v + 1)
    with pytest.raises(ValueError, match="different shapes"):
        ds = tf.data.Dataset.from_generator(
            lambda: iter([np.zeros(2), np.zeros(3)]), tf.float64, [None]
        )
        _values(ds.batch(2))
    with pytest.raises(TypeError, match="Session"):
        iter(tf.data.Dataset.range(2))


def test_matches_real_tf_on_deterministic_pipelines():
    real = pytest.importorskip("tensorflow")
    x = np.arange(12, dtype=np.float32).reshape(6, 2)

    def build(t):
        ds = t.data.Dataset.from_tensor_slices((x, np.arange(6, dtype=np.int64)))
        ds = ds.map(lambda a, b: (a * 2.0 + 1.0, b * 3)).filter(lambda a, b: b > 2)
        ds = ds.repeat(2).skip(1).take(4).batch(3)
        return ds

    ours = _values(build(tf))
    theirs = _real_values(real, lambda: build(real))
    assert len(ours) == len(theirs)
    for (oa, ob), (ta, tb) in zip(ours, theirs, strict=True):
        assert oa.dtype == ta.dtype and ob.dtype == tb.dtype
        np.testing.assert_array_equal(oa, ta)
        np.testing.assert_array_equal(ob, tb)
    theirs = _real_values(
        real,
        lambda: (
            real.data.Dataset.range(1, 5)
            .flat_map(lambda n: real.data.Dataset.from_tensors(real.range(n)))
            .padded_batch(2, padded_shapes=[None])
        ),
    )
    theirs = [v.tolist() for v in theirs]
    tf.reset_default_graph()
    mine = tf.data.Dataset.range(1, 5).flat_map(
        lambda n: tf.data.Dataset.from_tensors(np.arange(int(n), dtype=np.int64))
    )
    assert [v.tolist() for v in _values(mine.padded_batch(2, padded_shapes=[None]))] == theirs
