"""The promise: the same program in the graph style and in the eager style, same bits.

Both frontends run the same core primitives (through core.functional), the same reverse sweep,
the same update kernels and the same random stream, so losses and weights must be identical,
not merely close.
"""

import duograd.frontends.graph as tf
import numpy as np
import pytest

torch = pytest.importorskip("duograd.frontends.eager")

R = np.random.RandomState(1)
X = R.randn(32, 4).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5)


def test_random_streams_agree():
    torch.manual_seed(1)
    eager = torch.randn(3, 4).numpy()
    tf.set_random_seed(1)
    with tf.Session() as sess:
        graph = sess.run(tf.random_normal([3, 4]))
    np.testing.assert_array_equal(eager, graph)


def graph_mlp(opt, steps, kernel_layout="in_out"):
    tf.set_random_seed(0)
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.placeholder(tf.int64, [None])
    h = tf.layers.dense(x, 8, activation=tf.nn.relu, kernel_layout=kernel_layout)
    logits = tf.layers.dense(h, 3, kernel_layout=kernel_layout)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = opt.minimize(loss)
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(steps):
            batch = slice(16 * (i % 2), 16 * (i % 2) + 16)
            lv, _ = sess.run([loss, train], {x: X[batch], y: Y[batch]})
            losses.append(lv)
        weights = sess.run(tf.trainable_variables())
    return np.array(losses), weights


def eager_mlp(make_opt, steps, layout="in_out"):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8, weight_layout=layout, init="glorot_uniform"),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 3, weight_layout=layout, init="glorot_uniform"),
    )
    opt = make_opt(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for i in range(steps):
        batch = slice(16 * (i % 2), 16 * (i % 2) + 16)
        out = model(torch.tensor(X[batch]))
        loss = loss_fn(out, torch.tensor(Y[batch]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses, np.float32), [p.detach().numpy() for p in model.parameters()]


@pytest.mark.parametrize(
    "name",
    ["adam_tf", "adam_torch", "sgd", "momentum"],
)
def test_mlp_training_is_bitwise_identical(name):
    graph_opt, eager_opt = {
        "adam_tf": (
            lambda: tf.train.AdamOptimizer(0.01),
            lambda p: torch.optim.Adam(p, lr=0.01, eps_mode="tf"),
        ),
        "adam_torch": (
            lambda: tf.train.AdamOptimizer(0.01, eps_mode="torch"),
            lambda p: torch.optim.Adam(p, lr=0.01),
        ),
        "sgd": (
            lambda: tf.train.GradientDescentOptimizer(0.1),
            lambda p: torch.optim.SGD(p, lr=0.1),
        ),
        "momentum": (
            lambda: tf.train.MomentumOptimizer(0.05, 0.9),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        ),
    }[name]
    g_losses, g_weights = graph_mlp(graph_opt(), 6)
    e_losses, e_weights = eager_mlp(eager_opt, 6)
    np.testing.assert_array_equal(g_losses, e_losses)
    assert g_losses[-2:].sum() < g_losses[:2].sum()  # and it learns
    for a, b in zip(g_weights, e_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_dense_with_pytorch_layout_matches_linear():
    g_losses, g_weights = graph_mlp(tf.train.AdamOptimizer(0.01), 3, kernel_layout="out_in")
    e_losses, e_weights = eager_mlp(lambda p: torch.optim.Adam(p, lr=0.01, eps_mode="tf"), 3,
                                    layout="out_in")  # fmt: skip
    np.testing.assert_array_equal(g_losses, e_losses)
    for a, b in zip(g_weights, e_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_mse_regression_with_rmsprop_is_bitwise_identical():
    xs = R.randn(16, 3).astype(np.float32)
    ys = (xs @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    w0 = R.randn(3, 1).astype(np.float32)

    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(w0)
    loss = tf.losses.mean_squared_error(y, tf.matmul(x, w))
    train = tf.train.RMSPropOptimizer(0.01, decay=0.9, momentum=0.5, epsilon=1e-6).minimize(loss)
    g_losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            g_losses.append(sess.run([loss, train], {x: xs, y: ys})[0])
        g_w = sess.run(w)

    we = torch.tensor(w0.copy(), requires_grad=True)
    opt = torch.optim.RMSprop([we], lr=0.01, alpha=0.9, momentum=0.5, eps=1e-6, eps_mode="tf")
    e_losses = []
    for _ in range(5):
        loss_e = torch.nn.functional.mse_loss(torch.tensor(xs) @ we, torch.tensor(ys))
        opt.zero_grad()
        loss_e.backward()
        opt.step()
        e_losses.append(loss_e.item())
    np.testing.assert_array_equal(np.array(g_losses), np.array(e_losses, np.float32))
    np.testing.assert_array_equal(g_w, we.detach().numpy())
