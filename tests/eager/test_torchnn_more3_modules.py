"""The new torch.nn modules with state against real torch: constructor keywords, state_dict
names and shapes, running statistics, lazy initialisation, nn.Buffer, RNNCellBase, nn.init's
dirac_/sparse_, optim.Adafactor trajectories and optim.swa_utils."""

from __future__ import annotations

import inspect
import warnings

import duograd.frontends.eager as torch
import numpy as np
import pytest

T = pytest.importorskip("torch")
R = np.random.default_rng(15)

NEW_MODULES = [
    "BatchNorm1d", "BatchNorm2d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "Embedding",
    "AvgPool2d", "Hardtanh", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "AdaptiveAvgPool3d", "AdaptiveLogSoftmaxWithLoss", "AdaptiveMaxPool3d", "AlphaDropout",
    "AvgPool3d", "BatchNorm3d", "LinearCrossEntropyLoss",
    "Bilinear", "CELU", "ChannelShuffle", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "ConstantPad3d", "ConvTranspose3d", "CosineEmbeddingLoss", "CosineSimilarity",
    "CrossMapLRN2d", "Dropout1d", "Dropout3d", "FeatureAlphaDropout", "Fold",
    "FractionalMaxPool2d", "FractionalMaxPool3d", "GLU", "GaussianNLLLoss", "Hardshrink",
    "Hardsigmoid", "KLDivLoss", "LPPool1d", "LPPool2d", "LPPool3d", "LazyBatchNorm1d",
    "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear", "LocalResponseNorm",
    "MarginRankingLoss", "Mish", "NLLLoss2d", "PairwiseDistance", "PixelShuffle",
    "PixelUnshuffle", "RMSNorm", "RNNCellBase", "RReLU", "ReflectionPad1d", "ReflectionPad2d",
    "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "Softmax2d",
    "Softmin", "Softshrink", "SyncBatchNorm", "Tanhshrink", "Threshold", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss", "Unflatten", "ZeroPad3d",
]  # fmt: skip


def _keywords(cls) -> list[str]:
    sig = inspect.signature(cls.__init__)
    return [
        n for n, p in sig.parameters.items()
        if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]  # fmt: skip


@pytest.mark.parametrize("name", NEW_MODULES)
def test_constructor_keywords_are_torchs(name):
    ours, theirs = getattr(torch.nn, name), getattr(T.nn, name)
    missing = [k for k in _keywords(theirs) if k not in _keywords(ours)]
    if missing and "*args" in str(inspect.signature(ours.__init__)):
        missing = []  # the lazy convolutions take torch's options by position and by name
    assert not missing, f"{name} lacks torch's keywords {missing}"


def _shapes(sd) -> dict:
    return {k: tuple(v.shape) for k, v in sd.items()}


STATEFUL = {
    "BatchNorm1d_no_bias": ((3,), {"bias": False}),
    "InstanceNorm1d_no_bias": ((3,), {"affine": True, "bias": False}),
    "GroupNorm_no_bias": ((2, 4), {"bias": False}),
    "Bilinear": ((3, 4, 5), {}),
    "RMSNorm": (((3, 4),), {}),
    "RMSNorm_no_affine": ((4,), {"elementwise_affine": False}),
    "BatchNorm3d": ((6,), {}),
    "SyncBatchNorm": ((6,), {"affine": False}),
    "ConvTranspose3d": ((3, 2, (2, 3, 1)), {"bias": False}),
    "InstanceNorm2d_tracking": ((5,), {"affine": True, "track_running_stats": True}),
    "RNNCellBase": ((3, 4, True, 3), {}),
}


@pytest.mark.parametrize("name", sorted(STATEFUL))
def test_state_dict_names_and_shapes_match_torch(name):
    args, kwargs = STATEFUL[name]
    cls = name.split("_")[0]
    ours = getattr(torch.nn, cls)(*args, **kwargs)
    theirs = getattr(T.nn, cls)(*args, **kwargs)
    assert _shapes(ours.state_dict()) == _shapes(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_bilinear_initial_values_lie_in_torchs_bound():
    m = torch.nn.Bilinear(9, 2, 3)
    assert np.abs(m.weight.detach().numpy()).max() <= 1 / 3
    assert np.abs(m.weight.detach().numpy()).std() > 0.05


def test_batchnorm3d_running_statistics_match_torch():
    x = R.standard_normal((3, 4, 2, 3, 2))
    ours, theirs = (
        torch.nn.BatchNorm3d(4, momentum=None).double(),
        T.nn.BatchNorm3d(4, momentum=None).double(),
    )
    for scale in (1.0, 2.0):
        ours(torch.tensor(x * scale))
        theirs(T.tensor(x * scale))
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-12, err_msg=k)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(
        ours(torch.tensor(x)).detach().numpy(), theirs(T.tensor(x)).detach().numpy(), rtol=1e-10
    )
    ours.reset_running_stats()
    assert ours.running_var.numpy().tolist() == [1.0] * 4 and int(ours.num_batches_tracked) == 0


