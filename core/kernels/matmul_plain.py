"""The matmul driver of the JIT-off coverage pass: the same k-ordered multiply-add chain in numpy.

Under ``NUMBA_DISABLE_JIT=1`` the register-tile micro-kernel (an LLVM intrinsic) has no Python
form, and the tiny kernel run element by element would take minutes on the products the
frontend tests make. This driver keeps every path's accumulation order, acc = acc + a[i, k] *
b[k, j] for k = 0, 1, ..., K-1, vectorised over (i, j). It rounds twice per step where the
compiled kernels round once (float32 steps are computed in float64, so they differ only in rare
double-rounding cases): the coverage pass checks which lines run, the compiled run checks bits.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def launch(af, aoffs, ars, acs, bf, boffs, brs, bcs, c, m, n, k) -> None:
    """Run the prepared product (flat operands, item offsets, element strides) into flat c."""
    items = aoffs.shape[0]
    out = c.reshape(items, m, n)
    isz = af.itemsize
    wide = np.float64 if c.dtype == np.float32 else c.dtype
    for item in range(items):
        a = as_strided(af[aoffs[item] :], shape=(m, k), strides=(ars * isz, acs * isz))
        b = as_strided(bf[boffs[item] :], shape=(k, n), strides=(brs * isz, bcs * isz))
        acc = np.zeros((m, n), c.dtype)
        for kk in range(k):
            step = a[:, kk, None].astype(wide) * b[None, kk, :].astype(wide) + acc
            acc = step.astype(c.dtype)
        out[item] = acc
