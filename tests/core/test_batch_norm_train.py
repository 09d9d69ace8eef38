"""Training batch norm as two forward kernels and one backward reduction: against PyTorch
(nn.BatchNorm1d/2d/3d, running statistics too) and TF1 (tf.nn.fused_batch_norm,
tf.layers.batch_normalization), values and gradients in float32 and float64; finite differences
in float64; NCHW == NHWC and eager == graph bit for bit; what the backward keeps; named errors."""

from __future__ import annotations

import duograd.frontends.eager as dg
import duograd.frontends.graph as dg_tf
import numpy as np
import pytest
from duograd.core import functional as CF
from duograd.core.errors import ShapeError
from duograd.core.primitives import REGISTRY
from duograd.core.primitives import batchnorm as B

RNG = np.random.default_rng(5)
SHAPES = {"1d_nc": (16, 5), "1d_ncl": (4, 3, 9), "2d": (4, 6, 5, 7), "3d": (2, 3, 4, 3, 5)}
MODULES = {
    "1d_nc": "BatchNorm1d",
    "1d_ncl": "BatchNorm1d",
    "2d": "BatchNorm2d",
    "3d": "BatchNorm3d",
}


def _run_module(lib, name, x, g, w, b, affine, steps=2):
    """Two training steps of lib.nn.<name>: outputs, grads and the running statistics."""
    dt = getattr(lib, "float32" if x.dtype == np.float32 else "float64")
    m = getattr(lib.nn, name)(x.shape[1], affine=affine, momentum=0.3, dtype=dt)
    if affine:
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w))
            m.bias.copy_(lib.tensor(b))
    out = []
    for k in range(steps):
        xt = lib.tensor(x * (k + 1), requires_grad=True)
        y = m(xt)
        (y * lib.tensor(g)).sum().backward()
        out += [y.detach().numpy(), xt.grad.numpy()]
    if affine:
        out += [m.weight.grad.numpy(), m.bias.grad.numpy()]
    return out + [m.running_mean.numpy(), m.running_var.numpy()]


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(SHAPES))
def test_modules_match_torch(case, dtype, affine):
    torch = pytest.importorskip("torch")
    shape = SHAPES[case]
    x = (RNG.standard_normal(shape) * 2 + 0.5).astype(dtype)
    g = RNG.standard_normal(shape).astype(dtype)
    w = RNG.uniform(0.5, 1.5, shape[1]).astype(dtype)
    b = RNG.uniform(-1, 1, shape[1]).astype(dtype)
    want = _run_module(torch, MODULES[case], x, g, w, b, affine)
    got = _run_module(dg, MODULES[case], x, g, w, b, affine)
    tol = 2e-5 if dtype == np.float32 else 1e-11
    for a, c in zip(want, got, strict=True):
        assert c.dtype == a.dtype and c.shape == a.shape
        np.testing.assert_allclose(c, a, rtol=tol, atol=tol)


def _tf_fused(lib, x, scale, offset, gy, eps):
    graph = lib.Graph()
    with graph.as_default():
        xt, st, ot = lib.constant(x), lib.constant(scale), lib.constant(offset)
        if x.dtype == np.float64:  # TF's fused kernel is float32 only: its composed form
            mean, var = lib.nn.moments(xt, [0, 1, 2])
            y = lib.nn.batch_normalization(xt, mean, var, ot, st, eps)
        else:
            y, mean, var = lib.nn.fused_batch_norm(xt, st, ot, epsilon=eps, is_training=True)
        grads = lib.gradients(lib.reduce_sum(y * lib.constant(gy)), [xt, st, ot])
        with lib.Session(graph=graph) as sess:
            return sess.run([y, mean, var, *grads])


@pytest.mark.parametrize("dtype", [np.float32])
def test_fused_batch_norm_matches_tf1(dtype):
    tf = pytest.importorskip("tensorflow").compat.v1
    x = (RNG.standard_normal((4, 5, 6, 3)) * 3 - 1).astype(dtype)
    gy = RNG.standard_normal(x.shape).astype(dtype)
    scale, offset = RNG.uniform(0.5, 1.5, 3).astype(dtype), RNG.uniform(-1, 1, 3).astype(dtype)
    want = _tf_fused(tf, x, scale, offset, gy, 1e-3)
    got = _tf_fused(dg_tf, x, scale, offset, gy, 1e-3)
    for a, c in zip(want, got, strict=True):
        assert c.dtype == a.dtype and c.shape == a.shape
        np.testing.assert_allclose(c, a, rtol=2e-4, atol=2e-5)


