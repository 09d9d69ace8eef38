"""The same recurrent, attention and image models in both styles give identical bits: eager
modules against graph cells/layers with the matching convention option, from the same weights."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.frontends.graph import attention

RNG = np.random.default_rng(17)
X = RNG.standard_normal((3, 5, 4)).astype(np.float32)  # batch-major [batch, time, depth]


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _eager(model, x, weight):
    xt = torch.tensor(x, requires_grad=True)
    out, _ = model(xt)
    (out * torch.tensor(weight)).sum().backward()
    return [out.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


def _graph(build, x, weight, values):
    with tf.Graph().as_default():
        xp = tf.placeholder(tf.float32, [None, *x.shape[1:]])
        out = build(xp)
        variables = tf.trainable_variables()
        grads = tf.gradients(tf.reduce_sum(out * weight), [xp] + variables)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for v, a in zip(variables, values, strict=True):
                v.load(a, sess)
            return sess.run([out] + grads, {xp: x})


CELL = {"LSTM": tf.nn.rnn_cell.LSTMCell, "GRU": tf.nn.rnn_cell.GRUCell,
        "RNN": tf.nn.rnn_cell.BasicRNNCell}  # fmt: skip


@pytest.mark.parametrize("layout", ["torch", "tf"])
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_stacked_recurrent_layers_are_bitwise_equal(mode, layout):
    torch.manual_seed(1)
    model = getattr(torch.nn, mode)(4, 6, num_layers=2, batch_first=True, layout=layout)
    values = [p.detach().numpy().copy() for p in model.parameters()]
    weight = RNG.uniform(0.5, 1.5, (3, 5, 6)).astype(np.float32)

    def build(x):
        for layer in range(2):  # layer by layer, as nn.LSTM(num_layers=2) computes
            x, _ = tf.nn.dynamic_rnn(CELL[mode](6, layout=layout), x, dtype=tf.float32,
                                     scope=f"layer{layer}")  # fmt: skip
        return x

    want, got = _eager(model, X, weight), _graph(build, X, weight, values)
    for i, (a, b) in enumerate(zip(want, got[:1] + got[1:], strict=True)):
        assert same_bits(a, b), f"{mode}/{layout}: item {i} differs"


def test_bidirectional_gru_is_bitwise_equal():
    torch.manual_seed(2)
    model = torch.nn.GRU(4, 3, batch_first=True, bidirectional=True)
    values = [p.detach().numpy().copy() for p in model.parameters()]
    weight = RNG.uniform(0.5, 1.5, (3, 5, 6)).astype(np.float32)

    def build(x):
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.GRUCell(3, layout="torch"), tf.nn.rnn_cell.GRUCell(3, layout="torch"),
            x, dtype=tf.float32,
        )  # fmt: skip
        return tf.concat([fw, bw], 2)

    want, got = _eager(model, X, weight), _graph(build, X, weight, values)
    assert all(same_bits(a, b) for a, b in zip(want, got, strict=True))


@pytest.mark.parametrize("masks", ["none", "causal_and_padding"])
def test_multi_head_attention_is_bitwise_equal(masks):
    torch.manual_seed(3)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    values = {n: p.detach().numpy().copy() for n, p in mha.named_parameters()}
    x = RNG.standard_normal((3, 5, 8)).astype(np.float32)
    am = kpm = None
    if masks != "none":
        am = np.triu(np.ones((5, 5), bool), 1)
        kpm = np.zeros((3, 5), bool)
        kpm[1, -2:] = True
    weight = RNG.uniform(0.5, 1.5, (3, 5, 8)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    out, w = mha(xt, xt, xt, attn_mask=None if am is None else torch.tensor(am),
                 key_padding_mask=None if kpm is None else torch.tensor(kpm))  # fmt: skip
    ((out * torch.tensor(weight)).sum() + w.sum()).backward()
    want = [out.detach().numpy(), w.detach().numpy(), xt.grad.numpy()]
    want += [p.grad.numpy() for p in mha.parameters()]

    xp = tf.placeholder(tf.float32, [None, 5, 8])
    gout, gw = attention.multi_head_attention(xp, xp, xp, 2, attn_mask=am, key_padding_mask=kpm)
    order = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    variables = {v.name.split("/")[-1][:-2].replace("out_proj_", "out_proj."): v
                 for v in tf.trainable_variables()}  # fmt: skip
    grads = tf.gradients(tf.reduce_sum(gout * weight) + tf.reduce_sum(gw),
                         [xp] + [variables[n] for n in order])  # fmt: skip
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for n in order:
            variables[n].load(values[n], sess)
        got = sess.run([gout, gw] + grads, {xp: x})
    assert all(same_bits(a, b) for a, b in zip(want, got, strict=True))


def test_conv_batchnorm_pool_step_is_bitwise_equal_across_layouts():
    """Eager NCHW conv + BatchNorm2d (training) + pool against graph NHWC layers."""
    x = RNG.standard_normal((4, 2, 6, 6)).astype(np.float32)
    k = RNG.standard_normal((3, 2, 3, 3)).astype(np.float32) * 0.3
    b = RNG.standard_normal(3).astype(np.float32)
    weight = RNG.uniform(0.5, 1.5, (4, 3, 3, 3)).astype(np.float32)

    conv, bn = torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.BatchNorm2d(3, eps=1e-3)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(k))
        conv.bias.copy_(torch.tensor(b))
    xt = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.max_pool2d(torch.relu(bn(conv(xt))), 2)
    (y * torch.tensor(weight)).sum().backward()
    want = [y.detach().numpy(), xt.grad.numpy(), conv.weight.grad.numpy(), conv.bias.grad.numpy(),
            bn.weight.grad.numpy(), bn.bias.grad.numpy()]  # fmt: skip

    xp = tf.constant(x.transpose(0, 2, 3, 1))
    h = tf.layers.conv2d(xp, 3, 3, padding="same", name="conv")
    h = tf.layers.batch_normalization(h, epsilon=1e-3, training=True)
    h = tf.layers.max_pooling2d(tf.nn.relu(h), 2, 2)
    out = tf.transpose(h, [0, 3, 1, 2])
    kernel, bias, gamma, beta = tf.trainable_variables()
    grads = tf.gradients(tf.reduce_sum(out * weight), [xp, kernel, bias, gamma, beta])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel.load(k.transpose(2, 3, 1, 0), sess)
        bias.load(b, sess)
        got = sess.run([out] + grads)
    got[1] = got[1].transpose(0, 3, 1, 2)
    got[2] = got[2].transpose(3, 2, 0, 1)
    for i, (a, c) in enumerate(zip(want, got, strict=True)):
        assert same_bits(a, np.ascontiguousarray(c)), f"item {i} differs"


def test_layer_norm_is_bitwise_equal():
    x = RNG.standard_normal((2, 3, 6)).astype(np.float32)
    ln = torch.nn.LayerNorm(6)
    xt = torch.tensor(x, requires_grad=True)
    y = ln(xt)
    (y * y).sum().backward()
    xp = tf.constant(x)
    yg = attention.layer_norm(xp)
    g = tf.gradients(tf.reduce_sum(yg * yg), [xp] + tf.trainable_variables())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([yg] + g)
    want = [y.detach().numpy(), xt.grad.numpy(), ln.bias.grad.numpy(), ln.weight.grad.numpy()]
    assert all(same_bits(a, b) for a, b in zip(want, got, strict=True))
