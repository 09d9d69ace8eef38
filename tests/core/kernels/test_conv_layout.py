"""Tests of the NCHW <-> NHWC image transposes used around the convolution kernels."""

import numpy as np
import pytest
from duograd.core.kernels import conv as K
from duograd.core.kernels import conv_layout as L


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "n, c, h, w",
    [(3, 16, 32, 32), (2, 3, 5, 7), (1, 64, 8, 8), (4, 17, 3, 3), (2, 40, 1, 1), (0, 4, 2, 2)],
)
def test_both_directions_match_numpy(n, c, h, w, dtype):
    x = np.random.default_rng(0).standard_normal((n, c, h, w)).astype(dtype)
    x.flat[::5] = -0.0  # signed zeros and a NaN must move unchanged
    if x.size:
        x.flat[1] = np.nan
    nhwc = np.empty((n, h, w, c), dtype)
    L.transpose_images(x, nhwc, c, h * w)  # rows <= cols or rows > cols, by shape
    np.testing.assert_array_equal(nhwc, x.transpose(0, 2, 3, 1))
    assert np.array_equal(np.signbit(nhwc), np.signbit(x.transpose(0, 2, 3, 1)))
    back = np.empty_like(x)
    L.transpose_images(nhwc, back, h * w, c)
    np.testing.assert_array_equal(back, x)


def test_large_batches_take_the_parallel_loop_and_agree(monkeypatch):
    x = np.arange(6 * 16 * 8 * 8, dtype=np.float32).reshape(6, 16, 8, 8)
    monkeypatch.setattr(L, "PARALLEL_MIN", 1)
    out = np.empty((6, 8, 8, 16), np.float32)
    L.transpose_images(x, out, 16, 64)
    np.testing.assert_array_equal(out, x.transpose(0, 2, 3, 1))


def test_strided_and_integer_sources_fall_back_to_the_same_values():
    x = np.arange(2 * 6 * 4 * 4, dtype=np.float32).reshape(2, 6, 4, 4)[:, ::2]
    out = np.empty((2, 4, 4, 3), np.float32)
    L.transpose_images(x, out, 3, 16)
    np.testing.assert_array_equal(out, x.transpose(0, 2, 3, 1))
    xi = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    outi = np.empty((2, 4, 5, 3), xi.dtype)
    L.transpose_images(xi, outi, 3, 20)
    np.testing.assert_array_equal(outi, xi.transpose(0, 2, 3, 1))


def test_a_strided_destination_is_refused():
    x = np.zeros((2, 3, 4, 4), np.float32)
    dst = np.zeros((2, 4, 4, 6), np.float32)[..., ::2]
    with pytest.raises(ValueError, match="transpose_images: dst must be C-contiguous"):
        L.transpose_images(x, dst, 3, 16)


def test_layout_helpers_round_trip_views_and_out_buffers():
    x = np.random.default_rng(1).standard_normal((3, 5, 6, 7)).astype(np.float32)
    view = x[:, :, ::-1]  # a non-contiguous NCHW operand
    np.testing.assert_array_equal(K.to_nhwc(view, "NCHW", "t"), view.transpose(0, 2, 3, 1))
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(K.from_nhwc(nhwc, "NCHW"), x)
    out = np.zeros((3, 10, 6, 7), np.float32)[:, ::2]  # a strided out buffer
    assert K.from_nhwc(nhwc, "NCHW", out) is out
    np.testing.assert_array_equal(out, x)
