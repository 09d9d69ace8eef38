"""Programs that fail on one rank, for the fault tests: ``fault_program.py MODE`` under mpiexec.

raise: rank 1 raises before a collective; kill: rank 1 kills itself (SIGKILL); stall: rank 1
never joins the collective (rank 0 must time out); mismatch: rank 1 builds a wider layer.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np


def main(mode: str) -> None:
    """Run one failure mode."""
    import duograd.frontends.eager as torch

    dist = torch.distributed
    dist.init_process_group(backend="mpi")
    rank = dist.get_rank()
    if mode == "mismatch":
        width = 8 if rank == 0 else 9
        model = torch.nn.Sequential(torch.nn.Linear(4, width), torch.nn.Linear(width, 2))
        try:
            torch.nn.parallel.DistributedDataParallel(model)
        except ValueError as e:
            print(f"rank {rank} MISMATCH: {e}", flush=True)
            sys.exit(0)
        print(f"rank {rank} wrapped without error", flush=True)
        sys.exit(3)
    if rank == 1:
        if mode == "raise":
            raise ValueError("deliberate failure on rank 1")
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "stall":
            time.sleep(60)
            sys.exit(0)
    t = torch.tensor(np.ones(3, np.float32))
    dist.all_reduce(t)
    print(f"rank {rank} finished the allreduce", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
