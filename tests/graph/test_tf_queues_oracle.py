"""TF1 queues, queue runners, input producers, batching, readers and decode_csv, against real
TensorFlow (compat.v1 graph mode): the same program in both, the same values and errors."""

from __future__ import annotations

import threading
import time

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


def _both(ref, program, *args):
    with ref.Graph().as_default():
        theirs = program(ref, *args)
    with dg.Graph().as_default():
        ours = program(dg, *args)
    return ours, theirs


def _same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        if isinstance(b, str):
            assert a == b
            continue
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, (a, b)
        np.testing.assert_array_equal(a, b)


def _fifo(tf):
    q = tf.FIFOQueue(5, [tf.float32, tf.int32], shapes=[[2], []])
    many = q.enqueue_many([np.arange(8, dtype=np.float32).reshape(4, 2), [1, 2, 3, 4]])
    one = q.enqueue([tf.constant([9.0, 10.0]), tf.constant(5)])
    x, y = q.dequeue()
    xs, ys = q.dequeue_many(2)
    us, vs = q.dequeue_up_to(3)
    size = q.size()
    out = []
    with tf.Session() as s:
        s.run(many)
        s.run(one)
        out.append(s.run(size))
        out.extend(s.run([x, y + 1]))
        out.extend(s.run([xs, ys]))
        s.run(q.close())
        out.append(s.run(q.is_closed()))
        out.extend(s.run([us, vs]))
        for fetch in (x, xs, us):
            with pytest.raises(tf.errors.OutOfRangeError):
                s.run(fetch)
        with pytest.raises(tf.errors.CancelledError):
            s.run(one)
        out.append(s.run(size))
    return out


def test_fifo_queue_matches_real_tf(ref):
    _same(*_both(ref, _fifo))


def _padding(tf):
    q = tf.PaddingFIFOQueue(10, [tf.int32, tf.float32], shapes=[[None], [None, 2]])
    a = tf.placeholder(tf.int32, [None])
    b = tf.placeholder(tf.float32, [None, 2])
    enq = q.enqueue([a, b])
    xs, ys = q.dequeue_many(3)
    with tf.Session() as s:
        for n in (1, 3, 2):
            s.run(enq, {a: np.arange(n) + 1, b: np.full((n, 2), n, np.float32)})
        return s.run([xs, ys])


def test_padding_fifo_queue_pads_like_real_tf(ref):
    _same(*_both(ref, _padding))


def _shuffle(tf):
    q = tf.RandomShuffleQueue(20, 4, [tf.int64], shapes=[[]], seed=7)
    enq = q.enqueue_many([np.arange(10, dtype=np.int64)])
    many = q.dequeue_many(6)
    one = q.dequeue()
    out = []
    with tf.Session() as s:
        s.run(enq)
        got = list(s.run(many))
        size_left = s.run(q.size())
        s.run(q.close())
        while True:
            try:
                got.append(s.run(one))
            except tf.errors.OutOfRangeError:
                break
    out.append(size_left)
    out.append(np.sort(np.array(got)))
    return out


def test_random_shuffle_queue_keeps_min_after_dequeue_and_drains_when_closed(ref):
    ours, theirs = _both(ref, _shuffle)
    _same(ours, theirs)
    assert list(ours[1]) == list(range(10))


def _blocking_dequeue_waits(tf):
    q = tf.FIFOQueue(3, tf.float32, shapes=[[]])
    enq = q.enqueue(tf.constant(4.0))
    v = q.dequeue()
    with tf.Session() as s:
        got = []
        t = threading.Thread(target=lambda: got.append(s.run(v)))
        t.start()
        time.sleep(0.2)
        waited = t.is_alive()
        s.run(enq)
        t.join(10)
        return [waited, got[0]]


def test_blocking_dequeue_waits_for_an_enqueue(ref):
    _same(*_both(ref, _blocking_dequeue_waits))


def test_blocking_dequeue_does_not_hold_the_session_for_other_runs():
    """A dequeue waiting on an empty queue lets training steps of other threads run."""
    q = dg.FIFOQueue(2, dg.float32, shapes=[[]])
    waiting = q.dequeue()
    w = dg.Variable(1.0)
    step = dg.assign_add(w, 1.0)
    with dg.Session() as s:
        s.run(w.initializer)
        ended = []

        def pull():
            try:
                s.run(waiting)
            except dg.errors.OutOfRangeError as e:
                ended.append(e)

        t = threading.Thread(target=pull, daemon=True)
        t.start()
        time.sleep(0.1)
        for _ in range(5):
            s.run(step)
        assert s.run(w) == 6.0 and t.is_alive()
        s.run(q.close())
        t.join(5)
        assert not t.is_alive() and len(ended) == 1


