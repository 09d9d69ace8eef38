"""Convolution, pooling and normalisation: layout-independent bits, padding rules, oracles."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core import functional as F
from duograd.core import ops
from duograd.core.autodiff import reverse_sweep
from duograd.core.errors import ShapeError
from duograd.core.executor import Plan
from duograd.core.ir import Graph
from oracle_check import assert_matches

RNG = np.random.default_rng(1234)


def _r(shape, dt=np.float32, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, size=shape).astype(dt)


def nhwc(a):
    return np.ascontiguousarray(np.transpose(a, (0, 2, 3, 1)))


def nchw(a):
    return np.ascontiguousarray(np.transpose(a, (0, 3, 1, 2)))


def hwio(w):
    return np.ascontiguousarray(np.transpose(w, (2, 3, 1, 0)))


def oihw(w):
    return np.ascontiguousarray(np.transpose(w, (3, 2, 0, 1)))


def run_vjp(fn, arrays, g=None):
    """Output and gradients of fn(*arrays) w.r.t. every array, via the core graph and sweep."""
    graph = Graph()
    phs = [graph.placeholder(a.shape, a.dtype) for a in arrays]
    out = fn(*phs)
    if g is None:
        return Plan(graph, [out], phs).run(list(arrays), {})[0], []
    g_ph = graph.placeholder(g.shape, g.dtype)
    grads = reverse_sweep(list(graph.nodes), [(out, g_ph)], phs)
    fetches = [out] + [grads[p] for p in phs]
    values = Plan(graph, fetches, phs + [g_ph]).run(list(arrays) + [g], {})
    return values[0], values[1:]


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# ---- padding helper ---------------------------------------------------------------------------


def tf_documented_same(size, k, s):
    """TF's documented SAME padding (the `in % stride` form of its convolution guide)."""
    if size % s == 0:
        total = max(k - s, 0)
    else:
        total = max(k - size % s, 0)
    return total // 2, total - total // 2


