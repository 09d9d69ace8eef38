"""A gradient of a gradient through a backward primitive without a rule of its own raises.

Such primitives (the fused attention, sequence-layer and CTC backwards, ...) declare
`derivative_of` in the record; a cotangent that would have to flow back through one is refused,
naming the op, in both styles, where treating it as a constant would drop terms silently.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.autodiff import GradientError
from duograd.core.primitives.registry import REGISTRY

RNG = np.random.default_rng(3)


def _qkv():
    return [RNG.standard_normal((1, 2, 3, 4)) for _ in range(3)]


def test_first_order_is_unchanged_and_second_order_raises_in_eager():
    q, k, v = (torch.tensor(a, requires_grad=True) for a in _qkv())
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    (out * out).sum().backward()
    assert q.grad is not None and np.isfinite(q.grad.numpy()).all()
    q2 = torch.tensor(q.detach().numpy(), requires_grad=True)
    out = torch.nn.functional.scaled_dot_product_attention(q2, k.detach(), v.detach())
    with pytest.raises(GradientError, match="scaled_dot_product_attention.*sdpa_grad"):
        torch.autograd.grad((out * out).sum(), q2, create_graph=True)


def test_lstm_gradient_penalty_raises_instead_of_dropping_terms():
    lstm = torch.nn.LSTM(3, 4).double()
    x = torch.tensor(RNG.standard_normal((5, 2, 3)), requires_grad=True)
    y, _ = lstm(x)
    with pytest.raises(GradientError, match="lstm"):
        torch.autograd.grad(y.sum(), x, create_graph=True)


def test_graph_gradient_of_a_gradient_raises():
    g = tf.Graph()
    with g.as_default():
        q, k, v = (tf.constant(a) for a in _qkv())
        out, _ = tf.attention.scaled_dot_product_attention(q, k, v, need_weights=False)
        (gq,) = tf.gradients(tf.reduce_sum(out * out), [q])
        with pytest.raises(GradientError, match="scaled_dot_product_attention"):
            tf.gradients(tf.reduce_sum(gq * gq), [q])


def test_derivative_only_primitives_declare_their_op():
    marked = {n for n, p in REGISTRY.items() if p.derivative_of}
    assert {"sdpa_grad", "lstm_seq_grad", "ctc_loss_grad", "gru_seq_grad"} <= marked
    for name in marked:
        assert REGISTRY[name].vjp is None, f"{name} has a rule; drop derivative_of"
