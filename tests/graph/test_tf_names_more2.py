"""More TF1 names against real TensorFlow (compat.v1, graph mode), values and gradients:
segment max/min, meshgrid, tensordot, depth/space moves, linspace, diag, sort, repeat,
make_template, the assert_* checks, hessians, folds, get_local_variable."""

import os

import duograd.frontends.graph as dg
import numpy as np
import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.layers needs Keras 2
real_tf = pytest.importorskip("tensorflow")

TOL = {"rtol": 2e-5, "atol": 2e-6}


def _assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """Close within float32 rounding; an entry that cancels terms of the output's size may be off by
    that size times the tolerance (a gradient entry of -0.47 summed from terms of 450)."""
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=TOL["rtol"], atol=TOL["atol"] * scale)


R = np.random.RandomState(8)
X = R.uniform(-2, 2, (6, 3)).astype(np.float32)
X[4, 1] = X[1, 1]  # a tie inside segment 1 (rows 1 and 4)
IDS = np.array([0, 1, 0, 3, 1, 0], np.int32)
IMG = R.uniform(-1, 1, (2, 4, 6, 8)).astype(np.float32)
V = R.uniform(-1, 1, (2, 5)).astype(np.float32)
VOL = R.uniform(-1, 1, (2, 5, 4, 5, 3)).astype(np.float32)
W3T = R.uniform(-1, 1, (3, 2, 2, 2, 3)).astype(np.float32)  # d h w out in
V[0, 3] = V[0, 1]


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


# name -> (program(tf, x) -> y, input array); each checks y and d(sum(y * weights))/dx
PROGRAMS = {
    "segment_max": (lambda tf, x: tf.unsorted_segment_max(x * 2.0, IDS, 5), X),
    "segment_min": (lambda tf, x: tf.math.unsorted_segment_min(x, IDS, 4), X),
    "meshgrid_xy": (lambda tf, x: tf.stack(tf.meshgrid(x[0], x[1, :2] * 3.0), 0), X),
    "meshgrid_ij": (
        lambda tf, x: tf.stack(tf.meshgrid(x[0], x[1], indexing="ij"), 0) * 2.0,
        X,
    ),
    "tensordot_int": (lambda tf, x: tf.tensordot(x, tf.transpose(x) * 0.5, 1), X),
    "tensordot_axes": (
        lambda tf, x: tf.tensordot(tf.reshape(x, [2, 3, 3]), x[:3], [[1, 2], [0, 1]]),
        X,
    ),
    "tensordot_zero": (lambda tf, x: tf.tensordot(x[0], x[1], 0), X),
    "depth_to_space": (lambda tf, x: tf.nn.depth_to_space(x * 1.5, 2), IMG),
    "space_to_depth": (lambda tf, x: tf.space_to_depth(x, 2), IMG),
    "linspace": (lambda tf, x: tf.linspace(x[0, 0], x[1, 1], 7), X),
    "diag": (lambda tf, x: tf.diag(x[0]) * 2.0, X),
    "diag_part": (lambda tf, x: tf.diag_part(x[:3]), X),
    "sort": (lambda tf, x: tf.sort(x), V),
    "sort_desc": (lambda tf, x: tf.sort(x, direction="DESCENDING"), V),
    "repeat_axis": (lambda tf, x: tf.repeat(x, 3, axis=1), V),
    "repeat_flat": (lambda tf, x: tf.repeat(x, 2), V),
    "scatter_nd": (
        lambda tf, x: tf.scatter_nd([[1, 0], [3, 2], [1, 0]], x[:3] * 2.0, [4, 3, 3]),
        X,
    ),
    "scatter_nd_rows": (lambda tf, x: tf.scatter_nd([[2], [0], [2]], x[:3], [4, 3]), X),
    "max_pool3d": (
        lambda tf, x: tf.nn.max_pool3d(x, [1, 2, 2, 3, 1], [1, 2, 1, 2, 1], "VALID"),
        VOL,
    ),
    "max_pool3d_same": (
        lambda tf, x: tf.nn.max_pool3d(x, [1, 3, 2, 2, 1], [1, 2, 2, 2, 1], "SAME"),
        VOL,
    ),
    "avg_pool3d_same": (
        lambda tf, x: tf.nn.avg_pool3d(x, [1, 2, 3, 2, 1], [1, 2, 2, 1, 1], "SAME"),
        VOL,
    ),
    "layers_pool3d": (
        lambda tf, x: tf.layers.average_pooling3d(x, 2, 1) + tf.layers.MaxPooling3D(2, 1)(x),
        VOL,
    ),
    "conv3d_transpose": (
        lambda tf, x: tf.nn.conv3d_transpose(
            x, tf.constant(W3T), [2, 9, 7, 9, 2], [1, 2, 2, 2, 1], "SAME"
        ),
        VOL,
    ),
    "conv3d_transpose_valid": (
        lambda tf, x: tf.nn.conv3d_transpose(
            x * 2.0, tf.constant(W3T[:2]), [2, 6, 5, 6, 2], [1, 1, 1, 1, 1], "VALID"
        ),
        VOL,
    ),
    "foldl": (lambda tf, x: tf.foldl(lambda a, r: a * 0.5 + tf.sin(r), x), X),
    "foldr": (lambda tf, x: tf.foldr(lambda a, r: a * r, x, initializer=tf.ones([3])), X),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_tf(ref, name):
    prog, arr = PROGRAMS[name]

    def run(tf):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, arr.shape)
        y = prog(tf, x)
        w = np.arange(1, 1 + int(np.prod(y.shape.as_list())), dtype=np.float32)
        w = w.reshape(y.shape.as_list())
        (gx,) = tf.gradients(tf.reduce_sum(y * w), x)
        with tf.Session() as s:
            return s.run([y, gx], {x: arr}), y.shape.as_list()

    (want, wshape), (got, gshape) = run(ref), run(dg)
    assert gshape == wshape
    for w, g in zip(want, got, strict=True):
        assert g.dtype == w.dtype
        _assert_close(g, w)


