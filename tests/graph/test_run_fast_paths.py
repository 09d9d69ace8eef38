"""Fast paths of the run path give the bits (and errors) of the general paths they bypass."""

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.kernels import indexing as IX
from duograd.core.kernels import softmax as SM


def _rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_pick_and_pick_grad_rows_match_the_general_path(dt):
    x = _rng().standard_normal((33, 7)).astype(dt)
    lab = _rng().integers(0, 7, 33).astype(np.int64)
    general = np.take_along_axis(x, lab[:, None], -1)[:, 0]
    assert IX.pick(x, lab).tobytes() == general.tobytes()
    # int32 labels take the general path: the same values
    assert IX.pick(x, lab.astype(np.int32)).tobytes() == general.tobytes()
    g = _rng().standard_normal(33).astype(dt)
    want = np.zeros((33, 7), dt)
    np.put_along_axis(want, lab[:, None], g[:, None], -1)
    assert IX.pick_grad(g, lab, 7).tobytes() == want.tobytes()
    assert IX.pick_grad(g, lab.astype(np.int32), 7).tobytes() == want.tobytes()


@pytest.mark.parametrize("bad", [7, -1])
def test_pick_fast_path_reports_a_bad_label_as_the_general_path_does(bad):
    x = np.zeros((4, 7), np.float32)
    lab = np.array([1, 2, bad, 3], np.int64)
    messages = []
    for labels in (lab, lab.astype(np.int32)):  # fast path, general path
        with pytest.raises(IndexError) as e:
            IX.pick(x, labels)
        messages.append(str(e.value))
        with pytest.raises(IndexError) as e:
            IX.pick_grad(np.zeros(4, np.float32), labels, 7)
        messages.append(str(e.value))
    assert messages[0] == messages[2] and messages[1] == messages[3]
    assert f"index {bad} is out of bounds for size 7" in messages[0]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_softmax_rows_match_the_general_path(dt):
    x = _rng().standard_normal((9, 13)).astype(dt)
    x[2, 3] = np.nan
    x[4] = -np.inf
    g = _rng().standard_normal((9, 13)).astype(dt)
    # a 3-D view of the same rows takes the general (reshaping) path
    for fwd, bwd in ((SM.softmax, SM.softmax_grad), (SM.log_softmax, SM.log_softmax_grad)):
        y = fwd(x, -1)
        assert y.tobytes() == fwd(x[None], 2)[0].tobytes()
        assert bwd(y, g, 1).tobytes() == bwd(y[None], g[None], -1)[0].tobytes()


def _mlp_session(opt, optimize=None):
    g = tf.Graph()
    rng = _rng()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 12])
        y = tf.placeholder(tf.int64, [None])
        w1 = tf.Variable(rng.standard_normal((12, 16)).astype(np.float32) * 0.3, name="w1")
        b1 = tf.Variable(np.zeros(16, np.float32), name="b1")
        w2 = tf.Variable(rng.standard_normal((16, 5)).astype(np.float32) * 0.3, name="w2")
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=tf.matmul(h, w2))
        )
        train = opt().minimize(loss)
        sess = tf.Session(graph=g) if optimize is None else tf.Session(graph=g, optimize=optimize)
        sess.run(tf.global_variables_initializer())
    feed = {x: rng.standard_normal((10, 12)).astype(np.float32), y: rng.integers(0, 5, 10)}
    return sess, train, loss, feed, [w1, b1, w2]


_OPTIMIZERS = [
    lambda: tf.train.GradientDescentOptimizer(0.1),
    lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    lambda: tf.train.AdamOptimizer(0.01),
    lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
]


@pytest.mark.parametrize("opt", _OPTIMIZERS)
def test_in_place_steps_give_the_bits_of_copied_steps(opt):
    fast, train, _, feed, ws = _mlp_session(opt)
    # verify mode runs the plain plan beside the optimised one: no in-place update there
    slow, strain, _, sfeed, sws = _mlp_session(opt, optimize={"verify": True})
    before = id(fast._state[ws[0]])  # a peek: _read would hand the array out
    for _ in range(4):
        fast.run(train, feed)
        slow.run(strain, sfeed)
    assert id(fast._state[ws[0]]) == before  # the largest variable was updated in place
    for a, b in zip(fast.run(ws), slow.run(sws), strict=True):
        assert a.tobytes() == b.tobytes()


def test_a_held_or_fetched_value_is_never_changed_by_a_later_step():
    sess, train, _, feed, ws = _mlp_session(_OPTIMIZERS[0])
    held = sess._read(ws[0])
    kept = held.copy()
    _, fetched = sess.run([train, ws[0]], feed)  # the value before this step's update
    assert fetched.tobytes() == kept.tobytes()
    sess.run(train, feed)
    assert held.tobytes() == kept.tobytes()  # someone holds it: it was copied, not updated
    assert sess._read(ws[0]).tobytes() != kept.tobytes()


def test_a_broadcast_only_fused_group_matches_the_plain_plan():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        loss = tf.reduce_mean(x * x)
        (grad,) = tf.gradients(loss, [x])
    v = _rng().standard_normal(37).astype(np.float32)
    got = tf.Session(graph=g).run(grad, {x: v})
    want = tf.Session(graph=g, optimize=False).run(grad, {x: v})
    assert got.tobytes() == want.tobytes()
