"""tf.summary ops and FileWriter: real event files read back with tensorboard's EventAccumulator."""

import duograd.frontends.graph as tf
import numpy as np
import pytest

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.compat.proto.summary_pb2 import Summary  # noqa: E402


def _accumulate(logdir):
    acc = EventAccumulator(
        str(logdir), size_guidance={"scalars": 0, "images": 0, "tensors": 0, "histograms": 0}
    )
    acc.Reload()
    return acc


def test_summary_ops_return_serialized_summaries_and_files_read_back(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        loss = tf.reduce_mean(x * x)
        with tf.name_scope("train"):
            s_loss = tf.summary.scalar("loss", loss)
        tf.summary.histogram("x", x)
        tf.summary.image("img", tf.reshape(x[:12], [1, 2, 2, 3]) / 20.0)
        tf.summary.text("note", "hello")
        merged = tf.summary.merge_all()
    writer = tf.summary.FileWriter(str(tmp_path), g)
    with tf.Session(graph=g) as sess:
        for step in range(3):
            xs = np.arange(12, dtype=np.float32) + step
            raw, single = sess.run([merged, s_loss], {x: xs})
            assert isinstance(raw, bytes)
            writer.add_summary(raw, step)
        parsed = Summary.FromString(single)
        assert parsed.value[0].tag == "train/loss"
    writer.flush()
    writer.close()
    acc = _accumulate(tmp_path)
    tags = acc.Tags()
    assert tags["scalars"] == ["train/loss"]
    assert tags["histograms"] == ["x_1"]  # "x" is the placeholder's name, as in TF1
    assert tags["images"] == ["img/image"]
    assert "note" in tags["tensors"]
    assert tags["graph"]
    events = acc.Scalars("train/loss")
    assert [e.step for e in events] == [0, 1, 2]
    for e in events:
        xs = np.arange(12, dtype=np.float32) + e.step
        assert e.value == pytest.approx(float(np.mean(xs * xs)), rel=1e-6)
    h = acc.Histograms("x_1")[2].histogram_value
    assert (h.min, h.max, h.num) == (2.0, 13.0, 12.0)
    img = acc.Images("img/image")[0]
    assert (img.width, img.height) == (2, 2)
    assert acc.Tensors("note")[0].tensor_proto.string_val == [b"hello"]


def test_add_summary_rejects_non_summaries(tmp_path):
    with tf.summary.FileWriter(str(tmp_path)) as w, pytest.raises(TypeError, match="Summary"):
        w.add_summary(3.0, 1)


def test_scalar_summary_of_a_vector_fails_clearly():
    g = tf.Graph()
    with g.as_default():
        s = tf.summary.scalar("v", tf.constant([1.0, 2.0]))
        with tf.Session() as sess, pytest.raises(ValueError, match="summary.scalar 'v'"):
            sess.run(s)


def test_merge_of_chosen_summaries_and_add_graph_after_opening(tmp_path):
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
        loss = tf.reduce_sum(tf.square(w), name="total")
        s_loss = tf.summary.scalar("loss", loss)
        s_norm = tf.summary.scalar("norm", tf.sqrt(loss))
        tf.summary.scalar("not_merged", loss * 0.0)
        merged = tf.summary.merge([s_loss, s_norm])
        step = tf.assign_sub(w, 0.25 * w)
        init = tf.global_variables_initializer()
    writer = tf.summary.FileWriter(str(tmp_path))  # no graph yet
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for i in range(2):
            raw, _ = sess.run([merged, loss])
            assert sorted(v.tag for v in Summary.FromString(raw).value) == ["loss", "norm"]
            writer.add_summary(raw, i)
            sess.run(step)
    writer.add_graph(g)
    writer.close()
    acc = _accumulate(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["loss", "norm"]
    assert [round(e.value, 6) for e in acc.Scalars("loss")] == [5.0, round(5.0 * 0.75**2, 6)]
    assert [round(e.value, 5) for e in acc.Scalars("norm")] == [
        round(5.0**0.5, 5),
        round(0.75 * 5.0**0.5, 5),
    ]
    names = {n.name for n in acc.Graph().node}
    assert {"w", "total"} <= names
