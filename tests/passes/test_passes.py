"""Each pass on its own: what it does, what it refuses and why, and that results keep every bit."""

from __future__ import annotations

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import ops
from duograd.core.executor import Plan
from duograd.core.ir import Graph
from duograd.core.passes.cse import param_key
from duograd.core.passes.program import CONST, FUSED, MATMUL_FUSED, OP
from duograd.core.passes.verify import same_bits
from duograd.core.primitives.registry import AVal

RNG = np.random.default_rng(0)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run_both(fetches, feed=None):
    """(optimised results, plain results, optimised plan)."""
    opt = tf.Session(optimize=True)
    plain = tf.Session(optimize=False)
    a = opt.run(fetches, feed)
    b = plain.run(fetches, feed)
    return a, b, opt.plan_for(fetches, feed)


def assert_same(a, b):
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        assert same_bits(a, b), (a, b)


def steps(plan, kind=None):
    return [p for p in plan.steps if p.kind != CONST and (kind is None or p.kind == kind)]


def reasons(plan, pass_name, action=None):
    return {d["node"]: d["reason"] for d in plan.program.decisions(pass_name, action)}


# ---- pruning ----------------------------------------------------------------------------------


def test_prune_keeps_only_what_the_fetches_need():
    x = tf.placeholder(tf.float32, [3])
    unused = tf.placeholder(tf.float32, [3], name="never_fed")
    y = x * 2.0
    _ = tf.exp(unused) + 1.0
    a, b, plan = run_both(y, {x: f32(3)})
    assert_same(a, b)
    assert plan.program.needed < plan.program.graph_size
    assert all("never_fed" not in p.name for p in plan.steps)


# ---- constant folding -------------------------------------------------------------------------


def test_fold_evaluates_constant_subgraphs_once():
    x = tf.placeholder(tf.float32, [4])
    c = tf.exp(tf.constant(0.5)) * 3.0 + 1.0
    y = x * c
    a, b, plan = run_both(y, {x: f32(4)})
    assert_same(a, b)
    folded = reasons(plan, "fold", "folded")
    assert {"Exp", "mul", "add"} <= set(folded)
    (step,) = steps(plan)
    assert step.kind == FUSED and [m.prim.name for m in step.members] == ["mul"]


def test_fold_never_draws_random_numbers_at_build_time():
    r = tf.random_normal([5]) * 2.0
    sess = tf.Session()
    first, second = sess.run(r), sess.run(r)
    assert not np.array_equal(first, second)
    assert "random" in reasons(sess.plan_for(r), "fold", "refused")["random_normal"]


def test_fold_cuts_operands_read_only_for_their_shape():
    x = tf.placeholder(tf.float32, [4, 6])
    loss = tf.reduce_mean(tf.square(x))
    (g,) = tf.gradients(loss, [x])
    a, b, plan = run_both(g, {x: f32(4, 6)})
    assert_same(a, b)
    assert plan.program.decisions("fold", "cut")
    assert "gradients/count_like" in reasons(plan, "fold", "folded")
    assert not [p for p in steps(plan) if p.kind == OP and p.prim.name == "count_like"]


def test_fold_leaves_a_failing_kernel_to_the_run():
    # identity hides the constant from the build-time domain check; folding then meets it
    g = tf.gather(tf.constant([1.0, 2.0]), tf.identity(tf.constant([5])))
    sess = tf.Session()
    with pytest.raises(IndexError, match="GatherV2"):
        sess.run(g)
    assert "IndexError" in reasons(sess.plan_for(g), "fold", "refused")["GatherV2"]


# ---- common-subexpression elimination ---------------------------------------------------------


def test_cse_merges_equal_ops_and_constants():
    x = tf.placeholder(tf.float32, [5])
    y1 = tf.exp(x) * 2.0
    y2 = tf.exp(x) * 2.0
    a, b, plan = run_both([y1, y2], {x: f32(5)})
    assert_same(a, b)
    assert set(reasons(plan, "cse", "merged")) == {"Exp_1", "mul_1"}
    # one value fetched twice: two independent arrays
    a[0][0] = 123.0
    assert a[1][0] != 123.0


