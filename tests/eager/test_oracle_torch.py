"""Oracle: every op's forward and gradients, and whole programs, against real PyTorch.

Real PyTorch is imported as ``torch_ref``; our frontend as ``dg``. Inputs are the same numpy
arrays; initial weights are copied across, so only the arithmetic can differ.
"""

from __future__ import annotations

import math
import zlib

import duograd.frontends.eager as dg
import duograd.frontends.eager.nn as dnn
import duograd.frontends.eager.nn.functional as dF
import numpy as np
import pytest
from duograd.frontends.eager.utils.data import DataLoader as DLoader
from duograd.frontends.eager.utils.data import TensorDataset as DDataset
from oracle_check import assert_matches

torch_ref = pytest.importorskip("torch")
tF = torch_ref.nn.functional


def _rand(rng, shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def R(*shape):  # noqa: N802 - short names keep the table readable
    """Uniform on [-2, 2)."""
    return lambda rng: _rand(rng, shape)


def A(*shape):  # noqa: N802
    """Away from 0 (kinks of abs/relu/clamp)."""
    return lambda rng: (rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(
        np.float32
    )


def P(*shape):  # noqa: N802
    """Positive (log, sqrt, pow bases)."""
    return lambda rng: rng.uniform(0.3, 2.0, size=shape).astype(np.float32)


def U(*shape):  # noqa: N802
    """Probabilities in (0.05, 0.95)."""
    return lambda rng: rng.uniform(0.05, 0.95, size=shape).astype(np.float32)


def case(name, inputs, fn, rtol=0.0, rtol_grad=1e-6):
    """fn(lib, *tensors) runs with lib = our frontend or real torch."""
    return pytest.param(inputs, fn, rtol, max(rtol, rtol_grad), id=name)


E, M = 1e-6, 1e-5  # elementwise and matmul/reduction tolerances
CASES = [
    case("add", [R(3, 4), R(4)], lambda t, a, b: a + b, E),
    case("radd_scalar", [R(3)], lambda t, a: 2.5 + a, E),
    case("sub", [R(2, 3), R(2, 1)], lambda t, a, b: a - b, E),
    case("rsub_scalar", [R(3)], lambda t, a: 1 - a, E),
    case("mul", [R(3, 4), R(3, 4)], lambda t, a, b: a * b, E),
    case("div", [R(3, 4), A(4)], lambda t, a, b: a / b, E, M),
    case("rdiv_scalar", [A(5)], lambda t, a: 1.0 / a, E, M),
    case("pow_scalar", [P(5)], lambda t, a: a**3, E, M),
    case("pow_tensor", [P(5), R(5)], lambda t, a, b: a**b, M, M),
    case("rpow", [R(4)], lambda t, a: 2.0**a, E, M),
    case("neg", [R(4)], lambda t, a: -a),
    case("exp", [R(4, 3)], lambda t, a: a.exp(), E),
    case("log", [P(4)], lambda t, a: a.log(), E),
    case("sqrt", [P(4)], lambda t, a: t.sqrt(a), E),
    case("rsqrt", [P(4)], lambda t, a: t.rsqrt(a), E, M),
    case("abs", [A(5)], lambda t, a: t.abs(a)),
    case("tanh", [R(5)], lambda t, a: t.tanh(a), E, M),
    case("sigmoid", [R(5)], lambda t, a: t.sigmoid(a), E, M),
    case("relu", [A(6)], lambda t, a: t.relu(a)),
    case("square", [R(4)], lambda t, a: t.square(a), E),
    case("sin", [R(4)], lambda t, a: t.sin(a), E, M),
    case("cos", [R(4)], lambda t, a: t.cos(a), E, M),
    case("clamp", [A(8)], lambda t, a: a.clamp(-1.0, 0.5)),
    case("clamp_min", [A(8)], lambda t, a: t.clamp(a, min=0.1)),
    case("maximum", [R(5), R(5)], lambda t, a, b: t.maximum(a, b)),
    case("minimum", [R(5), R(5)], lambda t, a, b: t.minimum(a, b)),
    case("where", [R(5), R(5)], lambda t, a, b: t.where(a > b, a, b * 2)),
    case("matmul", [R(3, 4), R(4, 5)], lambda t, a, b: a @ b, M, M),
    case("matmul_batched", [R(2, 3, 4), R(4, 2)], lambda t, a, b: t.matmul(a, b), M, M),
    case("matmul_vec", [R(4), R(4, 3)], lambda t, a, b: t.matmul(a, b), M, M),
    case("matvec", [R(3, 4), R(4)], lambda t, a, b: t.matmul(a, b), M, M),
    case("dot", [R(4), R(4)], lambda t, a, b: t.dot(a, b), M, M),
    case("mm_t", [R(3, 4), R(5, 4)], lambda t, a, b: a.mm(b.t()), M, M),
    case("bmm", [R(2, 3, 4), R(2, 4, 2)], lambda t, a, b: t.bmm(a, b), M, M),
    case("outer", [R(3), R(2)], lambda t, a, b: t.outer(a, b), E),
    case("sum_all", [R(3, 4)], lambda t, a: a.sum(), M),
    case("sum_dim", [R(3, 4, 2)], lambda t, a: a.sum(1), M),
    case("sum_dims_keep", [R(3, 4, 2)], lambda t, a: a.sum((0, 2), keepdim=True), M),
    case("mean", [R(3, 4)], lambda t, a: a.mean(0), M),
    case("max_all", [R(3, 4)], lambda t, a: a.max()),
    case("max_dim", [R(3, 4)], lambda t, a: a.max(1)[0]),
    case("min_dim_keep", [R(3, 4)], lambda t, a: a.min(0, keepdim=True).values),
    case("amax", [R(3, 4)], lambda t, a: a.amax(1)),
    case("logsumexp", [R(3, 4)], lambda t, a: a.logsumexp(1), M, M),
    case("norm", [R(3, 4)], lambda t, a: a.norm(), M, M),
    case("norm_dim_p1", [A(3, 4)], lambda t, a: a.norm(p=1, dim=1), M, M),
    case("var", [R(3, 4)], lambda t, a: a.var(1), M, M),
    case("std_all", [R(3, 4)], lambda t, a: a.std(), M, M),
    case("softmax", [R(3, 5)], lambda t, a: a.softmax(1), E, M),
    case("softmax_dim0", [R(3, 5)], lambda t, a: t.nn.functional.softmax(a, dim=0), E, M),
    case("log_softmax", [R(3, 5)], lambda t, a: t.nn.functional.log_softmax(a, dim=-1), E, M),
    case("leaky_relu", [A(6)], lambda t, a: t.nn.functional.leaky_relu(a, 0.1)),
    case("reshape", [R(3, 4)], lambda t, a: a.reshape(2, -1) * 2),
    case("view_flatten", [R(2, 3, 4)], lambda t, a: a.view(2, 12).flatten()),
    case("transpose", [R(2, 3, 4)], lambda t, a: a.transpose(0, 2)),
    case("permute", [R(2, 3, 4)], lambda t, a: a.permute(1, 2, 0)),
    case("T", [R(2, 3)], lambda t, a: a.T),
    case("unsqueeze_squeeze", [R(3, 1)], lambda t, a: a.unsqueeze(0).squeeze()),
    case("squeeze_dim", [R(3, 1)], lambda t, a: a.squeeze(0).squeeze(1)),
    case("expand", [R(3, 1)], lambda t, a: a.expand(3, 4)),
    case("expand_neg", [R(3, 1)], lambda t, a: a.expand(2, -1, 5)),
    case("repeat", [R(2, 3)], lambda t, a: a.repeat(2, 1, 2)),
    case("getitem_slices", [R(4, 5)], lambda t, a: a[1:3, ::2]),
    case("getitem_int_none", [R(4, 5)], lambda t, a: a[2, None]),
    case("getitem_list", [R(4, 5)], lambda t, a: a[[0, 2, 2]]),
    case("getitem_mask", [R(4, 5)], lambda t, a: a[a > 0]),
    case("cat", [R(2, 3), R(4, 3)], lambda t, a, b: t.cat([a, b])),
    case("cat_dim1", [R(2, 3), R(2, 1)], lambda t, a, b: t.cat((a, b), 1)),
    case("stack", [R(2, 3), R(2, 3)], lambda t, a, b: t.stack([a, b], 1)),
    case("split", [R(5, 2)], lambda t, a: t.split(a, 2)[2] * 3),
    case("chunk", [R(5, 2)], lambda t, a: a.chunk(2)[0]),
    case("flip", [R(3, 4)], lambda t, a: a.flip(1)),
    case("index_select", [R(4, 3)], lambda t, a: a.index_select(0, t.tensor([3, 0, 3]))),
    case("gather", [R(3, 4)], lambda t, a: a.gather(1, t.tensor([[0, 0], [1, 3], [2, 1]]))),
    case("linear", [R(5, 3), R(4, 3), R(4)], lambda t, *a: t.nn.functional.linear(*a), M, M),
    case("mse_loss", [R(4, 3), R(4, 3)], lambda t, a, b: t.nn.functional.mse_loss(a, b), E),
    case(
        "mse_loss_sum",
        [R(4, 3), R(4, 3)],
        lambda t, a, b: t.nn.functional.mse_loss(a, b, reduction="sum"),
        E,
    ),
    case("l1_loss", [R(4, 3), R(4, 3)], lambda t, a, b: t.nn.functional.l1_loss(a, b), E),
    case(
        "cross_entropy_probs",
        [R(4, 3), U(4, 3)],
        lambda t, a, b: t.nn.functional.cross_entropy(a, b),
        M,
        M,
    ),
    case("bce", [U(4, 2), U(4, 2)], lambda t, a, b: t.nn.functional.binary_cross_entropy(a, b), M),
    case(
        "bce_logits",
        [R(4, 2), U(4, 2)],
        lambda t, a, b: t.nn.functional.binary_cross_entropy_with_logits(a, b),
        M,
        M,
    ),
]


def _compare(a, b, rtol, what):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    assert_matches(a, b, rtol=rtol, atol=max(rtol, 1e-7), err_msg=what)


@pytest.mark.parametrize("inputs,fn,rtol,rtol_grad", CASES)
def test_op_forward_and_gradients_match_torch(request, inputs, fn, rtol, rtol_grad):
    name = request.node.callspec.id
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [make(rng) for make in inputs]
    xs = [dg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch_ref.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn(dg, *xs), fn(torch_ref, *ts)
    _compare(out.detach().numpy(), ref.detach().numpy(), rtol, f"{name} forward")
    weight = rng.uniform(0.5, 1.5, size=tuple(ref.shape)).astype(np.float32)
    (out * dg.tensor(weight)).sum().backward()
    (ref * torch_ref.tensor(weight)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        if t.grad is None:
            assert x.grad is None or not np.any(x.grad.numpy()), f"{name}: grad {i}"
            continue
        _compare(x.grad.numpy(), t.grad.numpy(), rtol_grad, f"{name} grad of input {i}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_with_labels(reduction):
    rng = np.random.default_rng(0)
    logits = _rand(rng, (6, 4))
    labels = rng.integers(0, 4, size=6)
    x, t = dg.tensor(logits, requires_grad=True), torch_ref.tensor(logits, requires_grad=True)
    ours = dF.cross_entropy(x, dg.tensor(labels), reduction=reduction)
    ref = tF.cross_entropy(t, torch_ref.tensor(labels), reduction=reduction)
    _compare(ours.detach().numpy(), ref.detach().numpy(), 1e-5, "cross_entropy")
    ours.sum().backward()
    ref.sum().backward()
    _compare(x.grad.numpy(), t.grad.numpy(), 1e-5, "cross_entropy grad")
    lp = dF.log_softmax(dg.tensor(logits), dim=1)
    nll = dF.nll_loss(lp, dg.tensor(labels), reduction=reduction)
    nref = tF.nll_loss(tF.log_softmax(torch_ref.tensor(logits), 1), torch_ref.tensor(labels),
                       reduction=reduction)  # fmt: skip
    _compare(nll.numpy(), nref.numpy(), 1e-5, "nll_loss")


def test_cross_entropy_with_spatial_dims_and_ignore_index():
    rng = np.random.default_rng(1)
    logits = _rand(rng, (2, 3, 4))
    labels = rng.integers(0, 3, size=(2, 4))
    labels[0, 1] = -100
    x, t = dg.tensor(logits, requires_grad=True), torch_ref.tensor(logits, requires_grad=True)
    ours = dF.cross_entropy(x, dg.tensor(labels))
    ref = tF.cross_entropy(t, torch_ref.tensor(labels))
    _compare(ours.item(), ref.item(), 1e-5, "cross_entropy spatial")
    ours.backward()
    ref.backward()
    _compare(x.grad.numpy(), t.grad.numpy(), 1e-5, "cross_entropy spatial grad")


# ---- whole programs, same initial weights ------------------------------------------------------


def _copy_weights(ours, theirs):
    with torch_ref.no_grad():
        for (n1, p), (n2, q) in zip(
            ours.named_parameters(), theirs.named_parameters(), strict=True
        ):
            assert n1 == n2
            q.copy_(torch_ref.tensor(p.detach().numpy()))


def test_mlp_classifier_with_dataloader_cross_entropy_and_adam():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 6)).astype(np.float32)
    Y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1).astype(np.int64)

    def build(nn_mod):
        return nn_mod.Sequential(nn_mod.Linear(6, 16), nn_mod.ReLU(), nn_mod.Linear(16, 8),
                                 nn_mod.Tanh(), nn_mod.Linear(8, 3))  # fmt: skip

    dg.manual_seed(0)
    ours, theirs = build(dnn), build(torch_ref.nn)
    _copy_weights(ours, theirs)
    o_opt = dg.optim.Adam(ours.parameters(), lr=1e-2)
    t_opt = torch_ref.optim.Adam(theirs.parameters(), lr=1e-2)
    o_loader = DLoader(DDataset(dg.tensor(X), dg.tensor(Y)), batch_size=16)
    t_loader = torch_ref.utils.data.DataLoader(
        torch_ref.utils.data.TensorDataset(torch_ref.tensor(X), torch_ref.tensor(Y)), batch_size=16
    )
    o_fn, t_fn = dnn.CrossEntropyLoss(), torch_ref.nn.CrossEntropyLoss()
    o_losses, t_losses = [], []
    for _ in range(4):
        for (xo, yo), (xt, yt) in zip(o_loader, t_loader, strict=True):
            for model, opt, fn, x, y, losses in (
                (ours, o_opt, o_fn, xo, yo, o_losses), (theirs, t_opt, t_fn, xt, yt, t_losses)
            ):  # fmt: skip
                opt.zero_grad()
                loss = fn(model(x), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
    assert_matches(o_losses, t_losses, rtol=2e-4, atol=1e-5)
    assert o_losses[-1] < o_losses[0]
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert_matches(p.detach().numpy(), q.detach().numpy(), rtol=1e-3, atol=1e-4)


def test_regression_with_sgd_momentum_and_weight_decay():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    y = (X @ np.array([1.5, -2.0, 0.5, 3.0], np.float32) + 0.3)[:, None]
    dg.manual_seed(1)
    ours = dnn.Sequential(dnn.Linear(4, 8), dnn.Sigmoid(), dnn.Linear(8, 1))
    theirs = torch_ref.nn.Sequential(torch_ref.nn.Linear(4, 8), torch_ref.nn.Sigmoid(),
                                     torch_ref.nn.Linear(8, 1))  # fmt: skip
    _copy_weights(ours, theirs)
    kw = dict(lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True)
    o_opt = dg.optim.SGD(ours.parameters(), **kw)
    t_opt = torch_ref.optim.SGD(theirs.parameters(), **kw)
    o_losses, t_losses = [], []
    t_loss_fn = torch_ref.nn.MSELoss()
    for _ in range(60):
        for model, opt, xx, yy, fn, losses in (
            (ours, o_opt, dg.tensor(X), dg.tensor(y), dnn.MSELoss(), o_losses),
            (theirs, t_opt, torch_ref.tensor(X), torch_ref.tensor(y), t_loss_fn, t_losses),
        ):
            opt.zero_grad()
            loss = fn(model(xx), yy)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert_matches(o_losses, t_losses, rtol=1e-4)
    assert o_losses[-1] < 0.2 * o_losses[0]


def test_tutorial_polynomial_fit_with_manual_sgd():
    """The classic 'fit sin(x) with a polynomial' program, run in both frameworks."""

    def program(torch, steps=300, init=None):
        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
        if init is not None:
            with torch.no_grad():
                model[0].weight.copy_(torch.tensor(init[0]))
                model[0].bias.copy_(torch.tensor(init[1]))
        loss_fn = torch.nn.MSELoss(reduction="sum")
        learning_rate = 1e-6
        losses = []
        for _ in range(steps):
            y_pred = model(xx)
            loss = loss_fn(y_pred, y)
            losses.append(loss.item())
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= learning_rate * param.grad
        return losses, model

    dg.manual_seed(0)
    probe = dnn.Linear(3, 1)
    init = (probe.weight.detach().numpy().copy(), probe.bias.detach().numpy().copy())
    ours, o_model = program(dg, init=init)
    theirs, _ = program(torch_ref, init=init)
    assert_matches(ours, theirs, rtol=1e-3)
    assert ours[-1] < 0.1 * ours[0]
    assert isinstance(o_model[0].weight, dnn.Parameter)


# ---- convolution, pooling and normalisation layers ---------------------------------------------


def _layer_pair(make, x_shape, seed=0, train=True):
    """Build a layer in both frameworks with copied parameters; run forward and backward."""
    rng = np.random.default_rng(seed)
    X = _rand(rng, x_shape)
    dg.manual_seed(seed)
    ours, theirs = make(dnn), make(torch_ref.nn)
    _copy_weights(ours, theirs)
    ours.train(train)
    theirs.train(train)
    x, t = dg.tensor(X, requires_grad=True), torch_ref.tensor(X, requires_grad=True)
    out, ref = ours(x), theirs(t)
    weight = rng.uniform(0.5, 1.5, size=tuple(ref.shape)).astype(np.float32)
    (out * dg.tensor(weight)).sum().backward()
    (ref * torch_ref.tensor(weight)).sum().backward()
    return ours, theirs, (x, out), (t, ref)


@pytest.mark.parametrize(
    "name,make,shape",
    [
        ("conv", lambda nn: nn.Conv2d(3, 4, 3), (2, 3, 6, 5)),
        ("conv_stride_pad", lambda nn: nn.Conv2d(2, 3, (3, 2), stride=2, padding=1), (1, 2, 7, 6)),
        (
            "conv_same_nobias",
            lambda nn: nn.Conv2d(2, 2, 3, padding="same", bias=False),
            (1, 2, 5, 5),
        ),
        ("maxpool", lambda nn: nn.MaxPool2d(2), (2, 3, 6, 4)),
        ("maxpool_stride_pad", lambda nn: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 7, 7)),
        ("avgpool", lambda nn: nn.AvgPool2d(2), (2, 2, 4, 6)),
        ("layernorm", lambda nn: nn.LayerNorm(5), (3, 4, 5)),
        ("layernorm_2d", lambda nn: nn.LayerNorm([4, 5]), (3, 4, 5)),
        ("batchnorm2d", lambda nn: nn.BatchNorm2d(3), (4, 3, 2, 2)),
        ("batchnorm1d", lambda nn: nn.BatchNorm1d(3), (8, 3)),
    ],
)
def test_layers_match_torch(name, make, shape):
    ours, theirs, (x, out), (t, ref) = _layer_pair(make, shape)
    _compare(out.detach().numpy(), ref.detach().numpy(), 1e-5, f"{name} forward")
    _compare(x.grad.numpy(), t.grad.numpy(), 1e-4, f"{name} input grad")
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        _compare(p.grad.numpy(), q.grad.numpy(), 1e-4, f"{name} grad of {n}")
    for (n, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers(), strict=True):
        _compare(b.numpy(), c.numpy(), 1e-5, f"{name} buffer {n}")


def test_batchnorm_eval_uses_running_statistics():
    ours, theirs = dnn.BatchNorm2d(3), torch_ref.nn.BatchNorm2d(3)
    rng = np.random.default_rng(2)
    for _ in range(3):  # accumulate running stats in training mode
        X = _rand(rng, (4, 3, 2, 2))
        ours(dg.tensor(X))
        theirs(torch_ref.tensor(X))
    ours.eval()
    theirs.eval()
    X = _rand(rng, (2, 3, 2, 2))
    with dg.no_grad(), torch_ref.no_grad():
        _compare(ours(dg.tensor(X)).numpy(), theirs(torch_ref.tensor(X)).numpy(), 1e-5, "bn eval")
    assert ours.num_batches_tracked.item() == 3


def test_small_cnn_training_matches_torch():
    def build(nn):
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(), nn.Linear(24, 3),
        )  # fmt: skip

    rng = np.random.default_rng(3)
    X = _rand(rng, (8, 1, 8, 8))
    Y = rng.integers(0, 3, size=8)
    dg.manual_seed(3)
    ours, theirs = build(dnn), build(torch_ref.nn)
    _copy_weights(ours, theirs)
    o_opt = dg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch_ref.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    o_losses, t_losses = [], []
    for _ in range(5):
        for model, opt, x, y, losses, lib in (
            (ours, o_opt, dg.tensor(X), dg.tensor(Y), o_losses, dg),
            (theirs, t_opt, torch_ref.tensor(X), torch_ref.tensor(Y), t_losses, torch_ref),
        ):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert_matches(o_losses, t_losses, rtol=1e-4)
    assert o_losses[-1] < o_losses[0]
