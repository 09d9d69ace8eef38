"""core/kernels/compare.same_bits: dtype, shape and every byte, at any size."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels.compare import same_bits


@pytest.mark.parametrize("n", [0, 3, 255, 1001, 4099])
def test_one_changed_byte_anywhere_is_seen(n):
    a = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    assert same_bits(a, a.copy())
    for i in {0, n // 2, n - 1} if n else ():
        b = a.copy()
        b.view(np.uint8)[4 * i + 3] ^= 1  # the last byte of element i
        assert not same_bits(a, b)


def test_nan_payloads_and_signed_zeros_are_bits():
    a = np.zeros(600, np.float64)
    b = a.copy()
    b[599] = -0.0
    assert not same_bits(a, b)
    a[7] = np.nan
    b = a.copy()
    assert same_bits(a, b)
    b.view(np.uint64)[7] += 1  # another NaN payload
    assert not same_bits(a, b)


def test_dtype_shape_and_layout():
    a = np.arange(2400, dtype=np.int32).reshape(40, 60)
    assert not same_bits(a, a.astype(np.int64))
    assert not same_bits(a, a.reshape(60, 40))
    t = np.ascontiguousarray(a.T)
    assert same_bits(a.T, t)  # a transposed view compares by its values' order
    t[-1, -1] += 1
    assert not same_bits(a.T, t)
