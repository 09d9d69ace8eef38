"""Threads and processes: one session or model used from many threads, one cache by two compilers.

- `Session.run` from 8 threads with different feeds: every thread gets exactly the result a
  single thread gets (inputs large enough that the parallel kernels run).
- Concurrent training steps on one session: state is never torn: each variable always holds
  the value after a whole number of steps (tests/edges/test_no_lost_updates.py shows that no
  step is lost either).
- Eager forward passes (and `autograd.grad`) from several threads give single-thread results.
- Parallel kernels launched from several threads at once are safe on the threading layer numba
  uses here, and on the workqueue layer (which aborts the process on concurrent launches unless
  duograd serialises them).
- Two processes compiling into one empty kernel cache at once both succeed, agree, and leave a
  cache a third process loads without compiling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
from duograd.core.kernels import threads as kthreads


def _run_threads(n: int, target) -> list:
    """Run target(i) in n threads started together; return their results, re-raising errors."""
    results: list = [None] * n
    errors: list = []
    barrier = threading.Barrier(n)

    def body(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - handed back to the test thread
            errors.append(e)

    ts = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_session_run_from_eight_threads_with_different_feeds(parallel_threads):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 256], name="x")
        w = tf.Variable(np.random.default_rng(0).standard_normal((256, 512)).astype(np.float32))
        h = tf.tanh(tf.matmul(x, w))  # 512 x 512 outputs: the parallel elementwise path
        y = tf.nn.softmax(h)
        total = tf.reduce_sum(h * h)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    feeds = [
        np.random.default_rng(10 + i).standard_normal((512, 256)).astype(np.float32)
        for i in range(8)
    ]
    expected = [sess.run([y, total], {x: f}) for f in feeds]

    def work(i):
        out = []
        for _ in range(3):
            out.append(sess.run([y, total], {x: feeds[i]}))
        return out

    for i, runs in enumerate(_run_threads(8, work)):
        for got in runs:
            assert got[0].tobytes() == expected[i][0].tobytes()
            assert got[1].tobytes() == expected[i][1].tobytes()


def test_concurrent_training_steps_never_tear_state(parallel_threads):
    g = tf.Graph()
    c = np.linspace(-1, 1, 4096).astype(np.float32).reshape(64, 64)
    with g.as_default():
        w = tf.Variable(np.ones((64, 64), np.float32), name="W")
        step = tf.train.create_global_step()
        loss = tf.reduce_sum(w * c)  # the gradient is c whatever W is
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    threads, steps = 4, 25

    _run_threads(threads, lambda i: [sess.run(train) for _ in range(steps)])
    final = sess.run(w)
    k = int(sess.run(step))
    assert 1 <= k <= threads * steps
    # the values after exactly 0..N whole steps, computed one step at a time in float32
    delta = np.float32(0.5) * c
    history = [np.ones((64, 64), np.float32)]
    for _ in range(threads * steps):
        history.append(history[-1] - delta)
    matches = [i for i, h in enumerate(history) if h.tobytes() == final.tobytes()]
    assert matches, "W holds a mixture of different steps (a torn update)"


def test_eager_forward_and_grad_from_several_threads(parallel_threads):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(128, 256), torch.nn.Tanh(), torch.nn.Linear(256, 10)
    )
    inputs = [torch.randn(600, 128) for _ in range(6)]

    def compute(i):
        out = model(inputs[i])
        loss = torch.nn.functional.cross_entropy(out, torch.zeros(600, dtype=torch.int64))
        grads = torch.autograd.grad(loss, list(model.parameters()))
        with torch.no_grad():  # grad mode is per thread: the others keep recording
            plain = model(inputs[i])
        return [out.detach().numpy(), plain.numpy()] + [g.numpy() for g in grads]

    expected = [compute(i) for i in range(6)]
    for i, got in enumerate(_run_threads(6, compute)):
        for a, b in zip(got, expected[i], strict=True):
            assert a.tobytes() == b.tobytes()


_PARALLEL_SCRIPT = textwrap.dedent(
    """
    import json, threading
    import numba
    import numpy as np
    import duograd.frontends.eager as torch
    from duograd.core.kernels import threads, update

    x = torch.tensor(np.random.default_rng(0).standard_normal((700, 700)).astype(np.float32))
    def compute():
        p = np.ones(1 << 19, np.float32)
        update.sgd_(p, np.full(1 << 19, 0.5, np.float32), 0.1, 0.0)
        return [torch.exp(x).sum(1).numpy(), torch.softmax(x, 1).numpy(), x.sum(0).numpy(), p]
    expected = compute()
    bad = []
    def work():
        for _ in range(6):
            got = compute()
            if not all(a.tobytes() == b.tobytes() for a, b in zip(got, expected)):
                bad.append(1)
    ts = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]

    @numba.njit(parallel=True)
    def thread_of_each_iteration(n):
        out = np.empty(n, np.int64)
        for i in numba.prange(n):
            out[i] = numba.get_thread_id()
        return out

    print(json.dumps({"layer": numba.threading_layer(), "serialised":
                      threads.needs_serialising(), "bad": len(bad),
                      "threads": int(np.unique(thread_of_each_iteration(256)).size)}))
    """
)


def _run_parallel_child(layer: str | None) -> dict:
    env = dict(os.environ)
    env.pop("NUMBA_THREADING_LAYER", None)
    # a fixed two threads, whatever else keeps the machine busy (core/kernels/cpu_share.py)
    env.update(DUOGRAD_ADAPTIVE_THREADS="0", NUMBA_NUM_THREADS="2")
    if layer:
        env["NUMBA_THREADING_LAYER"] = layer
    proc = subprocess.run(
        [sys.executable, "-c", _PARALLEL_SCRIPT], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_parallel_kernels_from_several_threads_on_the_default_layer():
    out = _run_parallel_child(None)
    assert out["bad"] == 0 and out["threads"] == 2
    # the layer numba picked here accepts concurrent launches, so nothing is serialised
    assert out["layer"] in ("tbb", "omp") or out["serialised"]


def test_parallel_kernels_from_several_threads_on_the_workqueue_layer():
    # workqueue aborts the process on concurrent launches; duograd makes its kernels take turns
    out = _run_parallel_child("workqueue")
    assert out == {"layer": "workqueue", "serialised": True, "bad": 0, "threads": 2}


def test_the_layer_prediction_matches_what_numba_uses():
    torch.exp(torch.ones(1 << 18))  # a parallel launch: numba has now chosen its layer
    import numba

    assert kthreads.layer() == numba.threading_layer()
    assert kthreads.needs_serialising() == (numba.threading_layer() == "workqueue")


_COMPILE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import duograd.frontends.eager as torch
    from duograd.core.kernels import softmax

    x = torch.tensor(np.linspace(-3, 3, 60, dtype=np.float32).reshape(6, 10))
    y = torch.softmax(torch.exp(x) * 0.5 - x, 1).sum(0)
    stats = softmax._fwd_serial.stats
    print(json.dumps({"y": y.numpy().tolist(), "hits": sum(stats.cache_hits.values()),
                      "misses": sum(stats.cache_misses.values())}))
    """
)


def _compile_child(cache: str) -> subprocess.Popen:
    env = dict(os.environ, DUOGRAD_CACHE_DIR=cache, NUMBA_CACHE_DIR=os.path.join(cache, "numba"))
    return subprocess.Popen(
        [sys.executable, "-c", _COMPILE_SCRIPT],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_compiling_into_one_empty_cache(tmp_path):
    cache = str(tmp_path / "cache")
    a, b = _compile_child(cache), _compile_child(cache)  # both start on an empty cache
    outs = []
    for p in (a, b):
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr[-2000:]
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    assert outs[0]["y"] == outs[1]["y"]
    assert outs[0]["misses"] + outs[1]["misses"] >= 1  # at least one of them compiled
    # a third process finds a usable cache: the same numbers, loaded rather than compiled
    c = _compile_child(cache)
    stdout, stderr = c.communicate(timeout=600)
    assert c.returncode == 0, stderr[-2000:]
    third = json.loads(stdout.strip().splitlines()[-1])
    assert third["y"] == outs[0]["y"]
    assert third["hits"] >= 1 and third["misses"] == 0
    generated = [n for n in os.listdir(cache) if n.startswith("dg_") and n.endswith(".py")]
    assert generated, "the generated elementwise kernels were not written to the cache"