def test_cse_never_merges_random_draws():
    r1, r2 = tf.random_uniform([6]), tf.random_uniform([6])
    u, v = tf.Session().run([r1, r2])
    assert not np.array_equal(u, v)


def test_param_keys_compare_by_value_and_type():
    assert param_key(0.0) != param_key(-0.0)
    assert len({param_key(1), param_key(True), param_key(1.0)}) == 3
    assert param_key(np.arange(3)) == param_key(np.arange(3))
    assert param_key(np.arange(3)) != param_key(np.arange(3.0))
    assert param_key((slice(1, None), 2)) == param_key((slice(1, None), 2))
    assert param_key(np.dtype("float32")) != param_key(np.dtype("float64"))


def test_cse_merges_getitem_with_equal_array_indexes_only():
    x = tf.placeholder(tf.float32, [6])
    idx = np.array([0, 2, 4])
    y = tf.gather(x, idx) + tf.gather(x, idx) + tf.gather(x, np.array([1, 3, 5]))
    a, b, plan = run_both(y, {x: f32(6)})
    assert_same(a, b)
    assert len(reasons(plan, "cse", "merged")) >= 1


# ---- elementwise fusion -----------------------------------------------------------------------


def test_fuse_compiles_a_chain_into_one_kernel():
    a, b, c = (tf.placeholder(tf.float32, [None, 8]) for _ in range(3))
    y = tf.nn.relu(a * b + c)
    feed = {a: f32(3, 8), b: f32(3, 8), c: f32(3, 8)}
    r1, r2, plan = run_both(y, feed)
    assert_same(r1, r2)
    (step,) = steps(plan)
    assert step.kind == FUSED
    assert [m.prim.name for m in step.members] == ["mul", "add", "relu"]
    assert step.program == (("mul", 0, 1), ("add", -1, 2), ("relu", -1))


def test_fuse_stops_at_a_fetched_intermediate():
    a, b = tf.placeholder(tf.float32, [8]), tf.placeholder(tf.float32, [8])
    t = a * b
    y = tf.exp(t) + 1.0
    r1, r2, plan = run_both([t, y], {a: f32(8), b: f32(8)})
    assert_same(r1, r2)
    assert len(steps(plan, FUSED)) == 2
    assert reasons(plan, "fuse", "boundary")["mul"] == "its value is fetched"


def test_fuse_refuses_float_to_int_casts():
    x = tf.placeholder(tf.float32, [4])
    y = tf.cast(x * 10.0, tf.int32) + 1
    r1, r2, plan = run_both(y, {x: f32(4)})
    assert_same(r1, r2)
    assert "float-to-integer" in reasons(plan, "fuse", "refused")["Cast"]


def test_fuse_fuses_float_casts():
    x = tf.placeholder(tf.float32, [4])
    y = tf.cast(tf.cast(x, tf.float64) * 3.0, tf.float32) + 1.0
    r1, r2, plan = run_both(y, {x: f32(4)})
    assert_same(r1, r2)
    (step,) = steps(plan)
    assert [p[0] for p in step.program] == ["cast_float64", "mul", "cast_float32", "add"]


def test_fuse_does_not_recompute_a_smaller_intermediate_per_element():
    x = tf.placeholder(tf.float32, [3, 5])
    s = tf.exp(tf.reduce_sum(x, axis=1, keepdims=True))
    y = s * x
    r1, r2, plan = run_both(y, {x: f32(3, 5)})
    assert_same(r1, r2)
    assert "recomputed at every output position" in reasons(plan, "fuse", "boundary")["Exp"]


def test_fuse_duplicates_cheap_producers_but_not_costly_ones():
    a, b = tf.placeholder(tf.float32, [6]), tf.placeholder(tf.float32, [6])
    t = a * b
    u = tf.tanh(a)
    y1, y2 = tf.exp(t + u), tf.sqrt(tf.abs(t * u))
    r1, r2, plan = run_both([y1, y2], {a: f32(6), b: f32(6)})
    assert_same(r1, r2)
    assert "mul" in reasons(plan, "fuse", "duplicated")
    assert "too costly" in reasons(plan, "fuse", "boundary")["Tanh"]
    assert len(steps(plan, FUSED)) == 3  # tanh, and each output with its own a * b


