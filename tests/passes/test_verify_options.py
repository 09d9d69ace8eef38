"""Verify mode, the session options that switch passes, plan inspection and concurrent runs."""

from __future__ import annotations

import threading

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.passes import PLAIN, Options, VerifyError, lower, resolve
from duograd.core.passes.program import FUSED
from duograd.core.passes.verify import same_bits

RNG = np.random.default_rng(1)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _chain():
    a, b = tf.placeholder(tf.float32, [None, 6]), tf.placeholder(tf.float32, [6])
    y = tf.nn.relu(a * b + 1.0)
    return y, {a: f32(4, 6), b: f32(6)}


# ---- verify mode ------------------------------------------------------------------------------


def test_verify_mode_runs_clean_on_a_training_step():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int64, [None])
    w = tf.Variable(f32(5, 3) * 0.3)
    b = tf.Variable(np.zeros(3, np.float32))
    logits = tf.matmul(tf.nn.relu(x * 2.0 - 1.0), w) + b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {x: f32(8, 5), y: RNG.integers(0, 3, 8)}
    results = []
    for opt in ({"verify": True}, False):
        sess = tf.Session(optimize=opt)
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train], feed)[0] for _ in range(3)]
        results.append((losses, sess.run([w, b])))
    assert same_bits(np.array(results[0][0]), np.array(results[1][0]))
    for u, v in zip(results[0][1], results[1][1], strict=True):
        assert same_bits(u, v)


def test_verify_mode_names_the_node_a_broken_kernel_changed(monkeypatch):
    real = lower.fused_runner

    def off_by_one_ulp(*args, **kwargs):
        run = real(*args, **kwargs)

        def broken(pool, *arrays):
            out = run(pool, *arrays)
            return np.nextafter(out, np.inf, dtype=out.dtype)

        broken.kernel, broken.cache = run.kernel, run.cache
        return broken

    monkeypatch.setattr(lower, "fused_runner", off_by_one_ulp)
    y, feed = _chain()
    sess = tf.Session(optimize={"verify": True})
    with pytest.raises(VerifyError) as e:
        sess.run(y, feed)
    msg = str(e.value)
    assert "node 'Relu'" in msg and "'fuse' pass" in msg
    assert "fused[mul, add, relu]" in msg


def test_verify_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("DUOGRAD_VERIFY_PASSES", "1")
    y, feed = _chain()
    sess = tf.Session()
    assert sess._optimize.verify
    sess.run(y, feed)
    assert sess.plan_for(y, feed)._plain is not None  # the plain plan ran beside it


def test_verify_mode_keeps_the_random_stream_in_step():
    r = tf.random_normal([4]) * 2.0 + 1.0
    tf.set_random_seed(5)
    checked = tf.Session(optimize={"verify": True})
    a = [checked.run(r) for _ in range(2)]
    tf.set_random_seed(5)
    plain = tf.Session(optimize=False)
    b = [plain.run(r) for _ in range(2)]
    for u, v in zip(a, b, strict=True):
        assert same_bits(u, v)


def test_nans_compare_equal_whatever_their_sign():
    nan = np.float32(np.nan)
    assert same_bits(np.array([nan, 1.0]), np.array([-nan, 1.0]))
    assert not same_bits(np.array([nan, 1.0]), np.array([0.0, 1.0]))
    assert not same_bits(np.array([0.0]), np.array([-0.0]))


# ---- options ----------------------------------------------------------------------------------


def test_tf_optimizer_options_map_to_passes():
    oo = tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0,
                             global_jit_level=tf.OptimizerOptions.OFF)  # fmt: skip
    config = tf.ConfigProto(graph_options=tf.GraphOptions(optimizer_options=oo))
    opts = tf.Session(config=config)._optimize
    assert not (opts.fold or opts.cse or opts.fuse or opts.matmul_bias_act)
    oo = tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0, do_constant_folding=True)
    opts = tf.Session(config=tf.ConfigProto(graph_options=tf.GraphOptions(optimizer_options=oo)))
    assert opts._optimize.fold and not opts._optimize.cse and opts._optimize.fuse
    assert tf.Session(config=tf.ConfigProto())._optimize == Options()