def test_argsort_and_lin_space(ref):
    def run(tf):
        tf.reset_default_graph()
        x = tf.constant(V)
        with tf.Session() as s:
            return s.run(
                [tf.argsort(x), tf.argsort(x, direction="DESCENDING"), tf.lin_space(0.0, 1.0, 5)]
            )

    for w, g in zip(run(ref), run(dg), strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_make_template_shares_variables(ref):
    def run(tf):
        tf.reset_default_graph()

        def dense(x, units):
            w = tf.get_variable("w", [3, units], initializer=tf.constant_initializer(0.5))
            return tf.matmul(x, w)

        t = tf.make_template("dense", dense, units=2)
        x = tf.constant(X[:2])
        y1, y2 = t(x), t(x * 2.0)
        other = tf.make_template("dense", dense, units=2)(x)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            return sorted(v.name for v in tf.global_variables()), s.run([y1, y2, other])

    (wn, wv), (gn, gv) = run(ref), run(dg)
    assert gn == wn
    for w, g in zip(wv, gv, strict=True):
        _assert_close(g, w)


def test_asserts_pass_and_fail_like_tf(ref):
    def run(tf, bad):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, [3])
        checks = [
            tf.assert_equal(x, x), tf.assert_positive(x + 10.0), tf.assert_less_equal(x, 2.0),
            tf.assert_greater_equal(x, -1.0), tf.debugging.assert_non_negative(x * x),
        ]  # fmt: skip
        with tf.control_dependencies(checks):
            y = tf.identity(x)
        with tf.Session() as s:
            return s.run(y, {x: [0.5, 5.0, 1.0] if bad else [0.5, 1.5, 1.0]})

    np.testing.assert_array_equal(run(dg, False), run(ref, False))
    with pytest.raises(real_tf.errors.InvalidArgumentError):
        run(ref, True)
    with pytest.raises(dg.errors.InvalidArgumentError, match="x <= y"):
        run(dg, True)


def test_hessians_match_tf(ref):
    def run(tf):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, [2, 2])
        y = tf.reduce_sum(tf.sin(x) * tf.reduce_sum(x * x))
        with tf.Session() as s:
            return s.run(tf.hessians(y, x), {x: X[:2, :2]})

    (w,), (g,) = run(ref), run(dg)
    assert g.shape == w.shape == (2, 2, 2, 2)
    _assert_close(g, w)


def test_local_and_model_variables(ref):
    for tf in (ref, dg):
        tf.reset_default_graph()
        v = tf.get_local_variable("counter", [], initializer=tf.zeros_initializer())
        assert v in tf.local_variables() and v not in tf.global_variables()
        assert tf.model_variables() == []
        with tf.init_scope():
            c = tf.constant(1.0)
        with tf.Session() as s:
            s.run(tf.local_variables_initializer())
            assert s.run(v.assign_add(c)) == 1.0


