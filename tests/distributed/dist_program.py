"""One small MLP trained data-parallel in both styles; run under mpiexec by the tests.

``python dist_program.py OUT.npz [eager|graph|both]`` under ``mpiexec -n N`` trains the same
model with DistributedDataParallel (eager) and Horovod's DistributedOptimizer (graph), and rank
0 saves every rank's final weights and losses. `accumulate` is the one-process reference: N
micro-batches per step, gradients accumulated in rank order, the sum divided by N once.
"""

from __future__ import annotations

import sys

import numpy as np

IN, HIDDEN, OUT, BATCH, STEPS, LR = 8, 16, 4, 6, 3, 0.1
N_SAMPLES = 64


def data() -> tuple[np.ndarray, np.ndarray]:
    """The whole dataset (every rank holds it; the sampler picks each rank's rows)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N_SAMPLES, IN)).astype(np.float32)
    y = rng.standard_normal((N_SAMPLES, OUT)).astype(np.float32)
    return x, y


def init_weights(seed: int, hidden: int = HIDDEN) -> list[np.ndarray]:
    """W1, b1, W2, b2 from `seed` (ranks start apart; the broadcast from rank 0 aligns them)."""
    rng = np.random.default_rng(seed)
    shapes = [(IN, hidden), (hidden,), (hidden, OUT), (OUT,)]
    return [(rng.standard_normal(s) * 0.5).astype(np.float32) for s in shapes]


def batches(n: int, rank: int) -> list[list[int]]:
    """Rank `rank`'s row indices for each step (a DistributedSampler's epoch, in batches)."""
    from duograd.core.distributed import shard_indices

    idx = shard_indices(N_SAMPLES, n, rank, shuffle=True, seed=3, epoch=1)
    return [idx[s * BATCH : (s + 1) * BATCH] for s in range(STEPS)]


def _eager_model(torch, weights):
    class MLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w1, self.b1, self.w2, self.b2 = (
                torch.nn.Parameter(torch.tensor(w)) for w in weights
            )

        def forward(self, x):
            return torch.relu(x @ self.w1 + self.b1) @ self.w2 + self.b2

    return MLP()


def _loss(d):
    return (d * d).mean()


def run_eager(n: int, rank: int, hidden: int = HIDDEN, bucket_mb: float = 0.0005) -> dict:
    """DistributedDataParallel training on this rank; final weights and per-step losses."""
    import duograd.frontends.eager as torch
    from duograd.frontends.eager.utils.data.distributed import DistributedSampler

    x, y = data()
    model = _eager_model(torch, init_weights(100 + rank, hidden))
    ddp = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=bucket_mb)
    opt = torch.optim.SGD(ddp.parameters(), lr=LR)
    sampler = DistributedSampler(list(range(N_SAMPLES)), shuffle=True, seed=3)
    sampler.set_epoch(1)
    idx = list(sampler)
    losses = []
    for s in range(STEPS):
        rows = idx[s * BATCH : (s + 1) * BATCH]
        opt.zero_grad()
        loss = _loss(ddp(torch.tensor(x[rows])) - torch.tensor(y[rows]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {
        "weights": [p.detach().numpy().copy() for p in model.parameters()],
        "losses": np.array(losses),
    }


def run_graph(n: int, rank: int) -> dict:
    """Horovod-style training on this rank, in a session; final weights and per-step losses."""
    import duograd.frontends.graph as tf
    import duograd.frontends.graph.horovod as hvd

    x, y = data()
    g = tf.Graph()
    with g.as_default():
        w = [tf.Variable(a) for a in init_weights(100 + rank)]
        xs = tf.placeholder(tf.float32, [None, IN])
        ys = tf.placeholder(tf.float32, [None, OUT])
        out = tf.matmul(tf.nn.relu(tf.matmul(xs, w[0]) + w[1]), w[2]) + w[3]
        d = out - ys
        loss = tf.reduce_mean(d * d)
        opt = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(LR), bucket_cap_bytes=600)
        train = opt.minimize(loss, var_list=w)
        hook = hvd.BroadcastGlobalVariablesHook(0)
        hook.begin()
        init = tf.global_variables_initializer()
    losses = []
    with tf.Session(graph=g) as sess:
        sess.run(init)
        hook.after_create_session(sess, None)
        for rows in batches(n, rank):
            lv, _ = sess.run([loss, train], {xs: x[rows], ys: y[rows]})
            losses.append(float(lv))
        weights = sess.run(w)
    return {"weights": [np.array(a) for a in weights], "losses": np.array(losses)}


def accumulate(n: int) -> dict:
    """One process: each step, N micro-batches (rank order), grads summed, divided by N once."""
    import duograd.frontends.eager as torch

    x, y = data()
    model = _eager_model(torch, init_weights(100))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    micro = [batches(n, r) for r in range(n)]
    for s in range(STEPS):
        opt.zero_grad()
        for r in range(n):
            rows = micro[r][s]
            _loss(model(torch.tensor(x[rows])) - torch.tensor(y[rows])).backward()
        with torch.no_grad():
            for p in model.parameters():
                p.grad.div_(n)
        opt.step()
    return {"weights": [p.detach().numpy().copy() for p in model.parameters()]}


def main(argv: list[str]) -> None:
    """Train in the styles asked for; rank 0 writes everyone's results to argv[0]."""
    import duograd.frontends.eager as torch

    out, which = argv[0], (argv[1] if len(argv) > 1 else "both")
    torch.distributed.init_process_group(backend="mpi")
    rank, n = torch.distributed.get_rank(), torch.distributed.get_world_size()
    mine: dict[str, np.ndarray] = {}
    if which in ("eager", "both"):
        r = run_eager(n, rank)
        mine.update({f"eager_w{i}": a for i, a in enumerate(r["weights"])})
        mine["eager_losses"] = r["losses"]
    if which in ("graph", "both"):
        r = run_graph(n, rank)
        mine.update({f"graph_w{i}": a for i, a in enumerate(r["weights"])})
        mine["graph_losses"] = r["losses"]
    from duograd.core import distributed as D

    everyone = D.gather_objects(mine)
    if rank == 0:
        np.savez(out, **{f"r{r}_{k}": v for r, d in enumerate(everyone) for k, v in d.items()})
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
