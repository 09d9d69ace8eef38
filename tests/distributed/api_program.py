"""The torch.distributed collectives and DDP's no_sync under mpiexec; rank 0 prints 'OK'."""

from __future__ import annotations

import numpy as np


def main() -> None:
    """Check each collective's result on every rank; raise (aborting the job) on a mismatch."""
    import duograd.frontends.eager as torch
    from duograd.core import distributed as D

    dist = torch.distributed
    dist.init_process_group(backend="mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    t = torch.tensor([float(r + 1), 2.0 * r])
    dist.all_reduce(t)
    expect = np.array([sum(range(1, n + 1)), 2.0 * sum(range(n))], np.float32)
    assert np.array_equal(t.numpy(), expect), (t, expect)
    t = torch.tensor([float(r + 1)])
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert np.array_equal(t.numpy(), np.float32([sum(range(1, n + 1))]) / np.float32(n))
    b = torch.tensor([float(r), float(r)])
    dist.broadcast(b, src=n - 1)
    assert np.array_equal(b.numpy(), np.float32([n - 1, n - 1]))
    out = [torch.zeros(2) for _ in range(n)]
    dist.all_gather(out, torch.tensor([float(r), 1.0]))
    assert [o.numpy()[0] for o in out] == [float(i) for i in range(n)]
    objs: list = []
    dist.all_gather_object(objs, {"rank": r})
    assert objs == [{"rank": i} for i in range(n)]
    dist.barrier()

    # no_sync: two local micro-batches, then one synced; equals the average of all the
    # ranks' accumulated gradients (sum in rank order, divided by n)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    xs = [torch.tensor(np.full((2, 3), r + k, np.float32)) for k in range(2)]
    with ddp.no_sync():
        ddp(xs[0]).sum().backward()
    ddp(xs[1]).sum().backward()
    # every rank's accumulated gradient, gathered, reduced in rank order by hand
    m2 = torch.nn.Linear(3, 2)
    m2.load_state_dict(model.state_dict())
    m2(xs[0]).sum().backward()
    m2(xs[1]).sum().backward()
    mine = m2.weight.grad.numpy()
    # inside no_sync the first backward stayed local: same as m2's first gradient
    allg = D.allgather(mine)
    want = D.collectives.rank_order_sum(allg, "mean")
    assert np.array_equal(model.weight.grad.numpy(), want), (model.weight.grad, want)
    dist.destroy_process_group()
    if r == 0:
        print("OK", flush=True)


if __name__ == "__main__":
    main()
