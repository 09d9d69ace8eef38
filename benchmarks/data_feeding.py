"""Feeding goal: the bench MLP (784-256-10, SGD) at batch 512, fed by each style's own pipeline
against feeding pre-built batches.

Eager: `DataLoader(num_workers=2)` over a map-style dataset with a per-example numpy transform
vs a list of pre-built tensors. Graph: `tf.data` (slices -> batch -> traced map -> repeat ->
prefetch) through `get_next()` vs `Session.run` fed pre-built arrays. After a warm-up the
columns run in interleaved rounds (one epoch each) and the medians are compared, so machine
load affects both alike.

Run: python -m duograd.benchmarks.data_feeding [--rounds N] [--steps N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

D_IN, HIDDEN, CLASSES, BATCH = 784, 256, 10, 512


class Transformed:
    """A map-style dataset whose examples go through a per-example numpy transform."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return (self.x[i] * np.float32(0.5) + np.float32(0.1)).astype(np.float32), self.y[i]


def _interleaved(columns: dict[str, Callable[[], None]], rounds: int) -> dict[str, tuple]:
    """Per column: (median wall time of a round, median CPU time of this process in a round).
    The CPU time (all threads of the main process, not the workers) shows what feeding costs
    the training process itself, which machine load hardly changes."""
    for fn in columns.values():
        fn()  # warm-up: compiles, starts workers
    times: dict[str, list] = {k: [] for k in columns}
    cpu: dict[str, list] = {k: [] for k in columns}
    for _ in range(rounds):
        for k, fn in columns.items():
            time.sleep(0.05)  # let spinning BLAS / worker threads settle between columns
            t, c = time.perf_counter(), time.process_time()
            fn()
            times[k].append(time.perf_counter() - t)
            cpu[k].append(time.process_time() - c)
    return {k: (statistics.median(times[k]), statistics.median(cpu[k])) for k in columns}


def _data(steps: int) -> tuple:
    rng = np.random.default_rng(0)
    n = BATCH * steps
    x = rng.standard_normal((n, D_IN)).astype(np.float32)
    y = rng.integers(0, CLASSES, n).astype(np.int64)
    return x, y


def eager(steps: int, rounds: int) -> None:
    """DataLoader(num_workers=2) vs pre-built tensors."""
    import duograd.frontends.eager as torch
    from duograd.frontends.eager.utils.data import DataLoader

    x, y = _data(steps)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()

    prebuilt = [
        (
            torch.from_numpy(x[i : i + BATCH] * np.float32(0.5) + np.float32(0.1)),
            torch.from_numpy(y[i : i + BATCH]),
        )
        for i in range(0, len(x), BATCH)
    ]

    def pre():
        for xb, yb in prebuilt:
            step(xb, yb)

    dl = DataLoader(Transformed(x, y), batch_size=BATCH, num_workers=2, persistent_workers=True)

    def workers():
        for xb, yb in dl:
            step(xb, yb)

    t = _interleaved({"pre-built": pre, "DataLoader(num_workers=2)": workers}, rounds)
    _report("eager", t, "pre-built", steps)
    if getattr(dl, "_workers", None) is not None:
        dl._workers.shutdown()


def graph(steps: int, rounds: int) -> None:
    """tf.data with prefetch vs Session.run fed pre-built arrays."""
    import duograd.frontends.graph as tf

    x, y = _data(steps)
    g = tf.Graph()
    with g.as_default():
        xs = tf.placeholder(tf.float32, [None, D_IN])
        ys = tf.placeholder(tf.int64, [None])
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
        ds = ds.map(lambda a, b: (a * 0.5 + 0.1, b)).repeat().prefetch(2)
        xb, yb = ds.make_one_shot_iterator().get_next()

        def net(inp, lab, reuse):
            with tf.variable_scope("m", reuse=reuse):
                hid = tf.layers.dense(inp, HIDDEN, tf.nn.relu, name="h")
                out = tf.layers.dense(hid, CLASSES, name="o")
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=out)
            )
            return tf.train.GradientDescentOptimizer(0.01).minimize(loss)

        fed = net(xs, ys, False)
        piped = net(xb, yb, True)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            pre_np = [
                (x[i : i + BATCH] * np.float32(0.5) + np.float32(0.1), y[i : i + BATCH])
                for i in range(0, len(x), BATCH)
            ]

            def feed():
                for a, b in pre_np:
                    s.run(fed, {xs: a, ys: b})

            def pipe():
                for _ in pre_np:
                    s.run(piped)

            t = _interleaved({"feed pre-built": feed, "tf.data prefetch": pipe}, rounds)
    _report("graph", t, "feed pre-built", steps)


def _report(style: str, t: dict, base: str, steps: int) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    for k, (wall, cpu) in t.items():
        print(
            f"{style:5s} {k:28s} {wall / steps * 1e3:7.2f} ms/step  ratio {wall / t[base][0]:.3f}x"
            f"  | main-process CPU {cpu / steps * 1e3:6.2f} ms/step  ratio "
            f"{cpu / t[base][1]:.3f}x  (vs {base}; load average {load:.1f})"
        )


def main(argv: list[str] | None = None) -> None:
    """Measure both styles."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--steps", type=int, default=20, help="batches per epoch (one round)")
    p.add_argument("--only", choices=["eager", "graph"], default=None)
    a = p.parse_args(argv)
    if a.only in (None, "eager"):
        eager(a.steps, a.rounds)
    if a.only in (None, "graph"):
        graph(a.steps, a.rounds)


if __name__ == "__main__":
    main()
