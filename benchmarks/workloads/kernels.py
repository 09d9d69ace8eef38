"""duograd's kernels against what a user would otherwise call: numpy (BLAS) and torch.

Ratios in this workload are taken against numpy's time (below 1 is faster than numpy). The
fused chain relu(a * b + c) is timed against two STREAM-like loops on arrays of its size: the
triad a = b + s * c (3 arrays; the chain moves 4, so 4/3 of the triad's time is a bound) and a
4-array triad d = a + s * c + b, which moves exactly the chain's bytes and is the chain's ratio
baseline: on this machine a loop over 4 arrays streams slower per array than one over 3.
"""

from __future__ import annotations

import numba
import numpy as np

from ...core.kernels import elementwise as ew
from ...core.kernels.matmul import matmul
from .. import peers
from ..programs import data
from ..workload import Case, Workload

# OpenBLAS (numpy's BLAS) and OpenMP peers spin their worker threads for up to ~0.1 s after a
# call; timed right after, the next column would share the cores with them
SETTLE_S = 0.15
_RAW = "raw core kernels against numpy: there is no program in either style to run or compile"
NO_PROGRAM = {"graph": _RAW, "eager": _RAW, "compiled": _RAW}


@numba.njit(cache=True, parallel=True)
def _triad(a, b, c, s):
    for i in numba.prange(a.size):
        a[i] = b[i] + s * c[i]


@numba.njit(cache=True, parallel=True)
def _triad4(d, a, b, c, s):
    for i in numba.prange(a.size):
        d[i] = a[i] + s * c[i] + b[i]


def _matmul_case(m, k, n, dtype, ta=False, tb=False, label=None):
    a, b = data(m + k + n, (k, m) if ta else (m, k), (n, k) if tb else (k, n), dtype=dtype)
    na = a.T if ta else a
    nb = b.T if tb else b
    cols = {
        "duograd": lambda: lambda: matmul(a, b, ta, tb),
        "numpy": lambda: lambda: np.matmul(na, nb),
    }
    torch = peers._cache.get("torch")
    if torch is not None:
        ta_, tbb = torch.from_numpy(a), torch.from_numpy(b)
        cols["torch"] = lambda: lambda: torch.matmul(ta_.T if ta else ta_, tbb.T if tb else tbb)
    name = label or f"matmul {np.dtype(dtype).name} n={m}"
    return Case(
        name,
        cols,
        flops=2.0 * m * k * n,
        parity=False,
        baseline="numpy",
        settle_s=SETTLE_S,
        absent=NO_PROGRAM,
    )


def _binary_case(n):
    a, b = data(n, (n,), (n,))
    out = np.empty_like(a)
    cols = {
        "duograd": lambda: lambda: ew.binary("add", a, b),
        "numpy": lambda: lambda: np.add(a, b),
        "duograd (out=)": lambda: lambda: ew.binary("add", a, b, out=out),
        "numpy (out=)": lambda: lambda: np.add(a, b, out=out),
    }
    return Case(
        f"add fp32 n={n:.0e}",
        cols,
        parity=False,
        baseline="numpy",
        settle_s=SETTLE_S,
        absent=NO_PROGRAM,
    )


def _chain_case(n):
    a, b, c = data(n + 1, (n,), (n,), (n,))
    out = np.empty_like(a)
    fused = ew.compile_elementwise(
        (("mul", 0, 1), ("add", -1, 2), ("relu", -1)), (a.dtype, a.dtype, a.dtype)
    )
    s = np.float32(0.5)

    def triad():
        _triad(out, b, c, s)

    def triad4():
        _triad4(out, a, b, c, s)

    cols = {
        "duograd fused": lambda: lambda: fused(a, b, c, out=out),
        "numpy": lambda: lambda: np.maximum(np.add(np.multiply(a, b), c), 0),
        "triad": lambda: triad,
        "triad4": lambda: triad4,
    }
    return Case(
        f"fused relu(a*b+c) n={n:.0e}",
        cols,
        parity=False,
        baseline="triad4",
        note="ratios vs the 4-array triad (the chain's bytes); 4/3 x the 3-array triad's time "
        "is the other bound",
        settle_s=SETTLE_S,
        absent=NO_PROGRAM,
    )


def cases(quick: bool) -> list[Case]:
    """matmul (square and the MLP's shapes), a binary op and a fused chain at memory speed."""
    out = []
    sizes = (128, 512, 1024) if quick else (128, 256, 512, 1024, 2048)
    for dt in (np.float32, np.float64):
        for n in sizes:
            out.append(_matmul_case(n, n, n, dt))
    # the MLP 784-256-10 at batch 64: forward x @ W^T, backward g @ W and g^T @ x
    out.append(
        _matmul_case(64, 784, 256, np.float32, tb=True, label="mlp fwd 64x784 @ (256x784)^T")
    )
    out.append(_matmul_case(64, 256, 784, np.float32, label="mlp dX 64x256 @ 256x784"))
    out.append(_matmul_case(256, 64, 784, np.float32, ta=True, label="mlp dW (64x256)^T @ 64x784"))
    for n in (1_000_000, 4_000_000):
        out.append(_binary_case(n))
    for n in (1_000_000, 4_000_000):
        out.append(_chain_case(n))
    return out


WORKLOAD = Workload(
    "kernels",
    "kernels vs numpy/torch: matmul GFLOP/s, elementwise at memory speed",
    cases,
    in_quick=False,
)
