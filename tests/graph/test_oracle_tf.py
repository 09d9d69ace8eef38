"""The oracle: the same TF1 programs run in real TensorFlow (compat.v1, graph mode) and in
duograd's graph frontend, written once and handed either module as `tf`."""

import duograd.frontends.graph as dg
import numpy as np
import pytest
from oracle_check import assert_matches
from tf_dilation import conv2d_dilated

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode (process-wide, as TF1 programs run)."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


@pytest.fixture(params=["reference", "duograd"])
def both(request, ref):
    return ref if request.param == "reference" else dg


def run_both(ref, program, *args):
    """Run `program(tf, *args)` in a fresh default graph of each framework."""
    out = []
    for tf in (ref, dg):
        tf.reset_default_graph()
        out.append(program(tf, *args))
    return out


R = np.random.RandomState(11)
A = R.uniform(-2, 2, (3, 4)).astype(np.float32)
B = R.uniform(0.5, 2, (3, 4)).astype(np.float32)
V = R.uniform(-1, 1, (4,)).astype(np.float32)

FORWARD = {
    "add_bcast": lambda tf, a, b: tf.add(a, tf.constant(V)),
    "sub_mul_div": lambda tf, a, b: (a - b) * a / b,
    "pow_sqrt_log": lambda tf, a, b: tf.pow(b, 1.7) + tf.sqrt(b) - tf.log(b),
    "exp_tanh_sigmoid": lambda tf, a, b: tf.exp(a) + tf.tanh(a) * tf.sigmoid(b),
    "max_min_sqdiff": lambda tf, a, b: tf.maximum(a, b) - tf.minimum(a, 0.5)
    + tf.squared_difference(a, b),
    "abs_neg_square": lambda tf, a, b: tf.abs(a) - tf.negative(tf.square(a)),
    "matmul": lambda tf, a, b: tf.matmul(a, b, transpose_b=True),
    "matmul_ta": lambda tf, a, b: tf.matmul(a, b, transpose_a=True),
    "reduce_sum_axis": lambda tf, a, b: tf.reduce_sum(a, axis=1, keepdims=True),
    "reduce_mean_all": lambda tf, a, b: tf.reduce_mean(a * b),
    "reduce_max_min": lambda tf, a, b: tf.reduce_max(a, 0) + tf.reduce_min(b, 0),
    "softmax_logsoftmax": lambda tf, a, b: tf.nn.softmax(a) + tf.nn.log_softmax(b, axis=0),
    "relu_clip": lambda tf, a, b: tf.nn.relu(a) + tf.clip_by_value(b, 0.7, 1.4),
    "reshape_transpose_concat": lambda tf, a, b: tf.concat(
        [tf.transpose(tf.reshape(a, [4, 3])), b[:, ::-1]], 0),
    "stack_gather_slice": lambda tf, a, b: tf.gather(tf.stack([a, b], 1), [2, 0])[:, :, 1:3],
    "where_cast_compare": lambda tf, a, b: tf.where(a > b, a, b) + tf.cast(
        tf.greater_equal(a, 0.0), tf.float32),
    "one_hot_argmax": lambda tf, a, b: tf.one_hot(tf.argmax(a, 1), 4) * b,
    "sparse_ce": lambda tf, a, b: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant([0, 3, 1]), logits=a),
    "softmax_ce_v2": lambda tf, a, b: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=tf.nn.softmax(b), logits=a),
    "sigmoid_ce": lambda tf, a, b: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.cast(b > 1.0, tf.float32), logits=a),
    "l2_loss_addn": lambda tf, a, b: tf.nn.l2_loss(a) + tf.add_n([a, b, a]),
    "expand_squeeze_tile": lambda tf, a, b: tf.squeeze(tf.expand_dims(tf.tile(a, [1, 2]), 0)),
    "int_math": lambda tf, a, b: tf.cast(tf.reduce_sum(tf.constant([[1, 2], [3, 4]]), 0),
                                         tf.float32)
    + tf.cast(tf.constant([7, 9]) / tf.constant([2, 4]), tf.float32),
}  # fmt: skip


def _forward(tf, fn):
    a = tf.placeholder(tf.float32, [3, 4])
    b = tf.placeholder(tf.float32, [None, 4])
    out = fn(tf, a, b)
    with tf.Session() as sess:
        return sess.run(out, {a: A, b: B})


