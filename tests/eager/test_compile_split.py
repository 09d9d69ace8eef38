"""Breaks that once sent a whole call signature to eager now split it: printing, ``str``/
``repr``, ``.numpy()``, ``autograd.grad`` inside, and a value read after a random draw, an
outside write, ``backward`` or ``step``. Each is checked bitwise against eager over calls with
changing values, listed by ``explain``, and raised under ``fullgraph=True``."""

from __future__ import annotations

import copy

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.capture import Call, GraphBreak, Read, Segment, Show

RNG = np.random.default_rng(11)
HERE = r"test_compile_split\.py:\d+: "


def _bits(*ts) -> tuple:
    return tuple((t.dtype, t.shape, t.tobytes()) for t in (np.asarray(a) for a in ts))


def _inputs(i: int) -> tuple:
    sign = 1.0 if i % 2 else -1.0
    xa = (RNG.standard_normal((3, 4)) + 2.0 * sign).astype(np.float32)
    wa = RNG.standard_normal((3, 4)).astype(np.float32)
    return xa, wa


def _run(fn, xa, wa) -> tuple:
    x = torch.tensor(xa, requires_grad=True)
    w = torch.tensor(wa, requires_grad=True)
    out = fn(x, w)
    out.sum().backward()
    return _bits(out.detach().numpy(), x.grad.numpy(), w.grad.numpy())


def prints_tensor(x, w):
    y = torch.tanh(x * w)
    print("y =", y, "sum", y.sum())
    return torch.sigmoid(y) * w


def repr_of_tensor(x, w):
    y = x * w + 1.0
    text = repr(y.detach())
    return y * float(len(text) % 7 + 1)


def numpy_read(x, w):
    y = torch.tanh(x) * w
    a = y.detach().numpy()
    return torch.exp(y * 0.1) * float(a.max())


def grad_inside(x, w):
    loss = (torch.tanh(x * w) ** 2).sum()
    (g,) = torch.autograd.grad(loss, w)
    return torch.sigmoid(w - 0.1 * g) * x


def _segments(cf) -> list:
    (entry,) = cf.cache.values()
    assert entry.programs is not None  # replayed, not sent to eager
    return [type(s) for s in entry.programs[0].steps]


@pytest.mark.parametrize("fn", [prints_tensor, repr_of_tensor, numpy_read, grad_inside])
def test_split_bitwise_over_calls_with_changing_values(fn, capsys):
    cf = torch.compile(fn)
    for i in range(5):
        xa, wa = _inputs(i)
        want = _run(fn, xa, wa)
        eager_out = capsys.readouterr().out
        got = _run(cf, xa, wa)
        assert got == want
        assert capsys.readouterr().out == eager_out  # the same text, printed at every call
    kinds = _segments(cf)
    assert kinds.count(Segment) == 2, kinds
    split_by = {prints_tensor: Show, repr_of_tensor: Read, numpy_read: Read, grad_inside: Call}
    assert split_by[fn] in kinds
    assert cf.breaks and cf.breaks[0].filename.endswith("test_compile_split.py")


def test_print_replays_without_running_the_python():
    calls = []

    def fn(x):
        calls.append(1)
        y = x * 2.0
        print("value", y)
        return y + 1.0

    cf = torch.compile(fn)
    for k in range(3):
        x = torch.tensor(np.full((2,), float(k), np.float32))
        cf(x)
    assert len(calls) == 1 and cf.captures == 1  # one capture, then replays that print


def test_print_shows_the_value_at_its_place_not_after_later_writes(capsys):
    def fn(x, buf):
        print(buf)
        buf.add_(x)
        return buf * 1.0

    cf = torch.compile(fn)
    b1 = torch.tensor(np.zeros(3, np.float32))
    b2 = torch.tensor(np.zeros(3, np.float32))
    for k in range(3):
        x = torch.tensor(np.full(3, k + 0.5, np.float32))
        fn(x, b1)
        want = capsys.readouterr().out
        cf(x, b2)
        assert capsys.readouterr().out == want
    assert _bits(b1.numpy()) == _bits(b2.numpy())