def test_fuse_absorbs_broadcasts_into_the_kernel():
    x = tf.placeholder(tf.float32, [4, 6])
    loss = tf.reduce_mean(x * x)
    (g,) = tf.gradients(loss, [x])
    r1, r2, plan = run_both(g, {x: f32(4, 6)})
    assert_same(r1, r2)
    assert not [p for p in steps(plan, OP) if p.prim.name == "broadcast_like"]


def test_fuse_keeps_a_broadcast_the_group_cannot_span():
    x = tf.placeholder(tf.float32, [None])
    loss = tf.reduce_mean(-x)
    (g,) = tf.gradients(loss, [x])
    feed = {x: f32(7)}
    r1, r2, plan = run_both(g, feed)
    assert_same(r1, r2)
    assert r1.shape == (7,)
    assert "do not span" in reasons(plan, "fuse", "refused")["gradients/broadcast_like"]


def test_fused_groups_check_unknown_dims_like_the_ops_do():
    x, y = tf.placeholder(tf.float32, [None]), tf.placeholder(tf.float32, [None])
    z = tf.exp(x + y) * 2.0
    msgs = []
    for opt in (True, False):
        with pytest.raises(ValueError) as e:
            tf.Session(optimize=opt).run(z, {x: f32(3), y: f32(4)})
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
    assert "node 'add'" in msgs[0]


# ---- matmul + bias + activation ---------------------------------------------------------------


def test_matmul_bias_relu_runs_as_one_step():
    x = tf.placeholder(tf.float32, [None, 5])
    w, bias = tf.constant(f32(5, 4)), tf.constant(f32(4))
    y = tf.nn.relu(tf.matmul(x, w) + bias)
    r1, r2, plan = run_both(y, {x: f32(3, 5)})
    assert_same(r1, r2)
    (step,) = steps(plan)
    assert step.kind == MATMUL_FUSED
    assert [m.prim.name for m in step.members] == ["matmul", "add", "relu"]


def test_matmul_stays_alone_when_its_product_is_fetched():
    x = tf.placeholder(tf.float32, [3, 5])
    m = tf.matmul(x, tf.constant(f32(5, 4)))
    y = tf.nn.relu(m + 1.0)
    r1, r2, plan = run_both([m, y], {x: f32(3, 5)})
    assert_same(r1, r2)
    assert not steps(plan, MATMUL_FUSED)
    assert "used elsewhere" in reasons(plan, "matmul_bias_act", "refused")["MatMul"]


def test_matmul_epilogue_broadcasting_the_product_is_not_in_place():
    x = tf.placeholder(tf.float32, [1, 5])
    m = tf.matmul(x, tf.constant(f32(5, 4)))
    big = tf.placeholder(tf.float32, [3, 4])
    y = m + big
    r1, r2, plan = run_both(y, {x: f32(1, 5), big: f32(3, 4)})
    assert_same(r1, r2)
    assert r1.shape == (3, 4)


# ---- identity un-broadcast sums ---------------------------------------------------------------


def test_sum_fold_drops_sums_that_are_identities():
    x = tf.placeholder(tf.float32, [None, 4])
    bias = tf.constant(f32(4))
    loss = tf.reduce_sum(tf.exp(x + bias))
    gx, gb = tf.gradients(loss, [x, bias])
    r1, r2, plan = run_both([gx, gb], {x: f32(6, 4)})
    assert_same(r1, r2)
    dropped = reasons(plan, "sum_fold", "dropped")
    kept = reasons(plan, "sum_fold", "kept")
    assert len(dropped) == 1 and len(kept) == 1  # x's is an identity, the bias's a real sum


def test_sum_fold_keeps_sums_it_cannot_prove_and_they_stay_correct():
    a, b = tf.placeholder(tf.float32, [None, 4]), tf.placeholder(tf.float32, [None, 4])
    loss = tf.reduce_sum(a * b)
    ga, gb = tf.gradients(loss, [a, b])
    feed = {a: f32(1, 4), b: f32(5, 4)}  # a broadcasts over b's rows at run time
    r1, r2, plan = run_both([ga, gb], feed)
    assert_same(r1, r2)
    assert r1[0].shape == (1, 4) and r1[1].shape == (5, 4)
    assert not reasons(plan, "sum_fold", "dropped")


