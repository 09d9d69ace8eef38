"""The plain-Python FMA (used when the JIT is off) rounds exactly as the compiled intrinsic."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from duograd.core.kernels.matmul_ukernel import fma
from duograd.core.kernels.pymath import exact_fma
from numba.core import config

pytestmark = pytest.mark.skipif(
    config.DISABLE_JIT, reason="NUMBA_DISABLE_JIT=1: the compiled intrinsic is the reference"
)


@numba.njit(cache=True)
def _compiled(x, y, z):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = fma(x[i], y[i], z[i])
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_fma_matches_the_intrinsic_bitwise(dtype: type) -> None:
    rng = np.random.default_rng(7)
    x, y, z = (rng.standard_normal(4000).astype(dtype) for _ in range(3))
    # products that cancel z, signed zeros, non-finite values, overflow and subnormal results
    x[:8] = [0.0, -0.0, np.inf, np.nan, 1e-30, 3.0, np.finfo(dtype).max, np.finfo(dtype).tiny]
    y[:8] = [1.0, 2.0, 1.0, 1.0, 1e-10, 1.0 / 3.0, 2.0, 0.5]
    z[:8] = [-0.0, -0.0, 1.0, 2.0, -1e-40, -1.0, 0.0, 0.0]
    x[8:] = x[8:] * np.array(2.0, dtype) ** rng.integers(-20, 20, x.size - 8)
    z[8:] = np.where(rng.random(z.size - 8) < 0.3, -(x[8:] * y[8:]), z[8:])
    want = _compiled(x, y, z)
    got = np.array([exact_fma(a, b, c) for a, b, c in zip(x, y, z, strict=True)], dtype=dtype)
    bits = np.int32 if dtype == np.float32 else np.int64
    assert np.array_equal(got.view(bits), want.view(bits))