def test_numpy_returned_is_the_replays_array():
    cf = torch.compile(lambda x: (x * 3.0).numpy())
    for k in range(3):
        x = torch.tensor(np.full((2, 2), k + 1.0, np.float32))
        assert _bits(cf(x)) == _bits(np.full((2, 2), 3.0 * (k + 1), np.float32))


def test_read_after_outside_write_splits_and_is_undone_on_a_new_path():
    def fn(x, buf):
        buf.add_(x * 0.5)
        if buf.sum() > 0:  # a read after an in-place write to an outside tensor
            return buf * 2.0
        return buf - 1.0

    cf = torch.compile(fn)
    b_e = torch.tensor(np.zeros((2, 3), np.float32))
    b_c = torch.tensor(np.zeros((2, 3), np.float32))
    for k in range(8):
        sign = 1.0 if (k // 2) % 2 == 0 else -3.0
        xa = (RNG.standard_normal((2, 3)) + sign).astype(np.float32)
        want = fn(torch.tensor(xa), b_e)
        got = cf(torch.tensor(xa), b_c)
        assert _bits(got.numpy(), b_c.numpy()) == _bits(want.numpy(), b_e.numpy())
    (entry,) = cf.cache.values()
    assert entry.programs is not None and len(entry.programs) == 2  # one per path
    assert entry.programs[0].undo is not None


def _train_setup(opt_name: str):
    torch.manual_seed(5)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1)
    )
    make = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    }[opt_name]
    return model, make


def _step_fn(model, opt, sched):
    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
        if loss > 0.5:  # a read after backward and step
            return loss * 2.0
        return loss

    return step


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_read_after_backward_and_step_splits_bitwise(opt_name):
    model, make = _train_setup(opt_name)
    twin = copy.deepcopy(model)
    runs = {}
    for name, m in (("eager", model), ("compiled", twin)):
        opt = make(m.parameters())
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        fn = _step_fn(m, opt, sched)
        cf = torch.compile(fn) if name == "compiled" else fn
        data = np.random.default_rng(1)
        torch.manual_seed(9)
        outs = []
        for k in range(10):
            scale = 3.0 if k % 3 == 0 else 0.1
            x = torch.tensor(data.standard_normal((6, 4)).astype(np.float32))
            y = torch.tensor((data.standard_normal((6, 1)) * scale).astype(np.float32))
            outs.append(cf(x, y).detach().numpy().copy())
        outs += [p.detach().numpy() for p in m.parameters()]
        outs += [p.grad.numpy() for p in m.parameters()]
        outs.append(torch.rand(2).numpy())  # the random stream is where eager leaves it
        runs[name] = _bits(*outs)
        if name == "compiled":
            (entry,) = cf.cache.values()
            assert entry.programs is not None and entry.programs[0].undo is not None
            assert cf.captures <= 3  # one per path taken (plus none per call)
    assert runs["compiled"] == runs["eager"]


def test_item_returned_after_step_stays_bitwise():
    model, make = _train_setup("sgd")
    twin = copy.deepcopy(model)
    got = {}
    for name, m in (("eager", model), ("compiled", twin)):
        opt = make(m.parameters())

        def step(x, m=m, opt=opt):
            opt.zero_grad()
            loss = (m(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss.item()

        cf = torch.compile(step) if name == "compiled" else step
        torch.manual_seed(2)
        data = np.random.default_rng(4)
        losses = [cf(torch.tensor(data.standard_normal((5, 4)).astype(np.float32)))
                  for _ in range(5)]  # fmt: skip
        got[name] = (losses, _bits(*(p.detach().numpy() for p in m.parameters())))
    assert got["compiled"] == got["eager"]


@pytest.mark.parametrize(
    "fn, op",
    [
        (prints_tensor, r"print\(\)"),
        (repr_of_tensor, r"str\(\)/repr\(\)"),
        (numpy_read, r"Tensor\.numpy\(\)"),
        (grad_inside, r"torch\.autograd\.grad"),
    ],
)
def test_fullgraph_raises_naming_file_line_and_operation(fn, op):
    cf = torch.compile(fn, fullgraph=True)
    xa, wa = _inputs(0)
    with pytest.raises(GraphBreak, match=HERE + op):
        cf(torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True))


def test_fullgraph_raises_on_a_read_after_step():
    model, make = _train_setup("sgd")
    opt = make(model.parameters())
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3)
    cf = torch.compile(_step_fn(model, opt, sched), fullgraph=True)
    x = torch.tensor(np.ones((6, 4), np.float32))
    with pytest.raises(GraphBreak, match=HERE + r"bool\(Tensor\)"):
        cf(x, x[:, :1])


