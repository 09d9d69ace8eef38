"""Higher-order gradients: create_graph=True against real torch, and eager vs graph bit for bit."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

X0 = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


def _objective(lib, x):
    """A scalar touching every gradient helper with a second-order rule."""
    return (
        (lib.tanh(x) * lib.sigmoid(x * 2)).sum()
        + lib.log_softmax(x, dim=1).pow(2).sum()
        + lib.softmax(x, dim=0).pow(3).sum()
        + (x**3).sum()
        + lib.exp(x).mean()
        + lib.relu(x).pow(2).sum()
    )


def _penalty_and_hvp(lib, dtype):
    x = lib.tensor(X0.astype(dtype), requires_grad=True)
    (g,) = lib.autograd.grad(_objective(lib, x), x, create_graph=True)
    ((g.norm(2) - 1) ** 2).backward()
    penalty_grad = x.grad.detach().numpy().copy()
    x2 = lib.tensor(X0.astype(dtype), requires_grad=True)
    (g2,) = lib.autograd.grad(_objective(lib, x2), x2, create_graph=True)
    v = lib.ones_like(x2)
    (hvp,) = lib.autograd.grad((g2 * v).sum(), x2)
    return g.detach().numpy(), penalty_grad, hvp.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_penalty_and_hvp_match_torch(dtype):
    rt = pytest.importorskip("torch")
    ours = _penalty_and_hvp(torch, dtype)
    theirs = _penalty_and_hvp(rt, dtype)
    tol = 1e-10 if dtype == np.float64 else 2e-4
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_backward_create_graph_gives_grad_with_history():
    rt = pytest.importorskip("torch")
    out = []
    for lib in (torch, rt):
        x = lib.tensor([0.3, -0.7, 1.2], dtype=lib.float64, requires_grad=True)
        (x.sin() * x.pow(2)).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        gx = x.grad
        x.grad = None
        gx.sum().backward()
        out.append(x.grad.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_wgan_style_gradient_penalty_on_a_module_matches_torch():
    rt = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w1, b1 = rng.standard_normal((8, 4)), rng.standard_normal(8)
    w2, b2 = rng.standard_normal((1, 8)), rng.standard_normal(1)
    data = rng.standard_normal((5, 4))
    grads = []
    for lib in (torch, rt):
        net = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1))
        net = net.double()
        with lib.no_grad():
            for p, v in zip(net.parameters(), (w1, b1, w2, b2), strict=True):
                p.copy_(lib.tensor(v))
        x = lib.tensor(data, requires_grad=True)
        score = net(x)
        (g,) = lib.autograd.grad(score.sum(), x, create_graph=True)
        penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
        # the last bias does not reach the input gradient: no .grad in either library
        grads.append([None if p.grad is None else p.grad.numpy().copy() for p in net.parameters()])
    assert grads[0][-1] is None and grads[1][-1] is None
    grads = [g[:-1] for g in grads]
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_gradients_of_gradients_eager_and_graph_bitwise():
    def eager():
        x = torch.tensor(X0, requires_grad=True)
        y = (torch.tanh(x) * torch.sigmoid(x)).sum() + torch.log_softmax(x, dim=1).pow(2).sum()
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        (h,) = torch.autograd.grad((g * g).sum(), x)
        return g.detach().numpy(), h.numpy()

    def graph():
        with tf.Graph().as_default():
            x = tf.constant(X0)
            y = tf.reduce_sum(tf.tanh(x) * tf.sigmoid(x)) + tf.reduce_sum(
                tf.square(tf.nn.log_softmax(x, axis=1))
            )
            (g,) = tf.gradients(y, [x])
            (h,) = tf.gradients(tf.reduce_sum(g * g), [x])
            with tf.Session() as sess:
                return sess.run([g, h])

    for a, b in zip(eager(), graph(), strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_custom_function_refuses_create_graph_clearly():
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="Square"):
        torch.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
