"""The NCHW forward product W (O, K) @ cols (K, OH*OW) per image, with no packed copy of cols.

The general matmul packs op(B) into micro-panels; here op(B) is the (taps, pixels) patch matrix
of an image, the big operand, so packing it is a second full copy of the patches. A product
with at most MR rows of C reads B in place instead (matmul_direct). So the output channels are
cut into groups of m <= MR (m divides O) and each (image, group) is one such item: its C is the
contiguous slab y[i, g*m:(g+1)*m, :] of the NCHW output, which sits at item index (i * O/m + g)
times m * OH*OW, exactly where the direct driver writes item t. Every element is the direct
path's FMA chain over the taps from 0 in order (K blocks continue from C), the contract of
every matmul path, so the bits are those of the NHWC product patches @ W.
"""

from __future__ import annotations

import numba
import numpy as np

from . import matmul as _mm
from . import matmul_direct as _direct
from .cpu_share import threads as _cpu_threads

__all__ = ["channel_group", "product_into"]

# Groups narrower than this waste too much of the micro-kernel (an O with no divisor in
# [MIN_GROUP, MR] keeps the packed product).
MIN_GROUP = 4


def channel_group(o: int, itemsize: int) -> int:
    """Rows of C per direct item for O output channels: the largest divisor of O <= MR, or 0
    when none is at least MIN_GROUP (or the kernels run as plain Python)."""
    if _mm._JIT_OFF:  # the direct micro-kernel has no plain-Python form
        return 0
    mr = _mm._MR[itemsize]
    for m in range(min(mr, o), MIN_GROUP - 1, -1):
        if o % m == 0:
            return m
    return 0


def product_into(wt: np.ndarray, cols: np.ndarray, y: np.ndarray, m: int) -> None:
    """y[i] = wt @ cols[i] for each image i: wt (O, K), cols (nb, K, R), y (nb, O, R), all
    C-contiguous and of one dtype; m from `channel_group`."""
    nb, k, r = cols.shape
    o = wt.shape[0]
    groups = o // m
    items = nb * groups
    t = np.arange(items, dtype=np.int64)
    aoffs = (t % groups) * (m * k)
    boffs = (t // groups) * (k * r)
    a = wt.reshape(-1).view()
    a.flags.writeable = False  # writeable and read-only operands share one specialisation
    b = cols.reshape(-1).view()
    b.flags.writeable = False
    c = y.reshape(-1)
    work = o * r * k * nb
    nthreads = _cpu_threads() if work >= _mm.PARALLEL_MIN_WORK else 1
    if nthreads > 1:
        _direct.direct_parallel(a, aoffs, k, 1, b, boffs, r, c, m, r, k, numba.get_num_threads())
    else:
        _direct.direct_serial(a, aoffs, k, 1, b, boffs, r, c, m, r, k)
