"""Optimizers (against TF's update formulas written in numpy), the global step, the Saver."""

import os

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.checkpoint import CheckpointError

W0 = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
XS = np.random.RandomState(0).randn(4, 6, 2).astype(np.float32)


def quad_problem():
    """loss = mean((x @ w)^2); returns (x, w, loss) and numpy's gradient function."""
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable(W0, name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))

    def grad(xv, wv):
        y = xv.astype(np.float64) @ wv
        return 2 * xv.T.astype(np.float64) @ y / y.size

    return x, w, loss, grad


def train(opt, steps=4, **minimize_kw):
    x, w, loss, grad = quad_problem()
    op = opt.minimize(loss, **minimize_kw)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(steps):
            sess.run(op, {x: XS[i]})
            out.append(sess.run(w))
    return out, grad, opt, w


def test_gradient_descent_matches_formula():
    got, grad, _, _ = train(tf.train.GradientDescentOptimizer(0.1))
    w = W0.astype(np.float64)
    for i in range(4):
        w = w - 0.1 * grad(XS[i], w)
        np.testing.assert_allclose(got[i], w, rtol=1e-5)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_tf_formula(nesterov):
    got, grad, opt, wv = train(tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=nesterov))
    w, acc = W0.astype(np.float64), np.zeros((2, 2))
    for i in range(4):
        g = grad(XS[i], w)
        acc = 0.9 * acc + g
        w = w - 0.05 * (g + 0.9 * acc if nesterov else acc)
        np.testing.assert_allclose(got[i], w, rtol=1e-5)
    assert opt.get_slot_names() == ["momentum"]
    assert opt.get_slot(wv, "momentum").name == "w/Momentum:0"


@pytest.mark.parametrize("eps_mode", ["tf", "torch"])
def test_adam_matches_formula(eps_mode):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-3
    opt = tf.train.AdamOptimizer(lr, b1, b2, eps, eps_mode=eps_mode)
    got, grad, opt, wv = train(opt)
    w, m, v = W0.astype(np.float64), np.zeros((2, 2)), np.zeros((2, 2))
    for t in range(1, 5):
        g = grad(XS[t - 1], w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if eps_mode == "tf":
            lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            w = w - lr_t * m / (np.sqrt(v) + eps)
        else:
            w = w - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
        np.testing.assert_allclose(got[t - 1], w, rtol=1e-5)
    assert opt.get_slot_names() == ["m", "v"]
    assert [opt.get_slot(wv, s).name for s in ("m", "v")] == ["w/Adam:0", "w/Adam_1:0"]


def test_rmsprop_matches_tf1_formula():
    lr, decay, mom, eps = 0.01, 0.9, 0.5, 1e-6
    got, grad, opt, wv = train(tf.train.RMSPropOptimizer(lr, decay, mom, eps))
    w, ms, mo = W0.astype(np.float64), np.ones((2, 2)), np.zeros((2, 2))
    for i in range(4):
        g = grad(XS[i], w)
        ms = decay * ms + (1 - decay) * g * g
        mo = mom * mo + lr * g / np.sqrt(ms + eps)
        w = w - mo
        np.testing.assert_allclose(got[i], w, rtol=1e-5)
    assert opt.get_slot_names() == ["momentum", "rms"]


def test_global_step_and_learning_rate_placeholder():
    x, w, loss, grad = quad_problem()
    gs = tf.train.get_or_create_global_step()
    assert tf.train.get_global_step() is gs and gs.dtype == tf.int64
    assert tf.train.get_or_create_global_step() is gs
    lr = tf.placeholder(tf.float32, [], name="lr")
    op = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, {x: XS[0], lr: 0.0})
        np.testing.assert_array_equal(sess.run(w), W0)
        sess.run(op, {x: XS[0], lr: 0.5})
        np.testing.assert_allclose(sess.run(w), W0 - 0.5 * grad(XS[0], W0), rtol=1e-5)
        assert sess.run(gs) == 2 and tf.train.global_step(sess, gs) == 2


def test_compute_then_apply_with_clipping():
    x, w, loss, grad = quad_problem()
    opt = tf.train.GradientDescentOptimizer(1.0)
    gvs = opt.compute_gradients(loss)
    assert gvs[0][1] is w
    clipped = [(tf.clip_by_value(g, -0.01, 0.01), v) for g, v in gvs]
    op = opt.apply_gradients(clipped)
    with tf.Session() as sess:
        sess.run(w.initializer)
        sess.run(op, {x: XS[0]})
        np.testing.assert_allclose(
            sess.run(w), W0 - np.clip(grad(XS[0], W0), -0.01, 0.01), rtol=1e-5
        )