def test_duograd_optimize_switches_override_the_config():
    config = tf.ConfigProto(
        graph_options=tf.GraphOptions(
            optimizer_options=tf.OptimizerOptions(global_jit_level=tf.OptimizerOptions.OFF)
        )
    )
    opts = tf.Session(config=config, optimize={"fuse": True, "cse": False})._optimize
    assert opts.fuse and not opts.cse and opts.fold
    assert tf.Session(optimize=False)._optimize == PLAIN
    with pytest.raises(ValueError, match="unknown option"):
        tf.Session(optimize={"fusion": True})
    with pytest.raises(TypeError):
        tf.Session(optimize="yes")


def test_passes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DUOGRAD_PASSES", "0")
    assert resolve(None) == PLAIN
    monkeypatch.setenv("DUOGRAD_PASSES", "fold,cse")
    opts = resolve(None)
    assert opts.fold and opts.cse and not opts.fuse and not opts.memory
    monkeypatch.setenv("DUOGRAD_PASSES", "fold,nonsense")
    with pytest.raises(ValueError, match="nonsense"):
        resolve(None)


@pytest.mark.parametrize("off", ["fold", "cse", "fuse", "matmul_bias_act", "sum_fold", "memory"])
def test_each_pass_can_be_switched_off_alone(off):
    x = tf.placeholder(tf.float32, [None, 4])
    w = tf.constant(f32(4, 4))
    c = tf.exp(tf.constant(1.0)) * 2.0
    h = tf.nn.relu(tf.matmul(x * c, w) + 1.0)
    loss = tf.reduce_sum(h * h) + tf.reduce_sum(h * h)
    (g,) = tf.gradients(loss, [x])
    feed = {x: f32(3, 4)}
    sess = tf.Session(optimize={off: False})
    a = sess.run([loss, g], feed)
    b = tf.Session(optimize=False).run([loss, g], feed)
    for u, v in zip(a, b, strict=True):
        assert same_bits(u, v)
    plan = sess.plan_for([loss, g], feed)
    assert not getattr(plan.options, off)
    if off == "fuse":
        assert not [p for p in plan.steps if p.kind == FUSED]
    if off in ("fold", "cse", "sum_fold"):
        assert not plan.program.decisions(off)


# ---- inspection -------------------------------------------------------------------------------


def test_describe_and_dot_show_the_fused_groups():
    y, feed = _chain()
    sess = tf.Session()
    text = sess.describe_plan(y, feed)
    assert "before:" in text and "after:" in text and "fused groups: 1" in text
    assert "mul<mul>, add<add>, Relu<relu>" in text
    assert "measured peak" in text
    plan = sess.plan_for(y, feed)
    assert str(plan) == plan.describe()
    dot = plan.to_dot()
    assert dot.startswith("digraph plan {") and "subgraph cluster_" in dot and "Relu" in dot
    sess.run(y, feed)
    assert "(first run)" in plan.describe()


def test_plain_plans_describe_themselves_too():
    y, feed = _chain()
    text = tf.Session(optimize=False).describe_plan(y, feed)
    assert "passes on: none (plain)" in text and "fused groups: 0" in text


# ---- concurrency ------------------------------------------------------------------------------


def test_concurrent_runs_of_one_plan_do_not_share_buffers():
    x = tf.placeholder(tf.float32, [256])
    y = tf.sqrt(tf.abs(tf.exp(x * 0.5) - 1.0)) * 3.0 + x
    sess = tf.Session()
    inputs = [f32(256) for _ in range(4)]
    expected = [tf.Session(optimize=False).run(y, {x: v}) for v in inputs]
    errors = []

    def work(k):
        for _ in range(200):
            if not same_bits(sess.run(y, {x: inputs[k]}), expected[k]):
                errors.append(k)
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
