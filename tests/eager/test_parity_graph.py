"""The product's promise: the same program in the eager and the graph style gives the same bits.

The eager side uses its explicit TF-convention options (``weight_layout="in_out"``,
``init="glorot_uniform"``, ``Adam(eps_mode="tf")``) so that both sides describe one program.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np


def _bits(a) -> bytes:
    return np.asarray(a, dtype=np.float32).tobytes()


def test_random_draws_and_dense_init_match_bit_for_bit():
    tf.reset_default_graph()
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, [None, 5])
    tf.layers.dense(x, 4)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel, bias = sess.run(tf.trainable_variables())
    torch.manual_seed(1)
    lin = torch.nn.Linear(5, 4, weight_layout="in_out", init="glorot_uniform")
    assert _bits(kernel) == _bits(lin.weight.detach().numpy())
    assert _bits(bias) == _bits(lin.bias.detach().numpy())

    tf.set_random_seed(3)
    draw = tf.random_normal([3, 4])
    with tf.Session() as sess:
        graph_values = sess.run(draw)
    torch.manual_seed(3)
    assert _bits(graph_values) == _bits(torch.randn(3, 4).numpy())


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 5)).astype(np.float32)
    Y = rng.integers(0, 3, size=32)
    W1 = (rng.normal(size=(5, 8)) * 0.3).astype(np.float32)
    W2 = (rng.normal(size=(8, 3)) * 0.3).astype(np.float32)
    return X, Y, W1, np.zeros(8, np.float32), W2, np.zeros(3, np.float32)


def _graph_mlp(make_opt, steps):
    X, Y, W1, b1, W2, b2 = _data()
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int64, [None])
    w1, v1, w2, v2 = (tf.Variable(a) for a in (W1, b1, W2, b2))
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + v1), w2) + v2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = make_opt().minimize(loss)
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            value, _ = sess.run([loss, train], {x: X, y: Y})
            losses.append(value)
        weights = sess.run([w1, v1, w2, v2])
    return losses, weights


def _eager_mlp(make_opt, steps):
    X, Y, W1, b1, W2, b2 = _data()
    l1 = torch.nn.Linear(5, 8, weight_layout="in_out")
    l2 = torch.nn.Linear(8, 3, weight_layout="in_out")
    with torch.no_grad():
        for p, a in zip((l1.weight, l1.bias, l2.weight, l2.bias), (W1, b1, W2, b2), strict=True):
            p.copy_(torch.tensor(a))
    model = torch.nn.Sequential(l1, torch.nn.ReLU(), l2)
    opt = make_opt(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.tensor(X), torch.tensor(Y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy() for p in model.parameters()]


def test_mlp_with_adam_trains_identically():
    g_loss, g_w = _graph_mlp(lambda: tf.train.AdamOptimizer(0.01), 5)
    e_loss, e_w = _eager_mlp(lambda ps: torch.optim.Adam(ps, lr=0.01, eps_mode="tf"), 5)
    assert _bits(g_loss) == _bits(e_loss)
    for a, b in zip(g_w, e_w, strict=True):
        assert _bits(a) == _bits(b)
    assert e_loss[-1] < e_loss[0]


def test_mlp_with_sgd_momentum_trains_identically():
    g_loss, g_w = _graph_mlp(lambda: tf.train.MomentumOptimizer(0.05, 0.9), 5)
    e_loss, e_w = _eager_mlp(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9), 5)
    assert _bits(g_loss) == _bits(e_loss)
    for a, b in zip(g_w, e_w, strict=True):
        assert _bits(a) == _bits(b)
