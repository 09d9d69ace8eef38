"""Every bridge is an optional extra: nothing is imported up front, and a missing one says which
extra to install."""

import subprocess
import sys

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import pytest
from duograd.core.extras import require


def test_importing_duograd_imports_no_bridge_library():
    code = (
        "import sys, duograd.frontends.eager, duograd.frontends.graph\n"
        "import duograd.frontends.graph.onnx, duograd.frontends.eager.utils.tensorboard\n"
        "print(sorted(m for m in ('onnx', 'onnxruntime', 'tensorboard', 'safetensors', 'tqdm')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_require_names_the_extra():
    with pytest.raises(ImportError, match=r"pip install 'duograd\[onnx\]'"):
        require("no_such_module_for_duograd", "onnx", "ONNX export")


def _save_safetensors(p):
    torch.save({"a": torch.ones(1)}, p / "a.safetensors")


def _export_onnx(p):
    torch.onnx.export(torch.nn.Linear(1, 1), torch.ones(1, 1), p / "m.onnx")


def _file_writer(p):
    tf.summary.FileWriter(str(p))


def _summary_writer(p):
    from duograd.frontends.eager.utils.tensorboard import SummaryWriter

    SummaryWriter(str(p))


def _saver_safetensors(p):
    g = tf.Graph()
    with g.as_default():
        tf.Variable(1.0, name="v")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, str(p / "w.safetensors"))


def _graph_onnx(p):
    from duograd.frontends.graph import onnx as graph_onnx

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        with tf.Session() as sess:
            graph_onnx.export(sess, [x], [x * 2.0], str(p / "g.onnx"))


@pytest.mark.parametrize(
    ("blocked", "extra", "action"),
    [
        ("safetensors", "safetensors", _save_safetensors),
        ("onnx", "onnx", _export_onnx),
        ("tensorboard", "tensorboard", _file_writer),
        ("tensorboard", "tensorboard", _summary_writer),
        ("safetensors", "safetensors", _saver_safetensors),
        ("onnx", "onnx", _graph_onnx),
    ],
)
def test_a_missing_extra_is_named(monkeypatch, tmp_path, blocked, extra, action):
    for name in list(sys.modules):
        if name == blocked or name.startswith(blocked + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, blocked, None)  # import of it now fails, as when absent
    with pytest.raises(ImportError, match=rf"pip install 'duograd\[{extra}\]'"):
        action(tmp_path)
    assert not list(tmp_path.iterdir())


def test_loading_a_safetensors_file_without_the_extra_names_it(monkeypatch, tmp_path):
    pytest.importorskip("safetensors")
    _save_safetensors(tmp_path)
    for name in list(sys.modules):
        if name == "safetensors" or name.startswith("safetensors."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    with pytest.raises(ImportError, match=r"pip install 'duograd\[safetensors\]'"):
        torch.load(tmp_path / "a.safetensors")
