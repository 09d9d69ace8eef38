"""Helpers for writing one program against either style's module (ours or the real peer's)."""

from __future__ import annotations

import numpy as np

from . import peers


def eager_module():
    """duograd's eager frontend (PyTorch style)."""
    import duograd.frontends.eager as torch

    return torch


def graph_module():
    """duograd's graph frontend (TF1 style)."""
    import duograd.frontends.graph as tf

    return tf


def eager_columns(build) -> dict:
    """Columns for an eager-style program `build(torch_module)`: duograd eager and real torch."""
    cols = {"eager": lambda: build(eager_module()), "compiled": lambda: compiled(build)}
    if peers._cache.get("torch") is not None:
        cols["torch"] = lambda: build(peers.torch())
    if peers._cache.get("torch.compile") is not None:
        cols["torch.compile"] = lambda: compiled(build, peers.torch())
    return cols


def compiled(build, torch=None):
    """The eager program of `build` with its step under ``torch.compile`` (the `compiled`
    column, or with real torch the `torch.compile` one). A `Stepper`'s final step (the one
    that also reads the results) runs eagerly."""
    torch = torch or eager_module()
    step = build(torch)
    if isinstance(step, Stepper):
        return Stepper(torch.compile(step.step), step.final)
    return torch.compile(step)


def graph_columns(build) -> dict:
    """Columns for a TF1-style program `build(tf_module)`: duograd graph and real TF1."""
    cols = {"graph": lambda: build(graph_module())}
    if peers._cache.get("tf1") is not None:
        cols["tf1"] = lambda: build(peers.tf1())
    return cols


def both(build_graph, build_eager) -> dict:
    """All four columns of a workload written once per style."""
    return {**graph_columns(build_graph), **eager_columns(build_eager)}


def session(tf):
    """A session on a fresh graph of `tf` (ours or real TF1), with the graph as default."""
    graph = tf.Graph()
    return graph, tf.Session(graph=graph)


def data(seed: int, *shapes: tuple, dtype=np.float32) -> list[np.ndarray]:
    """Deterministic input arrays for a workload."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


class Stepper:
    """A timed step plus `final()`, which steps once more and returns what parity compares."""

    def __init__(self, step, final) -> None:
        self.step = step
        self.final = final

    def __call__(self):
        return self.step()
