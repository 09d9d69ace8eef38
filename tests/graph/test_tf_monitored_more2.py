"""tf.train.MonitoredSession, MonitoredTrainingSession and the session-run hooks against real
TensorFlow (compat.v1, graph mode): steps run, values logged, checkpoints and summaries
written, restore on restart."""

import logging
import os

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

R = np.random.RandomState(3)
XS = R.uniform(-1, 1, (16, 3)).astype(np.float32)
YS = (XS @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _model(tf):
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.get_variable("w", initializer=tf.constant(np.full((3, 1), 0.1, np.float32)))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return x, y, w, loss, step, train


def _train(tf, folder, hooks_fn, **kw):
    x, y, w, loss, step, train = _model(tf)
    tf.summary.scalar("loss", loss)
    hooks = hooks_fn(tf, loss)
    losses = []
    with tf.train.MonitoredTrainingSession(checkpoint_dir=folder, hooks=hooks, **kw) as sess:
        while not sess.should_stop():
            _, lv = sess.run([train, loss], {x: XS, y: YS})
            losses.append(lv)
    return losses


def test_stop_at_step_checkpoints_and_restore(ref, tmp_path):
    runs = {}
    for name, tf in (("tf", ref), ("dg", dg)):
        folder = str(tmp_path / name)
        first = _train(
            tf, folder, lambda tf, loss: [tf.train.StopAtStepHook(last_step=5)],
            save_checkpoint_steps=2, save_summaries_steps=2,
        )  # fmt: skip
        # a second session restores the saved step and runs up to num_steps more
        second = _train(tf, folder, lambda tf, loss: [tf.train.StopAtStepHook(num_steps=3)])
        ckpt = tf.train.latest_checkpoint(folder)
        runs[name] = (first, second, os.path.basename(ckpt))
        assert any(f.startswith("events.") for f in os.listdir(folder))
    (tf1, tf2, tfc), (dg1, dg2, dgc) = runs["tf"], runs["dg"]
    assert len(dg1) == len(tf1) == 5 and len(dg2) == len(tf2) == 3
    np.testing.assert_allclose(dg1, tf1, rtol=1e-5)
    np.testing.assert_allclose(dg2, tf2, rtol=1e-5)
    assert dgc == tfc == "model.ckpt-8"


def test_plain_monitored_session_hooks_and_run_values(ref):
    class Recorder:
        def __init__(self, tf, loss):
            base = tf.train.SessionRunHook
            seen = self.seen = []

            class Hook(base):
                def begin(self):
                    seen.append("begin")

                def after_create_session(self, session, coord):
                    seen.append("created")

                def before_run(self, ctx):
                    return tf.train.SessionRunArgs({"loss": loss})

                def after_run(self, ctx, values):
                    seen.append(round(float(values.results["loss"]), 5))
                    if len(seen) == 5:
                        ctx.request_stop()

                def end(self, session):
                    seen.append("end")

            self.hook = Hook()

    out = {}
    for name, tf in (("tf", ref), ("dg", dg)):
        x, y, w, loss, step, train = _model(tf)
        rec = Recorder(tf, loss)
        final = tf.train.FinalOpsHook(w)
        n = 0
        with tf.train.MonitoredSession(hooks=[rec.hook, final]) as sess:
            while not sess.should_stop():
                sess.run(train, {x: XS, y: YS})
                n += 1
        out[name] = (rec.seen, n, final.final_ops_values)
    assert out["dg"][0] == out["tf"][0]
    assert out["dg"][1] == out["tf"][1] == 3
    np.testing.assert_allclose(out["dg"][2], out["tf"][2], rtol=1e-5)


def test_logging_tensor_hook_and_feed_fn(ref):
    records = []

    class Grab(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    h = Grab()
    log = logging.getLogger("duograd.tf")
    old = log.level
    log.addHandler(h)
    log.setLevel(logging.INFO)
    try:
        x, y, w, loss, step, train = _model(dg)
        hooks = [
            dg.train.LoggingTensorHook({"loss": loss, "step": step}, every_n_iter=2),
            dg.train.FeedFnHook(lambda: {x: XS, y: YS}),
            dg.train.StopAtStepHook(num_steps=4),
        ]
        with dg.train.SingularMonitoredSession(hooks=hooks) as sess:
            while not sess.should_stop():
                sess.run(train)
            assert int(sess.raw_session().run(step)) == 4
    finally:
        log.removeHandler(h)
        log.setLevel(old)
    logged = [r for r in records if r.startswith("loss = ")]
    assert len(logged) == 2 and "step = 0" in logged[0] and "step = 2" in logged[1]


def test_nan_hook_and_out_of_range_end_the_loop(ref):
    x, y, w, loss, step, train = _model(dg)
    with pytest.raises(dg.train.NanLossDuringTrainingError):
        with dg.train.MonitoredSession(hooks=[dg.train.NanTensorHook(loss / 0.0 * 0.0)]) as sess:
            sess.run(train, {x: XS, y: YS})
    x, y, w, loss, step, train = _model(dg)
    batches = iter([XS[:4], XS[4:8]])

    n = 0
    with dg.train.MonitoredSession() as sess:
        while not sess.should_stop():
            try:
                b = next(batches)
            except StopIteration:
                raise dg.errors.OutOfRangeError(None, None, "end of input") from None
            sess.run(train, {x: b, y: YS[:4]})
            n += 1
    assert n == 2 and sess.should_stop()


def test_hooks_need_a_global_step():
    dg.reset_default_graph()
    v = dg.Variable(1.0)
    with pytest.raises(RuntimeError, match="Global step should be created"):
        dg.train.MonitoredSession(hooks=[dg.train.StopAtStepHook(last_step=3)])
    assert v is not None
