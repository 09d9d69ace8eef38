"""ONNX export of both styles, run in onnxruntime against duograd's own outputs."""

import io

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.frontends.graph import onnx as graph_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
nn = torch.nn


def _run(model_bytes, feeds):
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def _eager_models():
    torch.manual_seed(0)
    cnn = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 3),
    )  # fmt: skip
    cnn[1].running_mean.numpy()[:] = [0.1, -0.2, 0.3, 0.0]  # non-trivial inference statistics
    cnn[1].running_var.numpy()[:] = [1.5, 0.5, 2.0, 1.0]
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return {
        "mlp": (nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), torch.randn(2, 4)),
        "cnn": (cnn, torch.randn(2, 1, 8, 8)),
        "lstm": (nn.LSTM(3, 5, batch_first=True), torch.randn(2, 4, 3)),
        "gru": (nn.GRU(3, 5, batch_first=True), torch.randn(2, 4, 3)),
        "rnn": (nn.RNN(3, 5, nonlinearity="relu"), torch.randn(4, 2, 3)),
        "transformer": (nn.TransformerEncoder(layer, 2), torch.randn(2, 5, 8)),
    }


@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm", "gru", "rnn", "transformer"])
def test_eager_export_matches_onnxruntime(name, tmp_path):
    model, x = _eager_models()[name]
    model.eval()
    path = tmp_path / f"{name}.onnx"
    torch.onnx.export(model, (x,), str(path), input_names=["x"])
    onnx.checker.check_model(onnx.load(str(path)))
    got = _run(path.read_bytes(), {"x": x.numpy()})
    with torch.no_grad():
        want = model(x)
    if isinstance(want, torch.Tensor):
        want = [want]
    else:  # (output, state): the state is h_n, or the tuple (h_n, c_n)
        want = [want[0], *(want[1] if isinstance(want[1], tuple) else [want[1]])]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-6)


def test_eager_export_dynamic_batch_and_names():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2), nn.Softmax(dim=1))
    buf = io.BytesIO()
    proto = torch.onnx.export(
        model, (torch.randn(3, 4),), buf, input_names=["features"], output_names=["probs"],
        dynamic_axes={"features": {0: "batch"}, "probs": {0: "batch"}},
    )  # fmt: skip
    assert [i.name for i in proto.graph.input] == ["features"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert {i.name for i in proto.graph.initializer} >= {"0.weight", "0.bias", "2.weight"}
    x = np.random.default_rng(0).standard_normal((7, 4)).astype(np.float32)
    (got,) = _run(buf.getvalue(), {"features": x})
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_eager_export_rejects_bad_dynamic_axes():
    with pytest.raises(ValueError, match="dynamic_axes names"):
        torch.onnx.export(nn.Linear(2, 2), (torch.randn(1, 2),), io.BytesIO(),
                          dynamic_axes={"nope": [0]})  # fmt: skip


def test_graph_export_cnn_nhwc_with_batch_norm_inference():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
        h = tf.layers.conv2d(x, 4, 3, padding="same")
        h = tf.layers.batch_normalization(h, training=False)
        h = tf.nn.relu(h)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.average_pooling2d(h, 2, 2)
        h = tf.reshape(h, [-1, 2 * 2 * 4])
        logits = tf.layers.dense(h, 3)
        probs = tf.nn.softmax(logits)
        init = tf.global_variables_initializer()
    xs = np.random.default_rng(1).standard_normal((5, 8, 8, 1)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run([logits, probs], {x: xs})
        buf = io.BytesIO()
        graph_onnx.export(sess, [x], [logits, probs], buf, output_names=["logits", "probs"],
                          dynamic_axes={"images": [0]})  # fmt: skip
    got = _run(buf.getvalue(), {"images": xs})
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_graph_export_lstm_and_mlp():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [2, 4, 3], name="seq")
        cell = tf.nn.rnn_cell.BasicLSTMCell(5)
        outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        y = tf.layers.dense(outputs[:, -1, :], 2, activation=tf.nn.sigmoid)
        init = tf.global_variables_initializer()
    xs = np.random.default_rng(2).standard_normal((2, 4, 3)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run(y, {x: xs})
        buf = io.BytesIO()
        graph_onnx.export(sess, [x], [y], buf)
    (got,) = _run(buf.getvalue(), {"seq": xs})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_graph_export_refuses_unfed_placeholders_and_training_steps():
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, [2], name="a")
        b = tf.placeholder(tf.float32, [2], name="b")
        v = tf.Variable(np.ones(2, np.float32))
        step = tf.assign(v, a)
        with tf.Session() as sess:
            with pytest.raises(ValueError, match="placeholder 'b', which is not among the inputs"):
                graph_onnx.export(sess, [a], [a + b], io.BytesIO())
            with pytest.raises(ValueError, match="stateful effect"):
                graph_onnx.export(sess, [a], [step], io.BytesIO())


def test_graph_export_transformer_encoder_with_embedding():
    from duograd.frontends.graph import attention

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        tokens = tf.placeholder(tf.int64, [None, 5], name="tokens")
        h = tf.nn.embedding_lookup(tf.get_variable("embed", [11, 8]), tokens)
        h = h + tf.get_variable("pos", [5, 8])
        for i in range(2):
            with tf.variable_scope(f"layer{i}"):
                sa, _ = attention.multi_head_attention(h, h, h, 2, need_weights=False)
                h = attention.layer_norm(h + sa, name="norm1")
                ff = tf.layers.dense(tf.nn.relu(tf.layers.dense(h, 16)), 8)
                h = attention.layer_norm(h + ff, name="norm2")
        logits = tf.layers.dense(h, 11, name="head")
        init = tf.global_variables_initializer()
    ts = np.random.default_rng(4).integers(0, 11, (3, 5)).astype(np.int64)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run(logits, {tokens: ts})
        buf = io.BytesIO()
        graph_onnx.export(sess, [tokens], [logits], buf, dynamic_axes={"tokens": {0: "batch"}})
    (got,) = _run(buf.getvalue(), {"tokens": ts})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
