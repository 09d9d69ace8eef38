"""The speech examples in both styles: bit-identical features, losses and weights, and learning."""

from __future__ import annotations

import pathlib
import runpy

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def examples_on_path(monkeypatch):
    """The examples import their shared helpers from their own folder."""
    monkeypatch.syspath_prepend(str(EXAMPLES))


def _train(name: str, *args, **kwargs) -> dict:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")["train"](
        *args, **kwargs
    )


def test_speech_both_styles_agree_bitwise_and_learn():
    kw = {"quiet": True, "n_train": 64, "n_test": 16, "hidden": 16, "channels": 16}
    eager = _train("speech_eager", 3, **kw)
    graph = _train("speech_graph", 3, **kw)
    assert eager["features"].tobytes() == graph["features"].tobytes()
    assert [np.float64(v).tobytes() for v in eager["loss"]] == [
        np.float64(v).tobytes() for v in graph["loss"]
    ]
    assert eager["ler"] == graph["ler"] and eager["ler0"] == graph["ler0"]
    assert eager["weights"].keys() == graph["weights"].keys()
    for name, a in eager["weights"].items():
        b = graph["weights"][name]
        assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
    assert eager["loss"][-1] < 0.5 * eager["loss"][0]


def test_synthetic_utterances_are_deterministic_and_labelled():
    import _speech_data as data

    w1, y1, l1 = data.utterances(8, seed=3)
    w2, y2, l2 = data.utterances(8, seed=3)
    assert w1.tobytes() == w2.tobytes() and (y1 == y2).all() and (l1 == l2).all()
    assert w1.shape == (8, int(data.RATE * data.SECONDS)) and w1.dtype == np.float32
    assert (l1 >= 1).all() and (y1 < len(data.SYMBOLS)).all()
    idx, values, shape = data.sparse_labels(y1, l1)
    assert len(values) == l1.sum() and tuple(shape) == y1.shape
    assert data.label_error_rate([[0, 1]], np.array([[0, 2, 1]]), np.array([3])) == 1 / 3