def test_instance_norm_tracking_running_statistics_match_torch():
    x = R.standard_normal((3, 4, 5, 6))
    ours = torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True).double()
    theirs = T.nn.InstanceNorm2d(4, affine=True, track_running_stats=True).double()
    for scale in (1.0, 3.0):
        np.testing.assert_allclose(
            ours(torch.tensor(x * scale)).detach().numpy(),
            theirs(T.tensor(x * scale)).detach().numpy(), rtol=1e-10,
        )  # fmt: skip
    for k in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, k).numpy(), getattr(theirs, k).numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(
        ours(torch.tensor(x)).detach().numpy(), theirs(T.tensor(x)).detach().numpy(), rtol=1e-10
    )


def test_convert_sync_batchnorm_keeps_the_values_and_the_tree():
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
        torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4)),
    )  # fmt: skip
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    conv = torch.nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert (
        type(conv[1]).__name__ == "SyncBatchNorm" and type(conv[2][1]).__name__ == "SyncBatchNorm"
    )
    ref = T.nn.SyncBatchNorm.convert_sync_batchnorm(
        T.nn.Sequential(T.nn.Conv2d(3, 4, 3), T.nn.BatchNorm2d(4),
                        T.nn.Sequential(T.nn.Linear(4, 4), T.nn.BatchNorm1d(4)))
    )  # fmt: skip
    assert _shapes(conv.state_dict()) == _shapes(ref.state_dict())
    for k, v in conv.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


# ---- lazy modules ------------------------------------------------------------------------------

LAZY = {
    "LazyLinear": ((3,), (2, 5)),
    "LazyConv1d": ((4, 3), (2, 3, 9)),
    "LazyConv2d": ((4, 3), (2, 3, 9, 9)),
    "LazyConv3d": ((4, 2), (2, 3, 4, 4, 4)),
    "LazyConvTranspose1d": ((4, 3), (2, 3, 9)),
    "LazyConvTranspose2d": ((4, 3), (2, 3, 5, 5)),
    "LazyConvTranspose3d": ((4, 2), (2, 3, 3, 3, 3)),
    "LazyBatchNorm1d": ((), (4, 3)),
    "LazyBatchNorm2d": ((), (2, 3, 4, 4)),
    "LazyBatchNorm3d": ((), (2, 3, 2, 2, 2)),
    "LazyInstanceNorm1d": ((), (2, 3, 5)),
    "LazyInstanceNorm2d": ((), (2, 3, 4, 4)),
    "LazyInstanceNorm3d": ((), (2, 3, 2, 2, 2)),
}


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_module_infers_its_size_and_becomes_the_real_module(name):
    args, shape = LAZY[name]
    ours, theirs = getattr(torch.nn, name)(*args), getattr(T.nn, name)(*args)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    params = list(ours.parameters())
    x = R.standard_normal(shape).astype(np.float32)
    out = ours(torch.tensor(x))
    ref = theirs(T.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == name.replace("Lazy", "")
    assert _shapes(ours.state_dict()) == _shapes(theirs.state_dict())
    assert tuple(out.shape) == tuple(ref.shape)
    assert all(a is b for a, b in zip(params, ours.parameters(), strict=True))
    if "Norm" in name:  # no random initialisation: the outputs agree
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-5)


def test_lazy_linear_matches_linear_under_the_same_seed_and_trains():
    lazy = torch.nn.LazyLinear(3)
    opt = torch.optim.SGD(lazy.parameters(), lr=0.1)  # made before the shapes are known
    with pytest.raises(RuntimeError, match="uninitialized"):
        _ = lazy.weight.shape
    torch.manual_seed(0)
    lazy(torch.ones(1, 4))
    torch.manual_seed(0)
    ref = torch.nn.Linear(4, 3)
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), ref.weight.detach().numpy())
    before = lazy.weight.detach().numpy().copy()
    lazy(torch.ones(2, 4)).sum().backward()
    opt.step()
    np.testing.assert_allclose(lazy.weight.detach().numpy(), before - 0.2, rtol=1e-6)


