"""nn.LSTM / nn.GRU / nn.RNN and their cells against real PyTorch: forwards, gradients of the
input, the initial state and every parameter, names, shapes, initialisation and errors."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest
from oracle_check import assert_matches

TOL = dict(rtol=1e-5, atol=2e-6)


def _copy(ours, theirs):
    names = [n for n, _ in ours.named_parameters()]
    assert names == [n for n, _ in theirs.named_parameters()]
    with dg.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            p.copy_(dg.from_numpy(q.detach().numpy().copy()))


def _flat(state):
    return list(state) if isinstance(state, tuple) else [state]


def _run(lib, model, x, h0):
    xt = lib.tensor(x, requires_grad=True)
    hx = None
    if h0 is not None:
        hx = tuple(lib.tensor(h, requires_grad=True) for h in h0)
        hx = hx if len(hx) == 2 else hx[0]
    out, state = model(xt, hx)
    # weight every output differently so each gradient entry is checked
    w = np.linspace(0.5, 1.5, int(np.prod(out.shape)), dtype=np.float32).reshape(tuple(out.shape))
    loss = (out * lib.tensor(w)).sum()
    for i, s in enumerate(_flat(state)):
        loss = loss + s.sum() * (i + 2.0)
    loss.backward()
    grads = [xt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    if hx is not None:
        grads += [h.grad.numpy() for h in _flat(hx)]
    return [out.detach().numpy()] + [s.detach().numpy() for s in _flat(state)] + grads


CONFIGS = [
    ("plain", {}, (5, 3, 4), False),
    ("batch_first_2layers", {"num_layers": 2, "batch_first": True}, (3, 5, 4), True),
    ("bidirectional", {"bidirectional": True}, (4, 2, 4), False),
    ("bidir_2layers_bf_state", {"num_layers": 2, "bidirectional": True, "batch_first": True},
     (2, 3, 4), True),
    ("no_bias", {"bias": False}, (3, 2, 4), False),
    ("unbatched", {}, (6, 4), True),
]  # fmt: skip


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("name,kw,shape,with_state", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_recurrent_layer_matches_torch(real_torch, mode, name, kw, shape, with_state):
    torch = real_torch
    rng = np.random.default_rng(len(name))
    theirs = getattr(torch.nn, mode)(4, 5, **kw)
    ours = getattr(dg.nn, mode)(4, 5, **kw)
    _copy(ours, theirs)
    x = rng.standard_normal(shape).astype(np.float32)
    h0 = None
    if with_state:
        n = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        batch = () if len(shape) == 2 else (shape[0] if kw.get("batch_first") else shape[1],)
        hs = (n, *batch, 5)
        h0 = [rng.standard_normal(hs).astype(np.float32) for _ in range(2 if mode == "LSTM" else 1)]
    want, got = _run(torch, theirs, x, h0), _run(dg, ours, x, h0)
    assert len(want) == len(got)
    for i, (a, b) in enumerate(zip(want, got, strict=True)):
        assert_matches(b, a, err_msg=f"{mode} {name} item {i}", **TOL)


def test_rnn_relu_nonlinearity(real_torch):
    theirs = real_torch.nn.RNN(3, 4, nonlinearity="relu", num_layers=2)
    ours = dg.nn.RNN(3, 4, nonlinearity="relu", num_layers=2)
    _copy(ours, theirs)
    x = np.random.default_rng(1).standard_normal((4, 2, 3)).astype(np.float32)
    for a, b in zip(_run(real_torch, theirs, x, None), _run(dg, ours, x, None), strict=True):
        assert_matches(b, a, **TOL)


@pytest.mark.parametrize("mode", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(real_torch, mode, batched):
    torch = real_torch
    theirs, ours = getattr(torch.nn, mode)(3, 4), getattr(dg.nn, mode)(3, 4)
    _copy(ours, theirs)
    rng = np.random.default_rng(7)
    shape = (2, 3) if batched else (3,)
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    results = []
    for lib, cell in ((torch, theirs), (dg, ours)):
        state = None
        outs = []
        for x in xs:  # a few steps, carrying the state (and its gradient) through
            state = cell(lib.tensor(x), state)
            outs.append(state[0] if isinstance(state, tuple) else state)
        loss = sum((o * (i + 1.0)).sum() for i, o in enumerate(outs))
        loss.backward()
        results.append(
            [o.detach().numpy() for o in outs] + [p.grad.numpy() for p in cell.parameters()]
        )
    for a, b in zip(*results, strict=True):
        assert_matches(b, a, **TOL)


def test_parameter_names_shapes_and_init_bounds():
    lstm = dg.nn.LSTM(6, 8, num_layers=2, bidirectional=True)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4:8] == [n + "_reverse" for n in names[:4]]
    assert tuple(lstm.weight_ih_l1.shape) == (32, 16) and tuple(lstm.weight_hh_l1.shape) == (32, 8)
    bound = 1 / np.sqrt(8)
    assert all(np.abs(p.detach().numpy()).max() <= bound for p in lstm.parameters())
    gru = dg.nn.GRU(3, 5, layout="tf")
    assert [(n, tuple(p.shape)) for n, p in gru.named_parameters()] == [
        ("gate_kernel_l0", (8, 10)), ("gate_bias_l0", (10,)),
        ("candidate_kernel_l0", (8, 5)), ("candidate_bias_l0", (5,)),
    ]  # fmt: skip
    assert (gru.gate_bias_l0.detach().numpy() == 1).all()
    assert repr(dg.nn.LSTM(3, 4, batch_first=True)) == "LSTM(3, 4, batch_first=True)"


def test_draws_follow_the_shared_seed():
    dg.manual_seed(5)
    a = [p.detach().numpy().copy() for p in dg.nn.LSTM(3, 4).parameters()]
    dg.manual_seed(5)
    b = [p.detach().numpy().copy() for p in dg.nn.LSTM(3, 4).parameters()]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0][:4], a[1][:4])


def test_dropout_between_layers_only_when_training():
    dg.manual_seed(0)
    lstm = dg.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = dg.randn(5, 2, 3)
    a, _ = lstm(x)
    b, _ = lstm(x)
    assert not np.array_equal(a.detach().numpy(), b.detach().numpy())
    lstm.eval()
    c, _ = lstm(x)
    d, _ = lstm(x)
    assert np.array_equal(c.detach().numpy(), d.detach().numpy())


def test_clear_errors():
    lstm = dg.nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 5"):
        lstm(dg.randn(2, 1, 5))
    with pytest.raises(RuntimeError, match=r"expected hidden\[0\] of size \[1, 2, 4\]"):
        lstm(dg.randn(6, 2, 3), (dg.zeros(1, 3, 4), dg.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match="tuple"):
        lstm(dg.randn(6, 2, 3), dg.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="layout"):
        dg.nn.GRU(3, 4, layout="keras")
    with pytest.raises(NotImplementedError, match="proj_size"):
        dg.nn.LSTM(3, 4, proj_size=2)


@pytest.mark.parametrize("max_norm,norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, float("inf"))])
def test_clip_grad_norm_after_an_lstm_backward_matches_torch(real_torch, max_norm, norm_type):
    theirs, ours = real_torch.nn.LSTM(3, 4), dg.nn.LSTM(3, 4)
    _copy(ours, theirs)
    x = np.random.default_rng(8).standard_normal((5, 2, 3)).astype(np.float32) * 3
    results = []
    for lib, model in ((real_torch, theirs), (dg, ours)):
        out, _ = model(lib.tensor(x))
        (out * out).sum().backward()
        total = lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type)
        results.append([total.numpy()] + [p.grad.numpy() for p in model.parameters()])
    for a, b in zip(*results, strict=True):
        assert_matches(b, a, **TOL)
