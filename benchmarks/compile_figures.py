"""Compiled vs eager vs graph figures quoted in the README ("Compiling eager code").

Run: ``python -m duograd.benchmarks.compile_figures [rounds]``. The three programs of each
workload are built once, checked (compiled against eager bitwise), warmed up, then timed in
interleaved rounds (eager, compiled, graph, eager, ...) in one process; each cell is the median
over rounds of the wall time per call and of the CPU time per call (``time.process_time``, all
threads), the latter being less sensitive to a loaded machine.
"""

from __future__ import annotations

import statistics
import sys
import time

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np

RNG = np.random.default_rng(0)


def _chain_eager(x):
    y = x * 1.5
    y = y + 0.5
    y = torch.tanh(y)
    y = y * y
    y = y - 0.25
    y = torch.sigmoid(y)
    y = y * 2.0
    return torch.exp(y)


def chain8() -> dict:
    """The 8-op elementwise chain on 1e6 float32."""
    a = RNG.standard_normal(1_000_000).astype(np.float32)
    big = torch.tensor(a)
    compiled = torch.compile(_chain_eager)
    assert compiled(big).numpy().tobytes() == _chain_eager(big).numpy().tobytes()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.exp(tf.sigmoid(tf.square(tf.tanh(x * 1.5 + 0.5)) - 0.25) * 2.0)
    sess = tf.Session(graph=g)
    return {
        "eager": lambda: _chain_eager(big),
        "compiled": lambda: compiled(big),
        "graph": lambda: sess.run(y, {x: a}),
    }


def _ten_ops(x, w, b):
    y = x * w
    y = y + b
    y = torch.tanh(y)
    y = y - x
    y = y * y
    y = torch.sigmoid(y)
    y = y + w
    y = torch.matmul(y, w)
    y = torch.exp(y * 0.1)
    return y / b


def fwdgrad4x4() -> dict:
    """10 ops forward and the gradients of their sum, on 4x4 tensors."""
    xa, wa, ba = (RNG.standard_normal((4, 4)).astype(np.float32) for _ in range(3))
    ba = np.abs(ba) + 1
    b = torch.tensor(ba)

    def eager_step(fn):
        x = torch.tensor(xa, requires_grad=True)
        w = torch.tensor(wa, requires_grad=True)

        def step():
            x.grad = None
            w.grad = None
            fn(x, w, b).sum().backward()
            return x.grad, w.grad

        return step

    e, c = eager_step(_ten_ops), eager_step(torch.compile(_ten_ops))
    c()
    assert [t.numpy().tobytes() for t in e()] == [t.numpy().tobytes() for t in c()]
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [4, 4])
        w = tf.placeholder(tf.float32, [4, 4])
        bb = tf.constant(ba)
        y = x * w + bb
        y = tf.sigmoid(tf.square(tf.tanh(y) - x)) + w
        y = tf.exp(tf.matmul(y, w) * 0.1) / bb
        grads = tf.gradients(tf.reduce_sum(y), [x, w])
    sess = tf.Session(graph=g)
    feed = {x: xa, w: wa}
    return {"eager": e, "compiled": c, "graph": lambda: sess.run(grads, feed)}


def _mlp_eager(compiled: bool):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    lossf = nn.CrossEntropyLoss()
    tx = torch.tensor(RNG.standard_normal((64, 784)).astype(np.float32))
    ty = torch.tensor(RNG.integers(0, 10, 64))

    def step(x, y):
        opt.zero_grad()
        loss = lossf(model(x), y)
        loss.backward()
        opt.step()
        return loss

    s = torch.compile(step) if compiled else step
    return lambda: s(tx, ty)