def _layer(x, gy):
    graph = dg_tf.Graph()
    with graph.as_default():
        xt = dg_tf.constant(x)
        y = dg_tf.layers.batch_normalization(xt, momentum=0.5, epsilon=1e-3, training=True)
        params = dg_tf.trainable_variables()
        grads = dg_tf.gradients(dg_tf.reduce_sum(y * dg_tf.constant(gy)), [xt, *params])
        with dg_tf.Session(graph=graph) as sess:
            sess.run(dg_tf.global_variables_initializer())
            return sess.run([y, *grads])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_batch_normalization_matches_tf1_fused_op(dtype):
    # TF 2.21 has no tf.compat.v1.layers under Keras 3: TF1's layer runs this fused op
    tf = pytest.importorskip("tensorflow").compat.v1
    x = (RNG.standard_normal((6, 4, 3, 5)) + 2).astype(dtype)
    gy = RNG.standard_normal(x.shape).astype(dtype)
    ones, zeros = np.ones(5, dtype), np.zeros(5, dtype)
    want = _tf_fused(tf, x, ones, zeros, gy, 1e-3)
    want = [want[0], *want[3:]]
    got = _layer(x, gy)
    assert len(got) == 4
    tol = 2e-4 if dtype == np.float32 else 1e-10
    for a, c in zip(want, got, strict=True):
        assert c.dtype == a.dtype and c.shape == a.shape
        np.testing.assert_allclose(c, a, rtol=tol, atol=tol)


def test_gradients_match_finite_differences_float64():
    x = RNG.standard_normal((3, 4, 2, 5))
    scale, offset = RNG.uniform(0.5, 1.5, 4), RNG.uniform(-1, 1, 4)
    gy = RNG.standard_normal(x.shape)
    gm, gv = RNG.standard_normal(4), RNG.standard_normal(4)

    def loss(xv, sv, ov):
        y, m, v = CF.batch_norm_train(xv, sv, ov, 1e-3, (0, 2, 3))
        return float(np.sum(y * gy) + np.sum(m * gm) + np.sum(v * gv))

    xt = dg.tensor(x, requires_grad=True)
    st, ot = dg.tensor(scale, requires_grad=True), dg.tensor(offset, requires_grad=True)
    y, m, v = CF.batch_norm_train(xt, st, ot, 1e-3, (0, 2, 3))
    ((y * dg.tensor(gy)).sum() + (m * dg.tensor(gm)).sum() + (v * dg.tensor(gv)).sum()).backward()
    args = [x, scale, offset]
    for i, got in enumerate([xt.grad.numpy(), st.grad.numpy(), ot.grad.numpy()]):
        num = np.zeros_like(args[i])
        for j in range(args[i].size):
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[i].reshape(-1)[j] += 1e-6
            minus[i].reshape(-1)[j] -= 1e-6
            num.reshape(-1)[j] = (loss(*plus) - loss(*minus)) / 2e-6
        np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-7, err_msg=f"operand {i}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nchw_and_nhwc_give_the_same_bits(dtype):
    x = RNG.standard_normal((5, 7, 9, 6)).astype(dtype) * 4
    gy = RNG.standard_normal(x.shape).astype(dtype)
    scale, offset = RNG.uniform(0.5, 1.5, 7).astype(dtype), RNG.uniform(-1, 1, 7).astype(dtype)

    def run(data, grad, axes):
        xt = dg.tensor(data, requires_grad=True)
        st, ot = dg.tensor(scale, requires_grad=True), dg.tensor(offset, requires_grad=True)
        y, m, v = CF.batch_norm_train(xt, st, ot, 1e-5, axes)
        (y * dg.tensor(grad)).sum().backward()
        return (y.detach().numpy(), m.detach().numpy(), v.detach().numpy(), xt.grad.numpy(),
                st.grad.numpy(), ot.grad.numpy())  # fmt: skip

    a = run(x, gy, (0, 2, 3))
    t = (0, 2, 3, 1)
    b = run(np.ascontiguousarray(x.transpose(t)), np.ascontiguousarray(gy.transpose(t)), (0, 1, 2))
    np.testing.assert_array_equal(a[0].transpose(t), b[0])
    np.testing.assert_array_equal(a[3].transpose(t), b[3])
    for i in (1, 2, 4, 5):
        np.testing.assert_array_equal(np.asarray(a[i]), np.asarray(b[i]))


