"""conv + bias + ReLU as one step: the graph pass fuses conv2d (and conv2d_input_grad on the way
back) with its elementwise reader, bit-identical to the unfused plan, in both layouts, with
unknown batch, and in compiled eager code."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.passes.program import MATMUL_FUSED, OP
from duograd.core.passes.verify import same_bits

RNG = np.random.default_rng(5)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run_both(fetches, feed):
    opt = tf.Session(optimize=True)
    plain = tf.Session(optimize=False)
    a = opt.run(fetches, feed)
    b = plain.run(fetches, feed)
    return a, b, opt.plan_for(fetches, feed)


def fused(plan):
    return [p for p in plan.steps if p.kind == MATMUL_FUSED and p.origin == "conv_bias_act"]


def reasons(plan, action):
    return {d["node"]: d["reason"] for d in plan.program.decisions("conv_bias_act", action)}


@pytest.mark.parametrize("batch", [3, 40])  # one block of images, and several
@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_conv_bias_relu_and_gradients_are_fused_and_bitwise(data_format, batch):
    nhwc = data_format == "NHWC"
    xshape = [None, 12, 12, 8] if nhwc else [None, 8, 12, 12]
    x = tf.placeholder(tf.float32, xshape)
    k1, b1 = tf.Variable(f32(3, 3, 8, 16) * 0.3), tf.Variable(f32(16))
    k2, b2 = tf.Variable(f32(3, 3, 16, 16) * 0.2), tf.Variable(f32(16))

    def layer(inp, k, b):
        c = tf.nn.conv2d(inp, k, [1, 1, 1, 1], "SAME", data_format=data_format)
        return tf.nn.relu(tf.nn.bias_add(c, b) if nhwc else c + tf.reshape(b, [1, -1, 1, 1]))

    h = layer(x, k1, b1)
    y = layer(h, k2, b2)
    loss = tf.reduce_sum(y * y)
    grads = tf.gradients(loss, [x, k1, b1, k2, b2])
    feed = {x: f32(batch, *xshape[1:])}
    init = tf.global_variables_initializer()
    opt, plain = tf.Session(optimize=True), tf.Session(optimize=False)
    opt.run(init)
    plain.run(init)
    a = opt.run([y, *grads], feed)
    b = plain.run([y, *grads], feed)
    for u, v in zip(a, b, strict=True):
        assert same_bits(u, v)
    plan = opt.plan_for([y, *grads], feed)
    names = [[m.prim.name for m in p.members] for p in fused(plan)]
    assert ["conv2d", "add", "relu"] in names
    # the first layer's input gradient feeds relu_grad of nothing; the second's feeds layer 1's
    assert any(n[0] == "conv2d_input_grad" and "relu_grad" in n for n in names)


def test_conv_stays_alone_when_its_output_is_fetched():
    x = tf.placeholder(tf.float32, [2, 6, 6, 3])
    c = tf.nn.conv2d(x, tf.constant(f32(3, 3, 3, 4)), [1, 1, 1, 1], "SAME")
    y = tf.nn.relu(c + 1.0)
    a, b, plan = run_both([c, y], {x: f32(2, 6, 6, 3)})
    for u, v in zip(a, b, strict=True):
        assert same_bits(u, v)
    assert not fused(plan)
    assert "used elsewhere" in reasons(plan, "refused")["Conv2D"]


def test_residual_operand_is_read_per_block():
    # the group reads a full-size second operand (a residual add): sliced with each block
    x = tf.placeholder(tf.float32, [None, 10, 10, 4])
    skip = tf.placeholder(tf.float32, [None, 10, 10, 4])
    c = tf.nn.conv2d(x, tf.constant(f32(3, 3, 4, 4)), [1, 1, 1, 1], "SAME")
    y = tf.nn.relu(c + skip)
    feed = {x: f32(70, 10, 10, 4), skip: f32(70, 10, 10, 4)}
    a, b, plan = run_both(y, feed)
    assert same_bits(a, b)
    assert len(fused(plan)) == 1


def test_off_switch_keeps_the_steps_apart():
    x = tf.placeholder(tf.float32, [2, 6, 6, 3])
    y = tf.nn.relu(tf.nn.conv2d(x, tf.constant(f32(3, 3, 3, 4)), [1, 1, 1, 1], "SAME") + 1.0)
    sess = tf.Session(optimize={"matmul_bias_act": False})
    a = sess.run(y, {x: f32(2, 6, 6, 3)})
    plan = sess.plan_for(y, {x: f32(2, 6, 6, 3)})
    assert not fused(plan)
    assert [p.prim.name for p in plan.steps if p.kind == OP] == ["conv2d"]
    assert a.shape == (2, 6, 6, 4)


def test_compiled_eager_code_gets_the_same_fusion():
    from duograd.frontends.eager.capture import Segment

    conv = torch.nn.Conv2d(3, 8, 3, padding=1)
    x = torch.tensor(f32(4, 3, 9, 9))

    def f(inp):
        return torch.relu(conv(inp))

    compiled = torch.compile(f)
    want = f(x).detach().numpy()
    compiled(x)  # captures
    got = compiled(x).detach().numpy()  # replays the captured plan
    assert same_bits(got, want)
    (entry,) = compiled.cache.values()
    (program,) = entry.programs  # no value reads, so one variant
    segs = [s for s in program.steps if type(s) is Segment]
    names = [[m.prim.name for m in p.members] for s in segs for p in fused(s.plan)]
    assert ["conv2d", "add", "relu"] in names
