"""The malloc settings: a freed large array's memory is reused, not faulted in afresh."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Each round allocates and touches three 4 MiB arrays, then frees them (as an eager step's
# temporaries come and go); prints the minor page faults of 50 rounds after a warm-up. Memory
# handed back to the OS faults in again at once per 4 KiB page: ~3000 faults per round.
PROBE = """
import resource
import numpy as np
import duograd.core.kernels  # applies the settings on import

def round_():
    a = np.ones(1 << 20, np.float32)
    b = np.ones(1 << 20, np.float32)
    c = np.ones(1 << 20, np.float32)
    del c, b, a

for _ in range(5):
    round_()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    round_()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(**env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_large_arrays_reuse_freed_memory_unless_turned_off() -> None:
    tuned = _faults()
    untuned = _faults(DUOGRAD_MALLOC_TUNE="0")
    assert untuned > 50 * 500  # each round faulted its pages in again
    assert tuned < 50 * 10  # the freed block came back from the heap
