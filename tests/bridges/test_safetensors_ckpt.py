"""safetensors in both styles, and real TensorFlow checkpoints read into a duograd graph."""

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

pytest.importorskip("safetensors")


def _dg_mlp():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def test_eager_round_trip(tmp_path):
    torch.manual_seed(0)
    m = _dg_mlp()
    path = tmp_path / "m.safetensors"
    torch.save(m.state_dict(), path)
    sd = torch.load(path)
    assert sorted(sd) == sorted(m.state_dict())
    m2 = _dg_mlp()
    m2.load_state_dict(sd)
    x = torch.randn(5, 4)
    assert np.array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_eager_save_refuses_nested(tmp_path):
    with pytest.raises(TypeError, match="flat mapping of names to tensors"):
        torch.save({"a": {"b": torch.ones(2)}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="dict of name -> tensor"):
        torch.save([torch.ones(2)], tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


def test_real_torch_file_loads_into_duograd_and_back(tmp_path):
    real = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    real.manual_seed(1)
    rm = real.nn.Sequential(real.nn.Linear(4, 8), real.nn.ReLU(), real.nn.Linear(8, 3))
    st.save_file(rm.state_dict(), str(tmp_path / "real.safetensors"))
    m = _dg_mlp()
    m.load_state_dict(torch.load(tmp_path / "real.safetensors"))
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    ours = m(torch.from_numpy(x)).detach().numpy()
    theirs = rm(real.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # the reverse: duograd writes, real PyTorch loads
    torch.manual_seed(2)
    m2 = _dg_mlp()
    torch.save(m2.state_dict(), tmp_path / "dg.safetensors")
    rm.load_state_dict(st.load_file(str(tmp_path / "dg.safetensors")))
    np.testing.assert_allclose(
        rm(real.from_numpy(x)).detach().numpy(),
        m2(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def _cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(3 * 3 * 3, 4),
    )  # fmt: skip


def test_real_torch_cnn_with_batch_norm_buffers_both_ways(tmp_path):
    real = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    real.manual_seed(3)
    rm = _cnn(real.nn)
    rm.train()
    with real.no_grad():  # non-trivial running statistics and num_batches_tracked (int64)
        for _ in range(3):
            rm(real.randn(4, 1, 8, 8))
    rm.eval()
    st.save_file(rm.state_dict(), str(tmp_path / "real_cnn.safetensors"))
    sd = torch.load(tmp_path / "real_cnn.safetensors")
    assert sd["1.num_batches_tracked"].dtype == torch.int64
    assert sd["1.num_batches_tracked"].item() == 3
    m = _cnn(torch.nn)
    m.load_state_dict(sd)
    m.eval()
    x = np.random.default_rng(6).standard_normal((5, 1, 8, 8)).astype(np.float32)
    with real.no_grad():
        theirs = rm(real.from_numpy(x)).numpy()
    np.testing.assert_allclose(m(torch.from_numpy(x)).detach().numpy(), theirs, rtol=1e-5,
                               atol=1e-6)  # fmt: skip
    # the reverse: duograd's file (with its buffers) into a fresh real module
    torch.save(m.state_dict(), tmp_path / "dg_cnn.safetensors")
    real.manual_seed(9)
    rm2 = _cnn(real.nn).eval()
    rm2.load_state_dict(st.load_file(str(tmp_path / "dg_cnn.safetensors")))
    with real.no_grad():
        np.testing.assert_allclose(rm2(real.from_numpy(x)).numpy(), theirs, rtol=1e-6, atol=1e-7)


def test_graph_saver_renames_through_a_var_list_dict(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.array([1.0, 2.0], np.float32), name="v")
        saver = tf.train.Saver({"model/weights": v})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "renamed.safetensors"))
    assert list(st.load_file(path)) == ["model/weights"]
    st.save_file({"model/weights": np.array([5.0, 6.0], np.float32)}, path)
    with g.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saver.restore(sess, path)
        assert sess.run(v).tolist() == [5.0, 6.0]


def _graph(seed):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 4])
        y = tf.layers.dense(tf.layers.dense(x, 8, activation=tf.nn.relu), 3)
        init = tf.global_variables_initializer()
        saver = tf.train.Saver()
    return g, x, y, init, saver