@pytest.mark.parametrize("size", [5, 6, 7, 8, 28])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_same_padding_matches_tf_formula(size, k, s):
    pads = ops.conv_padding("SAME", (size, size + 1), (k, k), stride=s)
    top_bottom = tf_documented_same(size, k, s)
    left_right = tf_documented_same(size + 1, k, s)
    assert pads == top_bottom + left_right
    # SAME gives ceil(in / stride) outputs
    out = (size + pads[0] + pads[1] - k) // s + 1
    assert out == -(-size // s)


def test_same_padding_puts_the_odd_pixel_bottom_right():
    assert ops.conv_padding("SAME", (8, 8), (3, 3), stride=2) == (0, 1, 0, 1)
    assert ops.conv_padding("same", (7, 7), (4, 4), stride=1) == (1, 2, 1, 2)
    assert ops.conv_padding("SAME", (5, 5), (3, 3), stride=1, dilation=2) == (2, 2, 2, 2)


def test_valid_and_explicit_padding_specs():
    assert ops.conv_padding("VALID", (9, 9), (3, 3), stride=2) == (0, 0, 0, 0)
    assert ops.conv_padding(2, (9, 9), (3, 3)) == (2, 2, 2, 2)
    assert ops.conv_padding((1, 2), (9, 9), (3, 3)) == (1, 1, 2, 2)  # PyTorch (h, w)
    assert ops.conv_padding(((0, 1), (2, 3)), (9, 9), (3, 3)) == (0, 1, 2, 3)
    assert ops.conv_padding((0, 1, 2, 3), (9, 9), (3, 3)) == (0, 1, 2, 3)
    assert ops.conv_padding("SAME", (None, 9), (3, 3), stride=2) == "SAME"
    with pytest.raises(ValueError, match="padding"):
        ops.conv_padding("FULL", (9, 9), (3, 3))
    with pytest.raises(ValueError, match="non-negative"):
        ops.conv_padding(-1, (9, 9), (3, 3))


def test_same_padding_unknown_size_resolves_at_run_time():
    graph = Graph()
    x = graph.placeholder((None, None, None, 2), np.float32)
    w = _r((3, 3, 2, 4))
    y = ops.conv2d(x, w, stride=2, padding="SAME", data_format="NHWC", filter_format="HWIO")
    assert y.shape == (None, None, None, 4)
    xv = _r((2, 7, 8, 2))
    got = Plan(graph, [y], [x]).run([xv], {})[0]
    want = ops.conv2d(xv, w, 2, (1, 1, 0, 1), 1, "NHWC", "HWIO")
    assert same_bits(got, want)


# ---- layout-independent bits ------------------------------------------------------------------

CONV_LAYOUT_CASES = [
    # (N, C, H, W, O, K, stride, padding, dilation)
    (2, 3, 7, 6, 4, 3, 1, (1, 1, 1, 1), 1),
    (3, 2, 9, 8, 5, 3, 2, "SAME", 1),
    (2, 4, 9, 9, 3, 2, 1, (1, 0, 0, 1), 2),
    (64, 16, 8, 8, 32, 3, 1, (1, 1, 1, 1), 1),  # large enough for the parallel loops
    (64, 1, 8, 8, 16, 3, 1, (1, 1, 1, 1), 1),
    (8, 8, 12, 12, 8, 5, 2, "SAME", 1),
]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_LAYOUT_CASES, ids=str)
def test_conv_layouts_give_identical_bits(case, dt):
    n, c, h, w, o, k, s, p, d = case
    x = _r((n, c, h, w), dt)
    f = _r((o, c, k, k), dt)
    y = ops.conv2d(x, f, s, p, d, "NCHW", "OIHW")
    g = _r(y.shape, dt)
    gx = ops.conv2d_input_grad(g, f, x, *_resolved(x, f, s, p, d))
    gw = ops.conv2d_filter_grad(x, g, f, *_resolved(x, f, s, p, d))
    xn, fn, gn = nhwc(x), hwio(f), nhwc(g)
    yn = ops.conv2d(xn, fn, s, p, d, "NHWC", "HWIO")
    pn = _resolved(xn, fn, s, p, d, "NHWC", "HWIO")
    assert same_bits(nchw(yn), y)
    assert same_bits(nchw(ops.conv2d_input_grad(gn, fn, xn, *pn)), gx)
    assert same_bits(oihw(ops.conv2d_filter_grad(xn, gn, fn, *pn)), gw)
    # mixed: TF's NCHW data with HWIO filters
    ym = ops.conv2d(x, fn, s, p, d, "NCHW", "HWIO")
    assert same_bits(ym, y)


def _resolved(x, f, s, p, d, df="NCHW", ff="OIHW"):
    """The gradient primitives' params: pairs and the padding resolved for x."""
    hw = x.shape[2:] if df == "NCHW" else x.shape[1:3]
    k = f.shape[2:] if ff == "OIHW" else f.shape[:2]
    pads = ops.conv_padding(p, hw, k, s, d)
    return (s, s), pads, (d, d), df, ff


def test_conv_gradients_through_the_sweep_are_layout_independent():
    """A conv -> bias -> relu -> max-pool -> batch-norm block, in both layouts."""
    x, f, b = _r((16, 3, 10, 10)), _r((8, 3, 3, 3)), _r((8,))
    scale, offset = _r((8,), lo=0.5, hi=1.5), _r((8,))

    def block(df, ff):
        axes = (0, 2, 3) if df == "NCHW" else (0, 1, 2)

        def fn(x, f, b, scale, offset):
            y = F.conv2d(x, f, b, stride=1, padding=1, data_format=df, filter_format=ff)
            y = ops.max_pool2d(ops.relu(y), 3, 2, "SAME", data_format=df)
            return F.batch_norm_train(y, scale, offset, 1e-5, axes)[0]

        return fn

    # (a full reduction of the output, such as a loss, sums in memory order, so the block's
    # output gradient is given instead, laid out in each style)
    g = _r((16, 8, 5, 5))
    y1, g1 = run_vjp(block("NCHW", "OIHW"), [x, f, b, scale, offset], g)
    y2, g2 = run_vjp(block("NHWC", "HWIO"), [nhwc(x), hwio(f), b, scale, offset], nhwc(g))
    assert same_bits(y1, nchw(y2))
    assert same_bits(g1[0], nchw(g2[0]))
    assert same_bits(g1[1], oihw(g2[1]))
    for a, c in zip(g1[2:], g2[2:], strict=True):
        assert same_bits(a, c)