def test_closing_the_session_ends_a_blocked_dequeue():
    q = dg.FIFOQueue(2, dg.float32, shapes=[[]])
    v = q.dequeue()
    s = dg.Session()
    errs = []

    def pull():
        try:
            s.run(v)
        except dg.errors.CancelledError as e:
            errs.append(e)

    t = threading.Thread(target=pull, daemon=True)
    t.start()
    time.sleep(0.1)
    s.close()
    t.join(5)
    assert not t.is_alive() and len(errs) == 1


def test_bad_queue_arguments_name_the_queue_and_value():
    q = dg.FIFOQueue(4, [dg.float32], shapes=[[2]])
    with pytest.raises(ValueError, match="got 2 components for a queue of 1"):
        q.enqueue([1.0, 2.0])
    with pytest.raises(ValueError, match="shapes has 1 entries but dtypes has 2"):
        dg.FIFOQueue(4, [dg.float32, dg.int32], shapes=[[2]])
    with pytest.raises(ValueError, match="min_after_dequeue=5 must be >= 0 and below capacity"):
        dg.RandomShuffleQueue(5, 5, [dg.float32])
    bad = q.enqueue([dg.constant([1.0, 2.0, 3.0])])
    with dg.Session() as s, pytest.raises(dg.errors.InvalidArgumentError, match=r"shape \(2,\)"):
        s.run(bad)


# ---- producers and batching -------------------------------------------------------------------


def _drain(tf, fetches, init_local=True):
    out = []
    with tf.Session() as s:
        if init_local:
            s.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=s, coord=coord)
        try:
            while not coord.should_stop():
                out.append(s.run(fetches))
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads)
    return out


def _range_batches(tf):
    idx = tf.train.range_input_producer(7, num_epochs=2, shuffle=False).dequeue()
    b = tf.train.batch([idx * 10], batch_size=3, allow_smaller_final_batch=True)
    return _drain(tf, b)


def test_range_producer_and_batch_with_a_smaller_final_batch(ref):
    _same(*_both(ref, _range_batches))


def _slice_batches(tf):
    xs = np.arange(12, dtype=np.float32).reshape(6, 2)
    ys = np.arange(6, dtype=np.int64)
    x, y = tf.train.slice_input_producer([xs, ys], num_epochs=1, shuffle=False)
    got = tf.train.batch({"x": x, "y": y}, batch_size=2)
    return [v for d in _drain(tf, got) for v in (d["x"], d["y"])]


def test_slice_producer_and_dict_batch(ref):
    _same(*_both(ref, _slice_batches))


def _shuffled(tf):
    x = tf.train.slice_input_producer([np.arange(30, dtype=np.int32)], num_epochs=1, seed=3)[0]
    b = tf.train.shuffle_batch([x], batch_size=4, capacity=20, min_after_dequeue=5, seed=4,
                               allow_smaller_final_batch=True)  # fmt: skip
    got = _drain(tf, b)
    return [len(got), np.sort(np.concatenate(got))]


def test_shuffle_batch_gives_every_element_once(ref):
    ours, theirs = _both(ref, _shuffled)
    _same(ours, theirs)
    assert list(ours[1]) == list(range(30))


def _joined(tf):
    a = tf.train.range_input_producer(4, num_epochs=1, shuffle=False).dequeue()
    b = tf.train.range_input_producer(3, num_epochs=1, shuffle=False).dequeue()
    j = tf.train.batch_join([[a], [b + 100]], batch_size=7)
    return [np.sort(x) for x in _drain(tf, j)]


def test_batch_join_merges_its_inputs(ref):
    _same(*_both(ref, _joined))


def _maybe(tf):
    a = tf.train.range_input_producer(9, num_epochs=1, shuffle=False).dequeue()
    k = tf.train.maybe_batch([a], keep_input=tf.equal(tf.floormod(a, 3), 0), batch_size=2,
                             allow_smaller_final_batch=True)  # fmt: skip
    return _drain(tf, k)


def test_maybe_batch_keeps_only_kept_elements(ref):
    _same(*_both(ref, _maybe))


