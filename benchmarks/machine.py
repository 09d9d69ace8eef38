"""What the figures were measured on: machine, versions, thread counts."""

from __future__ import annotations

import os
import platform
import sys


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas() -> str | None:
    try:
        from threadpoolctl import threadpool_info  # optional

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            i = infos[0]
            return f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
    except Exception:
        pass
    return None


def describe(peer_versions: dict) -> dict:
    """A JSON-ready description of this machine and run."""
    import numba
    import numpy

    threads = {"numba": numba.get_num_threads(), "cpu_count": os.cpu_count()}
    try:
        import torch

        threads["torch"] = torch.get_num_threads()
    except Exception:
        pass
    from .cpu_path import describe as code_path

    return {
        "code_path": code_path(),
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "versions": {
            "numpy": numpy.__version__,
            "numba": numba.__version__,
            "blas": _blas(),
            **peer_versions,
        },
        "threads": threads,
    }
