"""Timed inside each process of an mpiexec run, for the `distributed` workload; rank 0 prints JSON.

``python dist_child.py step STYLE MODEL BATCH`` times a data-parallel training step (STYLE eager,
compiled = the eager step under torch.compile, graph, or torch = real PyTorch DDP over gloo);
``python dist_child.py allreduce MB TENSORS`` times duograd's bucketed gradient allreduce
against a bare mpi4py ``Allreduce`` of the same bytes. Every process runs one thread, so N
processes use N cores.
"""

from __future__ import annotations

import json
import os
import sys
import time

# run as a script, this folder would come first on the path and its coverage.py would shadow
# the coverage package numba imports
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import numpy as np  # noqa: E402

WARMUP, ROUNDS = 3, 15


def _comm():
    from mpi4py import MPI

    return MPI.COMM_WORLD


def _median_step(step, comm) -> float:
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(ROUNDS):
        comm.Barrier()
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    # the slowest rank sets the pace of a synchronous step
    return float(comm.allreduce(float(np.median(times)), op=_max()))


def _max():
    from mpi4py import MPI

    return MPI.MAX


def _data(model: str, batch: int, rank: int):
    rng = np.random.default_rng(rank)
    if model == "mlp":
        x = rng.standard_normal((batch, 784)).astype(np.float32)
    else:
        x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    return x, rng.integers(0, 10, batch).astype(np.int64)


def _eager_step(lib, model: str, batch: int, rank: int, ddp_kwargs: dict):
    nn = lib.nn
    lib.manual_seed(0)
    if model == "mlp":
        net = nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
        )
    else:
        net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
        )  # fmt: skip
    ddp = nn.parallel.DistributedDataParallel(net, **ddp_kwargs)
    opt = lib.optim.SGD(ddp.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x, y = _data(model, batch, rank)
    if model == "mlp" or lib.__name__ == "torch":
        xt, yt = lib.from_numpy(x), lib.from_numpy(y)
    else:
        xt, yt = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(ddp(xt), yt)
        loss.backward()
        opt.step()

    return step


def _graph_step(model: str, batch: int, rank: int):
    import duograd.frontends.graph as tf
    import duograd.frontends.graph.horovod as hvd

    hvd.init()
    tf.set_random_seed(0)
    x, y = _data(model, batch, rank)
    g = tf.Graph()
    with g.as_default():
        if model == "mlp":
            xs = tf.placeholder(tf.float32, [None, 784])
            h = tf.layers.dense(xs, 512, activation=tf.nn.relu)
            h = tf.layers.dense(h, 512, activation=tf.nn.relu)
        else:
            x = x.transpose(0, 2, 3, 1).copy()
            xs = tf.placeholder(tf.float32, [None, 28, 28, 1])
            h = tf.layers.conv2d(xs, 16, 3, padding="same", activation=tf.nn.relu)
            h = tf.layers.max_pooling2d(h, 2, 2)
            h = tf.layers.conv2d(h, 32, 3, padding="same", activation=tf.nn.relu)
            h = tf.layers.max_pooling2d(h, 2, 2)
            h = tf.layers.flatten(h)
        logits = tf.layers.dense(h, 10)
        ys = tf.placeholder(tf.int64, [None])
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ys, logits=logits)
        )
        train = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.01)).minimize(loss)
        init = tf.global_variables_initializer()
        bcast = hvd.broadcast_global_variables(0)
    sess = tf.Session(graph=g)
    sess.run(init)
    sess.run(bcast)
    feed = {xs: x, ys: y}
    return lambda: sess.run(train, feed)


def step_mode(style: str, model: str, batch: int) -> dict:
    """Median seconds of one synchronous training step."""
    comm = _comm()
    rank = comm.Get_rank()
    if style == "torch":
        import torch
        import torch.distributed as tdist

        torch.set_num_threads(1)
        tdist.init_process_group(
            "gloo",
            init_method=f"tcp://127.0.0.1:{os.environ.get('DUOGRAD_BENCH_PORT', '29533')}",
            rank=rank,
            world_size=comm.Get_size(),
        )
        step = _eager_step(torch, model, batch, rank, {})
    elif style in ("eager", "compiled"):
        import duograd.frontends.eager as dtorch

        dtorch.distributed.init_process_group(backend="mpi")
        step = _eager_step(dtorch, model, batch, rank, {})
        if style == "compiled":
            step = dtorch.compile(step)
    else:
        step = _graph_step(model, batch, rank)
    return {"step_s": _median_step(step, comm)}


def allreduce_mode(mb: float, tensors: int) -> dict:
    """Seconds per reduction: duograd's bucketed path vs a bare mpi4py Allreduce (same bytes)."""
    from duograd.core import distributed as D
    from mpi4py import MPI

    comm = _comm()
    D.init(comm)
    n = int(mb * 1024 * 1024 / 4)
    per = n // tensors
    shapes = [(per,)] * tensors
    grads = [
        np.random.default_rng(i).standard_normal(per).astype(np.float32) for i in range(tensors)
    ]
    buckets = D.GradBuckets(shapes, [np.float32] * tensors, cap_bytes=4 * 1024 * 1024)
    flat = np.concatenate(grads)
    out = np.empty_like(flat)
    ours = _median_step(lambda: buckets.reduce(grads, inplace=True), comm)
    bare = _median_step(lambda: comm.Allreduce(flat, out, op=MPI.SUM), comm)
    return {"ours_s": ours, "bare_s": bare, "bytes": int(flat.nbytes)}


def main(argv: list[str]) -> None:
    """Dispatch on the mode; rank 0 prints one JSON line."""
    if argv[0] == "step":
        res = step_mode(argv[1], argv[2], int(argv[3]))
    else:
        res = allreduce_mode(float(argv[1]), int(argv[2]))
    if _comm().Get_rank() == 0:
        print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
