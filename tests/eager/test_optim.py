"""Optimizers: update formulas, param groups, failed steps, state dicts, lr schedules."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.eager.nn as nn
import duograd.frontends.eager.optim as optim
import numpy as np
import pytest

P0 = np.array([1.0, -2.0, 3.0])
GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.25, 0.5, 1.0]), np.array([1.0, 1.0, -1.0])]


def _run(make, steps=3):
    """Run an optimizer on one float64 param fed fixed gradients; return the param values."""
    p = nn.Parameter(torch.tensor(P0, dtype=torch.float64))
    opt = make([p])
    for g in GRADS[:steps]:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return p.detach().numpy(), opt


def test_sgd_plain_and_weight_decay():
    got, _ = _run(lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.01))
    p = P0.copy()
    for g in GRADS:
        p = p - 0.1 * (g + 0.01 * p)
    assert np.allclose(got, p, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum(nesterov):
    got, opt = _run(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=nesterov))
    p, buf = P0.copy(), None
    for g in GRADS:
        buf = g.copy() if buf is None else 0.9 * buf + g
        p = p - 0.1 * (g + 0.9 * buf if nesterov else buf)
    assert np.allclose(got, p, rtol=1e-12)
    assert "momentum_buffer" in opt.state[opt.param_groups[0]["params"][0]]


def test_sgd_dampening():
    got, _ = _run(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5, dampening=0.3))
    p, buf = P0.copy(), None
    for g in GRADS:
        buf = g.copy() if buf is None else 0.5 * buf + 0.7 * g
        p = p - 0.1 * buf
    assert np.allclose(got, p, rtol=1e-12)


def _adam_ref(lr=1e-2, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False, tf=False):
    p, m, v = P0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        if tf:
            p = p - lr * np.sqrt(bc2) / bc1 * m / (np.sqrt(v) + eps)
        else:
            p = p - lr / bc1 * m / (np.sqrt(v) / np.sqrt(bc2) + eps)
    return p


def test_adam_torch_and_tf_eps_modes():
    got, opt = _run(lambda ps: optim.Adam(ps, lr=1e-2))
    assert np.allclose(got, _adam_ref(), rtol=1e-12)
    assert opt.state[opt.param_groups[0]["params"][0]]["step"] == 3
    got_tf, _ = _run(lambda ps: optim.Adam(ps, lr=1e-2, eps=0.1, eps_mode="tf"))
    assert np.allclose(got_tf, _adam_ref(eps=0.1, tf=True), rtol=1e-12)
    assert not np.allclose(got_tf, _adam_ref(eps=0.1), rtol=1e-6)


def test_adam_weight_decay_and_adamw():
    got, _ = _run(lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=0.1))
    assert np.allclose(got, _adam_ref(wd=0.1), rtol=1e-12)
    got, _ = _run(lambda ps: optim.AdamW(ps, lr=1e-2, weight_decay=0.1))
    assert np.allclose(got, _adam_ref(wd=0.1, decoupled=True), rtol=1e-12)


def test_rmsprop():
    got, _ = _run(lambda ps: optim.RMSprop(ps, lr=1e-2, alpha=0.9, momentum=0.5))
    p, s, b = P0.copy(), np.zeros(3), np.zeros(3)
    for g in GRADS:
        s = 0.9 * s + 0.1 * g * g
        b = 0.5 * b + g / (np.sqrt(s) + 1e-8)
        p = p - 1e-2 * b
    assert np.allclose(got, p, rtol=1e-12)


def test_param_groups_and_add_param_group():
    a = nn.Parameter(torch.ones(2))
    b = nn.Parameter(torch.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad = torch.ones(2)
    b.grad = torch.ones(2)
    opt.step()
    assert np.allclose(a.detach().numpy(), 0.9) and b.tolist() == [0.0, 0.0]
    c = nn.Parameter(torch.ones(1))
    opt.add_param_group({"params": c, "momentum": 0.9})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_zero_grad_sets_none_by_default():
    p = nn.Parameter(torch.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing changes
    assert p.tolist() == [1.0, 1.0]


def test_optimizer_refuses_params_that_do_not_require_grad():
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([torch.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([nn.Parameter(torch.ones(1)) * 2], lr=0.1)


def test_failed_step_changes_nothing():
    a = nn.Parameter(torch.ones(2))
    b = nn.Parameter(torch.ones(3))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = torch.ones(2)
    b.grad = torch.ones(3)
    opt.step()
    snapshot = {k: v.clone() for k, v in opt.state[a].items() if isinstance(v, torch.Tensor)}
    a_before, b_before = a.detach().clone(), b.detach().clone()
    a.grad = torch.ones(2)
    b.grad = torch.ones(3)
    b.grad.data = torch.ones(4)  # .data bypasses the grad setter's check, as in PyTorch
    with pytest.raises(RuntimeError, match=r"gradient of param 1 has shape \(4,\).*\(3,\)"):
        opt.step()
    assert np.array_equal(a.detach().numpy(), a_before.numpy())
    assert np.array_equal(b.detach().numpy(), b_before.numpy())
    assert opt.state[a]["step"] == 1
    for k, v in snapshot.items():
        assert np.array_equal(opt.state[a][k].numpy(), v.numpy())


def test_closure_is_evaluated_with_grad():
    w = nn.Parameter(torch.tensor([2.0]))
    opt = optim.SGD([w], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with torch.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.tolist() == [0.0]


def test_optimizer_state_dict_roundtrip():
    got, opt = _run(lambda ps: optim.Adam(ps, lr=1e-2), steps=2)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and set(sd["state"][0]) >= {"exp_avg", "step"}
    p2 = nn.Parameter(torch.tensor(got, dtype=torch.float64))
    opt2 = optim.Adam([p2], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 1e-2
    p2.grad = torch.tensor(GRADS[2], dtype=torch.float64)
    opt2.step()
    assert np.allclose(p2.detach().numpy(), _adam_ref(), rtol=1e-12)
    with pytest.raises(ValueError, match="parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": []})


def test_step_lr():
    p = nn.Parameter(torch.ones(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert sched.get_last_lr() == [0.25]


def test_step_bumps_the_version_so_stale_graphs_are_refused():
    w = nn.Parameter(torch.tensor([1.0, 2.0]))
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    loss = (w * x).sum()
    w.grad = torch.ones(2)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
