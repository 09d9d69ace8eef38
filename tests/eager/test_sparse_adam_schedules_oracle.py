"""optim.SparseAdam (touched rows only) and the lr schedules OneCycleLR,
CosineAnnealingWarmRestarts, PolynomialLR, MultiplicativeLR, SequentialLR and ChainedScheduler
against real torch: parameters after steps, lrs and momenta at every step."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")
R = np.random.default_rng(3)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("maximize", [False, True])
def test_sparse_adam_on_embedding_rows(dt, maximize):
    w0 = R.normal(size=(10, 4)).astype(dt)
    batches = [np.array([[1, 3, 3], [7, 1, 0]]), np.array([[2, 2, 9]]), np.array([[3, 4, 1]])]
    target = R.normal(size=(4,)).astype(dt)
    out = []
    for lib, sparse in ((torch, False), (rt, True)):
        emb = lib.nn.Embedding(10, 4, sparse=sparse, dtype=getattr(lib, np.dtype(dt).name))
        with lib.no_grad():
            emb.weight.copy_(lib.tensor(w0))
        opt = lib.optim.SparseAdam(emb.parameters(), lr=0.05, betas=(0.8, 0.95), maximize=maximize)
        for idx in batches * 2:
            opt.zero_grad()
            loss = ((emb(lib.tensor(idx)) - lib.tensor(target)) ** 2).sum()
            loss.backward()
            opt.step()
        out.append((emb.weight.detach().numpy(), opt.state[emb.weight]["exp_avg"].detach().numpy()))
    (wa, ma), (wb, mb) = out
    assert wa.dtype == wb.dtype == dt
    tol = dict(rtol=1e-5, atol=1e-6) if dt == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(wa, wb, **tol)
    np.testing.assert_allclose(ma, mb, **tol)
    untouched = [5, 6, 8]
    np.testing.assert_array_equal(wa[untouched], w0[untouched])


def test_sparse_adam_rejects_bad_hyperparameters():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="SparseAdam: invalid learning rate"):
        torch.optim.SparseAdam(p, lr=0.0)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        torch.optim.SparseAdam(p, betas=(0.9, 1.0))


def _trajectory(lib, make_opt, make_sched, steps):
    p = lib.nn.Parameter(lib.zeros(3))
    q = lib.nn.Parameter(lib.zeros(2))
    opt = make_opt(lib, [{"params": [p]}, {"params": [q], "lr": 0.3}])
    sched = make_sched(lib, opt)
    rows = []
    for _ in range(steps):
        for g in opt.param_groups:
            mom = g.get("momentum", g.get("betas", (None,))[0])
            rows.append((g["lr"], mom))
        rows.append(tuple(sched.get_last_lr()))
        opt.step()
        sched.step()
    return rows


def _sgd(lib, groups):
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def _adam(lib, groups):
    return lib.optim.Adam(groups, lr=0.1)


S = "optim.lr_scheduler"


def _ls(lib):
    return lib.optim.lr_scheduler


SCHEDULES = {
    "onecycle_cos": (_sgd, lambda lib, o: _ls(lib).OneCycleLR(o, max_lr=1.0, total_steps=12), 12),
    "onecycle_linear_three_phase_adam": (
        _adam,
        lambda lib, o: _ls(lib).OneCycleLR(
            o, max_lr=[0.5, 2.0], epochs=3, steps_per_epoch=4, anneal_strategy="linear",
            three_phase=True, pct_start=0.25,
        ),
        12,
    ),
    "onecycle_no_momentum": (
        _sgd, lambda lib, o: _ls(lib).OneCycleLR(o, 0.4, 10, cycle_momentum=False), 10),
    "warm_restarts": (_sgd, lambda lib, o: _ls(lib).CosineAnnealingWarmRestarts(o, 3), 10),
    "warm_restarts_mult": (
        _sgd, lambda lib, o: _ls(lib).CosineAnnealingWarmRestarts(o, 2, T_mult=2, eta_min=0.01),
        16),
    "polynomial": (_sgd, lambda lib, o: _ls(lib).PolynomialLR(o, total_iters=4, power=2.0), 7),
    "multiplicative": (
        _sgd, lambda lib, o: _ls(lib).MultiplicativeLR(o, lambda e: 0.9 ** (e % 3)), 6),
    "sequential_linear_then_cosine": (
        _sgd,
        lambda lib, o: _ls(lib).SequentialLR(
            o, [_ls(lib).LinearLR(o, 0.1, total_iters=3), _ls(lib).CosineAnnealingLR(o, 5)], [3]
        ),
        9,
    ),
    "sequential_three": (
        _sgd,
        lambda lib, o: _ls(lib).SequentialLR(
            o, [_ls(lib).ConstantLR(o, 0.5, 2), _ls(lib).ExponentialLR(o, 0.8),
                _ls(lib).StepLR(o, 2, 0.5)], [2, 5],
        ),
        10,
    ),
    "chained_exponential_step": (
        _sgd,
        lambda lib, o: _ls(lib).ChainedScheduler(
            [_ls(lib).ExponentialLR(o, 0.9), _ls(lib).StepLR(o, 3, 0.5)]
        ),
        8,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_against_torch(name):
    make_opt, make_sched, steps = SCHEDULES[name]
    ours = _trajectory(torch, make_opt, make_sched, steps)
    ref = _trajectory(rt, make_opt, make_sched, steps)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-12, atol=0)


def test_warm_restarts_fractional_epochs_against_torch():
    out = []
    for lib in (torch, rt):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.5)
        s = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 2, T_mult=3)
        lrs = []
        for e in (0.5, 1.25, 2.0, 3.7, 7.9, 9.1, 0.3):
            s.step(e)
            lrs.append(opt.param_groups[0]["lr"])
        out.append(lrs)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_schedule_errors_name_the_schedule():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="OneCycleLR: give total_steps"):
        torch.optim.lr_scheduler.OneCycleLR(opt, 1.0)
    s = torch.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=2)
    s.step()
    s.step()
    with pytest.raises(ValueError, match="more than total_steps=2"):
        s.step()
    with pytest.raises(ValueError, match="T_0"):
        torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 0)
    with pytest.raises(ValueError, match="milestones"):
        lr = torch.optim.lr_scheduler
        lr.SequentialLR(opt, [lr.StepLR(opt, 2), lr.StepLR(opt, 3)], [1, 2])