def mlp_step() -> dict:
    """An MLP 784-256-10 SGD training step at batch 64."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 784])
        y = tf.placeholder(tf.int64, [None])
        h = tf.layers.dense(x, 256, activation=tf.nn.relu)
        logits = tf.layers.dense(h, 10)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    feed = {
        x: RNG.standard_normal((64, 784)).astype(np.float32),
        y: RNG.integers(0, 10, 64),
    }
    return {
        "eager": _mlp_eager(False),
        "compiled": _mlp_eager(True),
        "graph": lambda: sess.run(train, feed),
    }


def whole_step_against_calls(opt_name: str) -> dict:
    """The compiled MLP step (b64) as one plan ending in its update node, and the same capture
    replayed as its calls (the forward-and-backward plan, then ``opt.step()``)."""
    from duograd.frontends.eager.capture_step import TrainStep

    nn = torch.nn
    tx = torch.tensor(RNG.standard_normal((64, 784)).astype(np.float32))
    ty = torch.tensor(RNG.integers(0, 10, 64))

    def build(whole: bool):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        params = model.parameters()
        opt = torch.optim.SGD(params, lr=0.05) if opt_name == "SGD" else torch.optim.Adam(params)
        lossf = nn.CrossEntropyLoss()

        def step(x, y):
            opt.zero_grad()
            loss = lossf(model(x), y)
            loss.backward()
            opt.step()
            return loss

        compiled = torch.compile(step)
        compiled(tx, ty)
        (entry,) = compiled.cache.values()
        (ts,) = [s for s in entry.programs[0].steps if type(s) is TrainStep]
        if not whole:
            ts._whole = lambda ins: False  # every replay takes the calls
        return lambda: compiled(tx, ty)

    return {"calls": build(False), "one plan": build(True)}


def first_capture_s() -> float:
    """Seconds of the first compiled call of the MLP step (capture and plans; kernels cached,
    as an identical step was compiled before in this process)."""
    step = _mlp_eager(True)
    t = time.perf_counter()
    step()
    return time.perf_counter() - t


def measure(progs: dict, rounds: int, target_s: float = 0.05) -> dict:
    """{name: (median wall s, median CPU s)} per call, over interleaved rounds."""
    numbers = {}
    for name, f in progs.items():
        for _ in range(3):
            f()
        n, t0 = 1, time.perf_counter()
        f()
        one = max(time.perf_counter() - t0, 1e-7)
        numbers[name] = max(1, int(target_s / one))
    walls: dict = {k: [] for k in progs}
    cpus: dict = {k: [] for k in progs}
    for _ in range(rounds):
        for name, f in progs.items():
            n = numbers[name]
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(n):
                f()
            walls[name].append((time.perf_counter() - w0) / n)
            cpus[name].append((time.process_time() - c0) / n)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in progs}


def small_bench_cases(names: tuple = ("overhead", "seed", "session")) -> None:
    """The bench's small workloads: eager, compiled and graph per case, CPU time per call."""
    from .workloads import overhead, seed, session

    mods = {"overhead": overhead, "seed": seed, "session": session}
    for name in names:
        for case in mods[name].WORKLOAD.cases(True):
            progs = {c: case.impls[c]() for c in ("eager", "compiled", "graph") if c in case.impls}
            r = measure(progs, 7, target_s=0.02)
            cells = ", ".join(f"{c} {_fmt(r[c][1])}" for c in progs)
            ratio = ""
            if "graph" in r:
                ratio = f"; compiled/graph {r['compiled'][1] / r['graph'][1]:.2f}x"
            print(f"  {name}: {case.name}: cpu {cells}{ratio}")


def _fmt(s: float) -> str:
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    argv = sys.argv[1:] if argv is None else argv
    rounds = int(argv[0]) if argv else 9
    goals = {"8-op chain 1e6": 0.5, "10-op fwd+grad 4x4": 0.5, "MLP step b64": 0.85}
    for label, build in (
        ("8-op chain 1e6", chain8),
        ("10-op fwd+grad 4x4", fwdgrad4x4),
        ("MLP step b64", mlp_step),
    ):
        r = measure(build(), rounds)
        (ew, ec), (cw, cc), (gw, gc) = r["eager"], r["compiled"], r["graph"]
        print(
            f"{label}: wall eager {_fmt(ew)}, compiled {_fmt(cw)}, graph {_fmt(gw)}; "
            f"cpu eager {_fmt(ec)}, compiled {_fmt(cc)}, graph {_fmt(gc)}"
        )
        print(
            f"  compiled/eager wall {cw / ew:.2f}x cpu {cc / ec:.2f}x (goal <= {goals[label]}x); "
            f"compiled/graph wall {cw / gw:.2f}x cpu {cc / gc:.2f}x (goal <= 1.05x)"
        )
    print(f"MLP step first compiled call (capture + plans): {first_capture_s() * 1e3:.1f} ms")
    for opt_name in ("SGD", "Adam"):
        r = measure(whole_step_against_calls(opt_name), rounds)
        (_, calls), (_, whole) = r["calls"], r["one plan"]
        print(
            f"MLP step b64 {opt_name}, cpu: one plan {_fmt(whole)}, its calls {_fmt(calls)} "
            f"({whole / calls:.2f}x)"
        )
    print("small bench workloads (CPU time per call, interleaved):")
    small_bench_cases()


if __name__ == "__main__":
    main()