def test_optimizer_errors():
    c = tf.reduce_sum(tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="No variables to optimize"):
        tf.train.GradientDescentOptimizer(0.1).minimize(c)
    v = tf.Variable(1.0)
    unrelated = tf.Variable(2.0)
    with pytest.raises(ValueError, match="No gradients provided"):
        tf.train.GradientDescentOptimizer(0.1).minimize(c + 0.0 * 0.0, var_list=[v])
    # a variable without a gradient is skipped when others have one
    op = tf.train.GradientDescentOptimizer(0.5).minimize(v * 2.0, var_list=[v, unrelated])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        assert sess.run([v, unrelated]) == [0.0, 2.0]


def test_failed_training_step_leaves_variables_and_slots_intact():
    x = tf.placeholder(tf.float32, None, name="x")
    w = tf.Variable(np.ones(2, np.float32), name="w")
    loss = tf.reduce_sum(w * x)  # x's shape is only checked when the graph runs
    opt = tf.train.AdamOptimizer(0.1)
    op = opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, {x: np.ones(2, np.float32)})
        before = sess.run([w, opt.get_slot(w, "m"), opt.get_slot(w, "v")])
        with pytest.raises(ValueError):
            sess.run(op, {x: np.ones(3, np.float32)})
        after = sess.run([w, opt.get_slot(w, "m"), opt.get_slot(w, "v")])
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def test_exponential_decay():
    gs = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, gs, 10, 0.5)
    lr_stair = tf.train.exponential_decay(0.1, gs, 10, 0.5, staircase=True)
    with tf.Session() as sess:
        sess.run(gs.initializer)
        gs.load(15, sess)
        np.testing.assert_allclose(sess.run(lr), 0.1 * 0.5**1.5, rtol=1e-6)
        np.testing.assert_allclose(sess.run(lr_stair), 0.05, rtol=1e-6)


def test_saver_round_trip_and_latest_checkpoint(tmp_path):
    w = tf.Variable(np.arange(4, dtype=np.float32).reshape(2, 2), name="w")
    step = tf.Variable(0, name="step", dtype=tf.int64)
    inc = tf.group(w.assign_add(tf.ones([2, 2])), step.assign_add(1))
    saver = tf.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model.ckpt")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = []
        for _ in range(3):
            sess.run(inc)
            paths.append(saver.save(sess, prefix, global_step=step))
        final = sess.run(w)
    assert paths == [prefix + "-1", prefix + "-2", prefix + "-3"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix + "-3"
    assert not os.path.exists(paths[0] + ".npz")  # max_to_keep=2 dropped the oldest
    assert saver.last_checkpoints == paths[1:]
    with tf.Session() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
        np.testing.assert_array_equal(sess.run(w), final)
        assert sess.run(step) == 3
        saver.restore(sess, paths[1])
        assert sess.run(step) == 2


def test_saver_var_list_dict_and_errors(tmp_path):
    a = tf.Variable([1.0, 2.0], name="a")
    b = tf.Variable([3.0], name="b")
    path = str(tmp_path / "ck")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver({"renamed": a}).save(sess, path)
        with pytest.raises(tf.errors.FailedPreconditionError):
            tf.train.Saver([tf.Variable(0.0, name="never_initialized")]).save(sess, path + "x")
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(a.assign([9.0, 9.0]))
        with pytest.raises(tf.errors.NotFoundError, match="Key a not found"):
            tf.train.Saver([a, b]).restore(sess, path)  # the file only holds "renamed"
        np.testing.assert_array_equal(sess.run(a), [9.0, 9.0])  # nothing changed
        with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
            tf.train.Saver({"renamed": b}).restore(sess, path)
        tf.train.Saver({"renamed": a}).restore(sess, path)
        np.testing.assert_array_equal(sess.run(a), [1.0, 2.0])
        with pytest.raises(tf.errors.NotFoundError):
            tf.train.Saver([a]).restore(sess, str(tmp_path / "missing"))
    (tmp_path / "bad.npz").write_bytes(b"not a checkpoint")
    with tf.Session() as sess:
        with pytest.raises(CheckpointError):
            tf.train.Saver([a]).restore(sess, str(tmp_path / "bad"))
    with pytest.raises(ValueError, match="same name"):
        tf.train.Saver([a, a])