def test_lazy_module_loads_a_state_dict_before_its_first_call():
    ref = torch.nn.Linear(4, 3)
    lazy = torch.nn.LazyLinear(3)
    lazy.load_state_dict(ref.state_dict())
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), ref.weight.detach().numpy())
    x = torch.tensor(R.standard_normal((2, 4)).astype(np.float32))
    np.testing.assert_array_equal(lazy(x).detach().numpy(), ref(x).detach().numpy())
    assert type(lazy).__name__ == "Linear" and lazy.in_features == 4


def test_uninitialized_placeholders():
    p, b = torch.nn.UninitializedParameter(), torch.nn.UninitializedBuffer()
    assert repr(p) == "<UninitializedParameter>" and repr(b) == "<UninitializedBuffer>"
    assert isinstance(p, torch.nn.Parameter) and p.requires_grad
    p.materialize((2, 3))
    assert type(p) is torch.nn.Parameter and tuple(p.shape) == (2, 3)
    b.materialize((4,))
    assert tuple(b.shape) == (4,)


def test_buffer_assignment_registers_a_buffer():
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.kept = torch.nn.Buffer(torch.ones(2))
            self.scratch = torch.nn.Buffer(torch.zeros(3), persistent=False)

    m = M()
    assert sorted(dict(m.named_buffers())) == ["kept", "scratch"]
    assert list(m.state_dict()) == ["kept"]
    assert type(m.kept).__name__ == "Tensor" and not list(m.parameters())


def test_rnn_cell_base_is_a_base_for_custom_cells():
    class MyCell(torch.nn.RNNCellBase):
        def __init__(self):
            super().__init__(3, 5, bias=False, num_chunks=2)

        def forward(self, x, h):
            gates = x @ self.weight_ih.t() + h @ self.weight_hh.t()
            a, b = gates.chunk(2, 1)
            return torch.tanh(a) * torch.sigmoid(b)

    cell = MyCell()
    assert _shapes(cell.state_dict()) == {"weight_ih": (10, 3), "weight_hh": (10, 5)}
    assert np.abs(cell.weight_ih.detach().numpy()).max() <= 1 / np.sqrt(5)
    assert tuple(cell(torch.ones(2, 3), torch.zeros(2, 5)).shape) == (2, 5)


# ---- init --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 1, 3, 3), 1)])
def test_dirac_matches_torch(shape, groups):
    a, b = torch.empty(*shape), T.empty(*shape)
    torch.nn.init.dirac_(a, groups)
    T.nn.init.dirac_(b, groups)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_sparse_zeroes_a_share_of_every_column():
    w = torch.empty(10, 6)
    torch.nn.init.sparse_(w, 0.3, std=0.02)
    assert ((w.numpy() == 0).sum(0) >= 3).all()
    assert 0.005 < w.numpy()[w.numpy() != 0].std() < 0.05
    with pytest.raises(ValueError, match="2 dimensions"):
        torch.nn.init.sparse_(torch.empty(2, 3, 4), 0.1)


def test_deprecated_init_spellings_warn_and_work():
    for name in ("dirac", "eye", "orthogonal", "sparse"):
        w = torch.empty(3, 3, 3) if name == "dirac" else torch.empty(3, 3)
        args = (0.5,) if name == "sparse" else ()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(torch.nn.init, name)(w, *args)
        assert any(f"{name}_" in str(c.message) for c in caught)
        assert np.abs(w.numpy()).sum() > 0  # the alias filled the tensor


# ---- optimizers --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [
    {}, {"weight_decay": 0.1, "lr": 0.05}, {"maximize": True, "d": 2.0, "eps": (1e-6, 1e-3)},
    {"beta2_decay": -0.5},
], ids=["defaults", "weight_decay", "maximize_d_eps", "beta2_decay"])  # fmt: skip
def test_adafactor_trajectory_matches_torch(kwargs, dtype):
    w0, b0 = R.standard_normal((4, 3)).astype(dtype), R.standard_normal(3).astype(dtype)
    x = R.standard_normal((5, 4)).astype(dtype)
    ours = [
        torch.tensor(w0.copy(), requires_grad=True),
        torch.tensor(b0.copy(), requires_grad=True),
    ]
    ref = [T.tensor(w0.copy(), requires_grad=True), T.tensor(b0.copy(), requires_grad=True)]
    o, t = torch.optim.Adafactor(ours, **kwargs), T.optim.Adafactor(ref, **kwargs)
    for _ in range(6):
        o.zero_grad()
        t.zero_grad()
        ((torch.tensor(x) @ ours[0] + ours[1]) ** 2).sum().backward()
        ((T.tensor(x) @ ref[0] + ref[1]) ** 2).sum().backward()
        o.step()
        t.step()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
    assert sorted(o.state[ours[0]]) == sorted(t.state[ref[0]])