POOL_LAYOUT_CASES = [
    # (N, C, H, W, K, stride, padding)
    (2, 3, 7, 6, 3, 2, (1, 1, 1, 1)),
    (2, 3, 8, 8, 3, 1, "SAME"),  # overlapping windows: gradients add in a fixed order
    (3, 2, 9, 7, 2, 2, "VALID"),
    (64, 16, 16, 16, 3, 2, "SAME"),  # parallel loops
]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", POOL_LAYOUT_CASES, ids=str)
def test_pool_layouts_give_identical_bits(case, dt):
    n, c, h, w, k, s, p = case
    # rounded values give many ties, exercising the first-maximum rule
    x = np.round(_r((n, c, h, w), dt) * 4) / 4
    y = ops.max_pool2d(x, k, s, p, "NCHW")
    g = _r(y.shape, dt)
    params = dict(ksize=(k, k), stride=(s, s))
    pads = ops.conv_padding(p, (h, w), (k, k), s)
    dx = ops.max_pool2d_grad(x, g, padding=pads, data_format="NCHW", **params)
    yn = ops.max_pool2d(nhwc(x), k, s, p, "NHWC")
    dxn = ops.max_pool2d_grad(nhwc(x), nhwc(g), padding=pads, data_format="NHWC", **params)
    assert same_bits(nchw(yn), y) and same_bits(nchw(dxn), dx)
    for incl in (True, False):
        ya = ops.avg_pool2d(x, k, s, p, "NCHW", incl)
        yan = ops.avg_pool2d(nhwc(x), k, s, p, "NHWC", incl)
        assert same_bits(nchw(yan), ya)
        da = ops.avg_pool2d_grad(
            g, x, padding=pads, data_format="NCHW", count_include_pad=incl, **params
        )
        dan = ops.avg_pool2d_grad(
            nhwc(g), nhwc(x), padding=pads, data_format="NHWC", count_include_pad=incl, **params
        )
        assert same_bits(nchw(dan), da)


@pytest.mark.parametrize("shape", [(4, 8, 5, 5), (8, 32, 6, 6), (64, 16, 16, 16), (128, 40, 6, 6)])
def test_batch_statistics_are_layout_independent(shape):
    """Reductions over (0, 2, 3) of NCHW and (0, 1, 2) of NHWC run the same (n, h, w) order."""
    x = _r(shape, lo=-3.0, hi=5.0)
    m1, v1 = F.moments(x, (0, 2, 3))
    m2, v2 = F.moments(nhwc(x), (0, 1, 2))
    assert same_bits(m1, m2) and same_bits(v1, v2)
    scale, offset = _r((shape[1],)), _r((shape[1],))
    y1, bm1, bv1 = F.batch_norm_train(x, scale, offset, 1e-3, (0, 2, 3))
    y2, bm2, bv2 = F.batch_norm_train(nhwc(x), scale, offset, 1e-3, (0, 1, 2))
    assert same_bits(y1, nchw(y2)) and same_bits(bm1, bm2) and same_bits(bv1, bv2)
    z1 = F.batch_norm(x, scale, offset, bm1, bv1, 1e-3, axis=1)
    z2 = F.batch_norm(nhwc(x), scale, offset, bm2, bv2, 1e-3, axis=-1)
    assert same_bits(z1, nchw(z2))


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0], [1.0, 3.0, 1.0]]]], np.float32)
    g = np.array([[[[10.0, 20.0], [30.0, 40.0]]]], np.float32)
    # 2x2 windows at stride 1; each window's first 3 in row-major order takes its gradient
    dx = ops.max_pool2d_grad(x, g, (2, 2), (1, 1), (0, 0, 0, 0), "NCHW")
    want = np.array([[[[0.0, 10.0 + 20.0, 0.0], [30.0, 0.0, 0.0], [0.0, 40.0, 0.0]]]])
    np.testing.assert_array_equal(dx, want.astype(np.float32))
    y = ops.max_pool2d(np.full((1, 1, 2, 2), np.nan, np.float32), 2)
    assert np.isnan(y).all()


