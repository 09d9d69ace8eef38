"""duograd.core.kernels: numba kernels on plain ndarrays, compiled on first use and cached on disk."""

import os


def _passive_openmp() -> None:
    """Load numba's OpenMP threading layer with OMP_WAIT_POLICY=PASSIVE, unless the user chose.

    Why: by default the OpenMP runtime (libgomp here) keeps idle worker threads spinning for a
    long while after each parallel region (GOMP's default spin count is 300000 pause loops,
    milliseconds), and a parallel call ends only when its slowest thread does. On a machine
    whose cores are shared (other processes, or more runnable threads than cores) the spinners
    take the CPU from the threads doing the work. Measured on the shared 2-core development
    machine (load average 4-7), medians of interleaved runs:

        workload                       spinning (default)   PASSIVE    one thread
        MLP 784-256-10 step, b=64      3.0-5.0 ms           0.60 ms    0.57 ms
        MLP step, b=512                15-19 ms             2.6 ms     2.5 ms
        add of 1e6 float32             16.7 ms              0.12 ms    0.10 ms
        (GOMP_SPINCOUNT=100/300/1000 land in between: 0.63/0.67/0.81 ms for the b=64 step)

    What PASSIVE costs: an idle worker sleeps, so waking it adds ~6 us per parallel region
    (an empty region: 7.5 us against 1.3 us spinning, on an otherwise idle core). Kernels only
    go parallel above sizes where the work is tens of microseconds or more, so that stays a
    few percent, against slowdowns of 10-100x when cores are contended. The policy only exists
    at the moment the runtime loads, so it is set just for that load and then removed from
    the environment again: other OpenMP runtimes loaded later in the process (e.g. the copy
    PyTorch bundles) see the user's environment unchanged. A runtime that something else
    already loaded keeps its own settings. OMP_WAIT_POLICY, GOMP_SPINCOUNT or KMP_BLOCKTIME set
    by the user, or a threading layer other than OpenMP chosen for numba, leave all of this out.
    """
    if any(v in os.environ for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")):
        return
    from numba.core import config

    if str(config.THREADING_LAYER).lower() in ("tbb", "workqueue"):
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        from numba.np.ufunc import omppool  # noqa: F401 - loading it starts the OpenMP runtime
    except ImportError:  # no OpenMP runtime here: numba picks another layer
        pass
    finally:
        os.environ.pop("OMP_WAIT_POLICY", None)


_passive_openmp()
