"""nn: Module registration, containers, state dicts, Linear init and layouts, losses, init."""

from __future__ import annotations

import math
import warnings

import duograd.frontends.eager as torch
import duograd.frontends.eager.nn as nn
import duograd.frontends.eager.nn.functional as F
import numpy as np
import pytest
from duograd.core import init as core_init
from duograd.core import random as core_random


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_and_traversal():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert len(list(net.parameters())) == 4
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert net.fc2.bias is None
    # as PyTorch: each module's own parameters, then its buffers, then its children
    assert list(net.state_dict()) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = torch.ones(1)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        net.nope  # noqa: B018


def test_assigning_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2


def test_train_eval_zero_grad_requires_grad():
    net = Net()
    net.eval()
    assert not net.training and not net.fc1.training
    net.train()
    assert net.act.training
    net(torch.ones(2, 4)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad()
    assert net.fc1.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_state_dict_roundtrip_and_sharing():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert not sd["fc1.weight"].requires_grad
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (n1, p1), (_, p2) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(p1.detach().numpy(), p2.detach().numpy()), n1
    # state_dict tensors share memory with the parameters (as PyTorch's)
    with torch.no_grad():
        a.fc1.bias.fill_(3.0)
    assert sd["fc1.bias"].tolist() == [3.0, 3.0, 3.0]


def test_load_state_dict_errors_name_keys_and_shapes():
    net = Net()
    sd = dict(net.state_dict())
    del sd["fc1.bias"]
    sd["extra"] = torch.zeros(1)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "fc1.bias"') as e:
        net.load_state_dict(sd)
    assert 'Unexpected key(s) in state_dict: "extra"' in str(e.value)
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra"]
    bad = dict(net.state_dict())
    bad["fc1.weight"] = torch.zeros(5, 4)
    before = net.fc1.bias.detach().numpy().copy()
    bad["fc1.bias"] = torch.full((3,), 9.0)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight.*\[5, 4\].*\[3, 4\]"):
        net.load_state_dict(bad)
    # nothing was copied: the load is checked before it writes
    assert np.array_equal(net.fc1.bias.detach().numpy(), before)


def test_sequential_modulelist_moduledict():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert seq(torch.ones(4, 2)).shape == (4, 1)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Tanh())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.Sigmoid()})
    assert "a" in md and list(md.keys()) == ["a", "b"] and len(list(md.parameters())) == 2


def test_module_repr_like_pytorch():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.25))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.25, inplace=False)\n"
        ")"
    )
    assert repr(nn.Parameter(torch.ones(1))).startswith("Parameter containing:\ntensor([1.]")


def test_linear_default_init_draws_like_pytorch_from_the_shared_stream():
    torch.manual_seed(7)
    lin = nn.Linear(5, 3)
    core_random.manual_seed(7)
    w = core_init.kaiming_uniform((3, 5), a=math.sqrt(5), layout="out_in")
    b = core_init.linear_bias(3, 5)
    assert np.array_equal(lin.weight.detach().numpy(), w)
    assert np.array_equal(lin.bias.detach().numpy(), b)
    bound = 1 / math.sqrt(5)
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)


def test_linear_tf_conventions():
    torch.manual_seed(3)
    lin = nn.Linear(5, 3, weight_layout="in_out", init="glorot_uniform")
    assert lin.weight.shape == (5, 3) and lin.bias.tolist() == [0.0] * 3
    core_random.manual_seed(3)
    assert np.array_equal(lin.weight.detach().numpy(), core_init.glorot_uniform((5, 3), "in_out"))
    x = torch.randn(2, 5)
    expected = x.numpy() @ lin.weight.detach().numpy().astype(np.float64)
    assert np.allclose(lin(x).detach().numpy(), expected, atol=1e-5)
    assert "weight_layout='in_out'" in repr(lin)
    with pytest.raises(ValueError, match="weight_layout"):
        nn.Linear(1, 1, weight_layout="nope")


def test_module_dtype_conversion():
    net = Net().double()
    assert all(p.dtype == torch.float64 for p in net.parameters())
    assert net(torch.ones(1, 4, dtype=torch.float64)).dtype == torch.float64
    net.to(torch.float32)
    assert net.fc1.weight.dtype == torch.float32 and net.steps.dtype == torch.float32


def test_apply_and_init():
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    net.apply(init)
    assert net[1].weight.tolist() == [[0.5] * 4] * 2 and net[0].bias.tolist() == [0.0] * 4
    w = torch.empty(30, 20)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 50)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 20)
    nn.init.normal_(w, 0, 0.01)
    assert w.numpy().std() < 0.02
    nn.init.ones_(w)
    assert w.sum().item() == 600
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)


def test_dropout_train_and_eval():
    torch.manual_seed(0)
    d = nn.Dropout(0.5)
    x = torch.ones(1000)
    y = d(x)
    kept = y.numpy() != 0
    assert 0.4 < kept.mean() < 0.6 and np.all(y.numpy()[kept] == 2.0)
    d.eval()
    assert d(x) is x