def test_eager_module_and_graph_fused_batch_norm_are_bitwise_equal():
    x = (RNG.standard_normal((8, 6, 5, 5)) * 2).astype(np.float32)
    gy = RNG.standard_normal(x.shape).astype(np.float32)
    w, b = RNG.uniform(0.5, 1.5, 6).astype(np.float32), RNG.uniform(-1, 1, 6).astype(np.float32)
    m = dg.nn.BatchNorm2d(6)
    with dg.no_grad():
        m.weight.copy_(dg.tensor(w))
        m.bias.copy_(dg.tensor(b))
    xt = dg.tensor(x, requires_grad=True)
    y = m(xt)
    (y * dg.tensor(gy)).sum().backward()
    eager = [y.detach().numpy(), xt.grad.numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()]
    t = (0, 2, 3, 1)
    graph = _tf_fused(dg_tf, np.ascontiguousarray(x.transpose(t)), w, b,
                      np.ascontiguousarray(gy.transpose(t)), 1e-5)  # fmt: skip
    np.testing.assert_array_equal(eager[0].transpose(t), graph[0])
    np.testing.assert_array_equal(eager[1].transpose(t), graph[3])
    np.testing.assert_array_equal(eager[2], graph[4])
    np.testing.assert_array_equal(eager[3], graph[5])


def test_forward_is_two_kernels_and_backward_one_reduction(monkeypatch):
    calls: list[str] = []
    for name, prim in REGISTRY.items():
        for attr in ("impl", "fast", "fast_params"):
            fn = getattr(prim, attr)
            if fn is not None:

                def spy(*a, _fn=fn, _name=name, **k):
                    calls.append(_name)
                    return _fn(*a, **k)

                monkeypatch.setattr(prim, attr, spy)
    m = dg.nn.BatchNorm2d(3)
    xt = dg.tensor(RNG.standard_normal((4, 3, 5, 5)).astype(np.float32), requires_grad=True)
    calls.clear()
    y = m(xt)
    forward = [c for c in calls if c.startswith("batch_norm")]
    assert forward == ["batch_norm_stats", "batch_norm_apply"]
    assert not {"mean", "square", "sub", "sqrt", "div"} & set(calls)
    calls.clear()
    y.sum().backward()
    assert calls.count("batch_norm_reduce_grad") == 1
    assert not {"mean", "square", "sum", "sum_like", "div"} & set(calls)


def test_backward_keeps_statistics_not_normalised_activations():
    from duograd.core.saved import saves_of

    x = RNG.standard_normal((4, 3, 5, 5)).astype(np.float32)
    st = B.batch_norm_stats(x, 1, 1e-5)
    scale, offset = np.ones(3, np.float32), np.zeros(3, np.float32)
    y = B.batch_norm_apply(x, st, scale, offset, 1)
    # the apply rule reads x, the (3, C) statistics and the scale, never its output y
    saved = saves_of(B.BATCH_NORM_APPLY, (x, st, scale, offset), y, {"axis": 1})
    assert saved == ((0, 1, 2), False)
    # the statistics' rule reads x and its own (3, C) output
    assert saves_of(B.BATCH_NORM_STATS, (x,), st, {"axis": 1, "eps": 1e-5}) == ((0,), True)


def test_bad_inputs_get_named_errors():
    x = np.ones((4, 3, 2, 2), np.float32)
    with pytest.raises(ShapeError, match=r"batch_norm_stats: .*rank >= 2.*\(5,\)"):
        B.batch_norm_stats(np.ones(5, np.float32), 0, 1e-5)
    with pytest.raises(ValueError, match=r"batch_norm_stats: axis=4"):
        B.batch_norm_stats(x, 4, 1e-5)
    st = B.batch_norm_stats(x, 1, 1e-5)
    with pytest.raises(ShapeError, match=r"batch_norm_apply: the statistics must have shape"):
        B.batch_norm_apply(x, st[:2], np.ones(3, np.float32), np.zeros(3, np.float32), 1)
    with pytest.raises(ShapeError, match=r"batch_norm_apply: the scale .* got shape \(4,\)"):
        B.batch_norm_apply(x, st, np.ones(4, np.float32), np.zeros(3, np.float32), 1)
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected 5D input"):
        dg.nn.BatchNorm3d(3)(dg.tensor(x))


def test_second_derivative_matches_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((6, 3, 4))
    w, v = RNG.uniform(0.5, 1.5, 3), RNG.standard_normal(x.shape)

    def run(lib):
        m = lib.nn.BatchNorm1d(3, dtype=lib.float64)
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w))
        xt = lib.tensor(x, requires_grad=True)
        y = m(xt)
        (gx,) = lib.autograd.grad((y**3).sum(), xt, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        return gx.detach().numpy(), xt.grad.numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()

    for a, b in zip(run(torch), run(dg), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-10)
