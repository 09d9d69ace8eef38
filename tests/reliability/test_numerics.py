"""NaN and Inf: `tf.check_numerics` / `tf.add_check_numerics_ops` and eager anomaly detection."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.frontends.eager import dispatch, tape

F = torch.nn.functional

# ---- graph style -------------------------------------------------------------------------------


def _session(build):
    g = tf.Graph()
    with g.as_default():
        out = build()
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    return g, sess, out


def test_check_numerics_passes_finite_values_through_unchanged():
    x = np.array([[1.5, -2.0, 0.0]], np.float32)
    g, sess, (p, c) = _session(
        lambda: (lambda p: (p, tf.check_numerics(p, "m")))(
            tf.placeholder(tf.float32, [None, 3], name="p")
        )
    )
    got = sess.run(c, {p: x})
    assert got.tobytes() == x.tobytes()
    got[0, 0] = 99.0  # a fetched result is the caller's own copy
    assert sess.run(c, {p: x})[0, 0] == 1.5
    assert c.op.type == "CheckNumerics"


@pytest.mark.parametrize("bad,kind", [(np.nan, "NaN"), (np.inf, "Inf"), (-np.inf, "Inf")])
def test_check_numerics_names_the_tensor_the_message_and_the_kind(bad, kind):
    g, sess, (p, c) = _session(
        lambda: (lambda p: (p, tf.check_numerics(p, "after scaling")))(
            tf.placeholder(tf.float32, [2, 2], name="scaled")
        )
    )
    x = np.ones((2, 2), np.float32)
    x[1, 0] = bad
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(c, {p: x})
    msg = str(info.value)
    assert "after scaling" in msg and f"had {kind} values" in msg
    assert "'scaled:0'" in msg and "[1, 0]" in msg


def test_the_gradient_of_check_numerics_is_checked_too():
    def build():
        x = tf.placeholder(tf.float32, [3], name="x")
        # the check sits under sqrt: the gradient reaching it is sqrt's derivative
        y = tf.sqrt(tf.check_numerics(x, "root"))
        (gx,) = tf.gradients(tf.reduce_sum(y), [x])
        return x, y, gx

    g, sess, (x, y, gx) = _session(build)
    ok = np.array([1.0, 4.0, 9.0], np.float32)
    np.testing.assert_allclose(sess.run(gx, {x: ok}), 0.5 / np.sqrt(ok))
    # sqrt(0) = 0 is finite, but the gradient reaching the check, 1/(2*0), is inf
    with pytest.raises(tf.errors.InvalidArgumentError, match="detected in gradient. root"):
        sess.run(gx, {x: np.array([0.0, 1.0, 4.0], np.float32)})


def test_check_numerics_refuses_integer_tensors_at_build_time():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="only floating-point"):
            tf.check_numerics(tf.constant([1, 2]), "ints")


def test_add_check_numerics_ops_names_the_first_op_that_went_bad():
    def build():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable(np.array([[1.0], [-1.0]], np.float32), name="w")
        z = tf.matmul(x, w, name="z")
        r = tf.sqrt(z, name="root")  # NaN for negative z
        e = tf.exp(r * 50.0, name="blowup")  # inf once r > 1.77
        loss = tf.reduce_sum(e, name="loss")
        # a small step: the gradient is ~1e23, the weights must move but stay near 1
        train = tf.train.GradientDescentOptimizer(1e-25).minimize(loss)
        check = tf.add_check_numerics_ops()
        return x, w, train, check

    g, sess, (x, w, train, check) = _session(build)
    w0 = sess.run(w)
    sess.run([train, check], {x: np.array([[1.0, 0.0]], np.float32)})  # all finite: runs
    w1 = sess.run(w)
    assert w1.tobytes() != w0.tobytes()
    with pytest.raises(tf.errors.InvalidArgumentError, match="root:0 : Tensor had NaN"):
        sess.run([train, check], {x: np.array([[0.0, 1.0]], np.float32)})  # z < 0
    with pytest.raises(tf.errors.InvalidArgumentError, match="blowup:0 : Tensor had Inf"):
        sess.run([train, check], {x: np.array([[4.0, 0.0]], np.float32)})  # r = 2, e = inf
    assert sess.run(w).tobytes() == w1.tobytes()  # the failed steps changed nothing


# ---- eager style -------------------------------------------------------------------------------


def test_anomaly_mode_is_off_by_default_and_costs_nothing():
    assert not torch.autograd.is_anomaly_enabled()
    # the hot path is untouched: the originals are in place, nothing checks a flag per op
    assert torch.Tensor.__dg_bind__ is dispatch.bind_hook
    assert dispatch._Node is tape.Node
    assert tape.reverse_sweep.__module__ == "duograd.core.autodiff"
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    assert np.isnan(torch.log(x).detach().numpy()[0])  # no error when off


def _forward_cases(w):
    return {
        "operator": lambda: (w * 0.0) / (w * 0.0),
        "unary function": lambda: torch.log(w - 5.0),
        "tensor method": lambda: (w - 5.0).sqrt(),
        "functional": lambda: F.linear(torch.log(w - 5.0), torch.ones(2, 3)),
        "general path": lambda: torch.pow(w - 5.0, 0.5),
    }


@pytest.mark.parametrize("path", list(_forward_cases(None)))
def test_anomaly_forward_names_the_op_on_every_dispatch_path(path):
    w = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True):
        with pytest.raises(RuntimeError, match="anomaly detected: '(div|log|sqrt|pow)'") as info:
            _forward_cases(w)[path]()
    assert "this operation produced it" in str(info.value)
    assert not torch.autograd.is_anomaly_enabled()  # restored on exit


def test_anomaly_forward_tells_when_the_nan_came_from_the_data():
    w = torch.tensor([float("nan"), 1.0], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True):
        with pytest.raises(RuntimeError, match=r"operand\(s\) \[0\] already held NaN"):
            w * 2.0


def test_anomaly_backward_names_the_node_and_where_it_was_created():
    w = torch.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        anomaly = torch.autograd.detect_anomaly()
    with anomaly:
        y = torch.sqrt(w * 1.0)  # a finite forward pass
        z = (y * 0.0).sum()  # the cotangent reaching sqrt is 0, and sqrt's VJP at 0 is 0/0
        with pytest.raises(RuntimeError) as info:
            z.backward()
    msg = str(info.value)
    assert "Function 'SqrtBackward0' returned nan values in its 0th output." in msg
    assert "Traceback of the forward call" in msg and "test_numerics.py" in msg
    assert w.grad is None  # nothing was accumulated


def test_anomaly_mode_as_decorator_and_nested_switches():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        anomaly = torch.autograd.detect_anomaly()

    @anomaly
    def run():
        assert torch.autograd.is_anomaly_enabled()
        with torch.autograd.set_detect_anomaly(False):
            assert not torch.autograd.is_anomaly_enabled()
            torch.log(torch.tensor([-1.0], requires_grad=True))  # no check while off
        assert torch.autograd.is_anomaly_enabled()

    run()
    assert not torch.autograd.is_anomaly_enabled()
    assert torch.Tensor.__dg_bind__ is dispatch.bind_hook


def test_check_nan_false_keeps_traces_but_does_not_raise():
    w = torch.tensor([-1.0], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        assert not torch.autograd.is_anomaly_check_nan_enabled()
        y = torch.log(w)
        y.sum().backward()
    assert np.isnan(w.grad.numpy()).sum() == 0  # d log(w)/dw = 1/w = -1: finite


def test_anomaly_mode_does_not_change_results():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    x = torch.randn(5, 4)

    def grads():
        model.zero_grad()
        model(x).pow(2).mean().backward()
        return [p.grad.numpy().copy() for p in model.parameters()]

    plain = grads()
    with torch.autograd.set_detect_anomaly(True):
        checked = grads()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(plain, checked, strict=True))
