"""Data-parallel training at 1 and 2 processes (scaling), and the gradient allreduce's bandwidth.

Each figure comes from an mpiexec run of `benchmarks/dist_child.py`, every process on one
thread: a training step's median time at 1 and 2 processes with the same batch per process
(scaling efficiency = t1 / t2, 1.0 is perfect), for duograd's two styles and real PyTorch's
DistributedDataParallel over gloo; and duograd's bucketed, rank-ordered allreduce against a bare
mpi4py ``Allreduce`` (MPI's own sum) of the same bytes. Needs the optional extra ``dist``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .. import peers
from ..workload import Case, Workload

CHILD = str(Path(__file__).resolve().parents[1] / "dist_child.py")
GOAL_SCALING, GOAL_BANDWIDTH = 0.8, 0.8
_ONE_THREAD = {
    "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1", "DUOGRAD_NUM_THREADS": "1",
}  # fmt: skip


def _child(n: int, *args: str) -> dict:
    from ...core.distributed.launch import mpiexec_command

    env = dict(os.environ, **_ONE_THREAD)
    out = subprocess.run(
        mpiexec_command(n, CHILD, args), capture_output=True, text=True, env=env, timeout=900
    )
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
    raise RuntimeError(f"mpiexec -n {n} {' '.join(args)} failed: {' | '.join(tail)}")


def _scaling(style: str, model: str, batch: int):
    def build():
        def step():
            t1 = _child(1, "step", style, model, str(batch))["step_s"]
            t2 = _child(2, "step", style, model, str(batch))["step_s"]
            eff = t1 / t2
            goal = f" (goal >= {GOAL_SCALING})" if model == "mlp" and style != "torch" else ""
            return {
                "t1_ms": round(t1 * 1e3, 3),
                "t2_ms": round(t2 * 1e3, 3),
                "efficiency": round(eff, 3),
                "summary": f"1p {t1 * 1e3:.2f} ms, 2p {t2 * 1e3:.2f} ms, eff {eff:.2f}{goal}",
            }

        return step

    return build


def _bandwidth(mb: float, tensors: int):
    def build():
        def step():
            r = _child(2, "allreduce", str(mb), str(tensors))
            ratio = r["bare_s"] / r["ours_s"]
            gbs = r["bytes"] / r["ours_s"] / 1e9
            return {
                **r,
                "ratio_vs_mpi4py": round(ratio, 3),
                "summary": (
                    f"ours {r['ours_s'] * 1e3:.1f} ms ({gbs:.2f} GB/s), bare mpi4py "
                    f"{r['bare_s'] * 1e3:.1f} ms: {ratio:.2f}x (goal >= {GOAL_BANDWIDTH})"
                ),
            }

        return step

    return build


def cases(quick: bool) -> list[Case]:
    """MLP (batch 512 per rank) and CNN (batch 64 per rank) steps; allreduce of 16 MB."""
    from ...core.distributed.launch import find_mpiexec

    find_mpiexec()  # a clear error when the extra is missing
    out = []
    for model, batch in (("mlp", 512), ("cnn", 64)):
        impls = {style: _scaling(style, model, batch) for style in ("eager", "compiled", "graph")}
        if peers._cache.get("torch") is not None:
            impls["torch"] = _scaling("torch", model, batch)
        out.append(
            Case(
                f"{model.upper()} step, batch {batch} per process: 1 vs 2 processes",
                impls,
                parity=False,
                note="scaling efficiency t1/t2, one thread per process; torch = DDP over gloo; "
                "compiled = the eager step under torch.compile",
            )
        )
    out.append(
        Case(
            "gradient allreduce, 16 MB in 64 tensors, 2 processes",
            {"eager": _bandwidth(16.0, 64)},
            parity=False,
            absent={
                "compiled": "times the allreduce call itself: no model program to compile",
                "graph": "the graph style's allreduce is the same core call as eager's",
            },
            note="duograd's bucketed rank-order allreduce vs a bare mpi4py Allreduce (same bytes)",
        )
    )
    return out


WORKLOAD = Workload(
    "distributed",
    "data-parallel steps at 1 and 2 processes, allreduce bandwidth vs bare mpi4py",
    cases,
    in_quick=False,
    timed=False,
)