# ---- memory -----------------------------------------------------------------------------------


def test_plans_report_peak_bytes_and_recycle_buffers():
    x = tf.placeholder(tf.float32, [64, 32])
    h = tf.exp(x) * 2.0
    y = tf.reduce_sum(tf.sqrt(tf.abs(tf.matmul(h, tf.transpose(h)))) + 1.0)
    sess = tf.Session()
    sess.run(y, {x: f32(64, 32)})
    plan = sess.plan_for(y, {x: None})
    assert plan.static_peak_bytes is not None and plan.static_peak_bytes >= 64 * 32 * 4
    assert plan.peak_bytes is not None and plan.peak_bytes > 0
    assert plan.memory.pooled
    sess.run(y, {x: f32(64, 32)})
    assert plan.pool_bytes > 0


def test_a_value_handed_to_an_effect_is_never_recycled():
    # an effect may keep the very array it is given (this one stores it in the state as is), so
    # the buffer must not be lent to a later step of the same run
    g = Graph()
    x = g.placeholder((16,), np.dtype(np.float32))
    t = ops.mul(ops.relu(x), g.constant(np.asarray(2, np.float32)))

    def keep(state, value):
        return np.asarray(True), {"kept": value}

    e = g.add_effect(keep, [t], AVal((), np.dtype(bool)), "keep")
    u = ops.add(ops.exp(x), g.constant(np.asarray(1, np.float32)))  # same shape, after the effect
    u.node.control_inputs = (e.node,)
    plan = Plan(g, [u], [x])
    state: dict = {}
    xv = f32(16)
    plan.run([xv], state)
    plan.run([xv], state)
    np.testing.assert_array_equal(state["kept"], np.maximum(xv, 0) * np.float32(2))


def test_a_fetched_view_of_a_fused_result_stays_valid():
    x = tf.placeholder(tf.float32, [4, 6])
    y = tf.reshape(tf.exp(x) + 1.0, [24])
    z = tf.tanh(x) * 3.0
    sess = tf.Session()
    first = sess.run(y, {x: f32(4, 6)})
    keep = first.copy()
    for _ in range(3):
        sess.run([y, z], {x: f32(4, 6)})
    assert same_bits(first, keep)


# ---- dead code left by the passes -------------------------------------------------------------


def test_a_loss_only_measured_for_its_gradient_is_not_computed():
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.Variable(f32(3, 2))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {x: f32(4, 3)}
    results = []
    for opt in (True, False):
        sess = tf.Session(optimize=opt)
        sess.run(tf.global_variables_initializer())
        sess.run(train, feed)
        results.append(sess.run(w))
        if opt:
            plan = sess.plan_for(train, feed)
    assert same_bits(*results)
    assert "Mean" in reasons(plan, "prune", "dropped")
    assert "Mean" not in [p.name for p in plan.steps]


def test_control_dependencies_are_never_dropped():
    x = tf.placeholder(tf.float32, [3])
    v = tf.Variable(np.zeros(3, np.float32))
    side = tf.assign(v, x * 2.0)
    with tf.control_dependencies([side]):
        y = tf.identity(x + 1.0)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    xv = f32(3)
    sess.run(y, {x: xv})
    np.testing.assert_array_equal(sess.run(v), xv * np.float32(2))


def test_peak_bytes_count_the_buffers_alive_together():
    x = tf.placeholder(tf.float32, [10, 100])
    h = tf.exp(x)  # 4000 bytes, dead once the max has read it
    y = tf.reduce_max(h, axis=1) * 2.0  # 40 bytes each for the max and the product
    sess = tf.Session()
    sess.run(y, {x: f32(10, 100)})
    plan = sess.plan_for(y, {x: None})
    assert plan.static_peak_bytes == 4000 + 40
    assert plan.peak_bytes == 4000 + 40
    # all three buffers summed: the product never shares the exp's 4000 bytes
    assert plan.static_total_bytes == plan.allocated_bytes == 4000 + 40 + 40
