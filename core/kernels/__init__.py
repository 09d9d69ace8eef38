"""duograd.core.kernels: numba kernels on plain ndarrays, compiled on first use, cached on disk."""

import os

# How long an idle OpenMP worker spins before it sleeps, in GNU libgomp's spin-loop iterations
# (see `_bounded_openmp_spin`).
SPIN_COUNT = "1000"


def _bounded_openmp_spin() -> None:
    """Load numba's OpenMP threading layer with GOMP_SPINCOUNT=1000, unless the user chose.

    Why: a parallel call ends when its slowest thread does, and between parallel regions the
    OpenMP runtime (GNU libgomp here) keeps idle workers spinning, by default for 300000 spin
    iterations (milliseconds). On cores shared with other processes the spinners take CPU time
    from the threads doing the work; sleeping at once instead (OMP_WAIT_POLICY=PASSIVE) makes
    every region wake its worker through the kernel, which in this VM costs up to ~50 us when
    the other core sits idle. A short spin keeps back-to-back regions cheap and gives the core
    up soon. Medians of interleaved runs on the shared 2-core machine, per step/call:

        load avg 4-7 (cores oversubscribed)   default spin  PASSIVE   spin 1000  one thread
          MLP 784-256-10 SGD step, b=64        3.0-5.0 ms    0.60 ms   0.85 ms    0.57 ms
          MLP step, b=512                      15-19 ms      5.3 ms    7.1 ms     5.2 ms
          add of 1e6 float32                   14-17 ms      0.12 ms   -          0.10 ms
        load avg 1.1-1.7 (a core mostly free)
          MLP step, b=64                       0.41 ms       0.65 ms   0.46 ms    0.57 ms
          MLP step, b=512                      1.55 ms       2.26 ms   1.59 ms    2.7 ms
          add of 1e6 float32                   0.07 ms       0.12 ms   0.07 ms    0.11 ms
          an empty parallel region             2.5 us        47 us     2.6 us     -

    Spin 1000 is never far from the best choice in either regime (within ~1.1x on a free
    machine, ~1.4x when oversubscribed), where the default spin loses up to 50x and PASSIVE
    up to 1.6x; 300 spins was slower on the free machine (0.58 ms at b=64), 3000 and more
    slower when oversubscribed (10000: 20 ms at b=512). The bits never depend on it.

    The setting only exists at the moment the runtime loads, so it is put in the environment
    for that load and removed again: OpenMP runtimes loaded later in the process (e.g. the
    copy PyTorch bundles) see the user's environment unchanged, and one something else
    already loaded keeps its own settings. OMP_WAIT_POLICY, GOMP_SPINCOUNT or KMP_BLOCKTIME
    set by the user, or a numba threading layer other than OpenMP, leave all of this out.
    (Intel's OpenMP runtime, which some numba builds use instead, ignores GOMP_SPINCOUNT.)
    """
    if any(v in os.environ for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")):
        return
    from numba.core import config

    if str(config.THREADING_LAYER).lower() in ("tbb", "workqueue"):
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        from numba.np.ufunc import omppool  # noqa: F401 - loading it starts the OpenMP runtime
    except ImportError:  # no OpenMP runtime here: numba picks another layer
        pass
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)


_bounded_openmp_spin()