def test_adafactor_rejects_bad_hyperparameters():
    p = [torch.zeros(2, requires_grad=True)]
    for kwargs, words in (({"beta2_decay": 0.5}, "beta2_decay"), ({"d": 0.5}, "Clipping"),
                          ({"eps": (None, -1.0)}, "epsilon2")):  # fmt: skip
        with pytest.raises(ValueError, match=words):
            torch.optim.Adafactor(p, **kwargs)


def _pair_of_nets():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ref = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4))
    ref.load_state_dict({k: T.tensor(v.numpy()) for k, v in net.state_dict().items()})
    return net, ref


def _perturb(net, lib):
    with lib.no_grad():
        for p in net.parameters():
            p.mul_(1.1).add_(0.01)


@pytest.mark.parametrize("avg", ["swa", "ema_multi", "ema_avg_fn", "swa_avg_fn_buffers"])
def test_averaged_model_matches_torch(avg):
    net, ref = _pair_of_nets()
    su, tsu = torch.optim.swa_utils, T.optim.swa_utils
    kw, tkw = {}, {}
    if avg == "ema_multi":
        kw, tkw = (
            {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
            {"multi_avg_fn": tsu.get_ema_multi_avg_fn(0.9)},
        )
    elif avg == "ema_avg_fn":
        kw, tkw = {"avg_fn": su.get_ema_avg_fn(0.5)}, {"avg_fn": tsu.get_ema_avg_fn(0.5)}
    elif avg == "swa_avg_fn_buffers":
        kw = {"avg_fn": su.get_swa_avg_fn(), "use_buffers": True}
        tkw = {"avg_fn": tsu.get_swa_avg_fn(), "use_buffers": True}
    ours, theirs = su.AveragedModel(net, **kw), tsu.AveragedModel(ref, **tkw)
    x = R.standard_normal((8, 3)).astype(np.float32)
    for _ in range(3):
        _perturb(net, torch)
        _perturb(ref, T)
        net(torch.tensor(x))
        ref(T.tensor(x))
        ours.update_parameters(net)
        theirs.update_parameters(ref)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(
            ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k
        )
    np.testing.assert_allclose(
        ours(torch.tensor(x)).detach().numpy(), theirs(T.tensor(x)).detach().numpy(),
        rtol=1e-5, atol=1e-6,
    )  # fmt: skip


def test_update_bn_matches_torch():
    net, ref = _pair_of_nets()
    data = [R.standard_normal((8, 3)).astype(np.float32) for _ in range(3)]
    torch.optim.swa_utils.update_bn([(torch.tensor(d), 0) for d in data], net)
    T.optim.swa_utils.update_bn([(T.tensor(d), 0) for d in data], ref)
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, err_msg=k)
    assert net[1].momentum == 0.1 and net.training


