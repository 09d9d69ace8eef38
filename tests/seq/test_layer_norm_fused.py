"""The fused layer norm is what both styles' layer norms run; linear over (..., in) is one product.

Values and gradients against float64 numpy; eager and graph give the same bits; layouts the
fused primitive does not take (leading axes, broadcast parameters) still compose it; bad
operands name the op.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.errors import ShapeError
from duograd.core.primitives import layernorm as PL

RNG = np.random.default_rng(15)


def _numpy_layer_norm(x, w, b, eps):
    x = x.astype(np.float64)
    m = x.mean(-1, keepdims=True)
    return (x - m) / np.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + eps) * w + b


@pytest.fixture
def calls(monkeypatch):
    """Counts the fused forward and backward kernels' calls."""
    seen = {"fwd": 0, "bwd": 0}
    fwd, bwd = PL.LAYER_NORM.impl, PL.LAYER_NORM_GRAD.impl

    def f(*a, **k):
        seen["fwd"] += 1
        return fwd(*a, **k)

    def g(*a, **k):
        seen["bwd"] += 1
        return bwd(*a, **k)

    monkeypatch.setattr(PL.LAYER_NORM, "impl", f)
    monkeypatch.setattr(PL.LAYER_NORM_GRAD, "impl", g)
    return seen


def _eager(x, w, b, gy):
    xt = torch.tensor(x, requires_grad=True)
    norm = torch.nn.LayerNorm(x.shape[-1])
    with torch.no_grad():
        norm.weight.copy_(torch.tensor(w))
        norm.bias.copy_(torch.tensor(b))
    y = norm(xt)
    (y * torch.tensor(gy)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), norm.weight.grad.numpy(), norm.bias.grad.numpy()


def _graph(x, w, b, gy):
    g = tf.Graph()
    with g.as_default():
        px = tf.placeholder(tf.float32, [None, *x.shape[1:]])
        y = tf.attention.layer_norm(px, name="ln")
        variables = {v.name.split("/")[-1].split(":")[0]: v for v in tf.global_variables()}
        gamma, beta = variables["gamma"], variables["beta"]
        grads = tf.gradients(tf.reduce_sum(y * gy), [px, gamma, beta])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            gamma.load(w, sess)
            beta.load(b, sess)
            return sess.run([y, *grads], {px: x})


@pytest.mark.parametrize("shape", [(3, 4, 8), (70, 130)])
def test_both_styles_run_the_fused_kernels_with_the_same_bits(calls, shape):
    x = (RNG.standard_normal(shape) * 2 + 1).astype(np.float32)
    w = RNG.uniform(0.5, 1.5, shape[-1:]).astype(np.float32)
    b = RNG.uniform(-1, 1, shape[-1:]).astype(np.float32)
    gy = RNG.standard_normal(shape).astype(np.float32)
    eager = _eager(x, w, b, gy)
    assert calls == {"fwd": 1, "bwd": 1}
    graph = _graph(x, w, b, gy)
    assert calls == {"fwd": 2, "bwd": 2}
    for e, g in zip(eager, graph, strict=True):
        np.testing.assert_array_equal(e, g)
    np.testing.assert_allclose(eager[0], _numpy_layer_norm(x, w, b, 1e-5), rtol=1e-5, atol=1e-5)
    x64, gy64 = x.astype(np.float64), gy.astype(np.float64)
    m = x64.mean(-1, keepdims=True)
    xh = (x64 - m) / np.sqrt(((x64 - m) ** 2).mean(-1, keepdims=True) + 1e-5)
    axes = tuple(range(x.ndim - 1))
    np.testing.assert_allclose(eager[2], (gy64 * xh).sum(axes), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(eager[3], gy64.sum(axes), rtol=1e-4, atol=1e-4)


def test_leading_axes_compose_it_and_agree(calls):
    from duograd.core import functional as CF

    x = RNG.standard_normal((3, 4, 5)).astype(np.float64)
    y = CF.layer_norm(x, None, None, 1e-5, (0, 1))
    assert calls["fwd"] == 0  # the fused primitive takes trailing axes only
    m = x.mean((0, 1), keepdims=True)
    want = (x - m) / np.sqrt(((x - m) ** 2).mean((0, 1), keepdims=True) + 1e-5)
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-12, atol=1e-12)


def test_bad_operands_name_the_op():
    x = np.zeros((2, 4), np.float32)
    with pytest.raises(ShapeError, match="layer_norm_fused: the scale"):
        PL.layer_norm_fused(x, np.ones(3, np.float32), None, 1e-5, 1)
    with pytest.raises(TypeError, match="layer_norm_fused: every operand"):
        PL.layer_norm_fused(x, np.ones(4, np.float64), None, 1e-5, 1)
    with pytest.raises(ValueError, match="layer_norm_fused: naxes"):
        PL.layer_norm_fused(x, None, None, 1e-5, 3)
    with pytest.raises(ShapeError, match="layer_norm_grad: the cotangent"):
        PL.layer_norm_grad(
            np.zeros((2, 3), np.float32), x, np.zeros((), np.float32), 1e-5, 1, False
        )


def test_linear_over_a_batch_is_one_product_with_float64_close_gradients():
    x = RNG.standard_normal((4, 6, 5)).astype(np.float32)
    lin = torch.nn.Linear(5, 3)
    xt = torch.tensor(x, requires_grad=True)
    gy = RNG.standard_normal((4, 6, 3)).astype(np.float32)
    y = lin(xt)
    (y * torch.tensor(gy)).sum().backward()
    w = lin.weight.detach().numpy().astype(np.float64)
    x64, g64 = x.astype(np.float64), gy.astype(np.float64)
    b = lin.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), x64 @ w.T + b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        lin.weight.grad.numpy(), g64.reshape(-1, 3).T @ x64.reshape(-1, 5), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(lin.bias.grad.numpy(), g64.sum((0, 1)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), g64 @ w, rtol=1e-5, atol=1e-5)


def test_gradient_of_a_gradient_matches_torch():
    """A gradient penalty through nn.LayerNorm (create_graph=True) against real PyTorch."""
    real = pytest.importorskip("torch")
    x0 = RNG.standard_normal((4, 6)) * 2 + 1
    w0, b0 = RNG.uniform(0.5, 1.5, 6), RNG.uniform(-1, 1, 6)
    c0 = RNG.standard_normal((4, 6))
    got, want = [], []
    for lib, out in ((torch, got), (real, want)):
        ln = lib.nn.LayerNorm(6).double()
        with lib.no_grad():
            ln.weight.copy_(lib.tensor(w0))
            ln.bias.copy_(lib.tensor(b0))
        x = lib.tensor(x0, requires_grad=True)
        loss = (ln(x) * lib.tensor(c0)).pow(2).sum()
        (gx,) = lib.autograd.grad(loss, x, create_graph=True)
        (gx * gx).sum().backward()
        out += [
            x.grad.detach().numpy(),
            ln.weight.grad.detach().numpy(),
            ln.bias.grad.detach().numpy(),
        ]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
