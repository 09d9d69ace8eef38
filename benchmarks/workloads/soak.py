"""Soak: 10,000 training steps in each style, checking that memory and bookkeeping stay flat.

Each style runs in a fresh process of its own (so its memory figures are its alone): a small
MLP trained with Adam, 10,000 `Session.run(train_op)` calls in the graph style and 10,000
zero_grad/forward/backward/step iterations in the eager style. After 1,000 and after 10,000
steps the process records its resident memory (RSS) and peak RSS, and what must not grow: the
graph's node count and the session's cached plans, or the autograd tape (tape nodes still alive
after a step: 0 when every step's graph was freed). Not a timing benchmark: `duograd bench
--only soak` reports the figures (it is not part of `--quick`).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import numpy as np

from ..workload import Case, Workload

STEPS = 10_000
CHECKPOINTS = (1_000, 10_000)
_BATCHES = 8


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    current = peak = 0.0
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:  # not Linux: the peak only (ru_maxrss is KB on Linux, bytes on macOS)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if sys.platform == "darwin":
            peak /= 1024
    return round(current, 1), round(peak, 1)


def _data() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [
        (rng.standard_normal((32, 64)).astype(np.float32), rng.integers(0, 10, 32))
        for _ in range(_BATCHES)
    ]


def soak_graph(steps: int = STEPS, checkpoints: tuple = CHECKPOINTS) -> dict:
    """Train in the graph style for `steps` runs; figures at each checkpoint."""
    import duograd.frontends.graph as tf

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 64])
        y = tf.placeholder(tf.int64, [None])
        h = tf.layers.dense(x, 128, activation=tf.nn.relu)
        logits = tf.layers.dense(h, 10)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    feeds = [{x: a, y: b} for a, b in _data()]
    nodes_before = len(g.nodes)
    figures: dict = {"graph_nodes_before": nodes_before}
    for i in range(1, steps + 1):
        sess.run(train, feeds[i % _BATCHES])
        if i in checkpoints:
            rss, peak = memory_mb()
            figures[str(i)] = {
                "rss_mb": rss,
                "peak_rss_mb": peak,
                "graph_nodes": len(g.nodes),
                "cached_plans": len(getattr(sess, "_cache", ())),
            }
    figures["final_loss"] = float(sess.run(loss, feeds[0]))
    return figures


def _live_tape_nodes() -> int:
    from duograd.frontends.eager import tape

    return sum(1 for o in gc.get_objects() if type(o) is tape.Node)


def soak_compiled(steps: int = STEPS, checkpoints: tuple = CHECKPOINTS) -> dict:
    """`soak_eager` with the training step under ``torch.compile``."""
    return soak_eager(steps, checkpoints, compiled=True)


def soak_eager(
    steps: int = STEPS, checkpoints: tuple = CHECKPOINTS, compiled: bool = False
) -> dict:
    """Train in the eager style for `steps` iterations; figures at each checkpoint."""
    import duograd.frontends.eager as torch

    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    batches = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in _data()]
    figures: dict = {"tape_nodes_before": _live_tape_nodes()}

    def step(xb, yb):
        opt.zero_grad()
        loss = lossf(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    run = torch.compile(step) if compiled else step
    loss = None
    for i in range(1, steps + 1):
        loss = run(*batches[i % _BATCHES])
        if i in checkpoints:
            rss, peak = memory_mb()
            figures[str(i)] = {
                "rss_mb": rss,
                "peak_rss_mb": peak,
                # the last loss still holds its (freed) graph: count what else is alive
                # (less those alive before the soak began, which are not this loop's)
                "tape_nodes_alive": _live_tape_nodes() - figures["tape_nodes_before"],
                "optimizer_states": len(opt.state),
            }
    figures["final_loss"] = float(loss.item())
    figures["final_loss_hex"] = loss.detach().numpy().tobytes().hex()
    if compiled:
        figures["captures"] = run.captures
    return figures


def run_in_child(style: str, steps: int = STEPS) -> dict:
    """Run one style's soak in a fresh process; its figures (raises with the child's error)."""
    code = (
        "import json, sys\n"
        "from duograd.benchmarks.workloads import soak\n"
        f"fig = soak.soak_{style}({steps}, {tuple(c for c in CHECKPOINTS if c <= steps)!r})\n"
        "print(json.dumps(fig))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ)
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or ["(no output)"]
        raise RuntimeError(f"soak_{style} failed: {lines[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(figures: dict) -> str:
    """One line: RSS after 1k and 10k steps, the peak, and the sizes that must not grow."""
    first, last = figures.get(str(CHECKPOINTS[0]), {}), figures.get(str(CHECKPOINTS[-1]), {})
    sizes = (
        f"nodes {figures.get('graph_nodes_before')}->{last.get('graph_nodes')}, "
        f"plans {last.get('cached_plans')}"
        if "graph_nodes_before" in figures
        else f"tape nodes alive {first.get('tape_nodes_alive')}->{last.get('tape_nodes_alive')}"
    )
    return (
        f"RSS {first.get('rss_mb')}->{last.get('rss_mb')} MB (peak {last.get('peak_rss_mb')}), "
        + sizes
    )


def _factory(style: str, case: Case):
    def build():
        def step():
            figures = run_in_child(style)
            figures["summary"] = summary(figures)
            if "captures" in figures:
                figures["summary"] += f", captures {figures['captures']}"
            eager = case.extra.get("eager")
            if style == "compiled" and eager:
                same = eager.get("final_loss_hex") == figures["final_loss_hex"]
                case.extra["parity"] = "compiled vs eager final loss: " + (
                    "bitwise"
                    if same
                    else f"differs ({eager['final_loss']} vs {figures['final_loss']})"
                )
            return figures

        return step

    return build


def cases(quick: bool) -> list[Case]:
    """One case: each style's 10,000-step soak in its own process."""
    case = Case(
        f"{STEPS:,} training steps: memory and sizes after 1k / 10k",
        {},
        parity=False,
        note="figures: RSS after 1k and 10k steps, peak RSS, graph nodes / plans, live tape; "
        "the graph program (tf.layers) starts from other weights, so only compiled vs eager "
        "is compared",
    )
    case.impls = {s: _factory(s, case) for s in ("graph", "eager", "compiled")}
    return [case]


WORKLOAD = Workload(
    "soak",
    "10k training steps per style: memory stays flat, graph and tape do not grow",
    cases,
    in_quick=False,
    timed=False,
)
