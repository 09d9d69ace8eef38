"""ONNX files exported at one batch size run at others (dynamic_axes), in both styles."""

import io

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.frontends.graph import attention
from duograd.frontends.graph import onnx as graph_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
nn = torch.nn
BATCHES = (1, 3, 7)


def _session(model_bytes):
    onnx.checker.check_model(onnx.load_from_string(model_bytes))
    return ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])


def _close(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


class _ViewNet(nn.Module):
    """A CNN whose head flattens with x.view(x.size(0), -1), the batch read in Python."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(3 * 3 * 3, 4)

    def forward(self, x):
        h = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(h.view(h.size(0), -1))


def _eager(name):
    torch.manual_seed(0)
    if name == "mlp":
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), (4,)
    if name == "cnn":
        cnn = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 3),
        )  # fmt: skip
        cnn[1].running_mean.numpy()[:] = [0.1, -0.2, 0.3, 0.0]  # inference statistics
        cnn[1].running_var.numpy()[:] = [1.5, 0.5, 2.0, 1.0]
        return cnn, (1, 8, 8)
    if name == "cnn_view":
        net = _ViewNet()
        net.bn.running_mean.numpy()[:] = [0.2, -0.1, 0.05]
        net.bn.running_var.numpy()[:] = [0.7, 1.3, 2.0]
        return net, (1, 8, 8)
    if name == "lstm":
        return nn.LSTM(3, 5, num_layers=2, batch_first=True), (4, 3)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return nn.TransformerEncoder(layer, 2), (5, 8)


@pytest.mark.parametrize("name", ["mlp", "cnn", "cnn_view", "lstm", "transformer"])
def test_eager_export_at_batch_2_runs_at_other_batches(name):
    model, rest = _eager(name)
    model.eval()
    buf = io.BytesIO()
    proto = torch.onnx.export(model, (torch.randn(2, *rest),), buf, input_names=["input"],
                              dynamic_axes={"input": {0: "batch"}})  # fmt: skip
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    sess = _session(buf.getvalue())
    rng = np.random.default_rng(1)
    for b in BATCHES:
        x = rng.standard_normal((b, *rest)).astype(np.float32)
        got = sess.run(None, {"input": x})
        with torch.no_grad():
            want = model(torch.from_numpy(x))
        want = [want] if isinstance(want, torch.Tensor) else [want[0], *want[1]]
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _close(g, w.numpy())
    # every output's batch dimension is named after the input's, not fixed at 2
    for out in proto.graph.output:
        assert "batch" in [d.dim_param for d in out.type.tensor_type.shape.dim], out.name


class _ClassToken(nn.Module):
    """A learned token expanded to the batch (``expand(x.size(0), -1, -1)``), then pooled."""

    def __init__(self):
        super().__init__()
        self.token = nn.Parameter(torch.randn(1, 1, 4))
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        t = self.token.expand(x.size(0), -1, -1)
        return self.fc(torch.cat([t, x], 1)).sum(1)


class _InPlace(nn.Module):
    """In-place ops in the forward: the tensor stands for the value written into it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 6 * 6, 2)

    def forward(self, x):
        h = self.conv(x)
        h.relu_()
        h += 1.0
        return self.fc(torch.flatten(h, 1))


def _more(name):
    torch.manual_seed(4)
    return {
        "lstm_time_major": (nn.LSTM(3, 4), (5, 2, 3), 1),  # the batch is axis 1
        "gru": (nn.GRU(3, 4, batch_first=True), (2, 5, 3), 0),
        "expand": (_ClassToken(), (2, 3, 4), 0),
        "inplace": (_InPlace(), (2, 1, 8, 8), 0),
        "relu_inplace": (
            nn.Sequential(
                nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(72, 2)
            ),
            (2, 1, 8, 8),
            0,
        ),  # fmt: skip
    }[name]


