"""An optimizer step applies to every parameter or to none, in both styles, for every optimizer.

Eager: the update of the k-th parameter fails (for k = 1 .. n) and every parameter, gradient and
state entry is bitwise as before; afterwards the optimizer steps as one that never failed.
Graph: `Session.run([train, later])` where `later` runs after the train op (a control
dependency) and fails leaves every variable (slots and global step included) as it was.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

nn = torch.nn
optim = torch.optim

EAGER = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD-momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.1),
    "Adam-amsgrad": lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adadelta": lambda ps: optim.Adadelta(ps),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "Adamax": lambda ps: optim.Adamax(ps, lr=0.1),
    "NAdam": lambda ps: optim.NAdam(ps, lr=0.1),
    "RAdam": lambda ps: optim.RAdam(ps, lr=0.1),
    "Rprop": lambda ps: optim.Rprop(ps, lr=0.1),
}


def _model(big: bool):
    torch.manual_seed(0)
    # big: the largest parameter is past the size the step keeps no copy of (see optimizer.py)
    n, h = (300, 256) if big else (6, 5)
    return nn.Sequential(nn.Linear(n, h), nn.Tanh(), nn.Linear(h, 2))


def _grads(model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.grad = torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))


def _snapshot(model, opt) -> list:
    snap = [p.detach().numpy().tobytes() for p in model.parameters()]
    snap += [p.grad.numpy().tobytes() for p in model.parameters() if p.grad is not None]
    for idx, st in sorted(opt.state_dict()["state"].items()):
        for k, v in sorted(st.items()):
            snap.append((idx, k, np.asarray(v.numpy() if hasattr(v, "numpy") else v).tobytes()))
    return snap


def _failing_at(opt, k: int):
    """Make the step's update fail just before the k-th parameter's update."""
    real = opt._update
    calls = [0]

    def update(group, pairs):
        for pair in pairs:
            calls[0] += 1
            if calls[0] == k:
                raise MemoryError("simulated failure midway through the parameters")
            real(group, [pair])

    opt._update = update
    return real


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("name", sorted(EAGER))
def test_an_eager_step_failing_midway_changes_nothing(name, big):
    n = len(list(_model(big).parameters()))
    for k in range(1, n + 1):
        model = _model(big)
        opt = EAGER[name](model.parameters())
        _grads(model, 0)
        opt.step()  # state exists and must survive too
        _grads(model, 1)
        before = _snapshot(model, opt)
        real = _failing_at(opt, k)
        with pytest.raises(MemoryError, match="simulated"):
            opt.step()
        opt._update = real
        assert _snapshot(model, opt) == before, f"{name}: failure at parameter {k}"
        twin = _model(big)
        twin_opt = EAGER[name](twin.parameters())
        _grads(twin, 0)
        twin_opt.step()
        for m, o in ((model, opt), (twin, twin_opt)):
            _grads(m, 1)
            o.step()
        assert _snapshot(model, opt) == _snapshot(twin, twin_opt), name


def test_lbfgs_failing_midway_changes_nothing():
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    opt = optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    opt.step(closure)
    params = [p.detach().numpy().tobytes() for p in model.parameters()]
    history = len(opt.state[model.weight]["old_dirs"])
    evals = [0]

    def failing():
        evals[0] += 1
        if evals[0] == 3:
            raise RuntimeError("closure failed on its third evaluation")
        return closure()

    with pytest.raises(RuntimeError, match="third evaluation"):
        opt.step(failing)
    assert [p.detach().numpy().tobytes() for p in model.parameters()] == params
    assert len(opt.state[model.weight]["old_dirs"]) == history


GRAPH = {
    "sgd": lambda: tf.train.GradientDescentOptimizer(0.5),
    "momentum": lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adam": lambda: tf.train.AdamOptimizer(0.01),
    "rmsprop": lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: tf.train.AdagradOptimizer(0.1),
    "adagrad_da": lambda: tf.train.AdagradDAOptimizer(0.1, tf.train.get_global_step()),
    "adadelta": lambda: tf.train.AdadeltaOptimizer(1.0),
    "proximal_sgd": lambda: tf.train.ProximalGradientDescentOptimizer(0.1, 0.01, 0.01),
    "proximal_adagrad": lambda: tf.train.ProximalAdagradOptimizer(0.1),
    "ftrl": lambda: tf.train.FtrlOptimizer(0.1),
}


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_a_run_failing_after_its_train_op_changes_no_variable(name):
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), name="w")
        b = tf.Variable(np.ones(3, np.float32), name="b")
        step = tf.train.create_global_step()
        loss = tf.reduce_sum(tf.square(w)) + tf.reduce_sum(b * b)
        train = GRAPH[name]().minimize(loss, global_step=step)
        idx = tf.placeholder(tf.int32, [None], name="idx")
        with tf.control_dependencies([train]):
            later = tf.gather(w, idx)  # fails when fed an index out of range
            checked = tf.debugging.check_numerics(tf.log(b - 1.0), "b - 1 must be positive")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(train)  # slots exist and must survive too
            keys = tf.global_variables()
            before = [s.run(v).tobytes() for v in keys]
            with pytest.raises(IndexError, match="gather"):
                s.run([train, later], {idx: [0, 5]})
            assert [s.run(v).tobytes() for v in keys] == before, name
            with pytest.raises(Exception, match="b - 1 must be positive"):
                s.run([train, checked])
            assert [s.run(v).tobytes() for v in keys] == before, name
            s.run([train, later], {idx: [1]})  # and a good run still steps
            assert s.run(step) == 2


@pytest.mark.parametrize("fn", ["mul", "sub", "sqrt"])
@pytest.mark.parametrize("name", sorted(EAGER))
def test_a_failure_inside_one_parameter_s_update_changes_nothing(monkeypatch, name, fn):
    # the update of one parameter writes its state, then the parameter: a failure between the
    # two (here in the k-th core op the step calls) must not leave the state half stepped, even
    # for the large parameter a step may keep no copy of
    from duograd.core import ops

    real = getattr(ops, fn)
    for k in range(1, 30):
        model = _model(big=True)
        opt = EAGER[name](model.parameters())
        _grads(model, 0)
        opt.step()
        _grads(model, 1)
        before = _snapshot(model, opt)
        calls = [0]

        def flaky(*args, _k=k, _calls=calls, **kwargs):
            _calls[0] += 1
            if _calls[0] == _k:
                raise MemoryError("simulated failure inside an update")
            return real(*args, **kwargs)

        monkeypatch.setattr(ops, fn, flaky)
        try:
            opt.step()
        except MemoryError:
            pass
        else:
            break  # fewer than k calls: every failure point was tried
        finally:
            monkeypatch.setattr(ops, fn, real)
        assert _snapshot(model, opt) == before, f"{name}: failure in {fn} call {k}"
