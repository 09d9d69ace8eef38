"""A compiled segment's gradients go to .grad uncopied, yet never alias anything else."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np

RNG = np.random.default_rng(7)
XA = RNG.standard_normal((3, 4)).astype(np.float32)
WA = RNG.standard_normal((3, 4)).astype(np.float32)


def _leaves():
    return torch.tensor(XA, requires_grad=True), torch.tensor(WA, requires_grad=True)


def _steps(fn, calls: int, seed=None) -> list[tuple[bytes, bytes]]:
    """Accumulate `calls` backward passes into the same leaves; the grads after each."""
    x, w = _leaves()
    seen = []
    for _ in range(calls):
        out = fn(x, w)
        if seed is None:
            out.sum().backward()
        else:
            out.backward(seed)
        seen.append((x.grad.numpy().tobytes(), w.grad.numpy().tobytes()))
    return seen


def _mixed(x, w):
    return (x * w + x.exp()).tanh()


def _passthrough(x, w):
    return x + w  # both gradients are the cotangent itself


def _flat(x, w):
    return torch.floor(x) * w  # x's gradient is zeros whatever the cotangent


def test_accumulated_grads_match_eager_bitwise():
    for fn in (_mixed, _passthrough, _flat):
        assert _steps(torch.compile(fn), 4) == _steps(fn, 4), fn.__name__


def test_grads_share_no_memory_with_each_other_the_seed_or_the_inputs():
    seed = torch.tensor(RNG.standard_normal((3, 4)).astype(np.float32))
    before = seed.numpy().copy()
    for fn in (_passthrough, _mixed):
        c = torch.compile(fn)
        for _ in range(2):  # the second call replays the compiled plans
            x, w = _leaves()
            c(x, w).backward(seed)
            gx, gw, s = x.grad.numpy(), w.grad.numpy(), seed.numpy()
            for a, b in ((gx, gw), (gx, s), (gw, s), (gx, x.detach().numpy())):
                assert not np.shares_memory(a, b), fn.__name__
            gx[...] = 100.0
            gw[...] = 100.0
            np.testing.assert_array_equal(seed.numpy(), before)
            np.testing.assert_array_equal(x.detach().numpy(), XA)


def test_a_grad_changed_in_place_does_not_leak_into_the_next_call():
    # a gradient plan's zeros could be one constant array: writing into .grad must not reach it
    c = torch.compile(_flat)
    x, w = _leaves()
    c(x, w).sum().backward()
    held = x.grad
    held.numpy()[...] = 5.0
    x2, w2 = _leaves()
    c(x2, w2).sum().backward()
    np.testing.assert_array_equal(x2.grad.numpy(), np.zeros((3, 4), np.float32))
    assert not np.shares_memory(x2.grad.numpy(), held.numpy())


def test_a_held_grad_sees_the_next_accumulation_in_place():
    c = torch.compile(_mixed)
    x, w = _leaves()
    c(x, w).sum().backward()
    held = x.grad
    first = held.numpy().copy()
    c(x, w).sum().backward()
    assert x.grad is held
    eager_x, eager_w = _leaves()
    for _ in range(2):
        _mixed(eager_x, eager_w).sum().backward()
    assert held.numpy().tobytes() == eager_x.grad.numpy().tobytes()
    assert not np.array_equal(held.numpy(), first)