@pytest.mark.parametrize("strategy,epochs", [("cos", 3), ("linear", 2), ("cos", 0)])
def test_swalr_matches_torch(strategy, epochs):
    p, tp = [torch.zeros(2, requires_grad=True)], [T.zeros(2, requires_grad=True)]
    o, to = torch.optim.SGD(p, lr=1.0), T.optim.SGD(tp, lr=1.0)
    s = torch.optim.swa_utils.SWALR(o, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
    ts = T.optim.swa_utils.SWALR(to, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
    ours, theirs = [], []
    for _ in range(6):
        o.step()
        to.step()
        s.step()
        ts.step()
        ours.append(s.get_last_lr()[0])
        theirs.append(ts.get_last_lr()[0])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    with pytest.raises(ValueError, match="anneal_strategy"):
        torch.optim.swa_utils.SWALR(o, 0.1, anneal_strategy="step")


# ---- adaptive softmax --------------------------------------------------------------------------


@pytest.mark.parametrize("head_bias,div_value", [(False, 4.0), (True, 2.0)])
def test_adaptive_log_softmax_matches_torch(head_bias, div_value):
    ours = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10], div_value, head_bias)
    theirs = T.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10], div_value, head_bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert _shapes(ours.state_dict()) == _shapes(theirs.state_dict())
    theirs.load_state_dict({k: T.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = R.standard_normal((9, 16)).astype(np.float32)
    y = np.array([0, 3, 5, 12, 19, 4, 9, 10, 2])
    a, b = torch.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
    got, want = ours(a, torch.tensor(y)), theirs(b, T.tensor(y))
    np.testing.assert_allclose(got.output.detach().numpy(), want.output.detach().numpy(),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    got.loss.backward()
    want.loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7,
                                   err_msg=name)  # fmt: skip
    np.testing.assert_allclose(
        ours.log_prob(torch.tensor(x)).detach().numpy(),
        theirs.log_prob(T.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6,
    )  # fmt: skip
    np.testing.assert_array_equal(
        ours.predict(torch.tensor(x)).numpy(), theirs.predict(T.tensor(x)).numpy()
    )


def test_adaptive_log_softmax_errors():
    with pytest.raises(ValueError, match="cutoffs"):
        torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])
    m = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(torch.zeros(2, 8), torch.tensor([1, 10]))


@pytest.mark.parametrize("kwargs", [
    {"bias": True}, {"out_features": (3,), "label_smoothing": 0.1}, {"ignore_index": 1},
    {"reduction": "none"},
], ids=["bias", "k_dim_smoothing", "ignore_index", "none"])  # fmt: skip
def test_linear_cross_entropy_loss_matches_torch(kwargs):
    ours = torch.nn.LinearCrossEntropyLoss(4, 5, **kwargs)
    theirs = T.nn.LinearCrossEntropyLoss(4, 5, **kwargs)
    assert _shapes(ours.state_dict()) == _shapes(theirs.state_dict())
    theirs.load_state_dict({k: T.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = R.standard_normal((6, 4)).astype(np.float32)
    y = R.integers(0, 5, (6,) + tuple(kwargs.get("out_features", ())))
    got, want = ours(torch.tensor(x), torch.tensor(y)), theirs(T.tensor(x), T.tensor(y))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(ours.linear.weight.grad.numpy(),
                               theirs.linear.weight.grad.numpy(), rtol=1e-5, atol=1e-6)  # fmt: skip
    w = R.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(
        torch.nn.functional.linear_cross_entropy(torch.tensor(x), torch.tensor(w),
                                                 torch.tensor(y[:, 0] if y.ndim > 1 else y)).item(),
        T.nn.functional.linear_cross_entropy(T.tensor(x), T.tensor(w),
                                             T.tensor(y[:, 0] if y.ndim > 1 else y)).item(),
        rtol=1e-5,
    )  # fmt: skip


def _torch_newton_schulz(g, a=3.4445, b=-4.775, c=2.0315, steps=5, eps=1e-7):
    """torch's Muon iteration written with torch ops, in the input's dtype (torch.optim.Muon
    itself runs it in bfloat16)."""
    x = g.T if g.shape[0] > g.shape[1] else g
    x = x / max(float(x.norm()), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if g.shape[0] > g.shape[1] else x


@pytest.mark.parametrize("kwargs", [
    {}, {"nesterov": False, "adjust_lr_fn": "match_rms_adamw", "lr": 0.01},
    {"momentum": 0.5, "weight_decay": 0.0},
], ids=["defaults", "plain_momentum_rms_lr", "low_momentum"])  # fmt: skip
@pytest.mark.parametrize("shape", [(6, 4), (3, 7)])
def test_muon_matches_torch(kwargs, shape):
    w0 = R.standard_normal(shape).astype(np.float32)
    x = R.standard_normal((5, shape[0])).astype(np.float32)
    ours = torch.tensor(w0.copy(), requires_grad=True)
    real = T.tensor(w0.copy(), requires_grad=True)
    exact = T.tensor(w0.astype(np.float64), requires_grad=True)
    opt, topt = torch.optim.Muon([ours], **kwargs), T.optim.Muon([real], **kwargs)
    lr, mom = kwargs.get("lr", 1e-3), kwargs.get("momentum", 0.95)
    wd = kwargs.get("weight_decay", 0.1)
    buf = T.zeros_like(exact)
    for _ in range(4):
        opt.zero_grad()
        topt.zero_grad()
        exact.grad = None
        (torch.tensor(x) @ ours).tanh().sum().backward()
        (T.tensor(x) @ real).tanh().sum().backward()
        (T.tensor(x.astype(np.float64)) @ exact).tanh().sum().backward()
        opt.step()
        topt.step()
        with T.no_grad():  # torch's algorithm step by step, the iteration in float64
            buf.lerp_(exact.grad, 1 - mom)
            upd = exact.grad.lerp(buf, mom) if kwargs.get("nesterov", True) else buf
            rows, cols = shape
            if kwargs.get("adjust_lr_fn") is None:
                step = lr * np.sqrt(max(1, rows / cols))
            else:
                step = lr * 0.2 * np.sqrt(max(rows, cols))
            exact.mul_(1 - lr * wd)
            exact.add_(_torch_newton_schulz(upd), alpha=-step)
    got = ours.detach().numpy()
    np.testing.assert_allclose(got, exact.detach().numpy(), rtol=0, atol=2e-6)
    moved = np.abs(real.detach().numpy() - w0).max()
    assert np.abs(got - real.detach().numpy()).max() < 0.05 * moved  # torch's bfloat16 rounding


def test_muon_rejects_what_torch_rejects():
    with pytest.raises(ValueError, match="2D parameters"):
        torch.optim.Muon([torch.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match="not supported"):
        torch.optim.Muon([torch.zeros(2, 2, requires_grad=True)], adjust_lr_fn="other")


def test_nested_lazy_modules_load_a_checkpoint_before_their_first_call():
    ref = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                              torch.nn.Linear(16, 2))  # fmt: skip
    lazy = torch.nn.Sequential(torch.nn.LazyConv2d(4, 3), torch.nn.LazyBatchNorm2d(),
                               torch.nn.Flatten(), torch.nn.LazyLinear(2))  # fmt: skip
    lazy.load_state_dict(ref.state_dict())
    ref.eval()
    lazy.eval()
    x = torch.tensor(R.standard_normal((2, 3, 4, 4)).astype(np.float32))
    np.testing.assert_array_equal(lazy(x).detach().numpy(), ref(x).detach().numpy())
    assert [type(m).__name__ for m in lazy] == ["Conv2d", "BatchNorm2d", "Flatten", "Linear"]


@pytest.mark.parametrize("n,x_shape,w_shape,kwargs", [
    (1, (2, 3, 9), (4, 3, 3), {"stride": 2, "padding": 1}),
    (2, (2, 3, 7, 6), (4, 3, 3, 2), {"padding": 1, "dilation": 2}),
    (3, (1, 2, 4, 5, 4), (3, 2, 2, 2, 2), {}),
])  # fmt: skip
def test_nn_grad_conv_gradients_match_torch(n, x_shape, w_shape, kwargs):
    x, w = R.standard_normal(x_shape), R.standard_normal(w_shape)
    y = getattr(T.nn.functional, f"conv{n}d")(T.tensor(x), T.tensor(w), **kwargs)
    g = R.standard_normal(tuple(y.shape))
    gt = torch.tensor(g, requires_grad=True)
    got_in = getattr(torch.nn.grad, f"conv{n}d_input")(x_shape, torch.tensor(w), gt, **kwargs)
    want_in = getattr(T.nn.grad, f"conv{n}d_input")(x_shape, T.tensor(w), T.tensor(g), **kwargs)
    np.testing.assert_allclose(got_in.detach().numpy(), want_in.numpy(), rtol=1e-10, atol=1e-12)
    got_w = getattr(torch.nn.grad, f"conv{n}d_weight")(torch.tensor(x), w_shape, gt, **kwargs)
    want_w = getattr(T.nn.grad, f"conv{n}d_weight")(T.tensor(x), w_shape, T.tensor(g), **kwargs)
    np.testing.assert_allclose(got_w.detach().numpy(), want_w.numpy(), rtol=1e-10, atol=1e-12)
    (got_in.sum() + got_w.sum()).backward()  # differentiable in the cotangent
    tg = T.tensor(g, requires_grad=True)
    (getattr(T.nn.grad, f"conv{n}d_input")(x_shape, T.tensor(w), tg, **kwargs).sum()
     + getattr(T.nn.grad, f"conv{n}d_weight")(T.tensor(x), w_shape, tg, **kwargs).sum()
     ).backward()  # fmt: skip
    np.testing.assert_allclose(gt.grad.numpy(), tg.grad.numpy(), rtol=1e-10, atol=1e-12)
