"""One seed, one order: each style's own input pipeline visits the examples identically, so an
MLP trained through DataLoader and through tf.data ends bitwise equal."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
from duograd.frontends.eager.utils.data import DataLoader, TensorDataset

N, SIZES, BATCH, EPOCHS = 96, (4, 16, 3), 16, 3


def _data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[2], N).astype(np.int64)
    return x, y


def _init():
    rng = np.random.default_rng(4)
    out = []
    for a, b in zip(SIZES[:-1], SIZES[1:], strict=True):
        out += [rng.uniform(-0.5, 0.5, (b, a)).astype(np.float32), np.zeros(b, np.float32)]
    return out


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _tf_order(ds) -> list:
    nxt = tf.compat.v1.data.make_one_shot_iterator(ds).get_next()
    out = []
    with tf.Session() as s:
        while True:
            try:
                out.append(s.run(nxt).tolist())
            except tf.errors.OutOfRangeError:
                return out


def test_seeded_generator_and_seeded_shuffle_visit_the_same_order():
    idx = np.arange(50, dtype=np.int64)
    g = torch.Generator().manual_seed(11)
    eager = [
        b[0].tolist()
        for b in DataLoader(TensorDataset(torch.from_numpy(idx)), 50, True, generator=g)
    ]
    eager += [
        b[0].tolist()
        for b in DataLoader(TensorDataset(torch.from_numpy(idx)), 50, True, generator=g)
    ]
    tf.reset_default_graph()
    graph = _tf_order(
        tf.data.Dataset.from_tensor_slices(idx).shuffle(50, seed=11).repeat(2).batch(50)
    )
    assert eager == graph and eager[0] != eager[1]


def test_manual_seed_and_set_random_seed_visit_the_same_order():
    idx = np.arange(30, dtype=np.int64)
    torch.manual_seed(5)
    loader = DataLoader(TensorDataset(torch.from_numpy(idx)), 7, shuffle=True)
    eager = [b[0].tolist() for _ in range(2) for b in loader]
    tf.reset_default_graph()
    tf.set_random_seed(5)
    graph = _tf_order(tf.data.Dataset.from_tensor_slices(idx).shuffle(100).batch(7).repeat(2))
    assert eager == graph


def test_mlp_through_each_native_pipeline_ends_bitwise_equal():
    x, y = _data()
    init = _init()
    # eager: DataLoader(shuffle=True) after manual_seed
    nn = torch.nn
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]))
    with torch.no_grad():
        for p, v in zip(model.parameters(), init, strict=True):
            p.copy_(torch.from_numpy(v))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    torch.manual_seed(7)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=BATCH, shuffle=True
    )
    eager_losses = []
    for _ in range(EPOCHS):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            eager_losses.append(loss.detach().numpy().copy())
    eager_params = [p.detach().numpy().copy() for p in model.parameters()]

    # graph: tf.data shuffle(buffer >= len) after set_random_seed
    graph = tf.Graph()
    with graph.as_default():
        ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(N).batch(BATCH).repeat(EPOCHS)
        xb, yb = tf.compat.v1.data.make_one_shot_iterator(ds).get_next()
        w1, b1, w2, b2 = (tf.Variable(v) for v in init)
        h = tf.nn.relu(tf.matmul(xb, w1, transpose_b=True) + b1)
        logits = tf.matmul(h, w2, transpose_b=True) + b2
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits)
        )
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        graph_losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.set_random_seed(7)
            while True:
                try:
                    graph_losses.append(sess.run([step, loss])[1])
                except tf.errors.OutOfRangeError:
                    break
            graph_params = sess.run([w1, b1, w2, b2])
    assert len(graph_losses) == len(eager_losses) == EPOCHS * N // BATCH
    assert all(_same(a, b) for a, b in zip(eager_losses, graph_losses, strict=True))
    assert all(_same(a, b) for a, b in zip(eager_params, graph_params, strict=True))