def test_file_writer_cache(tmp_path):
    a = dg.summary.FileWriterCache.get(str(tmp_path))
    assert dg.summary.FileWriterCache.get(str(tmp_path)) is a
    dg.summary.FileWriterCache.clear()
    assert dg.summary.FileWriterCache.get(str(tmp_path)) is not a
    dg.summary.FileWriterCache.clear()


@pytest.mark.parametrize(
    "kind,shape,kw",
    [
        ("separable_conv2d", (2, 7, 6, 3), {"kernel_size": 3, "strides": 2, "padding": "same"}),
        ("separable_conv2d", (2, 7, 6, 3), {"kernel_size": (3, 2), "depth_multiplier": 2}),
        ("separable_conv2d", (1, 8, 8, 2), {"kernel_size": 3, "dilation_rate": 2}),
        ("separable_conv1d", (2, 9, 3), {"kernel_size": 3, "strides": 2, "depth_multiplier": 2}),
        ("SeparableConv2D", (2, 6, 6, 3), {"kernel_size": 3, "activation": "relu"}),
        ("SeparableConv1D", (2, 9, 3), {"kernel_size": 2, "padding": "same"}),
        ("conv3d", (2, 5, 4, 5, 3), {"kernel_size": (2, 3, 2), "strides": 2, "padding": "same"}),
        ("Conv3D", (1, 4, 4, 4, 2), {"kernel_size": 2, "dilation_rate": 2}),
        ("conv3d_transpose", (2, 3, 4, 3, 2), {"kernel_size": (2, 3, 2), "strides": 2}),
        ("Conv3DTranspose", (1, 3, 3, 2, 2), {"kernel_size": 3, "padding": "same"}),
    ],
)
def test_separable_and_3d_conv_layers_match_tf(ref, kind, shape, kw):
    pytest.importorskip("tf_keras", reason="tf.layers needs Keras 2 (the tf-keras package)")
    arr = R.uniform(-1, 1, shape).astype(np.float32)

    def build(tf, inits=None):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, shape)
        args = dict(kw)
        if args.get("activation") == "relu":
            args["activation"] = tf.nn.relu
        if inits is not None and "onv3" in kind:
            args["kernel_initializer"] = tf.constant_initializer(inits[0])
            args["bias_initializer"] = tf.constant_initializer(inits[1])
        elif inits is not None:
            args["depthwise_initializer"] = tf.constant_initializer(inits[0])
            args["pointwise_initializer"] = tf.constant_initializer(inits[1])
            args["bias_initializer"] = tf.constant_initializer(inits[2])
        if kind[0].isupper():
            layer = getattr(tf.layers, kind)(4, **args)
            y = layer(x) + layer(x * 0.5)  # the second call shares the variables
        else:
            y = getattr(tf.layers, kind)(x, 4, **args)
        vs = tf.trainable_variables()
        grads = tf.gradients(tf.reduce_sum(y * y), [x, *vs])
        return x, y, vs, grads

    x, y, vs, grads = build(ref)
    with ref.Session() as s:
        s.run(ref.global_variables_initializer())
        init_vals = s.run(vs)
        init_vals[-1] = R.uniform(-1, 1, init_vals[-1].shape).astype(np.float32)  # a bias
        s.run([v.assign(a) for v, a in zip(vs, init_vals, strict=True)])
        want = s.run([y, *grads], {x: arr})
        names = [(v.name, v.shape.as_list()) for v in vs]
    x, y, vs, grads = build(dg, init_vals)
    assert [(v.name, v.shape.as_list()) for v in vs] == names
    with dg.Session() as s:
        s.run(dg.global_variables_initializer())
        got = s.run([y, *grads], {x: arr})
    for w, g in zip(want, got, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_tf1_idioms_of_real_programs(ref, monkeypatch):
    # TensorShape dims carry TF1's `.value`; tf.app.run leaves unknown flags to argparse;
    # tf.contrib.framework keeps the global-step helpers
    for tf in (dg,):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, [None, 7])
        assert x.get_shape()[1].value == 7 and x.shape[1] == 7 and x.shape[0] is None
        step = tf.contrib.framework.get_or_create_global_step()
        assert step is tf.train.get_global_step()
    got = []
    monkeypatch.setattr("sys.argv", ["prog", "--batch_size", "16", "--other=1"])
    with pytest.raises(SystemExit):
        dg.app.run(lambda argv: got.append(argv))
    assert got == [["prog", "--batch_size", "16", "--other=1"]]