# ---- errors -----------------------------------------------------------------------------------


def test_conv_errors_name_the_op_and_shapes():
    x = _r((2, 3, 8, 8))
    with pytest.raises(ShapeError, match=r"conv2d.*\(2, 3, 8, 8\).*3 channels.*\(4, 2, 3, 3\)"):
        ops.conv2d(x, _r((4, 2, 3, 3)))
    with pytest.raises(ShapeError, match=r"conv2d.*kernel is larger than the padded input"):
        ops.conv2d(x, _r((4, 3, 11, 3)), padding=1)
    with pytest.raises(ValueError, match="conv2d: data_format must be 'NCHW' or 'NHWC'"):
        ops.conv2d(x, _r((4, 3, 3, 3)), data_format="CHWN")
    with pytest.raises(ValueError, match="conv2d: filter_format"):
        ops.conv2d(x, _r((4, 3, 3, 3)), filter_format="IOHW")
    with pytest.raises(ValueError, match="groups=2 is not supported"):
        ops.conv2d(x, _r((4, 3, 3, 3)), groups=2)
    with pytest.raises(ShapeError, match="conv2d: the input must be 4-D"):
        ops.conv2d(_r((3, 8, 8)), _r((4, 3, 3, 3)))
    with pytest.raises(ValueError, match="conv2d: stride must be at least 1"):
        ops.conv2d(x, _r((4, 3, 3, 3)), stride=0)


def test_conv_shape_errors_surface_at_graph_build_time():
    graph = Graph()
    x = graph.placeholder((None, 8, 8, 3), np.float32)
    with pytest.raises(ShapeError, match=r"conv2d.*\(None, 8, 8, 3\).*3 channels"):
        ops.conv2d(x, _r((3, 3, 2, 4)), data_format="NHWC", filter_format="HWIO")
    y = ops.conv2d(
        x, _r((3, 3, 3, 4)), stride=2, padding="SAME", data_format="NHWC", filter_format="HWIO"
    )
    assert y.shape == (None, 4, 4, 4)


def test_pool_errors():
    x = _r((2, 3, 8, 8))
    with pytest.raises(ValueError, match="max_pool2d: padding .* smaller than the window"):
        ops.max_pool2d(x, 2, 2, 2)
    with pytest.raises(ShapeError, match="avg_pool2d.*larger than the padded input"):
        ops.avg_pool2d(x, 9, 1, 0)
    with pytest.raises(ValueError, match="max_pool2d: data_format"):
        ops.max_pool2d(x, 2, data_format="NWHC")
    with pytest.raises(ValueError, match="batch_norm: axes"):
        F.batch_norm_train(x, None, None, 1e-5, (0, 2))