@pytest.mark.parametrize("name", list(FORWARD))
def test_forward_matches_tensorflow(ref, name):
    want, got = run_both(ref, _forward, FORWARD[name])
    assert got.dtype == want.dtype and got.shape == want.shape
    assert_matches(got, want, rtol=2e-5, atol=2e-6)


GRADS = {
    "elementwise": lambda tf, a, b: tf.reduce_sum(tf.tanh(a) * tf.exp(b) / (b + 1.0)),
    "matmul_softmax_ce": lambda tf, a, b: tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([1, 0, 2]), logits=tf.matmul(a, b, transpose_b=True))),
    "broadcast_reduce": lambda tf, a, b: tf.reduce_sum(tf.reduce_max(a + tf.constant(V), 1)
                                                        * tf.reduce_mean(b, 1)),
    "relu_sigmoid_pow": lambda tf, a, b: tf.reduce_sum(tf.nn.relu(a) * tf.sigmoid(b) ** 2.0),
    "slice_concat_gather": lambda tf, a, b: tf.reduce_sum(
        tf.gather(tf.concat([a[:, 1:], b[:, :1]], 1), [0, 2, 2]) ** 2),
    "maximum_where": lambda tf, a, b: tf.reduce_sum(tf.maximum(a, b) + tf.where(a > 0, a, -b)),
    "softmax_logsoftmax": lambda tf, a, b: tf.reduce_sum(tf.nn.softmax(a) * tf.nn.log_softmax(b)),
    "sqrt_log_clip": lambda tf, a, b: tf.reduce_sum(tf.sqrt(b) * tf.log(b)
                                                    + tf.clip_by_value(a, -1.0, 1.0)),
    "v1_softmax_ce": lambda tf, a, b: tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(
        labels=tf.nn.softmax(b), logits=a)),
    "sigmoid_ce_l2": lambda tf, a, b: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.sigmoid(b), logits=a)) + tf.nn.l2_loss(b),
}  # fmt: skip


def _grads(tf, fn):
    a = tf.placeholder(tf.float32, [3, 4])
    b = tf.placeholder(tf.float32, [3, 4])
    out = fn(tf, a, b)
    grads = tf.gradients(out, [a, b])
    grads = [g if g is not None else tf.zeros([3, 4]) for g in grads]
    with tf.Session() as sess:
        return sess.run([out] + grads, {a: A, b: B})


@pytest.mark.parametrize("name", list(GRADS))
def test_gradients_match_tensorflow(ref, name):
    want, got = run_both(ref, _grads, GRADS[name])
    for w, g in zip(want, got, strict=True):
        assert_matches(g, w, rtol=1e-4, atol=1e-5)


# ---- whole programs ------------------------------------------------------------------------------

TRAIN_X = np.array([3.3, 4.4, 5.5, 6.71, 6.93, 4.168, 9.779, 6.182, 7.59, 2.167, 7.042, 10.791,
                    5.313, 7.997, 5.654, 9.27, 3.1])  # fmt: skip
TRAIN_Y = np.array([1.7, 2.76, 2.09, 3.19, 1.694, 1.573, 3.366, 2.596, 2.53, 1.221, 2.827, 3.465,
                    1.65, 2.904, 2.42, 2.94, 1.3])  # fmt: skip


def linear_regression(tf):
    """The classic TF1 tutorial: shapeless placeholders, one sample per step, GradientDescent."""
    n_samples = TRAIN_X.shape[0]
    X = tf.placeholder("float")
    Y = tf.placeholder("float")
    W = tf.Variable(0.3, name="weight")
    b = tf.Variable(-0.2, name="bias")
    pred = tf.add(tf.multiply(X, W), b)
    cost = tf.reduce_sum(tf.pow(pred - Y, 2)) / (2 * n_samples)
    optimizer = tf.train.GradientDescentOptimizer(0.01).minimize(cost)
    init = tf.global_variables_initializer()
    costs = []
    with tf.Session() as sess:
        sess.run(init)
        for _epoch in range(5):
            for x, y in zip(TRAIN_X, TRAIN_Y, strict=True):
                sess.run(optimizer, feed_dict={X: x, Y: y})
            costs.append(sess.run(cost, feed_dict={X: TRAIN_X, Y: TRAIN_Y}))
        return np.array(costs), sess.run(W), sess.run(b)


