"""The eager tape keeps only what a VJP reads by value: unread operands and outputs become
zero-memory stand-ins (so their memory is freed with the forward tensors), ReLU keeps its output
rather than its input, and gradients keep every bit."""

from __future__ import annotations

import gc
import weakref

import duograd.frontends.eager as torch
import numpy as np
import pytest


def _owns_memory(a: np.ndarray) -> bool:
    return a.size == 0 or all(s != 0 for s in a.strides)


def test_add_keeps_neither_operand_and_relu_keeps_its_output():
    x = torch.tensor(np.linspace(-1, 1, 4096, dtype=np.float32), requires_grad=True)
    h = x * 3.0  # mul reads the 3.0 only (x wants the gradient)
    z = h + 1.0
    y = torch.relu(z)
    add_node, relu_node = z.grad_fn, y.grad_fn
    assert not _owns_memory(add_node.inputs[0])  # h; the scalar 1.0 is too small to matter
    assert not _owns_memory(add_node.output)
    assert not _owns_memory(relu_node.inputs[0])  # the pre-activation is not kept
    assert relu_node.output is y._data  # the activation is
    y.sum().backward()
    want = np.where(np.linspace(-1, 1, 4096, dtype=np.float32) * 3.0 + 1.0 > 0, 3.0, 0.0)
    np.testing.assert_array_equal(x.grad.numpy(), want.astype(np.float32))


def test_an_unread_intermediate_is_freed_before_backward():
    x = torch.tensor(np.ones((64, 64), np.float32), requires_grad=True)
    z = x + 1.0
    ref = weakref.ref(z._data)
    y = torch.relu(z)
    del z
    gc.collect()
    assert ref() is None  # only the (reading) relu node could have held it, and it does not
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((64, 64), np.float32))


def test_in_place_change_of_a_read_value_is_still_caught():
    x = torch.tensor(np.linspace(-1, 1, 1024, dtype=np.float32), requires_grad=True)
    y = torch.relu(x * 1.0)
    y.add_(1.0)  # relu's gradient reads y
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_resnet_like_block_gradients_match_real_torch():
    real = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    w = (rng.standard_normal((6, 3, 3, 3)) * 0.3).astype(np.float32)
    grads = []
    for lib in (torch, real):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bn = lib.nn.BatchNorm2d(6)
        h = lib.relu(bn(lib.nn.functional.conv2d(xt, wt, padding=1)))
        (h * h).mean().backward()
        grads.append((xt.grad.numpy(), wt.grad.numpy(), bn.weight.grad.numpy()))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
