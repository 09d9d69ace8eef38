"""Find `mpiexec` and start N copies of a Python script under it (``duograd run -n N``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence


def find_mpiexec() -> str:
    """The mpiexec next to this interpreter (the mpich wheel installs it there), else on PATH."""
    candidates = [
        os.path.join(os.path.dirname(sys.executable), "mpiexec"),
        os.path.join(sysconfig.get_path("scripts"), "mpiexec"),
        os.path.join(sys.base_prefix, "bin", "mpiexec"),
    ]
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found:
        return found
    raise FileNotFoundError(
        "mpiexec was not found next to this Python or on PATH: install the optional extra "
        "`pip install duograd[dist]` (mpi4py and mpich) or an MPI library"
    )


def mpiexec_command(
    n: int, script: str, args: Sequence[str] = (), mpi_args: Sequence[str] = ()
) -> list[str]:
    """The command running `script` with this interpreter in `n` processes."""
    if n < 1:
        raise ValueError(f"run: the number of processes must be at least 1, got {n}")
    return [find_mpiexec(), "-n", str(n), *mpi_args, sys.executable, script, *args]


def run(
    n: int,
    script: str,
    args: Sequence[str] = (),
    mpi_args: Sequence[str] = (),
    timeout: float | None = None,
) -> int:
    """Run `script` in `n` processes under mpiexec; its exit status."""
    cmd = mpiexec_command(n, script, args, mpi_args)
    return subprocess.run(cmd, timeout=timeout, check=False).returncode
