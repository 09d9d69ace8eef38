"""F.grid_sample and F.affine_grid against real torch (values, gradients to the input, the grid
and theta, dtypes; every mode, padding and align_corners), and the same bits from the core
primitive on a graph."""

from __future__ import annotations

import itertools

import duograd.frontends.eager as torch
import duograd.frontends.eager.nn.functional as F
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import grid_sample as G

rt = pytest.importorskip("torch")
RF = rt.nn.functional
R = np.random.default_rng(7)

COMBOS = list(itertools.product(("bilinear", "nearest"), ("zeros", "border", "reflection"),
                                (False, True)))  # fmt: skip


def _run(lib, fn, x, grid, mode, pad, align):
    xt = lib.tensor(x, requires_grad=True)
    gt = lib.tensor(grid, requires_grad=True)
    y = fn(xt, gt, mode=mode, padding_mode=pad, align_corners=align)
    w = np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(x.dtype)
    (y * lib.tensor(w)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), gt.grad.numpy()


@pytest.mark.parametrize("mode,pad,align", COMBOS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_grid_sample_against_torch(mode, pad, align, dt):
    x = R.normal(size=(2, 3, 5, 6)).astype(dt)
    # points inside, on the margin and well outside (exercise every padding rule)
    grid = R.uniform(-1.6, 1.6, size=(2, 4, 7, 2)).astype(dt)
    ours = _run(torch, F.grid_sample, x, grid, mode, pad, align)
    ref = _run(rt, RF.grid_sample, x, grid, mode, pad, align)
    tol = dict(rtol=1e-4, atol=1e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for a, b, what in zip(ours, ref, ("output", "input grad", "grid grad"), strict=True):
        assert a.dtype == b.dtype, what
        assert a.shape == b.shape, what
        np.testing.assert_allclose(a, b, err_msg=what, **tol)


def test_grid_sample_single_pixel_and_upsampling_grid():
    x = R.normal(size=(1, 2, 1, 1))
    grid = R.uniform(-1, 1, size=(1, 3, 3, 2))
    for pad in ("zeros", "border", "reflection"):
        for align in (False, True):
            a = F.grid_sample(torch.tensor(x), torch.tensor(grid), padding_mode=pad,
                              align_corners=align).numpy()  # fmt: skip
            b = RF.grid_sample(rt.tensor(x), rt.tensor(grid), padding_mode=pad,
                               align_corners=align).numpy()  # fmt: skip
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_affine_grid_then_sample_against_torch(align, dt):
    x = R.normal(size=(2, 3, 6, 5)).astype(dt)
    theta = (np.eye(2, 3) + R.normal(scale=0.3, size=(2, 2, 3))).astype(dt)
    out = []
    for lib, fns in ((torch, F), (rt, RF)):
        xt = lib.tensor(x, requires_grad=True)
        tt = lib.tensor(theta, requires_grad=True)
        grid = fns.affine_grid(tt, (2, 3, 4, 7), align_corners=align)
        y = fns.grid_sample(xt, grid, align_corners=align)
        (y * y).sum().backward()
        out.append((grid.detach().numpy(), y.detach().numpy(), xt.grad.numpy(), tt.grad.numpy()))
    tol = dict(rtol=2e-4, atol=2e-5) if dt == np.float32 else dict(rtol=1e-9, atol=1e-11)
    for a, b in zip(*out, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **tol)


def test_affine_grid_3d_against_torch():
    theta = R.normal(size=(2, 3, 4))
    ours = torch.tensor(theta, requires_grad=True)
    ref = rt.tensor(theta, requires_grad=True)
    a = F.affine_grid(ours, (2, 1, 3, 4, 5), align_corners=True)
    b = RF.affine_grid(ref, (2, 1, 3, 4, 5), align_corners=True)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    (a**2).sum().backward()
    (b**2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), ref.grad.numpy(), rtol=1e-10)


def test_bad_arguments_name_the_op_and_value():
    x, grid = torch.zeros(1, 1, 3, 3), torch.zeros(1, 2, 2, 2)
    with pytest.raises(ValueError, match="grid_sample: mode.*'bicubic'"):
        F.grid_sample(x, grid, mode="bicubic")
    with pytest.raises(ValueError, match="padding_mode.*'wrap'"):
        F.grid_sample(x, grid, padding_mode="wrap")
    with pytest.raises(ValueError, match="grid_sample: expected input"):
        F.grid_sample(x, torch.zeros(1, 2, 2, 3))
    with pytest.raises(ValueError, match="same batch size"):
        F.grid_sample(x, torch.zeros(2, 2, 2, 2))
    with pytest.raises(NotImplementedError, match="5-D"):
        F.grid_sample(torch.zeros(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3))
    with pytest.raises(ValueError, match=r"affine_grid: expected theta of shape \(N, 2, 3\)"):
        F.affine_grid(torch.zeros(1, 3, 3), (1, 1, 4, 4))


def test_non_finite_grid_points_read_zeros():
    x = torch.ones(1, 1, 2, 2)
    grid = torch.tensor([[[[float("nan"), 0.0], [float("inf"), 0.0]]]])
    y = F.grid_sample(x, grid, align_corners=False)
    assert y.numpy().tolist() == [[[[0.0, 0.0]]]]


@pytest.mark.parametrize("mode,pad,align", COMBOS[::2] + COMBOS[1::5])
def test_same_bits_in_both_styles(mode, pad, align):
    x = R.normal(size=(2, 3, 4, 5)).astype(np.float32)
    grid = R.uniform(-1.3, 1.3, size=(2, 3, 2, 2)).astype(np.float32)
    g = R.normal(size=(2, 3, 3, 2)).astype(np.float32)
    p = dict(mode=mode, padding_mode=pad, align_corners=align)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    y = F.grid_sample(xt, gt, **p)
    y.backward(torch.tensor(g))
    graph = tf.Graph()
    with graph.as_default():
        xp = tf.placeholder(tf.float32, x.shape)
        gp = tf.placeholder(tf.float32, grid.shape)
        cp = tf.placeholder(tf.float32, g.shape)
        out = G.grid_sample(xp, gp, **p)
        dx, dg = tf.gradients(out, [xp, gp], grad_ys=cp)
        with tf.Session() as sess:
            vy, vx, vg = sess.run([out, dx, dg], {xp: x, gp: grid, cp: g})
    assert vy.tobytes() == y.detach().numpy().tobytes()
    assert vx.tobytes() == xt.grad.numpy().tobytes()
    assert vg.tobytes() == gt.grad.numpy().tobytes()