def test_explain_lists_each_break_with_its_reason():
    def many(x, w):
        y = x * w
        print("y", y)
        (g,) = torch.autograd.grad(y.sum(), w)
        s = (y + g).detach().numpy()
        return y * float(s.sum())

    xa, wa = _inputs(1)
    rep = torch._dynamo.explain(many)(
        torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    )
    reasons = [b.reason for b in rep.break_reasons]
    assert rep.graph_break_count == 3 and rep.graph_count == 4, reasons
    assert "print()" in reasons[0] and "autograd.grad" in reasons[1] and "numpy" in reasons[2]
    assert all(b.filename.endswith("test_compile_split.py") and b.lineno for b in rep.break_reasons)


GLOBAL_NET = None


@pytest.mark.parametrize("where", ["closure", "global"])
def test_a_held_modules_training_flag_and_layers_are_guarded(where):
    global GLOBAL_NET
    net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.5))
    if where == "closure":

        def f(x):
            return net(x)

    else:
        GLOBAL_NET = net

        def f(x):
            return GLOBAL_NET(x)

    cf = torch.compile(f)
    x = torch.tensor(np.ones((2, 3), np.float32))

    def same_as_eager():
        torch.manual_seed(7)
        want = f(x).detach().numpy().copy()
        torch.manual_seed(7)
        assert _bits(cf(x).detach().numpy()) == _bits(want)

    same_as_eager()  # the capture
    same_as_eager()  # a replay
    net.eval()  # switched between calls: the replay must not keep dropping out
    same_as_eager()
    net[0] = torch.nn.Linear(3, 3)  # a new layer: its parameters, not the old ones
    same_as_eager()
    assert cf.captures == 3


@pytest.mark.parametrize("reset", ["grad_none", "module_zero_grad"])
def test_grads_reset_inside_the_function_are_reset_at_each_replay(reset):
    torch.manual_seed(3)
    net = torch.nn.Linear(4, 2)
    x = torch.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))

    def step():
        if reset == "grad_none":
            net.weight.grad = None
            net.bias.grad = None
        else:
            net.zero_grad()
        (net(x) ** 2).sum().backward()
        return net.weight.grad.numpy()

    want = [step().copy() for _ in range(2)]
    cf = torch.compile(step)
    got = [cf().copy() for _ in range(4)]
    assert _bits(*got) == _bits(*(want + want))  # no accumulation across replays
    assert cf.captures == 1  # the same value read each call: replayed, not captured again


def test_a_value_read_that_changes_every_call_stops_replaying_after_the_limit():
    import importlib

    compile_mod = importlib.import_module("duograd.frontends.eager.compile")

    def fn(x):
        y = x * 2.0
        return y * float(y.sum().item())

    cf = torch.compile(fn)
    with pytest.warns(UserWarning, match="cache_size_limit"):
        for k in range(compile_mod.cache_size_limit + 3):
            x = torch.tensor(np.full(3, k + 0.5, np.float32))
            assert _bits(cf(x).numpy()) == _bits(fn(x).numpy())
    (entry,) = cf.cache.values()
    assert entry.programs is None  # later calls go straight to eager
