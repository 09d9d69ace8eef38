"""More nn modules/functions, optimizers and schedulers against real PyTorch (values, gradients)."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
X = (RNG.standard_normal((2, 3, 9)) * 3).astype(np.float32)
T = RNG.standard_normal((2, 3, 9)).astype(np.float32)

FUNCS = [
    ("gelu", lambda L, x: L.nn.functional.gelu(x)),
    ("gelu_tanh", lambda L, x: L.nn.functional.gelu(x, approximate="tanh")),
    ("softplus", lambda L, x: L.nn.functional.softplus(x)),
    ("softplus_beta", lambda L, x: L.nn.functional.softplus(x, beta=2.0, threshold=5.0)),
    ("elu", lambda L, x: L.nn.functional.elu(x, alpha=0.7)),
    ("selu", lambda L, x: L.nn.functional.selu(x)),
    ("silu", lambda L, x: L.nn.functional.silu(x)),
    ("logsigmoid", lambda L, x: L.nn.functional.logsigmoid(x)),
    ("softsign", lambda L, x: L.nn.functional.softsign(x)),
    ("hardtanh", lambda L, x: L.nn.functional.hardtanh(x, -0.5, 2.0)),
    ("relu6", lambda L, x: L.nn.functional.relu6(x)),
    ("smooth_l1", lambda L, x: L.nn.functional.smooth_l1_loss(x, L.from_numpy(T))),
    ("smooth_l1_beta", lambda L, x: L.nn.functional.smooth_l1_loss(x, L.from_numpy(T), beta=0.5)),
    ("smooth_l1_sum", lambda L, x: L.nn.SmoothL1Loss(reduction="sum")(x, L.from_numpy(T))),
    ("huber", lambda L, x: L.nn.functional.huber_loss(x, L.from_numpy(T), delta=0.8)),
    ("HuberLoss", lambda L, x: L.nn.HuberLoss(reduction="none")(x, L.from_numpy(T))),
    ("GELU", lambda L, x: L.nn.GELU()(x)),
    ("Softplus", lambda L, x: L.nn.Softplus()(x)),
    ("ELU", lambda L, x: L.nn.ELU()(x)),
    ("SiLU", lambda L, x: L.nn.SiLU()(x)),
    ("ReLU6", lambda L, x: L.nn.ReLU6()(x)),
    ("max_pool1d", lambda L, x: L.nn.functional.max_pool1d(x, 3, 2)),
    ("avg_pool1d", lambda L, x: L.nn.functional.avg_pool1d(x, 2)),
    ("MaxPool1d", lambda L, x: L.nn.MaxPool1d(2)(x)),
    ("AvgPool1d", lambda L, x: L.nn.AvgPool1d(3, stride=1, padding=1)(x)),
]


@pytest.mark.parametrize("name,fn", FUNCS, ids=[f[0] for f in FUNCS])
def test_function_value_and_grad_match_torch(name, fn):
    xt, xd = torch.tensor(X, requires_grad=True), dg.tensor(X, requires_grad=True)
    yt, yd = fn(torch, xt), fn(dg, xd)
    assert str(yd.dtype) == str(yt.dtype) and tuple(yd.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    (yt * torch.from_numpy(w)).sum().backward()
    (yd * dg.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1}, {"padding": "same"},
                                {"dilation": 2, "bias": False}])  # fmt: skip
def test_conv1d_matches_torch(kw):
    mt = torch.nn.Conv1d(3, 4, 3, **kw).double()
    md = dg.nn.Conv1d(3, 4, 3, **kw).double()
    md.weight.data.copy_(dg.from_numpy(mt.weight.detach().numpy()))
    if mt.bias is not None:
        md.bias.data.copy_(dg.from_numpy(mt.bias.detach().numpy()))
    x = X.astype(np.float64)
    xt, xd = torch.tensor(x, requires_grad=True), dg.tensor(x, requires_grad=True)
    yt, yd = mt(xt), md(xd)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    yt.square().sum().backward()
    yd.square().sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(md.weight.grad.numpy(), mt.weight.grad.numpy(), rtol=1e-10)


def test_conv1d_init_shapes_and_fan_match_torch():
    m = dg.nn.Conv1d(4, 6, 5)
    assert tuple(m.weight.shape) == (6, 4, 5) and tuple(m.bias.shape) == (6,)
    bound = 1 / np.sqrt(4 * 5)
    assert np.abs(m.bias.detach().numpy()).max() <= bound


def test_data_parallel_runs_the_module_and_keeps_its_parameters():
    inner = dg.nn.Linear(3, 2)
    dp = dg.nn.DataParallel(inner)
    x = dg.randn(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), inner(x).detach().numpy())
    assert dp.module is inner and len(list(dp.parameters())) == 2
    assert dg.nn.parallel.data_parallel(inner, x).shape == (4, 2)
    assert issubclass(dg.nn.Linear, dg.nn.Container)


def test_deprecated_init_aliases_warn_and_initialise():
    w = dg.empty(20, 30)
    with pytest.warns(FutureWarning, match="xavier_uniform_"):
        dg.nn.init.xavier_uniform(w)
    bound = np.sqrt(6 / 50)
    assert 0 < np.abs(w.numpy()).max() <= bound


def _train(L, name, steps=6, **kw):
    L.manual_seed(0)
    w0 = np.linspace(-1, 1, 12).reshape(3, 4)
    x = L.tensor(np.arange(8.0).reshape(2, 4) / 8)
    w = L.tensor(w0.copy(), requires_grad=True)
    b = L.tensor(np.array([0.3, -0.2, 0.1]), requires_grad=True)
    opt = getattr(L.optim, name)([w, b], **kw)
    losses = []
    for _ in range(steps):

        def closure():
            opt.zero_grad()
            loss = ((x @ w.t() + b).tanh() ** 2).sum() + (w**2).sum() * 0.1
            loss.backward()
            return loss

        losses.append(float(opt.step(closure).detach()))
    return np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]), losses


OPTIMS = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.05}),
    ("LBFGS", {}),
    ("LBFGS", {"lr": 0.5, "history_size": 3, "max_iter": 7}),
    ("LBFGS", {"line_search_fn": "strong_wolfe"}),
]


@pytest.mark.parametrize("name,kw", OPTIMS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMS)])
def test_optimizer_trajectory_matches_torch(name, kw):
    pd, ld = _train(dg, name, **kw)
    pt, lt = _train(torch, name, **kw)
    # L-BFGS with lr=1 overshoots (loss 2.7 -> 31 -> 1e-3 here): over its 20 inner iterations
    # the last-bit differences of dot products (BLAS summation order) and of tanh grow, by how
    # much depends on the CPU's code paths: ~1e-9 on one machine, 2e-8 (1.6e-5 relative, on the
    # 1e-3 loss) on another; parameters still agree to 1e-6
    rtol, atol = (1e-4, 1e-7) if name == "LBFGS" else (1e-9, 1e-12)
    np.testing.assert_allclose(pd, pt, rtol=rtol, atol=atol)
    np.testing.assert_allclose(ld, lt, rtol=rtol, atol=atol)


def test_lbfgs_needs_a_closure():
    w = dg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        dg.optim.LBFGS([w]).step()


SCHEDS = [
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("MultiStepLR", {"milestones": [2, 5], "gamma": 0.3}),
    ("LinearLR", {"start_factor": 0.25, "total_iters": 4}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 3}),
]


@pytest.mark.parametrize("name,kw", SCHEDS, ids=[s[0] for s in SCHEDS])
def test_scheduler_lrs_match_torch(name, kw):
    def lrs(L):
        p = L.zeros(1, requires_grad=True)
        opt = L.optim.SGD([p], lr=0.2)
        sched = getattr(L.optim.lr_scheduler, name)(opt, **kw)
        out = []
        for _ in range(10):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr()[0])
        return out

    np.testing.assert_allclose(lrs(dg), lrs(torch), rtol=1e-12)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.91, 0.92, 0.93, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9]

    def lrs(L):
        p = L.zeros(1, requires_grad=True)
        opt = L.optim.SGD([p], lr=1.0)
        sched = L.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1)
        out = []
        for m in metrics:
            sched.step(m)
            out.append(opt.param_groups[0]["lr"])
        return out

    assert lrs(dg) == lrs(torch)


CONVT = [
    {},
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": 2, "dilation": 2, "padding": 2},
    {"stride": 3, "output_padding": 2, "bias": False},
]


@pytest.mark.parametrize("kw", CONVT, ids=[str(k) for k in CONVT])
@pytest.mark.parametrize("dims", [1, 2])
def test_conv_transpose_matches_torch(kw, dims):
    cls = "ConvTranspose2d" if dims == 2 else "ConvTranspose1d"
    mt = getattr(torch.nn, cls)(3, 4, 3, **kw).double()
    md = getattr(dg.nn, cls)(3, 4, 3, **kw).double()
    md.weight.data.copy_(dg.from_numpy(mt.weight.detach().numpy()))
    if mt.bias is not None:
        md.bias.data.copy_(dg.from_numpy(mt.bias.detach().numpy()))
    x = RNG.standard_normal((2, 3, 5, 6)[: dims + 2])
    xt, xd = torch.tensor(x, requires_grad=True), dg.tensor(x, requires_grad=True)
    yt, yd = mt(xt), md(xd)
    assert tuple(yd.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    yt.square().sum().backward()
    yd.square().sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(md.weight.grad.numpy(), mt.weight.grad.numpy(), rtol=1e-10)
