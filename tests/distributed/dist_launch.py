"""Launching the distributed test programs under mpiexec (skipped when mpi4py is absent)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
LAUNCH_TIMEOUT = 240.0  # seconds for one mpiexec run (first runs compile kernels)


def mpirun(
    n: int, script: str, *args: str, env: dict | None = None, timeout: float = LAUNCH_TIMEOUT
):
    """Run tests/distributed/`script` in `n` processes; the CompletedProcess (text output)."""
    pytest.importorskip("mpi4py", reason="the optional extra `dist` (mpi4py, mpich) is absent")
    from duograd.core.distributed.launch import mpiexec_command

    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("DUOGRAD_DIST_TIMEOUT", "120")
    # the programs import their siblings, and run with the interpreter running the tests
    full_env["PYTHONPATH"] = os.pathsep.join([str(HERE), full_env.get("PYTHONPATH", "")])
    cmd = mpiexec_command(n, str(HERE / script), list(args))
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )
