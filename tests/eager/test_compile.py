"""torch.compile and torch.jit: captured eager code gives eager's bits, guards, breaks, files."""

from __future__ import annotations

import importlib
import warnings

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core.checkpoint import CheckpointError
from duograd.frontends.eager.capture import GraphBreak

C = importlib.import_module("duograd.frontends.eager.compile")  # the module, not the function
nn = torch.nn
RNG = np.random.default_rng(0)
X, W = (RNG.standard_normal((4, 4)).astype(np.float32) for _ in range(2))
B = (np.abs(RNG.standard_normal((4, 4))) + 1).astype(np.float32)


def chain(x, w, b):
    """The bench's 10-op chain."""
    y = x * w
    y = y + b
    y = torch.tanh(y)
    y = y - x
    y = y * y
    y = torch.sigmoid(y)
    y = y + w
    y = torch.matmul(y, w)
    y = torch.exp(y * 0.1)
    return y / b


def same(a, b) -> bool:
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---- 1. capture, replay, guards ------------------------------------------------------------------


def test_forward_bitwise_and_replayed():
    cf = torch.compile(chain)
    x, w, b = (torch.tensor(a) for a in (X, W, B))
    want = chain(x, w, b)
    for _ in range(3):
        assert same(cf(x, w, b), want)
    assert cf.captures == 1
    assert not cf.breaks


def test_decorator_forms_and_module_compile():
    @torch.compile
    def f(x):
        return torch.exp(x) * 2.0

    @torch.compile(fullgraph=True)
    def g(x):
        return torch.sin(x) + x

    x = torch.tensor(X)
    assert same(f(x), torch.exp(x) * 2.0)
    assert same(g(x), torch.sin(x) + x)
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    want = m(x)
    cm = torch.compile(m)
    assert same(cm(x), want) and same(cm(x), want)
    assert cm._orig_mod is m
    m.compile()
    assert same(m(x), want) and same(m(x), want)


def test_guards_shape_dtype_grad_mode_training():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    cm = torch.compile(m)
    x = torch.tensor(X)
    cm(x)
    cm(x)
    assert cm._compiled.captures == 1
    cm(torch.tensor(RNG.standard_normal((6, 4)).astype(np.float32)))  # new batch size
    assert cm._compiled.captures == 2
    m.eval()  # training flag guard: dropout off now
    assert same(cm(x), m(x))
    assert cm._compiled.captures == 3
    with torch.no_grad():
        out = cm(x)
    assert out.grad_fn is None and cm._compiled.captures == 4
    cm(torch.tensor(X.astype(np.float64)).float())  # same signature again: no capture
    assert cm._compiled.captures == 4


def test_recompile_limit_then_eager_with_one_warning(monkeypatch):
    monkeypatch.setattr(C, "cache_size_limit", 2)
    cf = torch.compile(lambda x: x * 2.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        outs = [cf(torch.ones(n)) for n in range(1, 6)]
    assert cf.captures == 2
    assert len([m for m in w if "cache_size_limit" in str(m.message)]) == 1
    assert all(same(o, torch.ones(n + 1) * 2.0) for n, o in enumerate(outs))


def test_python_value_guard():
    scale = {"v": 2.0}

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.k = 3.0

        def forward(self, x):
            return x * self.k

    m = M()
    cm = torch.compile(m)
    x = torch.tensor(X)
    assert same(cm(x), x * 3.0)
    m.k = 5.0
    assert same(cm(x), x * 5.0)
    del scale


def test_bad_arguments():
    with pytest.raises(TypeError, match="function or an nn.Module"):
        torch.compile(3)
    with pytest.raises(ValueError, match="backend"):
        torch.compile(chain, backend="tensorrt")
    with pytest.raises(ValueError, match="mode"):
        torch.compile(chain, mode="fastest")


# ---- 2. gradients --------------------------------------------------------------------------------


def _leaves():
    return torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)


def test_backward_autograd_grad_retain_graph_bitwise():
    cf = torch.compile(chain)
    b = torch.tensor(B)
    x, w = _leaves()
    chain(x, w, b).sum().backward()
    ex, ew = x.grad, w.grad
    x2, w2 = _leaves()
    cf(x2, w2, b)  # capture
    x2, w2 = _leaves()
    out = cf(x2, w2, b)
    # one tape node for the whole segment, named as eager names the output's last op
    assert out.grad_fn.name() == chain(x, w, b).grad_fn.name()
    assert type(out.grad_fn.prim).__name__ == "Primitive" and out.grad_fn.prim.name == "Compiled"
    loss = out.sum()
    loss.backward(retain_graph=True)
    assert same(x2.grad, ex) and same(w2.grad, ew)
    gx, gw = torch.autograd.grad(loss, [x2, w2])
    assert same(gx, ex) and same(gw, ew)
    # without retain_graph the second backward through the compiled node fails as in eager
    x3, w3 = _leaves()
    loss3 = cf(x3, w3, b).sum()
    loss3.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss3.backward()


def test_grads_through_compiled_module_and_no_grad_inside():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

    def f(x):
        h = m(x)
        with torch.no_grad():
            s = h * 2.0  # carries no gradient, as in eager
        return (h * s).sum()

    cf = torch.compile(f)
    x = torch.tensor(X)
    grads = []
    for fn in (f, cf, cf):
        m.zero_grad()
        fn(x).backward()
        grads.append([p.grad.numpy().copy() for p in m.parameters()])
    for g in grads[1:]:
        assert all(a.tobytes() == b.tobytes() for a, b in zip(grads[0], g, strict=True))


# ---- 3 and 4. whole training steps, randomness --------------------------------------------------


def _train(compiled: bool, steps: int = 6):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 5))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.standard_normal((16, 20)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 5, 16))

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = torch.compile(step) if compiled else step
    torch.manual_seed(1)
    losses = []
    for _ in range(steps):
        losses.append(run(x, y).detach().numpy().copy())
        sched.step()  # the lr changes between steps: the replayed step reads it
    return [p.detach().numpy().copy() for p in model.parameters()], losses, run


def test_training_step_bitwise_with_dropout_momentum_and_scheduler():
    ew, el, _ = _train(False)
    cw, cl, run = _train(True)
    assert run.captures == 1 and not run.breaks
    assert all(a.tobytes() == b.tobytes() for a, b in zip(ew, cw, strict=True))
    assert all(a.tobytes() == b.tobytes() for a, b in zip(el, cl, strict=True))


def test_adam_step_inside_and_rand_inside():
    def run(compiled):
        torch.manual_seed(0)
        lin = nn.Linear(3, 2)
        opt = torch.optim.Adam(lin.parameters(), lr=0.01)

        def step(x):
            opt.zero_grad()
            noise = torch.randn(4, 3) * 0.1 + torch.rand(4, 3)
            loss = (lin(x + noise) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        fn = torch.compile(step) if compiled else step
        x = torch.tensor(np.ones((4, 3), np.float32))
        out = [fn(x).detach().numpy().copy() for _ in range(4)]
        return out, [p.detach().numpy().copy() for p in lin.parameters()]

    (el, ew), (cl, cw) = run(False), run(True)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(el + ew, cl + cw, strict=True))


# ---- 5. graph breaks ----------------------------------------------------------------------------


def _breaking(x):
    y = x * 2.0
    if y.sum() > 0:  # a Python branch on a tensor's value
        return y + 1.0
    return y - 1.0


@pytest.mark.parametrize(
    "fn, reason",
    [
        (_breaking, "bool(Tensor)"),
        (lambda x: x * float((x * 2.0).sum().item()), "item()"),
        (lambda x: torch.tensor((x + 1.0).numpy()) * 2.0, "numpy()"),
        (lambda x: (print(x + 1.0), x * 2.0)[1], "print()"),
        (lambda x: torch.tensor((x + 1.0).tolist()), "tolist()"),
    ],
)
def test_breaks_run_eagerly_bitwise_and_are_listed(fn, reason, capsys):
    x = torch.tensor(X)
    cf = torch.compile(fn)
    for _ in range(2):
        assert same(cf(x), fn(x))
        assert same(cf(-x), fn(-x))
    assert cf.breaks and reason in cf.breaks[0].reason
    assert cf.breaks[0].filename.endswith("test_compile.py") and cf.breaks[0].lineno > 0
    report = torch._dynamo.explain(fn)(x)
    assert report.graph_break_count >= 1 and reason in str(report)


def test_fullgraph_raises_naming_file_line_op():
    cf = torch.compile(_breaking, fullgraph=True)
    with pytest.raises(GraphBreak, match=r"test_compile\.py:\d+: bool\(Tensor\)"):
        cf(torch.tensor(X))


def test_explain_without_breaks_lists_ops():
    report = torch._dynamo.explain(chain)(*(torch.tensor(a) for a in (X, W, B)))
    assert report.graph_count == 1 and report.graph_break_count == 0
    assert "matmul" in report.ops_per_graph[0]


# ---- 6. mutation is never stale -----------------------------------------------------------------


def test_parameter_mutation_load_state_dict_and_replacement_are_seen():
    torch.manual_seed(0)
    m = nn.Linear(4, 3)
    cm = torch.compile(m)
    x = torch.tensor(X)
    cm(x)
    with torch.no_grad():
        m.weight.data.mul_(0.5)
    assert same(cm(x), m(x))
    sd = {k: v * 3.0 for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    assert same(cm(x), m(x))
    m.weight = nn.Parameter(torch.ones(3, 4))  # a new object: the identity guard recaptures
    assert same(cm(x), m(x))


def test_in_place_inside_the_function_and_on_an_argument():
    def f(x, acc):
        y = x * 2.0
        y.add_(1.0)
        acc.mul_(0.5)
        acc.add_(y)
        return y.exp()

    cf = torch.compile(f)
    x = torch.tensor(X)
    a1, a2 = torch.tensor(W), torch.tensor(W)
    for _ in range(3):
        assert same(cf(x, a1), f(x, a2))
        assert same(a1, a2)


# ---- 7. torch.jit -------------------------------------------------------------------------------


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))


def test_trace_save_load_bitwise(tmp_path):
    m = _model()
    x = torch.tensor(RNG.standard_normal((5, 8)).astype(np.float32))
    tm = torch.jit.trace(m, x)
    assert same(tm(x), m(x))
    assert list(tm.state_dict()) == list(m.state_dict())
    path = tmp_path / "m.pt"
    torch.jit.save(tm, path)
    lm = torch.jit.load(path)
    assert same(lm(x), m(x))
    lm(x).sum().backward()
    m(x).sum().backward()
    for a, b in zip(lm.parameters(), m.parameters(), strict=True):
        assert same(a.grad, b.grad)


def test_trace_bad_inputs_and_script():
    m = _model()
    x = torch.tensor(RNG.standard_normal((5, 8)).astype(np.float32))
    with pytest.raises(TypeError, match="example input 0"):
        torch.jit.trace(m, (X,))
    with pytest.raises(TypeError, match="example_inputs"):
        torch.jit.trace(m, 3)
    tm = torch.jit.trace(m, x)
    with pytest.raises(ValueError, match=r"traced with shape \[5, 8\]"):
        tm(torch.ones(4, 8))
    with pytest.raises(RuntimeError, match="item"):
        torch.jit.trace(lambda t: t * t.sum().item(), x)
    with pytest.raises(NotImplementedError, match="trace"):
        torch.jit.script(m)


