"""The per-step product of the whole-sequence drivers, callable from compiled code.

A driver's time loop multiplies the carried state (or the step's gate cotangent) by a weight
matrix at every step. It calls the matmul kernels' own drivers (`matmul_gemm`) here, so each
element of the product is the chain every matmul path runs, acc = fma(a[i, k], b[k, j], acc)
for k = 0, 1, ..., K-1 from 0: the bits of `matmul`. Operands are flat read-only views (the
drivers pass read-only aliases of their own buffers) with the same types `matmul` passes, so
no new specialisation of the matmul kernels is compiled.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit

from .cpu_share import threads as _cpu_threads
from .matmul import PARALLEL_MIN_WORK
from .matmul_gemm import batch_serial, gemm_parallel


@njit(cache=True)
def step_matmul(a, ao, ars, b, brs, c, m, n, k, nthreads, aoffs, boffs):
    """c[:m*n] (C order) = A @ B, A[i, kk] = a[ao + i*ars + kk], B[kk, j] = b[kk*brs + j].

    aoffs and boffs are one-element int64 scratch arrays; nthreads > 1 splits the product
    over output tiles (the bits do not depend on it).
    """
    one = np.int64(1)
    direct_a = ars > 0  # A's rows are unit-stride: read in place (a run-time flag, not a literal)
    if nthreads > 1:
        gemm_parallel(a, ao, ars, one, b, boffs[0], brs, one, c, np.int64(0), m, n, k, direct_a,
                      nthreads)  # fmt: skip
    else:
        aoffs[0] = ao
        batch_serial(a, aoffs, ars, one, b, boffs, brs, one, c, m, n, k, direct_a)


def threads_for(m: int, n: int, k: int) -> int:
    """Threads for one step's product, chosen as `matmul` chooses them (1: serial)."""
    return 1 if m * n * k < PARALLEL_MIN_WORK else _cpu_threads()


def start_pool() -> None:
    """Start numba's thread pool: a loop loaded from the cache links the parallel driver's code,
    which crashes without the pool even when the loop runs serially. Call before a loop."""
    numba.get_num_threads()


def read_only(a: np.ndarray, flat: bool = True) -> np.ndarray:
    """A read-only C-contiguous view of a (copied if a is not C-contiguous), flat by default:
    the types the compiled loops and the matmul kernels are compiled for, whatever the
    caller's array allows."""
    v = np.ascontiguousarray(a)
    v = v.reshape(-1) if flat else v.view()
    v.setflags(write=False)
    return v