def test_linear_regression_program_matches(ref):
    (want_c, want_w, want_b), (got_c, got_w, got_b) = run_both(ref, linear_regression)
    assert_matches(got_c, want_c, rtol=1e-5)
    assert_matches([got_w, got_b], [want_w, want_b], rtol=1e-5)
    assert got_c[-1] < got_c[0]


DX = R.randn(64, 5).astype(np.float32)
DY = ((DX[:, 0] > 0).astype(np.int64) + (DX[:, 1] > 0.3)).astype(np.int64)
W1 = (R.randn(5, 16) * 0.4).astype(np.float32)
B1 = np.zeros(16, np.float32)
W2 = (R.randn(16, 3) * 0.4).astype(np.float32)
B2 = (R.randn(3) * 0.1).astype(np.float32)


def softmax_mlp_adam(tf):
    """A softmax MLP with Adam, accuracy through argmax/equal/cast; weights start equal."""
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    y = tf.placeholder(tf.int64, [None], name="y")
    w1, b1 = tf.Variable(W1), tf.Variable(B1)
    w2, b2 = tf.Variable(W2), tf.Variable(B2)
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(h, w2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    train = tf.train.AdamOptimizer(0.02).minimize(loss)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(30):
            batch = slice((step % 4) * 16, (step % 4) * 16 + 16)
            lv, _ = sess.run([loss, train], {x: DX[batch], y: DY[batch]})
            out.append((lv, sess.run(acc, {x: DX, y: DY})))
    return np.array(out)


def test_softmax_mlp_with_adam_matches(ref):
    want, got = run_both(ref, softmax_mlp_adam)
    assert_matches(got[:, 0], want[:, 0], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[:, 1], want[:, 1])
    assert got[-1, 1] > got[0, 1]


def reference_dense(
    tf, inputs, units, activation=None, name=None, kernel_initializer=None, bias_initializer=None
):
    """TF1's tf.layers.dense, spelled out for TensorFlow builds whose compat.v1.layers needs
    the separate Keras 2 package: variables <name>/kernel (in, out) and <name>/bias, then
    activation(matmul + bias_add)."""
    with tf.variable_scope(name):
        kernel = tf.get_variable("kernel", [inputs.shape[-1], units],
                                 initializer=kernel_initializer)  # fmt: skip
        bias = tf.get_variable(
            "bias", [units], initializer=bias_initializer or tf.zeros_initializer()
        )
        out = tf.nn.bias_add(tf.matmul(inputs, kernel), bias)
        return activation(out) if activation is not None else out


def dense_network(tf, dense, opt_name):
    """tf.layers.dense with copied initial weights, one-hot labels and a loss from tf.losses."""
    x = tf.placeholder(tf.float32, [None, 5])
    labels = tf.placeholder(tf.float32, [None, 3])
    h = dense(
        x, 16, activation=tf.nn.tanh, name="hidden", kernel_initializer=tf.constant_initializer(W1)
    )
    logits = dense(
        h,
        3,
        name="out",
        kernel_initializer=tf.constant_initializer(W2),
        bias_initializer=tf.constant_initializer(B2),
    )
    loss = tf.losses.softmax_cross_entropy(labels, logits)
    opt = {"momentum": tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
           "rmsprop": tf.train.RMSPropOptimizer(0.01, momentum=0.3)}[opt_name]  # fmt: skip
    train = opt.minimize(loss)
    onehot = np.eye(3, dtype=np.float32)[DY]
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(20):
            batch = slice((step % 4) * 16, (step % 4) * 16 + 16)
            losses.append(sess.run([loss, train], {x: DX[batch], labels: onehot[batch]})[0])
        names = sorted(v.name for v in tf.trainable_variables())
    return np.array(losses), names


@pytest.mark.parametrize("opt_name", ["momentum", "rmsprop"])
def test_dense_network_matches(ref, opt_name):
    ref.reset_default_graph()
    want, want_names = dense_network(ref, lambda *a, **k: reference_dense(ref, *a, **k), opt_name)
    dg.reset_default_graph()
    got, got_names = dense_network(dg, dg.layers.dense, opt_name)
    assert got_names == want_names == ["hidden/bias:0", "hidden/kernel:0", "out/bias:0",
                                       "out/kernel:0"]  # fmt: skip
    assert_matches(got, want, rtol=1e-4, atol=1e-5)


def names_program(tf):
    a = tf.constant([1.0, 2.0])
    b = tf.placeholder(tf.float32, [2], name="b")
    outs = [a + b, tf.add(a, b), a * b, tf.multiply(a, b, name="prod"), tf.matmul([[1.0]], [[2.0]])]
    with tf.name_scope("scope"):
        outs.append(tf.reduce_sum(a))
    with tf.variable_scope("vs"):
        outs.append(tf.get_variable("w", [2]))
    outs.append(tf.Variable(1.0))
    return [t.name for t in outs] + [outs[0].op.type in ("Add", "AddV2"), str(outs[2].shape)]


def test_op_names_match(ref):
    want, got = run_both(ref, names_program)
    assert got == want


def test_errors_match_in_kind(ref):
    for tf in (ref, dg):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = x * 2.0
        with tf.Session() as sess:
            unfed = "must feed a value for placeholder tensor 'x' with dtype float and shape "
            unfed += "\\[\\?,3\\]"
            with pytest.raises(tf.errors.InvalidArgumentError, match=unfed):
                sess.run(y)
            with pytest.raises(ValueError, match="Cannot feed value of shape \\(2, 4\\)"):
                sess.run(y, {x: np.zeros((2, 4), np.float32)})
        with pytest.raises((TypeError, ValueError)):
            tf.constant([1, 2]) + tf.constant([1.0, 2.0])
        with pytest.raises(ValueError):
            tf.matmul(x, tf.ones([4, 2]))
        g = tf.Graph()
        with g.as_default():
            other = tf.constant(1.0)
        with pytest.raises(ValueError):
            tf.add(other, tf.constant(2.0))


IMG = R.randn(2, 7, 6, 3).astype(np.float32)
FILT = (R.randn(3, 2, 3, 4) * 0.5).astype(np.float32)


def _conv_relu_pool(tf, x, w):
    y = tf.nn.relu(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"))
    return tf.nn.max_pool(y, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")


def _moments_bn(tf, x, w):
    mean, var = tf.nn.moments(x, [0, 1, 2])
    offset, scale = tf.constant([0.1, 0.2, 0.3]), tf.constant([1.0, 2.0, 0.5])
    return tf.nn.batch_normalization(x, mean, var, offset, scale, 1e-3)


CONV = {
    "conv_valid": lambda tf, x, w: tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="VALID"),
    "conv_same_stride2": lambda tf, x, w: tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"),
    # real TF gets a zero-inserted filter (tests/tf_dilation.py): its dilated kernels are CPU-bound
    "conv_dilated": lambda tf, x, w: conv2d_dilated(tf, x, w, [1, 1, 1, 1], "VALID", [1, 2, 1, 1]),
    "max_pool_same": _conv_relu_pool,
    "avg_pool_same": lambda tf, x, w: tf.nn.avg_pool(x * 2.0, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
    "moments_bn": _moments_bn,
}  # fmt: skip


def _conv(tf, fn):
    x = tf.placeholder(tf.float32, [None, 7, 6, 3])
    w = tf.placeholder(tf.float32, [3, 2, 3, 4])
    out = fn(tf, x, w)
    loss = tf.reduce_sum(out * out)
    grads = tf.gradients(loss, [x, w])
    grads = [g if g is not None else tf.zeros_like(v) for g, v in zip(grads, [x, w], strict=True)]
    with tf.Session() as sess:
        return sess.run([out] + grads, {x: IMG, w: FILT})


def test_dilated_oracle_uses_no_dilated_tensorflow_kernel(ref):
    """The oracle's dilated conv and its gradients run only undilated TF kernels (any CPU)."""
    ref.reset_default_graph()
    x, w = ref.constant(IMG), ref.constant(FILT)
    y = CONV["conv_dilated"](ref, x, w)
    ref.gradients(ref.reduce_sum(y * y), [x, w])
    convs = [op for op in ref.get_default_graph().get_operations() if "Conv2D" in op.type]
    assert len(convs) >= 3  # forward, input gradient, filter gradient
    for op in convs:
        assert list(op.get_attr("dilations")) == [1, 1, 1, 1], op.name


@pytest.mark.parametrize("name", list(CONV))
def test_conv_and_pool_match_tensorflow(ref, name):
    want, got = run_both(ref, _conv, CONV[name])
    for w, g in zip(want, got, strict=True):
        assert g.shape == w.shape
        assert_matches(g, w, rtol=1e-4, atol=1e-4)
