"""torch.utils.tensorboard.SummaryWriter: event files read back, and the real server serves them."""

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import duograd.frontends.eager as torch
import numpy as np
import pytest

pytest.importorskip("tensorboard")
from duograd.frontends.eager.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

_ALL = {"scalars": 0, "images": 0, "tensors": 0, "histograms": 0}


def test_summary_writer_round_trip(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with SummaryWriter(str(tmp_path)) as w:
        for step in range(4):
            w.add_scalar("loss", torch.tensor(1.0 / (step + 1)), step)
            w.add_scalars("lr", {"a": 0.1 * step, "b": 0.2 * step}, step)
        w.add_histogram("weights", model[0].weight, 3)
        w.add_image("img", torch.rand(3, 5, 6), 1)
        w.add_image("gray", np.zeros((5, 6), np.uint8), 1, dataformats="HW")
        w.add_text("notes", "hello tensorboard", 2)
        w.add_graph(model, torch.randn(2, 3))
        w.flush()
    acc = EventAccumulator(str(tmp_path), size_guidance=_ALL)
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"]
    assert [(e.step, round(e.value, 6)) for e in acc.Scalars("loss")] == [
        (0, 1.0), (1, 0.5), (2, round(1 / 3, 6)), (3, 0.25)
    ]  # fmt: skip
    h = acc.Histograms("weights")[0]
    assert h.step == 3 and h.histogram_value.num == 12
    assert h.histogram_value.max == pytest.approx(float(model[0].weight.max()))
    img = acc.Images("img")[0]
    assert (img.height, img.width, img.step) == (5, 6, 1)
    assert acc.Tensors("notes")[0].tensor_proto.string_val == [b"hello tensorboard"]
    graph = acc.Graph()
    assert {n.op for n in graph.node} >= {"matmul", "relu", "add", "placeholder"}
    for series, scale in (("a", 0.1), ("b", 0.2)):
        sub = EventAccumulator(str(tmp_path / f"lr_{series}"))
        sub.Reload()
        assert [round(e.value, 6) for e in sub.Scalars("lr")] == [
            round(scale * s, 6) for s in range(4)
        ]


def test_torch_utils_tensorboard_and_add_graph_of_a_cnn(tmp_path):
    assert torch.utils.tensorboard.SummaryWriter is SummaryWriter  # as `torch.utils.tensorboard`
    torch.manual_seed(1)
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(2 * 4 * 4, 3),
    )  # fmt: skip
    cnn.eval()
    with torch.utils.tensorboard.SummaryWriter(str(tmp_path)) as w:
        w.add_graph(cnn, torch.randn(2, 1, 6, 6))
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    nodes = acc.Graph().node
    assert {"conv2d", "relu", "matmul", "placeholder"} <= {n.op for n in nodes}
    # parameters keep their state_dict names, so the graph reads like the module
    assert {"0.weight", "1.running_mean", "4.weight"} <= {n.name for n in nodes}


def test_add_image_checks_dataformats(tmp_path):
    with SummaryWriter(str(tmp_path)) as w, pytest.raises(ValueError, match="dataformats"):
        w.add_image("bad", np.zeros((2, 3, 4, 5)), 0)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_tensorboard_server_serves_the_run(tmp_path):
    run = tmp_path / "run1"
    with SummaryWriter(str(run)) as w:
        for step in range(3):
            w.add_scalar("train/loss", 2.0 - step, step)
    import duograd.frontends.graph as tf  # the graph style's files are served the same way

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        s = tf.summary.scalar("graph/loss", x * 2.0)
    with tf.summary.FileWriter(str(tmp_path / "run2"), g) as fw, tf.Session(graph=g) as sess:
        for step in range(2):
            fw.add_summary(sess.run(s, {x: float(step)}), step)
    port = _free_port()
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path),
           "--host", "127.0.0.1", "--port", str(port), "--load_fast", "false"]  # fmt: skip
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        base = f"http://127.0.0.1:{port}/data/plugin/scalars"
        deadline = time.monotonic() + 90
        tags = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/tags", timeout=5) as r:
                    tags = json.loads(r.read())
                if "run1" in tags and "run2" in tags:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert tags is not None and "train/loss" in tags.get("run1", {}), tags
        url = f"{base}/scalars?run=run1&tag=train/loss"
        with urllib.request.urlopen(url, timeout=10) as r:
            points = json.loads(r.read())
        assert [(p[1], p[2]) for p in points] == [(0, 2.0), (1, 1.0), (2, 0.0)]
        with urllib.request.urlopen(f"{base}/scalars?run=run2&tag=graph/loss", timeout=10) as r:
            assert [(p[1], p[2]) for p in json.loads(r.read())] == [(0, 0.0), (1, 2.0)]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_image_pixels_decode_as_written(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    rgb = np.random.default_rng(0).random((3, 4, 5)).astype(np.float32)  # CHW floats in [0, 1]
    gray = np.arange(20, dtype=np.uint8).reshape(4, 5) * 12
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("rgb", torch.from_numpy(rgb), 0)
        w.add_image("gray", gray, 0, dataformats="HW")
    acc = EventAccumulator(str(tmp_path), size_guidance=_ALL)
    acc.Reload()
    got = np.asarray(pil.open(io.BytesIO(acc.Images("rgb")[0].encoded_image_string)))
    want = np.clip(np.round(rgb.transpose(1, 2, 0) * 255), 0, 255).astype(np.uint8)
    assert np.array_equal(got, want)
    got = np.asarray(pil.open(io.BytesIO(acc.Images("gray")[0].encoded_image_string)))
    assert np.array_equal(got.reshape(4, 5, -1)[..., 0], gray)
