"""Data-parallel MLP training in the PyTorch style: `mpiexec -n 2 python distributed_mlp_eager.py`.

torch.distributed over MPI, DistributedDataParallel (rank 0's weights at wrap, gradients averaged
in backward) and DistributedSampler (each rank reads its own share). Every rank reads the
whole dataset from the same file/generator and keeps the rows its sampler gives it. The final
line's checksum is the same as distributed_mlp_graph.py's for the same number of processes.
"""

import hashlib

import _common
import duograd.frontends.eager as torch
from _progress import Progress
from duograd.frontends.eager.utils.data import DataLoader, TensorDataset
from duograd.frontends.eager.utils.data.distributed import DistributedSampler

SIZES = (4, 32, 3)
BATCH = 32  # per rank


def main() -> None:
    """Train; rank 0 prints the losses and a checksum of the final weights."""
    args = _common.parse(__doc__.splitlines()[0], steps=60)
    if not torch.distributed.is_mpi_available():
        print("skipped: needs mpi4py and an MPI library (pip install 'duograd[dist]')")
        return
    torch.distributed.init_process_group(backend="mpi")
    rank, size = torch.distributed.get_rank(), torch.distributed.get_world_size()
    x, y = _common.blobs()
    nn = torch.nn
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]))
    with torch.no_grad():
        for p, v in zip(model.parameters(), _common.mlp_init(SIZES), strict=True):
            p.copy_(torch.from_numpy(v))
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    sampler = DistributedSampler(data, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=BATCH, sampler=sampler, drop_last=True)
    step, epoch = 0, 0
    progress = Progress(args.steps, rank != 0 or args.quiet)  # rank 0 reports
    while step < args.steps:
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(ddp(xb), yb)
            loss.backward()
            opt.step()
            progress.update(step, loss.item())
            step += 1
            if step == args.steps:
                break
        epoch += 1
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters()))
    if rank == 0:
        print(f"{size} process(es), {step} steps: weights sha256 {digest.hexdigest()[:16]}")
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