@pytest.mark.parametrize("name", ["lstm_time_major", "gru", "expand", "inplace", "relu_inplace"])
def test_eager_export_follows_the_batch_through_other_ops(name):
    model, shape, axis = _more(name)
    model.eval()
    buf = io.BytesIO()
    torch.onnx.export(model, (torch.randn(*shape),), buf, input_names=["x"],
                      dynamic_axes={"x": {axis: "batch"}})  # fmt: skip
    sess = _session(buf.getvalue())
    rng = np.random.default_rng(7)
    for b in BATCHES:
        size = list(shape)
        size[axis] = b
        x = rng.standard_normal(size).astype(np.float32)
        got = sess.run(None, {"x": x})
        with torch.no_grad():
            want = model(torch.from_numpy(x))
        if isinstance(want, tuple):  # (output, state) or (output, (h, c))
            state = want[1] if isinstance(want[1], tuple) else (want[1],)
            want = [want[0], *state]
        else:
            want = [want]
        for g, w in zip(got, want, strict=True):
            _close(g, w.numpy())


def test_eager_export_two_dynamic_axes_batch_and_length():
    torch.manual_seed(2)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    model = nn.Sequential(nn.Linear(3, 8), nn.TransformerEncoder(layer, 1), nn.Flatten(0, 1))
    model.eval()
    buf = io.BytesIO()
    torch.onnx.export(model, (torch.randn(2, 5, 3),), buf, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "batch", 1: "time"}})  # fmt: skip
    sess = _session(buf.getvalue())
    for shape in [(1, 5, 3), (3, 2, 3), (4, 7, 3)]:
        x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
        (got,) = sess.run(None, {"x": x})
        with torch.no_grad():
            _close(got, model(torch.from_numpy(x)).numpy())


def test_eager_export_uses_eval_mode_and_restores_the_mode():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5), nn.BatchNorm1d(6), nn.Linear(6, 2))
    model.train()
    buf = io.BytesIO()
    torch.onnx.export(model, (torch.randn(3, 4),), buf, input_names=["x"],
                      dynamic_axes={"x": [0]})  # fmt: skip
    assert model.training and model[1].training  # put back as it was
    assert np.all(model[2].running_mean.numpy() == 0)  # the export did not update statistics
    x = np.random.default_rng(4).standard_normal((5, 4)).astype(np.float32)
    (got,) = _session(buf.getvalue()).run(None, {"x": x})
    model.eval()
    with torch.no_grad():
        _close(got, model(torch.from_numpy(x)).numpy())


def test_eager_export_refuses_what_cannot_follow_the_batch():
    class Branchy(nn.Module):
        def forward(self, x):
            return x * 2 if x.size(0) % 2 else x + 1  # a different op at odd batch sizes

    class Ramp(nn.Module):
        def forward(self, x):  # a per-row constant made from the example's size
            return x + torch.tensor(np.arange(x.shape[0], dtype=np.float32)).unsqueeze(1)

    with pytest.raises(ValueError, match="different operations when the dynamic axes change"):
        torch.onnx.export(Branchy(), (torch.randn(2, 3),), io.BytesIO(), input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})  # fmt: skip
    with pytest.raises(ValueError, match="changes with the dynamic axes"):
        torch.onnx.export(Ramp(), (torch.randn(2, 3),), io.BytesIO(), input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})  # fmt: skip
    # without dynamic_axes the same model exports with its sizes fixed, as PyTorch's tracer does
    torch.onnx.export(Ramp(), (torch.randn(2, 3),), io.BytesIO())


