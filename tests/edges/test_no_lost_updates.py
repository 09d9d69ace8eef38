"""No lost updates: `Session.run(train)` from 8 threads on one session applies every step.

The issue's case: 8 threads each run a plain gradient step of ``reduce_sum(w)`` 50 times with
learning rate 1 and end at exactly -400 (as TF). The gradient does not depend on ``w``, so for
every optimizer the result of 400 concurrent steps must equal, bit for bit, the result of 400
steps run one after another; and a reader running alongside never sees a torn variable.
"""

from __future__ import annotations

import threading

import duograd.frontends.graph as tf
import numpy as np
import pytest

THREADS, STEPS = 8, 50

OPTIMIZERS = {
    "sgd": lambda: tf.train.GradientDescentOptimizer(1.0),
    "momentum": lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adam": lambda: tf.train.AdamOptimizer(0.01),
    "rmsprop": lambda: tf.train.RMSPropOptimizer(0.01),
    "adagrad": lambda: tf.train.AdagradOptimizer(0.1),
    "adadelta": lambda: tf.train.AdadeltaOptimizer(1.0),
    "proximal_sgd": lambda: tf.train.ProximalGradientDescentOptimizer(0.1),
    "proximal_adagrad": lambda: tf.train.ProximalAdagradOptimizer(0.1),
    "ftrl": lambda: tf.train.FtrlOptimizer(0.1),
}


def _program(make_opt, shape=(64,)):
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.zeros(shape, np.float32), name="w")
        step = tf.train.create_global_step()
        train = make_opt().minimize(tf.reduce_sum(w), global_step=step)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    return sess, w, step, train


def _threads(n: int, body) -> None:
    errors: list = []
    start = threading.Barrier(n)

    def run(i):
        try:
            start.wait()
            body(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors


def test_the_issue_case_ends_at_exactly_minus_400():
    sess, w, step, train = _program(OPTIMIZERS["sgd"], shape=())
    _threads(THREADS, lambda i: [sess.run(train) for _ in range(STEPS)])
    assert sess.run(w) == -400.0
    assert sess.run(step) == THREADS * STEPS


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_applies_every_concurrent_step(name):
    sess, w, step, train = _program(OPTIMIZERS[name])
    _threads(THREADS, lambda i: [sess.run(train) for _ in range(STEPS)])
    ref_sess, ref_w, _, ref_train = _program(OPTIMIZERS[name])
    for _ in range(THREADS * STEPS):
        ref_sess.run(ref_train)
    assert sess.run(step) == THREADS * STEPS
    assert sess.run(w).tobytes() == ref_sess.run(ref_w).tobytes()


def test_concurrent_readers_never_see_a_half_written_variable():
    # every entry of w moves together, so a read mixing two steps has unequal entries
    sess, w, step, train = _program(OPTIMIZERS["sgd"], shape=(4096,))
    torn: list = []

    def body(i):
        for _ in range(STEPS):
            if i % 2:
                sess.run(train)
            else:
                v = sess.run(w)
                if not (v == v[0]).all():
                    torn.append(v)

    _threads(THREADS, body)
    assert not torn, "a reader saw a variable half updated"
    assert sess.run(w)[0] == -(THREADS // 2) * STEPS


# variable writes that read the variable: each, as a run's last step, reads and commits under
# the session's commit lock (8 threads x 50 runs of +1 end at exactly 400)
WRITES = {
    "assign_add": (lambda w: tf.assign_add(w, np.ones(8, np.float32)), {k: 400 for k in range(8)}),
    "assign_sub": (lambda w: w.assign_sub(np.ones(8, np.float32)), {k: -400 for k in range(8)}),
    "scatter_add": (lambda w: tf.scatter_add(w, [0, 2], np.ones(2, np.float32)), {0: 400, 2: 400}),
    "scatter_sub": (lambda w: tf.scatter_sub(w, [1], np.ones(1, np.float32)), {1: -400}),
    "scatter_nd_add": (lambda w: tf.scatter_nd_add(w, [[3]], np.ones(1, np.float32)), {3: 400}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(WRITES))
def test_concurrent_variable_writes_lose_no_update(name):
    build, want = WRITES[name]
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.zeros(8, np.float32), name="w")
        op = build(w)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    _threads(THREADS, lambda i: [sess.run(op) for _ in range(STEPS)])
    assert sess.run(w).tolist() == [float(want.get(k, 0)) for k in range(8)]


def test_concurrent_count_up_to_hands_out_each_value_once():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(0, dtype=tf.int64)
        op = tf.count_up_to(v, THREADS * STEPS)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    got: list = []
    _threads(THREADS, lambda i: got.extend(int(sess.run(op)) for _ in range(STEPS)))
    assert sorted(got) == list(range(THREADS * STEPS))
    with pytest.raises(tf.errors.OutOfRangeError):
        sess.run(op)
    assert sess.run(v) == THREADS * STEPS
