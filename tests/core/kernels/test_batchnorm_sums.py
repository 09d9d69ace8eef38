"""Batch-norm channel sums: NCHW (runs of one channel's pixels, including runs that are a
multiple of the 4 lanes and span several chunks) gives the bits of NHWC (channels vectorised),
serial and parallel, and the sums are right."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import batchnorm as BK

RNG = np.random.default_rng(11)


def _sums(run, x, ma, b, mb, oci):
    """Per-chunk (sum, cross sum) arrays of one driver."""
    o, c, i = oci
    j = o * i
    k = max((j + BK.CHUNK - 1) // BK.CHUNK, 1)
    out1, out2 = np.zeros((c, k)), np.zeros((c, k))
    run(x.reshape(-1), ma, b.reshape(-1), mb, c, i, j, k, out1, out2)
    return out1, out2


SHAPES = [(9, 5, 8, 8), (3, 4, 32, 32), (40, 3, 4, 4), (2, 1, 4, 2), (3, 6, 5, 4)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("run", ["_sums_serial", "_sums_parallel"])
def test_nchw_sums_equal_nhwc_sums_bitwise(dtype, shape, run):
    x = (RNG.standard_normal(shape) * 3 + 2).astype(dtype)
    g = RNG.standard_normal(shape).astype(dtype)
    c = shape[1]
    ma, mb = RNG.standard_normal(c), RNG.standard_normal(c)
    t = (0, 2, 3, 1)
    xh, gh = np.ascontiguousarray(x.transpose(t)), np.ascontiguousarray(g.transpose(t))
    nchw = _sums(getattr(BK, run), g, ma, x, mb, BK.as_ocI(shape, 1))
    nhwc = _sums(getattr(BK, run), gh, ma, xh, mb, BK.as_ocI(xh.shape, 3))
    np.testing.assert_array_equal(nchw[0], nhwc[0])
    np.testing.assert_array_equal(nchw[1], nhwc[1])
    # and the sums are the sums (a wrong element or channel would be far off)
    ref1 = (g - ma[None, :, None, None]).sum(axis=(0, 2, 3))
    ref2 = ((g - ma[None, :, None, None]) * (x - mb[None, :, None, None])).sum(axis=(0, 2, 3))
    np.testing.assert_allclose(nchw[0].sum(axis=1), ref1, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(nchw[1].sum(axis=1), ref2, rtol=1e-9, atol=1e-9)