def _graph_model(name):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        if name == "mlp":
            x = tf.placeholder(tf.float32, [None, 4], name="x")
            y = tf.layers.dense(tf.layers.dense(x, 8, activation=tf.nn.relu), 3)
            make = lambda r, b: r.standard_normal((b, 4)).astype(np.float32)  # noqa: E731
        elif name == "cnn":
            x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
            h = tf.layers.conv2d(x, 4, 3, padding="same")
            h = tf.layers.batch_normalization(h, training=False)
            h = tf.layers.max_pooling2d(tf.nn.relu(h), 2, 2)
            h = tf.layers.average_pooling2d(h, 2, 2)
            y = tf.layers.dense(tf.layers.flatten(h), 3)
            make = lambda r, b: r.standard_normal((b, 8, 8, 1)).astype(np.float32)  # noqa: E731
        elif name == "lstm":
            x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
            outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(5), x, dtype=tf.float32)
            y = [tf.layers.dense(outputs[:, -1, :], 2), state.h]
            make = lambda r, b: r.standard_normal((b, 4, 3)).astype(np.float32)  # noqa: E731
        else:
            x = tf.placeholder(tf.int64, [None, 5], name="x")
            h = tf.nn.embedding_lookup(tf.get_variable("embed", [11, 8]), x)
            h = h + tf.get_variable("pos", [5, 8])
            for i in range(2):
                with tf.variable_scope(f"layer{i}"):
                    sa, _ = attention.multi_head_attention(h, h, h, 2, need_weights=False)
                    h = attention.layer_norm(h + sa, name="norm1")
                    ff = tf.layers.dense(tf.nn.relu(tf.layers.dense(h, 16)), 8)
                    h = attention.layer_norm(h + ff, name="norm2")
            y = tf.layers.dense(h, 11, name="head")
            make = lambda r, b: r.integers(0, 11, (b, 5)).astype(np.int64)  # noqa: E731
        init = tf.global_variables_initializer()
    return g, x, y if isinstance(y, list) else [y], init, make


@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm", "transformer"])
def test_graph_export_runs_at_any_batch(name):
    g, x, ys, init, make = _graph_model(name)
    rng = np.random.default_rng(5)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        buf = io.BytesIO()
        graph_onnx.export(sess, [x], ys, buf, dynamic_axes={"x": {0: "batch"}})
        onnx_sess = _session(buf.getvalue())
        for b in BATCHES:
            xs = make(rng, b)
            for got, want in zip(onnx_sess.run(None, {"x": xs}), sess.run(ys, {x: xs}),
                                 strict=True):  # fmt: skip
                _close(got, want)


def test_graph_export_refuses_a_dynamic_axis_on_a_fixed_placeholder():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 4], name="x")
        y = tf.reshape(x, [2 * 4])
        with tf.Session() as sess:
            with pytest.raises(ValueError, match="give the placeholder None at that axis"):
                graph_onnx.export(sess, [x], [y], io.BytesIO(), dynamic_axes={"x": [0]})


def test_eager_export_opset_and_export_params_are_checked():
    model = nn.Linear(2, 2)
    proto = torch.onnx.export(model, (torch.randn(1, 2),), io.BytesIO(), opset_version=17)
    assert [o.version for o in proto.opset_import] == [17]
    with pytest.raises(ValueError, match="writes ONNX opset 17; opset_version=11"):
        torch.onnx.export(model, (torch.randn(1, 2),), io.BytesIO(), opset_version=11)
    with pytest.raises(ValueError, match="export_params=False"):
        torch.onnx.export(model, (torch.randn(1, 2),), io.BytesIO(), export_params=False)


def test_eager_export_two_inputs_sharing_the_batch_axis():
    torch.manual_seed(5)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)

    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.TransformerEncoder(layer, 1)

        def forward(self, x, pad):
            return self.enc(x, src_key_padding_mask=pad)

    model = Masked().eval()
    pad = np.zeros((2, 5), bool)
    pad[1, 3:] = True
    buf = io.BytesIO()
    torch.onnx.export(model, (torch.randn(2, 5, 8), torch.from_numpy(pad)), buf,
                      input_names=["x", "pad"],
                      dynamic_axes={"x": {0: "batch"}, "pad": {0: "batch"}})  # fmt: skip
    sess = _session(buf.getvalue())
    rng = np.random.default_rng(6)
    for b in BATCHES:
        xs = rng.standard_normal((b, 5, 8)).astype(np.float32)
        ps = np.zeros((b, 5), bool)
        ps[0, 4:] = True
        (got,) = sess.run(None, {"x": xs, "pad": ps})
        with torch.no_grad():
            _close(got, model(torch.from_numpy(xs), torch.from_numpy(ps)).numpy())