def test_activations_and_flatten():
    x = torch.tensor([[-1.0, 0.0, 2.0]])
    assert nn.ReLU()(x).tolist() == [[0.0, 0.0, 2.0]]
    assert np.allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())))
    assert np.allclose(nn.Tanh()(x).numpy(), np.tanh(x.numpy()))
    assert np.allclose(nn.Softmax(dim=1)(x).sum(1).numpy(), 1.0)
    assert np.allclose(nn.LogSoftmax(dim=1)(x).exp().sum().item(), 1.0)
    assert nn.LeakyReLU(0.1)(x).tolist() == [[-0.10000000149011612, 0.0, 2.0]]
    assert nn.Flatten()(torch.zeros(2, 3, 4)).shape == (2, 12)
    assert nn.Identity()(x) is x


def test_losses_against_hand_computed_values():
    p = torch.tensor([0.5, 2.0])
    t = torch.tensor([1.0, 1.0])
    assert nn.MSELoss()(p, t).item() == pytest.approx((0.25 + 1.0) / 2)
    assert nn.MSELoss(reduction="sum")(p, t).item() == pytest.approx(1.25)
    assert nn.L1Loss()(p, t).item() == pytest.approx(0.75)
    assert nn.MSELoss(reduction="none")(p, t).tolist() == [0.25, 1.0]
    logits = torch.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    labels = torch.tensor([2, 0])
    lse = np.log(np.exp([1.0, 2.0, 3.0]).sum())
    expected = ((lse - 3.0) + np.log(3.0)) / 2
    assert nn.CrossEntropyLoss()(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    onehot = F.one_hot(labels, 3).float()
    assert nn.CrossEntropyLoss()(logits, onehot).item() == pytest.approx(expected, rel=1e-6)
    logp = F.log_softmax(logits, dim=1)
    assert nn.NLLLoss()(logp, labels).item() == pytest.approx(expected, rel=1e-6)
    prob = torch.tensor([0.8, 0.1])
    y = torch.tensor([1.0, 0.0])
    bce = -(np.log(0.8) + np.log(0.9)) / 2
    assert nn.BCELoss()(prob, y).item() == pytest.approx(bce, rel=1e-6)
    z = torch.tensor([2.0, -1.0])
    bcel = -(np.log(1 / (1 + np.exp(-2.0))) + np.log(1 - 1 / (1 + np.exp(1.0)))) / 2
    assert nn.BCEWithLogitsLoss()(z, y).item() == pytest.approx(bcel, rel=1e-6)


def test_cross_entropy_ignore_index_and_smoothing():
    logits = torch.tensor([[1.0, 2.0], [3.0, 0.0], [0.5, 0.5]])
    labels = torch.tensor([1, -100, 0])
    full = F.cross_entropy(logits, torch.tensor([1, 0, 0]), reduction="none").numpy()
    got = F.cross_entropy(logits, labels)
    assert got.item() == pytest.approx((full[0] + full[2]) / 2, rel=1e-6)
    smooth = F.cross_entropy(logits[:1], torch.tensor([1]), label_smoothing=0.2).item()
    logp = np.log(np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum())
    assert smooth == pytest.approx(-(0.1 * logp[0] + 0.9 * logp[1]), rel=1e-6)


def test_loss_shape_checks():
    with pytest.warns(UserWarning, match="different to the input size"):
        nn.MSELoss()(torch.zeros(3, 1), torch.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.MSELoss()(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="different to the input size"):
        nn.BCELoss()(torch.full((3, 1), 0.5), torch.zeros(3))
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        nn.CrossEntropyLoss()(torch.zeros(2, 3), torch.tensor([0, 5]))
    with pytest.raises(RuntimeError, match="integer dtype"):
        nn.NLLLoss()(torch.zeros(2, 3), torch.tensor([0.0, 1.0]))


def test_one_hot_and_functional_linear():
    assert F.one_hot(torch.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(torch.tensor([1])).dtype == torch.int64
    w = torch.tensor([[1.0, 2.0], [0.0, 1.0], [1.0, 0.0]])
    b = torch.tensor([0.5, 0.0, -1.0])
    assert F.linear(torch.tensor([[1.0, 1.0]]), w, b).tolist() == [[3.5, 1.0, 0.0]]


def test_clip_grad_norm():
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.item() == pytest.approx(5.0)
    assert np.allclose(p.grad.numpy(), [0.6, 0.8], atol=1e-5)


def test_conv_pool_and_norm_layers_shapes_and_repr():
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    assert conv.weight.shape == (8, 3, 3, 3) and conv.bias.shape == (8,)
    bound = 1 / math.sqrt(27)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    x = torch.randn(2, 3, 9, 9)
    y = conv(x)
    assert y.shape == (2, 8, 5, 5)
    assert nn.MaxPool2d(2)(y).shape == (2, 8, 2, 2) and nn.AvgPool2d(5)(y).shape == (2, 8, 1, 1)
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    bn = nn.BatchNorm2d(8)
    z = bn(y)
    per_channel = z.detach().numpy().transpose(1, 0, 2, 3).reshape(8, -1)
    assert np.allclose(per_channel.mean(1), 0, atol=1e-5)
    assert np.allclose(per_channel.std(1), 1, atol=1e-3)
    assert bn.num_batches_tracked.item() == 1
    assert list(bn.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"
    ]  # fmt: skip
    ln = nn.LayerNorm(9)
    assert np.allclose(ln(x).detach().numpy().mean(-1), 0, atol=1e-5)
    with pytest.raises(ValueError, match="expected 4D input"):
        bn(torch.zeros(2, 8))
