"""duograd.core.kernels: numba kernels on plain ndarrays, compiled on first use, cached on disk."""

import os

from . import host_tuning

# How long an idle OpenMP worker spins before it sleeps, in GNU libgomp's spin-loop iterations
# (see `_bounded_openmp_spin`).
SPIN_COUNT = "10000"


def _bounded_openmp_spin() -> None:
    """Load numba's OpenMP threading layer with GOMP_SPINCOUNT=10000, unless the user chose.

    Why: a parallel call ends when its slowest thread does. Between parallel regions the
    OpenMP runtime (GNU libgomp here) keeps idle workers spinning, by default for 300000 spin
    iterations (milliseconds); on cores shared with other processes the spinners take CPU time
    from the threads doing the work. Sleeping at once instead (OMP_WAIT_POLICY=PASSIVE) makes
    every region wake its worker through the kernel, which in this VM costs up to ~50 us when
    the other core sits idle. So the spin is bounded (~0.3 ms here), and cpu_share keeps
    parallel kernels to the cores other processes leave free, which is what protects a busy
    machine. Medians of interleaved runs on the shared 2-core machine, MLP 784-256-10 SGD
    step at b=64 / b=512 (graph style), without cpu_share unless said:

        machine                          default spin  PASSIVE    spin 1000  spin 10000  1 thread
        cores oversubscribed (load 4-7)  3-5/15-19 ms  0.60/5.3   0.85/7.1   -/20 ms     0.57/5.2
        one other process busy           30/31 ms      0.55/2.4   0.75/3.1   2.3/8.5     0.52/2.3
          ... with cpu_share                                      0.53/2.45  0.53/2.33
        free (only this process)         0.38/1.40     0.65/2.26  0.44/1.50  0.39/1.44   0.52/2.3
        two Python threads training (*)  0.73          -          0.51       0.52        -
        an empty parallel region (free)  2.5 us        47 us      2.6 us     -           -

    (*) eager style, b=64, per step, with cpu_share. With cpu_share, spin 10000 is within a
    few percent of the best choice in every row; the default spin loses up to 50x, PASSIVE up
    to 1.7x, 1000 spins ~15% on a free machine. The bits never depend on any of it.

    The setting only exists at the moment the runtime loads, so it is put in the environment
    for that load and removed again: OpenMP runtimes loaded later in the process (e.g. the
    copy PyTorch bundles) see the user's environment unchanged, and one something else
    already loaded keeps its own settings. OMP_WAIT_POLICY, GOMP_SPINCOUNT or KMP_BLOCKTIME
    set by the user, or a numba threading layer other than OpenMP, leave all of this out.
    (Intel's OpenMP runtime, which some numba builds use instead, ignores GOMP_SPINCOUNT.)
    """
    if not host_tuning.enabled("DUOGRAD_OPENMP_SPIN"):
        return
    if any(v in os.environ for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")):
        return
    from numba.core import config

    if str(config.THREADING_LAYER).lower() in ("tbb", "workqueue"):
        return
    # a GNU OpenMP runtime another library already started keeps its own settings
    if host_tuning.library_loaded("libgomp.so.1"):
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        from numba.np.ufunc import omppool  # noqa: F401 - loading it starts the OpenMP runtime

        host_tuning.APPLIED["openmp_spin"] = True
    except ImportError:  # no OpenMP runtime here: numba picks another layer
        pass
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)


_bounded_openmp_spin()


def _keep_freed_memory() -> None:
    """Large arrays reuse freed heap memory instead of fresh pages (see allocator)."""
    from .allocator import keep_freed_memory

    host_tuning.APPLIED["malloc"] = keep_freed_memory()


_keep_freed_memory()