def test_graph_saver_safetensors_by_name(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    xs = np.ones((2, 4), np.float32)
    g, x, y, init, saver = _graph(0)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run(y, {x: xs})
        path = saver.save(sess, str(tmp_path / "w.safetensors"))
    names = sorted(st.load_file(path))
    assert names == ["dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel"]
    g2, x2, y2, init2, saver2 = _graph(1)
    with tf.Session(graph=g2) as sess:
        sess.run(init2)
        assert not np.array_equal(sess.run(y2, {x2: xs}), want)
        saver2.restore(sess, path)
        assert np.array_equal(sess.run(y2, {x2: xs}), want)


def test_graph_restore_missing_name_changes_nothing(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    g, x, y, init, saver = _graph(0)
    st.save_file({"dense/kernel": np.zeros((4, 8), np.float32)}, str(tmp_path / "p.safetensors"))
    with tf.Session(graph=g) as sess:
        sess.run(init)
        before = sess.run(y, {x: np.ones((1, 4), np.float32)})
        with pytest.raises(tf.errors.NotFoundError, match="dense/bias not found"):
            saver.restore(sess, str(tmp_path / "p.safetensors"))
        assert np.array_equal(sess.run(y, {x: np.ones((1, 4), np.float32)}), before)


def test_real_tf_checkpoint_into_duograd_graph(tmp_path):
    real_tf = pytest.importorskip("tensorflow")
    v1 = real_tf.compat.v1
    xs = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    rg = real_tf.Graph()
    with rg.as_default():
        v1.set_random_seed(4)
        rx = v1.placeholder(real_tf.float32, [None, 4])
        h = v1.matmul(rx, v1.get_variable("dense/kernel", [4, 8])) + v1.get_variable(
            "dense/bias", [8], initializer=v1.random_normal_initializer()
        )
        ry = v1.matmul(v1.nn.relu(h), v1.get_variable("dense_1/kernel", [8, 3])) + v1.get_variable(
            "dense_1/bias", [3], initializer=v1.random_normal_initializer()
        )
        v1.get_variable("extra", [2], dtype=real_tf.float64)
        with v1.Session(graph=rg) as rs:
            rs.run(v1.global_variables_initializer())
            want = rs.run(ry, {rx: xs})
            prefix = v1.train.Saver().save(rs, str(tmp_path / "model.ckpt"), global_step=7)
    reader = tf.train.load_checkpoint(prefix)
    assert dict(tf.train.list_variables(prefix))["dense/kernel"] == [4, 8]
    assert reader.get_tensor("extra").dtype == np.float64
    g, x, y, init, saver = _graph(0)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        saver.restore(sess, prefix)
        np.testing.assert_allclose(sess.run(y, {x: xs}), want, rtol=1e-5, atol=1e-6)


def test_real_tf_checkpoint_into_eager_module(tmp_path):
    real_tf = pytest.importorskip("tensorflow")
    from duograd.frontends.eager.interop import load_tf_checkpoint, transposed

    v1 = real_tf.compat.v1
    xs = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    rg = real_tf.Graph()
    with rg.as_default():
        rx = v1.placeholder(real_tf.float32, [None, 4])
        kernel = v1.get_variable("dense/kernel", [4, 3])
        bias = v1.get_variable("dense/bias", [3], initializer=v1.random_normal_initializer())
        ry = v1.matmul(rx, kernel) + bias
        with v1.Session(graph=rg) as rs:
            rs.run(v1.global_variables_initializer())
            want = rs.run(ry, {rx: xs})
            prefix = v1.train.Saver().save(rs, str(tmp_path / "dense.ckpt"))
    m = torch.nn.Linear(4, 3)
    load_tf_checkpoint(m, prefix, {"weight": transposed("dense/kernel"), "bias": "dense/bias"})
    got = m(torch.from_numpy(xs)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_real_tf_cnn_checkpoint_with_batch_norm_and_global_step(tmp_path):
    real_tf = pytest.importorskip("tensorflow")
    v1 = real_tf.compat.v1
    rng = np.random.default_rng(8)
    xs = rng.standard_normal((3, 6, 6, 1)).astype(np.float32)
    init = v1.random_normal_initializer(stddev=0.5, seed=1)
    rg = real_tf.Graph()
    with rg.as_default():
        rx = v1.placeholder(real_tf.float32, [None, 6, 6, 1])
        with v1.variable_scope("conv2d"):
            k = v1.get_variable("kernel", [3, 3, 1, 4], initializer=init)
            b = v1.get_variable("bias", [4], initializer=init)
        h = v1.nn.conv2d(rx, k, [1, 1, 1, 1], "SAME") + b
        with v1.variable_scope("batch_normalization"):
            stats = [
                v1.get_variable(n, [4], initializer=v1.constant_initializer(v))
                for n, v in (("gamma", [1.0, 0.5, 2.0, 1.5]), ("beta", [0.1, -0.1, 0.0, 0.2]),
                             ("moving_mean", [0.3, -0.2, 0.1, 0.0]),
                             ("moving_variance", [1.5, 0.7, 2.0, 0.9]))
            ]  # fmt: skip
        gamma, beta, mean, var = stats
        h = v1.nn.relu(v1.nn.batch_normalization(h, mean, var, beta, gamma, 1e-3))
        with v1.variable_scope("dense"):
            w = v1.get_variable("kernel", [6 * 6 * 4, 2], initializer=init)
            wb = v1.get_variable("bias", [2], initializer=init)
        ry = v1.matmul(v1.reshape(h, [-1, 6 * 6 * 4]), w) + wb
        gs = v1.train.get_or_create_global_step()
        with v1.Session(graph=rg) as rs:
            rs.run(v1.global_variables_initializer())
            rs.run(v1.assign(gs, 42))
            want = rs.run(ry, {rx: xs})
            prefix = v1.train.Saver().save(rs, str(tmp_path / "cnn.ckpt"), global_step=gs)
    assert prefix.endswith("cnn.ckpt-42")
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6, 6, 1])
        h = tf.layers.conv2d(x, 4, 3, padding="same")
        h = tf.nn.relu(tf.layers.batch_normalization(h, training=False))
        y = tf.layers.dense(tf.layers.flatten(h), 2)
        step = tf.train.get_or_create_global_step()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            assert sess.run(step) == 42
            np.testing.assert_allclose(sess.run(y, {x: xs}), want, rtol=1e-5, atol=1e-5)