def test_hostile_traced_files_are_refused(tmp_path):
    from duograd.core.checkpoint import load_arrays, save_arrays

    m = _model()
    x = torch.tensor(RNG.standard_normal((5, 8)).astype(np.float32))
    path = tmp_path / "m.pt"
    torch.jit.save(torch.jit.trace(m, x), path)
    tree = load_arrays(path)
    bad = dict(tree, nodes=[dict(tree["nodes"][0], op="os.system")])
    save_arrays(tmp_path / "bad1.pt", bad)
    with pytest.raises(CheckpointError, match="unknown primitive"):
        torch.jit.load(tmp_path / "bad1.pt")
    bad = dict(tree, nodes=[dict(tree["nodes"][0], ins=[["in", 7]])])
    save_arrays(tmp_path / "bad2.pt", bad)
    with pytest.raises(CheckpointError):
        torch.jit.load(tmp_path / "bad2.pt")
    save_arrays(tmp_path / "bad3.pt", {"format": "something else"})
    with pytest.raises(CheckpointError, match="not a traced module"):
        torch.jit.load(tmp_path / "bad3.pt")
    (tmp_path / "bad4.pt").write_bytes(b"\x80\x04 not a zip")
    with pytest.raises(CheckpointError):
        torch.jit.load(tmp_path / "bad4.pt")


# ---- 8. across styles ---------------------------------------------------------------------------


def test_traced_eager_module_served_by_the_graph_frontend(tmp_path):
    tf = pytest.importorskip("duograd.frontends.graph")
    m = _model()
    x = torch.tensor(RNG.standard_normal((5, 8)).astype(np.float32))
    tm = torch.jit.trace(m, x)
    g = tf.Graph()
    with g.as_default():
        (px,), out = tf.import_traced(tm)
        variables = tf.global_variables()
        grads = tf.gradients(tf.reduce_sum(out), variables)
        saver = tf.train.Saver()
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        o, gr = sess.run([out, grads], {px: x.numpy()})
        saver.save(sess, str(tmp_path / "ckpt"))
    assert [v.op.name for v in variables] == list(m.state_dict())
    assert o.tobytes() == m(x).detach().numpy().tobytes()
    m(x).sum().backward()
    for a, p in zip(gr, m.parameters(), strict=True):
        assert a.tobytes() == p.grad.numpy().tobytes()
    with pytest.raises(TypeError, match="torch.jit.trace"):
        tf.import_traced(m)


def test_graph_subgraph_wrapped_as_eager_module():
    tf = pytest.importorskip("duograd.frontends.graph")
    x = torch.tensor(RNG.standard_normal((5, 8)).astype(np.float32))
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.float32, [None, 8])
        w = tf.Variable(RNG.standard_normal((8, 4)).astype(np.float32), name="dense/w")
        b = tf.Variable(np.full(4, 0.1, np.float32), name="dense/b")
        y = tf.tanh(tf.matmul(p, w) + b)
        gw = tf.gradients(tf.reduce_sum(y), [w, b])
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        yo, go = sess.run([y, gw], {p: x.numpy()})
    with pytest.raises(ValueError, match="example_inputs"):
        torch.jit.from_graph(p, y, sess)
    em = torch.jit.from_graph(p, y, sess, example_inputs=x)
    assert list(em.state_dict()) == ["dense.w", "dense.b"]
    ye = em(x)
    assert ye.detach().numpy().tobytes() == yo.tobytes()
    ye.sum().backward()
    for a, prm in zip(go, em.parameters(), strict=True):
        assert a.tobytes() == prm.grad.numpy().tobytes()
    with pytest.raises(ValueError, match="session"):
        torch.jit.from_graph(p, y, None, example_inputs=x)


SCALE = 2.0


def test_closure_and_global_values_are_guarded():
    global SCALE
    k = [3.0]

    def f(x):
        return x * SCALE * k[0]

    cf = torch.compile(f)
    x = torch.tensor(X)
    assert same(cf(x), f(x))
    SCALE = 4.0
    try:
        assert same(cf(x), x * 4.0 * 3.0)
    finally:
        SCALE = 2.0
    assert same(cf(x), f(x))