# ---- oracle: PyTorch ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _close(a, b, tol=2e-5):
    assert_matches(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "s,p,d", [(1, 1, 1), (2, 1, 1), (2, 0, 1), (1, 2, 2), (3, (1, 2), (2, 1))], ids=str
)
def test_conv_matches_torch(torch, s, p, d):
    x, w = _r((3, 4, 11, 10)), _r((5, 4, 3, 3))
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, stride=s, padding=p, dilation=d)
    g = _r(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    y, (gx, gw) = run_vjp(lambda x, w: ops.conv2d(x, w, s, p, d), [x, w], g)
    _close(y, yt.detach().numpy())
    _close(gx, xt.grad.numpy())
    _close(gw, wt.grad.numpy())


@pytest.mark.parametrize(
    "k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (1, 2), (1, 0))], ids=str
)
def test_pooling_matches_torch(torch, k, s, p):
    x = _r((2, 3, 9, 8))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, k, s, p)
    g = _r(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    y, (gx,) = run_vjp(lambda x: ops.max_pool2d(x, k, s, p), [x], g)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(gx, xt.grad.numpy())
    for incl in (True, False):
        xt.grad = None
        yt = torch.nn.functional.avg_pool2d(xt, k, s, p, count_include_pad=incl)
        yt.backward(torch.tensor(g))
        y, (gx,) = run_vjp(lambda x, i=incl: ops.avg_pool2d(x, k, s, p, "NCHW", i), [x], g)
        _close(y, yt.detach().numpy(), 1e-6)
        _close(gx, xt.grad.numpy(), 1e-6)


def test_batch_norm_matches_torch(torch):
    x, scale, offset = _r((6, 4, 5, 5), lo=-2, hi=3), _r((4,), lo=0.5, hi=2), _r((4,))
    ts = [torch.tensor(a, requires_grad=True) for a in (x, scale, offset)]
    yt = torch.nn.functional.batch_norm(ts[0], None, None, ts[1], ts[2], training=True, eps=1e-5)
    g = _r(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    y, grads = run_vjp(
        lambda x, s, o: F.batch_norm_train(x, s, o, 1e-5, (0, 2, 3))[0], [x, scale, offset], g
    )
    _close(y, yt.detach().numpy(), 1e-5)
    for ours, t in zip(grads, ts, strict=True):
        _close(ours, t.grad.numpy(), 1e-4)
    # statistics, and inference with them
    _, mean, var = F.batch_norm_train(x, scale, offset, 1e-5, (0, 2, 3))
    _close(mean, x.mean(axis=(0, 2, 3)), 1e-6)
    _close(var, x.var(axis=(0, 2, 3)), 1e-5)
    rm, rv = torch.tensor(mean), torch.tensor(var)
    yi = torch.nn.functional.batch_norm(
        torch.tensor(x), rm, rv, torch.tensor(scale), torch.tensor(offset), training=False, eps=1e-5
    )
    _close(F.batch_norm(x, scale, offset, mean, var, 1e-5, axis=1), yi.numpy(), 1e-5)


def test_layer_norm_matches_torch(torch):
    x, scale, offset = _r((3, 5, 8), lo=-2, hi=3), _r((8,), lo=0.5, hi=2), _r((8,))
    ts = [torch.tensor(a, requires_grad=True) for a in (x, scale, offset)]
    yt = torch.nn.functional.layer_norm(ts[0], (8,), ts[1], ts[2], eps=1e-5)
    g = _r(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    y, grads = run_vjp(lambda x, s, o: F.layer_norm(x, s, o, 1e-5), [x, scale, offset], g)
    _close(y, yt.detach().numpy(), 1e-5)
    for ours, t in zip(grads, ts, strict=True):
        _close(ours, t.grad.numpy(), 1e-4)


# ---- oracle: TensorFlow (TF2 eager functions; a graph fallback if eager was disabled) -------


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def tf_vjp(tf, fn, arrays, g):
    """TF's output and gradients of fn(*arrays) for output gradient g, as numpy arrays."""
    if tf.executing_eagerly():
        xs = [tf.constant(a) for a in arrays]
        with tf.GradientTape() as tape:
            for v in xs:
                tape.watch(v)
            y = fn(*xs)
        grads = tape.gradient(y, xs, output_gradients=tf.constant(g))
        return y.numpy(), [t.numpy() for t in grads]
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.constant(a) for a in arrays]
        y = fn(*xs)
        grads = tf.gradients(y, xs, grad_ys=tf.constant(g))
        with tf.compat.v1.Session(graph=graph) as sess:
            out = sess.run([y] + grads)
    return out[0], out[1:]


@pytest.mark.parametrize(
    "size,s,pad", [(8, 2, "SAME"), (9, 2, "SAME"), (7, 1, "SAME"), (9, 2, "VALID")]
)
def test_conv_matches_tf(tf, size, s, pad):
    x, w = _r((2, size, size + 1, 3)), _r((3, 3, 3, 4))

    def fn(x, w):
        return ops.conv2d(x, w, s, pad, 1, "NHWC", "HWIO")

    g = _r(tuple(fn(x, w).shape))
    y_tf, (gx_tf, gw_tf) = tf_vjp(tf, lambda x, w: tf.nn.conv2d(x, w, s, pad), [x, w], g)
    y, (gx, gw) = run_vjp(fn, [x, w], g)
    assert y.shape == y_tf.shape
    _close(y, y_tf)
    _close(gx, gx_tf)
    _close(gw, gw_tf)


@pytest.mark.parametrize(
    "k,s,pad", [(2, 2, "VALID"), (3, 2, "SAME"), (3, 1, "SAME"), (2, 2, "SAME")]
)
def test_pooling_matches_tf(tf, k, s, pad):
    x = _r((2, 7, 8, 3))
    y0 = ops.max_pool2d(x, k, s, pad, "NHWC")
    g = _r(y0.shape)
    y_tf, (gx_tf,) = tf_vjp(tf, lambda x: tf.nn.max_pool2d(x, k, s, pad), [x], g)
    y, (gx,) = run_vjp(lambda x: ops.max_pool2d(x, k, s, pad, "NHWC"), [x], g)
    np.testing.assert_array_equal(y, y_tf)
    _close(gx, gx_tf, 1e-6)
    # TF's average pooling divides by the real elements of each window
    y_tf, (gx_tf,) = tf_vjp(tf, lambda x: tf.nn.avg_pool2d(x, k, s, pad), [x], g)
    y, (gx,) = run_vjp(lambda x: ops.avg_pool2d(x, k, s, pad, "NHWC", False), [x], g)
    _close(y, y_tf, 1e-6)
    _close(gx, gx_tf, 1e-6)


def test_moments_and_batch_normalization_match_tf(tf):
    x = _r((4, 5, 5, 3), lo=-2, hi=3)
    scale, offset = _r((3,), lo=0.5, hi=2), _r((3,))
    g = _r(x.shape)

    def tf_fn(x, scale, offset):
        mean, var = tf.nn.moments(x, axes=[0, 1, 2])
        return tf.nn.batch_normalization(x, mean, var, offset, scale, 1e-3)

    def our_fn(x, scale, offset):
        mean, var = F.moments(x, (0, 1, 2))
        return F.batch_norm(x, scale, offset, mean, var, 1e-3, axis=-1)

    y_tf, grads_tf = tf_vjp(tf, tf_fn, [x, scale, offset], g)
    y, grads = run_vjp(our_fn, [x, scale, offset], g)
    _close(y, y_tf, 1e-5)
    for ours, theirs in zip(grads, grads_tf, strict=True):
        _close(ours, theirs, 1e-4)
    m_tf, v_tf = tf_vjp(
        tf, lambda x: tf.stack(tf.nn.moments(x, axes=[0, 1, 2])), [x], np.ones((2, 3), np.float32)
    )[0]
    m, v = F.moments(x, (0, 1, 2))
    _close(m, m_tf, 1e-6)
    _close(v, v_tf, 1e-5)