def test_saver_makes_a_missing_folder(tmp_path):
    dg.reset_default_graph()
    v = dg.Variable([1.0, 2.0])
    with dg.Session() as s:
        s.run(dg.global_variables_initializer())
        path = dg.train.Saver().save(s, str(tmp_path / "Model" / "model"), global_step=3)
        assert dg.train.latest_checkpoint(str(tmp_path / "Model")) == path
    assert v is not None


def test_matmul_and_metrics_on_unshaped_placeholders(ref):
    def run(tf):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32)
        y = tf.placeholder(tf.float32)
        w = tf.Variable(X[:3, :2])
        h = tf.sigmoid(tf.matmul(x, w))
        (gw,) = tf.gradients(tf.reduce_sum(h * y), w)
        acc, acc_op = tf.metrics.accuracy(labels=y, predictions=tf.round(h))
        rec, rec_op = tf.metrics.recall(labels=y, predictions=tf.round(h))
        with tf.Session() as s:
            s.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            feed = {x: X[:4], y: (X[:4, :2] > 0).astype(np.float32)}
            return s.run([h, gw, acc_op, rec_op], feed)

    for w, g in zip(run(ref), run(dg), strict=True):
        assert g.dtype == w.dtype
        _assert_close(g, w)


def test_hand_built_summaries_and_summary_iterator(ref, tmp_path):
    pytest.importorskip("tensorboard")
    logs = {}
    for name, tf in (("tf", ref), ("dg", dg)):
        s = tf.Summary(value=[tf.Summary.Value(tag="acc", simple_value=0.75)])
        folder = str(tmp_path / name)
        w = tf.summary.FileWriter(folder)
        w.add_summary(s, 7)
        w.close()
        (path,) = [os.path.join(folder, f) for f in os.listdir(folder) if "events" in f]
        logs[name] = (s.SerializeToString(), path)
    assert logs["dg"][0] == logs["tf"][0]
    for name in ("tf", "dg"):
        # each reader reads both files: the same events
        for tf in (ref.train, dg.train):
            evs = [e for e in tf.summary_iterator(logs[name][1]) if e.HasField("summary")]
            assert [(e.step, v.tag, v.simple_value) for e in evs for v in e.summary.value] == [
                (7, "acc", 0.75)
            ]
    assert isinstance(dg.Event(), dg.summary.Event)
    with pytest.raises(NotImplementedError):
        dg.summary.NoSuchProto  # noqa: B018


def test_init_from_checkpoint_reads_a_real_tf_checkpoint(ref, tmp_path):
    ref.reset_default_graph()
    with ref.variable_scope("old"):
        ref.get_variable("w", initializer=X[:2, :3])
        ref.get_variable("b", initializer=X[2])
    with ref.Session() as s:
        s.run(ref.global_variables_initializer())
        prefix = ref.train.Saver().save(s, str(tmp_path / "real" / "model"))

    def run(tf):
        tf.reset_default_graph()
        with tf.variable_scope("new"):
            w = tf.get_variable("w", [2, 3])
            b = tf.get_variable("b", [3])
        other = tf.get_variable("other", initializer=np.float32(5.0))
        tf.train.init_from_checkpoint(prefix, {"old/": "new/"})
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            return s.run([w, b, other])

    want, got = run(ref), run(dg)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(got[0], X[:2, :3])


def test_init_from_checkpoint_own_checkpoint_by_name_and_variable(tmp_path):
    dg.reset_default_graph()
    a = dg.get_variable("a", initializer=X[0])
    with dg.Session() as s:
        s.run(dg.global_variables_initializer())
        prefix = dg.train.Saver().save(s, str(tmp_path / "m"))
    dg.reset_default_graph()
    x = dg.get_variable("x", [3])
    y = dg.get_variable("y", [3])
    dg.train.init_from_checkpoint(str(tmp_path), {"a": "x"})  # a folder: its newest
    dg.train.init_from_checkpoint(prefix, [("a", y)])
    with pytest.raises(ValueError, match="shape"):
        z = dg.get_variable("z", [4])
        dg.train.init_from_checkpoint(prefix, {"a": z})
    with dg.Session() as s:
        s.run(dg.global_variables_initializer())
        np.testing.assert_array_equal(s.run(x), X[0])
        np.testing.assert_array_equal(s.run(y), X[0])
    assert a is not None
