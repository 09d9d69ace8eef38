"""The parity contract on whole programs: the seed programs and the examples, in both styles."""

from __future__ import annotations

import os
import runpy
import sys

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _example(name: str) -> dict:
    sys.path.insert(0, EXAMPLES)
    try:
        return runpy.run_path(os.path.join(EXAMPLES, name))
    finally:
        sys.path.remove(EXAMPLES)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_seed_tf_program_in_both_styles():
    graph_result = _example("graph_seed.py")["main"](["--steps", "1"])
    a = torch.tensor(np.array([1, 2, 3], np.int32))
    b = torch.tensor(np.array([4, 5, 6], np.int32))
    assert _same(graph_result, torch.mul(a, b).numpy())


def _seed_training_graph(steps: int, lr: float = 0.05):
    """The PyTorch seed (w * x + b, MSELoss, SGD) written in the TF1 style."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant([1.0, 2.0, 3.0])
        y = tf.constant([4.0, 6.0, 8.0])
        w = tf.Variable(tf.zeros([1]))
        b = tf.Variable(tf.zeros([1]))
        loss = tf.reduce_mean(tf.square(w * x + b - y))
        train = tf.train.GradientDescentOptimizer(lr).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [sess.run([train, loss])[1] for _ in range(steps)]
            return losses, sess.run([w, b])


def test_seed_pytorch_program_in_both_styles():
    ns = _example("eager_seed.py")
    torch.manual_seed(0)
    model = ns["Model"]()
    x = torch.tensor([1.0, 2.0, 3.0])
    y = torch.tensor([4.0, 6.0, 8.0])
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach().numpy().copy())
    g_losses, (gw, gb) = _seed_training_graph(20)
    assert all(_same(a, b) for a, b in zip(losses, g_losses, strict=True))
    assert _same(model.w.detach().numpy(), gw) and _same(model.b.detach().numpy(), gb)


def test_linear_regression_examples_agree():
    we, be, le = _example("linear_regression_eager.py")["train"](50, quiet=True)
    wg, bg, lg = _example("linear_regression_graph.py")["train"](50, quiet=True)
    assert _same(we, wg) and _same(be, bg) and le == lg


def test_mlp_classifier_examples_agree():
    pe, le, ae = _example("mlp_classifier_eager.py")["train"](30, quiet=True)
    pg, lg, ag = _example("mlp_classifier_graph.py")["train"](30, quiet=True)
    assert all(_same(a, b) for a, b in zip(pe, pg, strict=True))
    assert le == lg and ae == ag
