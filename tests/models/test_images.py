"""Image layers not covered elsewhere: functional conv/pool/batch-norm forms against PyTorch,
TF-style convolutions (SAME at stride 2, dilation, NCHW) and `tf.layers.batch_normalization`
with its moving averages and UPDATE_OPS against TensorFlow."""

from __future__ import annotations

import duograd.frontends.eager as dg
import duograd.frontends.graph as dg_tf
import numpy as np
import pytest
from oracle_check import assert_matches
from tf_dilation import conv2d_dilated

TOL = dict(rtol=1e-5, atol=1e-5)
RNG = np.random.default_rng(21)


def _r(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# ---- eager functional forms against PyTorch ---------------------------------------------------

F_CASES = {
    "conv_stride_dilation": lambda F, x, w: F.conv2d(x, w, stride=(2, 1), padding=2, dilation=2),
    "conv_same": lambda F, x, w: F.conv2d(x, w, padding="same"),
    "conv_valid_bias": lambda F, x, w: F.conv2d(x, w, w[:, 0, 0, 0], padding="valid"),
    "max_pool_pad": lambda F, x, w: F.max_pool2d(F.conv2d(x, w), 3, 2, 1),
    "avg_pool_exclude_pad": lambda F, x, w: F.avg_pool2d(
        F.conv2d(x, w), 2, 1, 1, count_include_pad=False
    ),
}


@pytest.mark.parametrize("name", list(F_CASES))
def test_functional_image_ops_match_torch(real_torch, name):
    x, w = _r(2, 3, 7, 6), _r(4, 3, 3, 3)
    results = []
    for lib in (real_torch, dg):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = F_CASES[name](lib.nn.functional, xt, wt)
        (y * y).sum().backward()
        results.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()])
    for a, b in zip(*results, strict=True):
        assert_matches(b, a, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_functional_and_module_batch_norm_running_stats_match_torch(real_torch, momentum):
    outs = []
    for lib in (real_torch, dg):
        bn = lib.nn.BatchNorm2d(3, momentum=momentum)
        rm, rv = lib.zeros(3), lib.ones(3)
        ys = []
        for step in range(3):
            x = lib.tensor(
                np.random.default_rng(step).standard_normal((4, 3, 3, 2)).astype(np.float32)
            )
            ys.append(bn(x).detach().numpy())
            f = lib.nn.functional.batch_norm(x, rm, rv, training=True, momentum=0.3)
            ys.append(f.detach().numpy())
        bn.eval()
        ys.append(bn(x).detach().numpy())
        outs.append(ys + [bn.running_mean.numpy(), bn.running_var.numpy(), rm.numpy(), rv.numpy()])
    for a, b in zip(*outs, strict=True):
        assert_matches(b, a, **TOL)


def test_dropout_module_scales_and_is_identity_in_eval():
    dg.manual_seed(0)
    drop = dg.nn.Dropout(0.25)
    y = drop(dg.ones(4000)).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.03
    drop.eval()
    assert (drop(dg.ones(10)).numpy() == 1).all()


# ---- TF-style convolution and pooling against TensorFlow ----------------------------------------

TF_CASES = {
    "same_stride2_even": (lambda tf, x, w: tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), (8, 8)),
    "same_stride2_odd": (lambda tf, x, w: tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), (7, 9)),
    # real TF gets a zero-inserted filter (tests/tf_dilation.py): its dilated kernels are CPU-bound
    "same_dilated": (lambda tf, x, w: conv2d_dilated(tf, x, w, 1, "SAME", [1, 2, 2, 1]), (7, 7)),
    "max_pool_same_s2": (lambda tf, x, w: tf.nn.max_pool(tf.nn.conv2d(x, w, 1, "VALID"),
                                                         [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
                         (8, 7)),
    "avg_pool_same_s2": (lambda tf, x, w: tf.nn.avg_pool(tf.nn.conv2d(x, w, 1, "SAME"),
                                                         [1, 2, 2, 1], [1, 2, 2, 1], "SAME"),
                         (7, 5)),
}  # fmt: skip


def _tf_conv_program(tf, fn, x, w, nchw=False):
    xt, wt = tf.constant(x), tf.constant(w)
    if nchw:  # ours runs the same op on NCHW data, then returns to NHWC for comparison
        y = fn_nchw(tf, fn, xt, wt)
    else:
        y = fn(tf, xt, wt)
    gx, gw = tf.gradients(tf.reduce_sum(y * y), [xt, wt])
    with tf.Session() as sess:
        return sess.run([y, gx, gw])


def fn_nchw(tf, fn, x, w):
    """fn with data_format NCHW inserted (only for duograd, which runs NCHW on the CPU)."""
    import functools

    def conv(x, w, strides, padding, dilations=None):
        def nchw(v):
            return v if isinstance(v, int) else [v[0], v[3], v[1], v[2]]

        dl = None if dilations is None else nchw(dilations)
        return dg_tf.nn.conv2d(x, w, nchw(strides), padding, data_format="NCHW", dilations=dl)

    def pool(kind, x, k, s, padding):
        f = dg_tf.nn.max_pool if kind == "max" else dg_tf.nn.avg_pool
        return f(x, [1, 1, k[1], k[2]], [1, 1, s[1], s[2]], padding, data_format="NCHW")

    ns = type("ns", (), {"conv2d": staticmethod(conv),
                         "max_pool": staticmethod(functools.partial(pool, "max")),
                         "avg_pool": staticmethod(functools.partial(pool, "avg"))})  # fmt: skip
    shim = type("tf", (), {"nn": ns})
    y = fn(shim, tf.transpose(x, [0, 3, 1, 2]), w)
    return tf.transpose(y, [0, 2, 3, 1])


@pytest.mark.parametrize("name", list(TF_CASES))
@pytest.mark.parametrize("nchw", [False, True], ids=["NHWC", "NCHW"])
def test_tf_convolution_and_pooling_match_tensorflow(real_tf, name, nchw):
    fn, (h, w_) = TF_CASES[name]
    x, w = _r(2, h, w_, 3), _r(3, 3, 3, 4)
    real_tf.reset_default_graph()
    want = _tf_conv_program(real_tf, fn, x, w)
    got = _tf_conv_program(dg_tf, fn, x, w, nchw=nchw)
    for a, b in zip(want, got, strict=True):
        assert_matches(b, a, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_layers_conv2d_matches_conv_plus_bias_in_tensorflow(real_tf, data_format):
    x, k, b = _r(2, 6, 5, 3), _r(3, 3, 3, 4), _r(4)
    real_tf.reset_default_graph()
    y = real_tf.nn.relu(real_tf.nn.bias_add(real_tf.nn.conv2d(x, k, [1, 2, 2, 1], "SAME"), b))
    with real_tf.Session() as sess:
        want = sess.run(y)
    xin = x if data_format == "channels_last" else x.transpose(0, 3, 1, 2)
    out = dg_tf.layers.conv2d(dg_tf.constant(xin), 4, 3, strides=2, padding="same",
                              data_format=data_format, activation=dg_tf.nn.relu)  # fmt: skip
    flat = dg_tf.layers.flatten(dg_tf.layers.max_pooling2d(out, 2, 2, data_format=data_format))
    kernel, bias = dg_tf.trainable_variables()
    assert kernel.name == "conv2d/kernel:0" and kernel.shape.as_list() == [3, 3, 3, 4]
    with dg_tf.Session() as sess:
        sess.run(dg_tf.global_variables_initializer())
        kernel.load(k, sess)
        bias.load(b, sess)
        got, f = sess.run([out, flat])
    if data_format == "channels_first":
        got = got.transpose(0, 2, 3, 1)
    assert_matches(got, want, **TOL)
    assert f.shape == (2, 4)


# ---- tf.layers.batch_normalization --------------------------------------------------------------


def _tf_reference_bn(real_tf, xs, x_eval, momentum, eps):
    """TF's fused batch norm per step, and its moving averages updated as TF1's layer does."""
    real_tf.reset_default_graph()
    c = xs[0].shape[-1]
    xp = real_tf.placeholder(real_tf.float32, xs[0].shape)
    gamma = real_tf.constant(np.linspace(0.5, 1.5, c, dtype=np.float32))
    beta = real_tf.constant(np.linspace(-1, 1, c, dtype=np.float32))
    mm = real_tf.Variable(np.zeros(c, np.float32))
    mv = real_tf.Variable(np.ones(c, np.float32))
    y, mean, var = real_tf.nn.fused_batch_norm(xp, gamma, beta, epsilon=eps, is_training=True)
    gx = real_tf.gradients(real_tf.reduce_sum(y * xp), [xp])[0]
    updates = [
        mm.assign_sub((mm - mean) * (1 - momentum)),
        mv.assign_sub((mv - var) * (1 - momentum)),
    ]
    xe = real_tf.placeholder(real_tf.float32, x_eval.shape)
    ye, _, _ = real_tf.nn.fused_batch_norm(xe, gamma, beta, mm, mv, eps, is_training=False)
    out = []
    with real_tf.Session() as sess:
        sess.run(real_tf.global_variables_initializer())
        for x in xs:
            out += sess.run([y, gx], {xp: x})
            sess.run(updates, {xp: x})
        out += sess.run([mm, mv, ye], {xe: x_eval})
    return out


@pytest.mark.parametrize("training_tensor", [False, True])
def test_layers_batch_normalization_matches_tensorflow(real_tf, training_tensor):
    momentum, eps = 0.9, 1e-3
    xs = [_r(4, 3, 3, 2) * 2 + 1 for _ in range(3)]
    x_eval = _r(2, 3, 3, 2)
    want = _tf_reference_bn(real_tf, xs, x_eval, momentum, eps)

    xp = dg_tf.placeholder(dg_tf.float32, [4, 3, 3, 2])
    training = dg_tf.placeholder(dg_tf.bool, []) if training_tensor else True
    y = dg_tf.layers.batch_normalization(xp, momentum=momentum, epsilon=eps, training=training,
                                         gamma_initializer=dg_tf.constant_initializer(
                                             np.linspace(0.5, 1.5, 2)),
                                         beta_initializer=dg_tf.constant_initializer(
                                             np.linspace(-1, 1, 2)))  # fmt: skip
    gx = dg_tf.gradients(dg_tf.reduce_sum(y * xp), [xp])[0]
    update_ops = dg_tf.get_collection(dg_tf.GraphKeys.UPDATE_OPS)
    assert len(update_ops) == 2
    names = [v.name for v in dg_tf.global_variables()]
    assert names == [
        "batch_normalization/gamma:0",
        "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0",
        "batch_normalization/moving_variance:0",
    ]
    assert len(dg_tf.trainable_variables()) == 2
    xe = dg_tf.placeholder(dg_tf.float32, [2, 3, 3, 2])
    ye = dg_tf.layers.batch_normalization(xe, momentum=momentum, epsilon=eps, training=False,
                                          name="batch_normalization", reuse=True)  # fmt: skip
    mm, mv = dg_tf.global_variables()[2:]
    got = []
    with dg_tf.Session() as sess:
        sess.run(dg_tf.global_variables_initializer())
        for x in xs:
            feed = {xp: x, **({training: True} if training_tensor else {})}
            got += sess.run([y, gx], feed)
            sess.run(update_ops, feed)
        got += sess.run([mm, mv, ye], {xe: x_eval})
        if training_tensor:  # training=False through the tensor: moving stats, no update
            before = sess.run(mm)
            sess.run(update_ops, {xp: xs[0], training: False})
            np.testing.assert_array_equal(sess.run(mm), before)
    for i, (a, b) in enumerate(zip(want, got, strict=True)):
        assert_matches(b, a, err_msg=f"item {i}", **TOL)


def test_batch_normalization_2d_uses_the_biased_variance_for_moving_averages():
    x = _r(6, 3)
    y = dg_tf.layers.batch_normalization(dg_tf.constant(x), training=True, momentum=0.0)
    with dg_tf.Session() as sess:
        sess.run(dg_tf.global_variables_initializer())
        sess.run(dg_tf.get_collection(dg_tf.GraphKeys.UPDATE_OPS))
        mv = sess.run(dg_tf.global_variables()[3])
        out = sess.run(y)
    assert_matches(mv, x.var(0), rtol=1e-5)
    assert_matches(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-4, atol=1e-5)


def test_train_op_under_update_ops_control_dependencies():
    xp = dg_tf.placeholder(dg_tf.float32, [8, 2, 2, 3])
    h = dg_tf.layers.batch_normalization(dg_tf.layers.conv2d(xp, 3, 1), training=True)
    loss = dg_tf.reduce_mean(dg_tf.square(h - 1.0))
    with dg_tf.control_dependencies(dg_tf.get_collection(dg_tf.GraphKeys.UPDATE_OPS)):
        train = dg_tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    mm = [v for v in dg_tf.global_variables() if "moving_mean" in v.name][0]
    with dg_tf.Session() as sess:
        sess.run(dg_tf.global_variables_initializer())
        sess.run(train, {xp: _r(8, 2, 2, 3) + 3})
        assert np.all(sess.run(mm) != 0)
