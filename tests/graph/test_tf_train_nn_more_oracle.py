"""AdagradDAOptimizer, ExponentialMovingAverage, get_checkpoint_state, nce_loss,
sampled_softmax_loss and batch_norm_with_global_normalization against real TensorFlow
(compat.v1 graph mode): values, gradients and training trajectories."""

import os

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


R = np.random.RandomState(7)
W0 = R.uniform(-1, 1, (4, 3)).astype(np.float32)
X = R.uniform(-1, 1, (5, 4)).astype(np.float32)
Y = R.uniform(-1, 1, (5, 3)).astype(np.float32)


def _train(tf, make_opt, steps=4):
    with tf.Graph().as_default():
        w = tf.Variable(W0, name="w")
        loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X), w) - Y))
        gs = tf.train.get_or_create_global_step()
        opt = make_opt(tf, gs)
        train = opt.minimize(loss, global_step=gs)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(steps):
                s.run(train)
            return s.run([w, gs])


@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.01, 0.02)])
def test_adagrad_da_matches_real_tf(ref, l1, l2):
    def make(tf, gs):
        return tf.train.AdagradDAOptimizer(
            0.3, gs, l1_regularization_strength=l1, l2_regularization_strength=l2
        )

    ours, theirs = _train(dg, make), _train(ref, make)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
    assert ours[1] == theirs[1] == 4


def _ema(tf, num_updates):
    with tf.Graph().as_default():
        w = tf.Variable(W0, name="w")
        t = tf.reduce_sum(tf.constant(X), 0) * 1.0
        step = tf.Variable(0, trainable=False, name="n")
        ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step if num_updates else None)
        bump = tf.assign_add(w, tf.ones_like(w))
        op = ema.apply([w, t])
        inc = tf.assign_add(step, 1)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(3):
                s.run(bump)
                s.run(op)
                s.run(inc)
            names = sorted(ema.variables_to_restore())
            return s.run([ema.average(w), ema.average(t)]), ema.average_name(w), names


@pytest.mark.parametrize("num_updates", [False, True])
def test_exponential_moving_average_matches_real_tf(ref, num_updates):
    ours, theirs = _ema(dg, num_updates), _ema(ref, num_updates)
    for a, b in zip(ours[0], theirs[0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert ours[1] == theirs[1] == "w/ExponentialMovingAverage"
    assert ours[2] == theirs[2]


def test_get_checkpoint_state_reads_the_saver_state_file(ref, tmp_path):
    for tf, sub in ((dg, "ours"), (ref, "theirs")):
        folder = tmp_path / sub
        folder.mkdir()
        with tf.Graph().as_default():
            tf.Variable(W0, name="w")
            saver = tf.train.Saver(max_to_keep=2)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                for step in range(3):
                    saver.save(s, str(folder / "model.ckpt"), global_step=step)
        state = tf.train.get_checkpoint_state(str(folder))
        assert state.model_checkpoint_path == str(folder / "model.ckpt-2")
        assert list(state.all_model_checkpoint_paths) == [
            str(folder / "model.ckpt-1"),
            str(folder / "model.ckpt-2"),
        ]
        assert tf.train.get_checkpoint_state(str(tmp_path / "nowhere")) is None
    assert os.path.exists(tmp_path / "ours" / "checkpoint")


NCLASS, DIM, BATCH = 12, 4, 6
EMB_W = R.uniform(-1, 1, (NCLASS, DIM)).astype(np.float32)
EMB_B = R.uniform(-0.5, 0.5, NCLASS).astype(np.float32)
INPUTS = R.uniform(-1, 1, (BATCH, DIM)).astype(np.float32)
LABELS = np.array([[1], [3], [5], [0], [3], [7]], np.int64)
SAMPLED = np.array([3, 9, 0, 11, 2], np.int64)  # 3 and 0 collide with true labels


@pytest.mark.parametrize("loss", ["nce_loss", "sampled_softmax_loss"])
@pytest.mark.parametrize("hits", [False, True])
def test_sampled_losses_match_real_tf_for_given_samples(ref, loss, hits):
    def run(tf):
        with tf.Graph().as_default():
            w, b = tf.Variable(EMB_W), tf.Variable(EMB_B)
            x = tf.placeholder(tf.float32, [None, DIM])
            true_exp = tf.constant(np.full((BATCH, 1), 0.3, np.float32))
            samp_exp = tf.constant(np.linspace(0.1, 0.5, 5).astype(np.float32))
            per = getattr(tf.nn, loss)(
                weights=w, biases=b, labels=tf.constant(LABELS), inputs=x, num_sampled=5,
                num_classes=NCLASS, sampled_values=(tf.constant(SAMPLED), true_exp, samp_exp),
                remove_accidental_hits=hits,
            )  # fmt: skip
            total = tf.reduce_mean(per)
            grads = tf.gradients(total, [w, b, x])
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                return s.run([per, *grads], {x: INPUTS})

    ours, theirs = run(dg), run(ref)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-5)
    for a, b in zip(ours[1:], theirs[1:], strict=True):
        a = a.values if hasattr(a, "values") and not isinstance(a, np.ndarray) else a
        if hasattr(b, "indices"):  # real TF: IndexedSlicesValue -> dense
            dense = np.zeros(b.dense_shape, b.values.dtype)
            np.add.at(dense, b.indices, b.values)
            b = dense
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-4, atol=1e-5)


def test_word2vec_style_nce_training_lowers_the_loss():
    dg.reset_default_graph()
    dg.set_random_seed(1)
    w = dg.Variable(EMB_W)
    b = dg.Variable(np.zeros(NCLASS, np.float32))
    emb = dg.Variable(R.uniform(-1, 1, (NCLASS, DIM)).astype(np.float32))
    ids = dg.placeholder(dg.int32, [None])
    lab = dg.placeholder(dg.int64, [None, 1])
    loss = dg.reduce_mean(dg.nn.nce_loss(w, b, lab, dg.nn.embedding_lookup(emb, ids), 4, NCLASS))
    sampled, te, se = dg.nn.log_uniform_candidate_sampler(lab, 1, 4, True, NCLASS)
    train = dg.train.GradientDescentOptimizer(0.5).minimize(loss)
    feed = {ids: np.arange(6), lab: (np.arange(6)[:, None] + 1) % NCLASS}
    with dg.Session() as s:
        s.run(dg.global_variables_initializer())
        first = np.mean([s.run(loss, feed) for _ in range(5)])
        for _ in range(150):
            s.run(train, feed)
        last = np.mean([s.run(loss, feed) for _ in range(5)])
        draw, t_exp, s_exp = s.run([sampled, te, se], feed)
    assert last < 0.7 * first
    assert len(set(draw.tolist())) == 4 and draw.min() >= 0 and draw.max() < NCLASS
    assert t_exp.shape == (6, 1) and np.all((s_exp > 0) & (s_exp <= 1))


def test_batch_norm_with_global_normalization_matches_real_tf(ref):
    def run(tf):
        with tf.Graph().as_default():
            x = tf.constant(X)
            m, v = tf.constant(X.mean(0)), tf.constant(X.var(0))
            beta, gamma = tf.constant(np.full(4, 0.1, np.float32)), tf.constant(W0[:, 0])
            y = tf.nn.batch_norm_with_global_normalization(x, m, v, beta, gamma, 1e-3, True)
            z = tf.nn.batch_norm_with_global_normalization(x, m, v, beta, gamma, 1e-3, False)
            with tf.Session() as s:
                return s.run([y, z])

    for a, b in zip(run(dg), run(ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
