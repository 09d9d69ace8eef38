"""The CNN, char-LSTM and Transformer examples: each runs a few steps in both styles, the two
runs are bit-identical (every loss, every final weight), and each learns."""

from __future__ import annotations

import pathlib
import runpy
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def examples_on_path(monkeypatch):
    """The examples import their shared helpers (`_model_data`) from their own folder."""
    monkeypatch.syspath_prepend(str(EXAMPLES))


def _train(name: str, *args, **kwargs) -> dict:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")["train"](
        *args, **kwargs
    )


def _assert_bitwise(eager: dict, graph: dict) -> None:
    assert len(eager["losses"]) == len(graph["losses"])
    for i, (a, b) in enumerate(zip(eager["losses"], graph["losses"], strict=True)):
        assert np.float32(a).tobytes() == np.float32(b).tobytes(), f"loss of step {i}: {a} != {b}"
    assert sorted(eager["weights"]) == sorted(graph["weights"])
    for name, value in eager["weights"].items():
        other = graph["weights"][name]
        assert value.shape == other.shape and value.tobytes() == other.tobytes(), name


def test_cnn_digits_both_styles_agree_bitwise_and_learn():
    pytest.importorskip("sklearn")
    eager = _train("cnn_digits_eager", 60, quiet=True)
    graph = _train("cnn_digits_graph", 60, quiet=True)
    _assert_bitwise(eager, graph)
    assert eager["accuracy"] == graph["accuracy"]
    assert np.mean(eager["losses"][-5:]) < 0.5 * eager["losses"][0]
    assert eager["accuracy"] > 0.8  # the full default run reaches >= 0.97


def test_char_lstm_both_styles_agree_bitwise_and_learn():
    eager = _train("char_lstm_eager", 4, quiet=True, sample_length=8)
    graph = _train("char_lstm_graph", 4, quiet=True, sample_length=8)
    _assert_bitwise(eager, graph)
    assert eager["sample"] == graph["sample"] and len(eager["sample"]) == 12
    assert eager["losses"][-1] < eager["losses"][0]
    assert eager["losses"][0] == pytest.approx(np.log(eager["vocab"]), rel=0.15)


def test_transformer_both_styles_agree_bitwise_and_learn():
    eager = _train("transformer_eager", 15, quiet=True, eval_size=100)
    graph = _train("transformer_graph", 15, quiet=True, eval_size=100)
    _assert_bitwise(eager, graph)
    assert eager["accuracy"] == graph["accuracy"]
    assert eager["losses"][-1] < 0.95 * eager["losses"][0]


def test_example_runs_as_a_script_with_progress_and_result():
    script = EXAMPLES / "transformer_graph.py"
    out = subprocess.run([sys.executable, str(script), "--steps", "3"], capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "step     3/3" in out.stdout and "graph Transformer: final loss" in out.stdout


def test_digits_examples_name_the_missing_extra(monkeypatch):
    for name in ("sklearn", "sklearn.datasets"):  # as if scikit-learn were not installed
        monkeypatch.setitem(sys.modules, name, None)
    data = runpy.run_path(str(EXAMPLES / "_model_data.py"))
    with pytest.raises(SystemExit, match=r"pip install 'duograd\[examples\]'"):
        data["digits"]()


def test_stdlib_text_is_gathered_locally_and_deterministically():
    data = runpy.run_path(str(EXAMPLES / "_model_data.py"))
    a, b = data["stdlib_text"](20_000), data["stdlib_text"](20_000)
    assert a == b and len(a) == 20_000 and all(32 <= ord(c) < 127 or c == "\n" for c in a)


def test_resnet_both_styles_agree_bitwise():
    pytest.importorskip("sklearn")
    eager = _train("resnet_eager", 1, 16, 3, True)
    graph = _train("resnet_graph", 1, 16, 3, True)
    _assert_bitwise(eager, graph)
    assert eager["accuracy"] == graph["accuracy"]
