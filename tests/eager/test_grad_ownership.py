"""backward() may keep a cotangent as .grad uncopied, but never one that anything else holds."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np


def _t(values, grad=True):
    return torch.tensor(np.asarray(values, np.float32), requires_grad=grad)


def _shares(a, b) -> bool:
    return np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_one_cotangent_reaching_two_leaves_gives_each_its_own_grad():
    a, b = _t([[0.5, 1.0], [2.0, -1.0]]), _t([[1.5, 0.0], [-2.0, 3.0]])
    (a + b).exp().sum().backward()  # add's VJP hands exp's (fresh) cotangent to both
    want = np.exp(np.float32([[2.0, 1.0], [0.0, 2.0]]))
    np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-6)
    assert not _shares(a, b)
    a.grad.numpy()[...] = 0  # changing one leaves the other alone
    np.testing.assert_allclose(b.grad.numpy(), want, rtol=1e-6)


def test_a_seed_the_caller_holds_is_copied():
    x = _t([1.0, 2.0])
    seed = torch.tensor(np.float32([3.0, 4.0]))
    x.backward(seed)  # the root is the leaf itself: its cotangent is the seed
    assert not np.shares_memory(x.grad.numpy(), seed.numpy())
    x.grad.numpy()[0] = 100
    assert seed.numpy()[0] == 3.0


def test_retained_graph_and_retained_grads_stay_unaliased():
    x = _t([1.0, -2.0, 3.0])
    h = x * 2.0
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    np.testing.assert_array_equal(first, np.float32([8.0, -16.0, 24.0]))
    y.backward()  # accumulates into the same .grad, in place
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first)
    np.testing.assert_array_equal(h.grad.numpy(), np.float32([8.0, -16.0, 24.0]) * 1.0)
    assert not _shares(x, h)


def test_a_kept_grad_is_accumulated_in_place_like_a_copied_one():
    w = _t([[1.0, 2.0], [3.0, 4.0]])
    x = torch.tensor(np.float32([[1.0, 0.5], [-1.0, 2.0]]))
    (x @ w).sum().backward()
    held = w.grad  # a reference held across steps sees later accumulation, as in PyTorch
    (x @ w).sum().backward()
    assert held is w.grad
    np.testing.assert_array_equal(held.numpy(), 2 * np.float32([[0.0, 0.0], [2.5, 2.5]]))


def test_ownership_comes_from_the_tape_not_reference_counts():
    from duograd.frontends.eager import tape

    w = _t([[1.0, 2.0], [3.0, 4.0]])
    x = torch.tensor(np.float32([[1.0, 0.5], [-1.0, 2.0]]))
    y = (x @ w).sum()
    owned: set = set()
    cts, leaves, _ = tape.run_backward([(y._node, np.float32(1.0))], None, False, owned)
    (acc,) = leaves
    assert id(cts[acc]) in owned  # a fresh matmul result only the sweep holds
    seed = np.ones(2, np.float32)
    b = _t([1.0, 2.0])
    c = b + 0.0  # add's VJP hands the seed itself to b
    owned = set()
    cts, leaves, _ = tape.run_backward([(c._node, seed)], None, False, owned)
    assert cts[leaves[0]] is seed and id(seed) not in owned
