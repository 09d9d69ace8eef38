"""The README's "Working with other tools" examples run as written, against the real libraries."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

_RUNNER = """
import json, sys
import tensorflow as real_tf

v1 = real_tf.compat.v1
v1.disable_eager_execution()
with real_tf.Graph().as_default():  # the real TF1 checkpoint the README reads
    v1.get_variable("dense/kernel", [4, 2])
    with v1.Session() as s:
        s.run(v1.global_variables_initializer())
        v1.train.Saver().save(s, "tf_ckpt/model.ckpt")

import duograd.frontends.graph as tf

for i, code in enumerate(json.load(open(sys.argv[1]))):
    tf.reset_default_graph()  # each example starts from a fresh default graph
    exec(compile(code, f"<README bridge example {i}>", "exec"), {"__name__": "__main__"})
print("ran", i + 1)
"""


def _blocks():
    text = README.read_text()
    start = text.index("## Working with other tools")
    section = text[start : text.index("\n## ", start + 1)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_every_bridge_example_in_the_readme_runs(tmp_path):
    for lib in ("onnx", "onnxruntime", "tensorboard", "safetensors", "torch", "tensorflow"):
        pytest.importorskip(lib)
    blocks = _blocks()
    assert len(blocks) >= 8  # TensorBoard x2, safetensors x2, TF checkpoint, DLPack, ONNX x2
    (tmp_path / "blocks.json").write_text(json.dumps(blocks))
    (tmp_path / "runner.py").write_text(_RUNNER)
    out = subprocess.run([sys.executable, "runner.py", "blocks.json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"ran {len(blocks)}" in out.stdout
    assert "('dense/kernel', [4, 2])" in out.stdout  # list_variables of the real checkpoint
    for made in ("model.safetensors", "weights.safetensors", "cnn.onnx", "mlp.onnx"):
        assert (tmp_path / made).is_file(), made
    for run in ("logs/graph", "logs/eager"):
        assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / run).iterdir())
