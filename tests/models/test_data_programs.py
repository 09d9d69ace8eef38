"""Whole programs over data pipelines, distributions and sparse tensors, each in both styles:
a GCN on a sparse citation graph, an actor-critic agent on CartPole (Categorical draws) and a
TFRecord -> tf.data pipeline with its DataLoader twin. Each pair ends bit-identical and learns."""

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


def _train(name: str, *args, **kwargs):
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")["train"](
        *args, **kwargs
    )


def _same_params(eager: list, graph: list) -> None:
    assert len(eager) == len(graph)
    for a, b in zip(eager, graph, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_gcn_both_styles_agree_bitwise_and_learn():
    eager = _train("gcn_eager", 40, quiet=True)
    graph = _train("gcn_graph", 40, quiet=True)
    _same_params(eager[0], graph[0])
    assert eager[1] == graph[1] and eager[2] == graph[2]
    assert eager[1] < 0.5 and eager[2] > 0.9  # three communities: chance is 1/3


def test_actor_critic_both_styles_draw_and_learn_the_same():
    eager = _train("actor_critic_eager", 12, quiet=True)
    graph = _train("actor_critic_graph", 12, quiet=True)
    assert eager[1] == graph[1]  # the same actions, so the same episodes
    _same_params(eager[0], graph[0])


def test_actor_critic_learns_to_balance():
    _, lengths = _train("actor_critic_eager", 100, quiet=True)
    assert np.mean(lengths[-10:]) > 2 * np.mean(lengths[:10])


def test_tfrecord_pipeline_and_its_dataloader_twin_agree_bitwise(tmp_path):
    pytest.importorskip("sklearn")
    eager = _train("tfrecord_pipeline_eager", 60, quiet=True, folder=str(tmp_path / "e"))
    graph = _train("tfrecord_pipeline_graph", 60, quiet=True, folder=str(tmp_path / "g"))
    assert (tmp_path / "g" / "digits.tfrecord").read_bytes() == (
        tmp_path / "e" / "digits.tfrecord"
    ).read_bytes()
    assert [np.float32(v).tobytes() for v in eager[1]] == [
        np.float32(v).tobytes() for v in graph[1]
    ]
    _same_params(eager[0], graph[0])
    assert np.mean(eager[1][-5:]) < 0.5 * eager[1][0] and eager[2] > 0.85