def _sjoin(tf):
    a = tf.train.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()
    b = tf.train.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()
    j = tf.train.shuffle_batch_join([[a], [b + 10]], batch_size=5, capacity=20,
                                    min_after_dequeue=2, seed=1)  # fmt: skip
    return [np.sort(np.concatenate(_drain(tf, j)))]


def test_shuffle_batch_join_gives_every_element_once(ref):
    _same(*_both(ref, _sjoin))


def test_num_epochs_needs_the_local_variables_initialized():
    q = dg.train.range_input_producer(3, num_epochs=1)
    del q
    with dg.Session() as s:
        qr = s.graph.get_collection(dg.GraphKeys.QUEUE_RUNNERS)[0]
        with pytest.raises(dg.errors.FailedPreconditionError, match="local_variables_initializer"):
            s.run(qr.enqueue_ops[0])


def test_batch_needs_full_shapes():
    x = dg.placeholder(dg.float32, [None])
    with pytest.raises(ValueError, match="shapes must be fully defined"):
        dg.train.batch([x], batch_size=2)


# ---- readers and decode_csv ---------------------------------------------------------------------

CSV_A = 'a,b,c\n1,2.5,x\n2,,y\n3,4.5,"q,z"\n'
CSV_B = "a,b,c\n4,1e3,w\n"


def _csv(tf, d):
    files = []
    for k, text in enumerate((CSV_A, CSV_B)):
        p = d / f"f{k}.csv"
        p.write_text(text)
        files.append(str(p))
    q = tf.train.string_input_producer(files, num_epochs=2, shuffle=False)
    reader = tf.TextLineReader(skip_header_lines=1)
    _, line = reader.read(q)
    a, b, _c = tf.io.decode_csv(line, record_defaults=[[0], [-1.0], [""]])
    xs = tf.train.batch([a, b * 2.0], batch_size=4, allow_smaller_final_batch=True)
    return [v for row in _drain(tf, xs) for v in row]


def test_text_line_reader_and_decode_csv(ref, tmp_path):
    _same(*_both(ref, _csv, tmp_path))


def _csv_const(tf):
    recs = ["1,2.5", "7,"]
    a, b = tf.decode_csv(recs, record_defaults=[[0], [9.0]])
    with tf.Session() as s:
        return s.run([a, b])


def test_decode_csv_on_constant_records(ref):
    _same(*_both(ref, _csv_const))


def test_decode_csv_errors_name_the_field(tmp_path):
    a, b = dg.decode_csv(["1,2"], record_defaults=[[0], [0.0]])
    with pytest.raises(dg.errors.InvalidArgumentError, match="Expect 2 fields but have 3"):
        dg.decode_csv(["1,2,3"], record_defaults=[[0], [0.0]])
    with pytest.raises(dg.errors.InvalidArgumentError, match="Field 1 is required"):
        dg.decode_csv(["1,"], record_defaults=[[0], []])
    with pytest.raises(dg.errors.InvalidArgumentError, match="not a valid int32"):
        dg.decode_csv(["x,1"], record_defaults=[[0], [0.0]])


def _whole_files(tf, d):
    files = []
    for k in range(3):
        p = d / f"w{k}.bin"
        p.write_bytes(np.arange(k + 1, dtype=np.int32).tobytes())
        files.append(str(p))
    q = tf.train.string_input_producer(files, num_epochs=1, shuffle=False)
    _, value = tf.WholeFileReader().read(q)
    v = tf.decode_raw(value, tf.int32)
    return [x for x in _drain(tf, tf.reduce_sum(v) + tf.size(v))]


def test_whole_file_reader(ref, tmp_path):
    _same(*_both(ref, _whole_files, tmp_path))


def test_reader_of_a_missing_file_raises_not_found(tmp_path):
    q = dg.train.string_input_producer([str(tmp_path / "nope.tfrecord")], shuffle=False)
    _, value = dg.TFRecordReader().read(q)
    v = dg.decode_raw(value, dg.int32)
    with dg.Session() as s:
        s.run(s.graph.get_collection("queue_runners")[0].enqueue_ops[0])
        with pytest.raises(dg.errors.NotFoundError, match="nope.tfrecord"):
            s.run(v)


def test_coordinator_clean_stop_and_errors():
    coord = dg.train.Coordinator()
    coord.request_stop(dg.errors.OutOfRangeError(None, None, "end"))
    coord.join([])  # a clean stop: nothing re-raised
    coord = dg.train.Coordinator()
    with coord.stop_on_exception():
        raise ValueError("boom")
    with pytest.raises(ValueError, match="boom"):
        coord.join([])
