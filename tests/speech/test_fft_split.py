"""The FFT kernels split large batches over two threads without changing a bit."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import fft as FK


@pytest.mark.parametrize("shape", [(64, 130, 256), (32, 97, 512), (7, 33, 512), (300, 1000)])
def test_split_transforms_equal_one_call(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    got = FK.batched(np.fft.rfft, x, n=None, axis=-1, norm=None)
    assert got.tobytes() == np.fft.rfft(x, axis=-1).tobytes()
    back = FK.batched(np.fft.irfft, got, n=shape[-1], axis=-1, norm="ortho")
    assert back.tobytes() == np.fft.irfft(got, n=shape[-1], axis=-1, norm="ortho").tobytes()
    z = got.astype(np.complex128)
    assert FK.batched(np.fft.fft, z, n=None, axis=-1, norm=None).tobytes() == (
        np.fft.fft(z, axis=-1).tobytes()
    )


def test_large_batches_are_split_small_ones_not():
    assert FK._split_at(np.zeros((64, 130, 256), np.float32), 2) == 32
    assert FK._split_at(np.zeros((4, 512), np.float32), 1) == 0
    assert FK._split_at(np.zeros((512, 300)), 0) == 0  # the transform axis itself is never cut
