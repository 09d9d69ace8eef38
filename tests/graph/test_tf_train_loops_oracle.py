"""tf.train decays, maybe_* batchers, limit_epochs, match_filenames_once, assert_global_step,
GlobalStepWaiterHook, LooperThread, SessionManager, Supervisor and basic_train_loop against real
TF (tf.compat.v1, graph mode)."""

from __future__ import annotations

import threading

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")
tf1 = real_tf.compat.v1


def _decays(tf):
    with tf.Graph().as_default():
        step = tf.placeholder(tf.int64, [])
        lr = tf.train.piecewise_constant_decay(step, [3, 7], [1.0, 0.5, 0.1])
        noisy = tf.train.noisy_linear_cosine_decay(0.1, step, 10, initial_variance=0.0)
        with tf.Session() as sess:
            return [sess.run([lr, noisy], {step: s}) for s in range(0, 12, 2)]


def test_decays_match_tf():
    ours, theirs = _decays(dg), _decays(tf1)
    np.testing.assert_allclose(np.array(ours, float), np.array(theirs, float), rtol=1e-6)


def _batchers(tf):
    with tf.Graph().as_default():
        x = tf.train.limit_epochs(tf.constant([1.0, 2.0]), num_epochs=3)
        with tf.train.MonitoredSession() as sess:
            got = []
            while not sess.should_stop():
                got.append(sess.run(x))
    with tf.Graph().as_default():
        keep_b = tf.train.maybe_batch_join([[tf.constant(1.0)], [tf.constant(2.0)]], True, 4)
        s = tf.train.maybe_shuffle_batch([tf.constant([3.0, 4.0])], 2, 10, 2, True, seed=1)
        sj = tf.train.maybe_shuffle_batch_join([[tf.constant(5.0)]], 3, 10, 1, True, seed=1)
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            seen = [
                set(np.ravel(sess.run(keep_b)).tolist()) <= {1.0, 2.0},
                sess.run(s[0]).shape,
                np.ravel(sess.run(sj)).tolist(),
            ]
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=5)
    return got, seen


def test_limit_epochs_and_maybe_batchers_match_tf():
    ours, theirs = _batchers(dg), _batchers(tf1)
    assert len(ours[0]) == len(theirs[0]) == 3
    for a, b in zip(ours[0], theirs[0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert ours[1][0] == theirs[1][0] and ours[1][1] == theirs[1][1]
    assert ours[1][2] == theirs[1][2] == [5.0, 5.0, 5.0]


def test_match_filenames_once_and_assert_global_step(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text("x")
    pattern = str(tmp_path / "*.txt")
    ours = dg.train.match_filenames_once(pattern)
    with tf1.Graph().as_default():
        t = tf1.train.match_filenames_once(pattern)
        with tf1.Session() as sess:
            sess.run(tf1.local_variables_initializer())
            theirs = [p.decode() for p in sess.run(t)]
    assert ours == sorted(theirs)
    for tf in (dg, tf1):
        with tf.Graph().as_default():
            tf.train.assert_global_step(tf.train.get_or_create_global_step())
            with pytest.raises(TypeError, match="integer type"):
                tf.train.assert_global_step(tf.Variable(1.0))


def test_global_step_waiter_hook_waits_for_another_thread():
    with dg.Graph().as_default():
        step = dg.train.get_or_create_global_step()
        inc = dg.assign_add(step, 1)
        hook = dg.train.GlobalStepWaiterHook(3)
        with dg.train.MonitoredSession(hooks=[hook]) as sess:
            raw = sess._sess  # the plain session under the hooks
            done = []

            def worker():
                done.append(sess.run(step))

            t = threading.Thread(target=worker)
            t.start()
            t.join(0.3)
            assert t.is_alive()  # held: the step is 0 < 3
            for _ in range(3):
                raw.run(inc)
            t.join(5)
            assert not t.is_alive() and done and int(done[0]) >= 3


def test_looper_thread_runs_until_stop():
    coord = dg.train.Coordinator()
    calls = []
    t = dg.train.LooperThread.loop(coord, 0.01, calls.append, args=(1,))
    while len(calls) < 3:
        pass
    coord.request_stop()
    coord.join([t])
    assert not t.is_alive() and calls[:3] == [1, 1, 1]


def _supervised(tf, logdir):
    with tf.Graph().as_default():
        w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.1).minimize(
            tf.reduce_sum(tf.square(w)), global_step=step
        )
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=0, save_summaries_secs=0)
        count = []

        def step_fn(sess):
            sess.run(train)
            count.append(1)
            return len(count) >= 4

        tf.train.basic_train_loop(sv, step_fn)
        sv2 = tf.train.Supervisor(logdir=logdir, save_model_secs=0, save_summaries_secs=0)
        with sv2.managed_session() as sess:
            restored = sess.run([w, step])
            assert not sv2.should_stop()
        sm = tf.train.SessionManager()
        sess = sm.prepare_session("", saver=tf.train.Saver(), checkpoint_dir=logdir)
        again = sess.run(w)
        sess.close()
    return restored, again


def _reference(tf):
    with tf.Graph().as_default():
        w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
        train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(tf.square(w)))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(4):
                sess.run(train)
            return sess.run(w)


def test_supervisor_and_session_manager_train_and_restore_like_tf(tmp_path):
    # real TF's Supervisor blocks in this test process (a second Supervisor on one graph), so
    # the reference is the same four steps in a plain real-TF session
    ours = _supervised(dg, str(tmp_path / "dg"))
    theirs = _reference(tf1)
    np.testing.assert_allclose(ours[0][0], theirs, rtol=1e-6)
    assert int(ours[0][1]) == 4
    np.testing.assert_array_equal(ours[1], ours[0][0])
    assert dg.train.latest_checkpoint(str(tmp_path / "dg")).endswith("model.ckpt-4")
    with dg.Graph().as_default():
        dg.Variable(1.0)
        with pytest.raises(RuntimeError, match="not initialized and no init_op"):
            dg.train.SessionManager().prepare_session("")
