"""More of `tf.image`: random_crop, HSV / YUV / YIQ colour spaces, adjust_saturation / hue /
gamma and their random versions, total_variation, image_gradients, sobel_edges, psnr, ssim and
extract_patches, each a composition of graph ops (TF's formulas, so values and gradients agree).
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np

from .tensor import Tensor


def _tf() -> types.ModuleType:
    # the frontend's namespace: these compositions are written in the TF1 style they copy
    return sys.modules[__package__]


def _float_image(op: str, image: Any, rank: tuple = (3, 4), channels: int | None = None) -> Tensor:
    """`image` as a float tensor whose rank is in the inclusive range `rank` (and whose last
    dim is `channels`, when given and known)."""
    tf = _tf()
    x = tf.convert_to_tensor(image)
    lo, hi = rank
    if x.shape.ndims is None or not lo <= x.shape.ndims <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        raise ValueError(f"tf.image.{op}: expects an image of rank {want}, got {x}")
    if not x.dtype.is_floating:
        raise TypeError(
            f"tf.image.{op}: expects a float image, got {x.dtype.name}; use "
            "tf.image.convert_image_dtype first"
        )
    if channels is not None and x.shape[-1] is not None and x.shape[-1] != channels:
        raise ValueError(
            f"tf.image.{op}: the last dim must be {channels} (the colour channels), got {x}"
        )
    return x


def rgb_to_hsv(images: Any, name: str | None = None) -> Tensor:
    """RGB in [0, 1] to HSV (hue in [0, 1)), TF's kernel formula."""
    tf = _tf()
    x = _float_image("rgb_to_hsv", images, (1, 9), channels=3)
    with tf.name_scope(name or "rgb_to_hsv"):
        r, g, b = tf.unstack(x, 3, axis=-1)
        value = tf.reduce_max(x, -1)
        rng = value - tf.reduce_min(x, -1)
        zero = tf.zeros_like(value)
        saturation = tf.where(value > 0, rng / tf.where(value > 0, value, zero + 1), zero)
        norm = 1.0 / (6.0 * tf.where(rng > 0, rng, zero + 1))
        hue = tf.where(
            tf.equal(r, value),
            norm * (g - b),
            tf.where(tf.equal(g, value), norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0),
        )
        hue = tf.where(rng > 0, hue, zero)
        hue = tf.where(hue < 0, hue + 1.0, hue)
        return tf.stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(images: Any, name: str | None = None) -> Tensor:
    """HSV back to RGB, TF's kernel formula (clipped tents of the hue times 6)."""
    tf = _tf()
    x = _float_image("hsv_to_rgb", images, (1, 9), channels=3)
    with tf.name_scope(name or "hsv_to_rgb"):
        h, s, v = tf.unstack(x, 3, axis=-1)
        # TF's kernel: per channel a clipped tent of h * 6, so a hue outside [0, 1] and a
        # saturation outside [0, 1] give TF's values too
        dh = h * 6.0

        def clip(t: Tensor) -> Tensor:
            return tf.clip_by_value(t, 0.0, 1.0)

        one_s = 1.0 - s
        dr = clip(tf.abs(dh - 3.0) - 1.0)
        dg, db = clip(2.0 - tf.abs(dh - 2.0)), clip(2.0 - tf.abs(dh - 4.0))
        return tf.stack([(one_s + s * dr) * v, (one_s + s * dg) * v, (one_s + s * db) * v], -1)


def adjust_saturation(image: Any, saturation_factor: Any, name: str | None = None) -> Tensor:
    """Scale the HSV saturation by a factor (clipped to [0, 1])."""
    tf = _tf()
    x = _float_image("adjust_saturation", image, (3, 9), channels=3)
    with tf.name_scope(name or "adjust_saturation"):
        h, s, v = tf.unstack(rgb_to_hsv(x), 3, axis=-1)
        s = tf.clip_by_value(s * tf.cast(saturation_factor, x.dtype), 0.0, 1.0)
        return hsv_to_rgb(tf.stack([h, s, v], axis=-1))


def adjust_hue(image: Any, delta: Any, name: str | None = None) -> Tensor:
    """Rotate the HSV hue by `delta` (in [-1, 1]), wrapping around."""
    tf = _tf()
    x = _float_image("adjust_hue", image, (3, 9), channels=3)
    if isinstance(delta, (int, float)) and not -1 <= delta <= 1:
        raise ValueError(f"tf.image.adjust_hue: delta must be in [-1, 1], got {delta}")
    with tf.name_scope(name or "adjust_hue"):
        h, s, v = tf.unstack(rgb_to_hsv(x), 3, axis=-1)
        h = tf.floormod(h + tf.cast(delta, x.dtype), 1.0)
        return hsv_to_rgb(tf.stack([h, s, v], axis=-1))


def random_hue(image: Any, max_delta: float, seed: Any = None) -> Tensor:
    """adjust_hue by a delta drawn uniformly from [-max_delta, max_delta]."""
    if not 0 <= max_delta <= 0.5:
        raise ValueError(f"tf.image.random_hue: max_delta must be in [0, 0.5], got {max_delta}")
    tf = _tf()
    return adjust_hue(image, tf.random_uniform([], -max_delta, max_delta, seed=seed))


def random_saturation(image: Any, lower: float, upper: float, seed: Any = None) -> Tensor:
    """adjust_saturation by a factor drawn uniformly from [lower, upper)."""
    if upper <= lower:
        raise ValueError(f"tf.image.random_saturation: upper {upper} must be > lower {lower}")
    if lower < 0:
        raise ValueError(f"tf.image.random_saturation: lower must be non-negative, got {lower}")
    tf = _tf()
    return adjust_saturation(image, tf.random_uniform([], lower, upper, seed=seed))


def adjust_gamma(image: Any, gamma: float = 1, gain: float = 1) -> Tensor:
    """gain * image ** gamma, computed in float32 as TF."""
    tf = _tf()
    x = tf.convert_to_tensor(image)
    if isinstance(gamma, (int, float)) and not gamma >= 0:  # NaN too, as TF
        raise ValueError(f"tf.image.adjust_gamma: gamma must be non-negative, got {gamma}")
    with tf.name_scope("adjust_gamma"):
        f = tf.image.convert_image_dtype(x, tf.float32)
        out = tf.cast(gain, tf.float32) * tf.pow(f, tf.cast(gamma, tf.float32))
        return tf.image.convert_image_dtype(out, x.dtype, saturate=True)


def _color_matrix(op: str, images: Any, kernel: list) -> Tensor:
    tf = _tf()
    x = _float_image(op, images, (1, 9))
    if x.shape[-1] is not None and x.shape[-1] != 3:
        raise ValueError(f"tf.image.{op}: the last axis must have 3 channels, got {x}")
    return tf.tensordot(x, tf.constant(np.asarray(kernel), x.dtype), axes=[[-1 % x.shape.ndims],
                                                                           [0]])  # fmt: skip


_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]  # fmt: skip
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]
_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
               [0.114, -0.32134392, 0.31119955]]  # fmt: skip
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
               [0.6208248, -0.64720424, 1.70423049]]  # fmt: skip


def rgb_to_yuv(images: Any) -> Tensor:
    """RGB to YUV (TF's matrix)."""
    return _color_matrix("rgb_to_yuv", images, _RGB_TO_YUV)


def yuv_to_rgb(images: Any) -> Tensor:
    """YUV to RGB (TF's matrix)."""
    return _color_matrix("yuv_to_rgb", images, _YUV_TO_RGB)


def rgb_to_yiq(images: Any) -> Tensor:
    """RGB to YIQ (TF's matrix)."""
    return _color_matrix("rgb_to_yiq", images, _RGB_TO_YIQ)


def yiq_to_rgb(images: Any) -> Tensor:
    """YIQ to RGB (TF's matrix)."""
    return _color_matrix("yiq_to_rgb", images, _YIQ_TO_RGB)


def total_variation(images: Any, name: str | None = None) -> Tensor:
    """Sum of absolute differences of neighbouring pixels (per image for a batch)."""
    tf = _tf()
    x = tf.convert_to_tensor(images)
    rank = x.shape.ndims
    if rank not in (3, 4):
        raise ValueError(f"tf.image.total_variation: images must be 3-D or 4-D, got {x}")
    with tf.name_scope(name or "total_variation"):
        if rank == 3:
            d1, d2, axes = x[1:] - x[:-1], x[:, 1:] - x[:, :-1], None
        else:
            d1, d2, axes = x[:, 1:] - x[:, :-1], x[:, :, 1:] - x[:, :, :-1], [1, 2, 3]
        return tf.reduce_sum(tf.abs(d1), axis=axes) + tf.reduce_sum(tf.abs(d2), axis=axes)


def image_gradients(image: Any) -> tuple:
    """(dy, dx): forward differences of a 4-D batch, zero in the last row / column."""
    tf = _tf()
    x = tf.convert_to_tensor(image)
    if x.shape.ndims != 4:
        raise ValueError(f"tf.image.image_gradients: expects a 4-D batch, got {x}")
    dy = x[:, 1:] - x[:, :-1]
    dx = x[:, :, 1:] - x[:, :, :-1]
    dy = tf.concat([dy, tf.zeros_like(x[:, :1])], 1)
    dx = tf.concat([dx, tf.zeros_like(x[:, :, :1])], 2)
    return dy, dx


def sobel_edges(image: Any) -> Tensor:
    """Sobel responses [batch, h, w, channels, 2] (dy, dx), reflecting the borders."""
    tf = _tf()
    x = _float_image("sobel_edges", image, (4, 4))
    c = x.shape[-1]
    if c is None:
        raise ValueError("tf.image.sobel_edges: the channel count must be known")
    k = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])
    k = np.tile(np.transpose(k, (1, 2, 0))[:, :, None, :], (1, 1, c, 1))
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], "REFLECT")
    out = tf.nn.depthwise_conv2d(padded, tf.constant(k, x.dtype), [1, 1, 1, 1], "VALID")
    return (
        tf.reshape(out, tf.concat([tf.shape(x), [2]], 0))
        if x.shape[0] is None
        else tf.reshape(out, [*x.shape.as_list(), 2])
    )


def psnr(a: Any, b: Any, max_val: Any, name: str | None = None) -> Tensor:
    """Peak signal-to-noise ratio per image, in float32 (TF's formula)."""
    tf = _tf()
    with tf.name_scope(name or "PSNR"):
        x, y = tf.convert_to_tensor(a), tf.convert_to_tensor(b)
        for t in (x, y):  # TF: images of rank 3 or more ([..., H, W, C])
            if t.shape.ndims is not None and t.shape.ndims < 3:
                raise ValueError(f"tf.image.psnr: shape {t.shape} must have rank at least 3")
        if x.dtype != y.dtype:
            raise TypeError(f"tf.image.psnr: a and b need one dtype, got {x.dtype} and {y.dtype}")
        mv = tf.cast(max_val, tf.float32)
        x = tf.image.convert_image_dtype(x, tf.float32)
        y = tf.image.convert_image_dtype(y, tf.float32)
        mse = tf.reduce_mean(tf.squared_difference(x, y), [-3, -2, -1])
        return 20.0 * tf.log(mv) / tf.log(10.0) - np.float32(10 / np.log(10)) * tf.log(mse)


def _gauss_kernel(size: int, sigma: float) -> np.ndarray:
    """TF's window: a softmax over -(dy^2 + dx^2) / (2 sigma^2), in float32."""
    coords = np.arange(size, dtype=np.float32) - np.float32(size - 1) / np.float32(2.0)
    g = np.square(coords) * (np.float32(-0.5) / np.square(np.float32(sigma)))
    g = (g.reshape(1, -1) + g.reshape(-1, 1)).reshape(-1)
    e = np.exp(g - g.max())
    return (e / e.sum()).astype(np.float32).reshape(size, size)


def ssim(
    img1: Any, img2: Any, max_val: Any, filter_size: int = 11, filter_sigma: float = 1.5,
    k1: float = 0.01, k2: float = 0.03, return_index_map: bool = False,
) -> Tensor:  # fmt: skip
    """Structural similarity per image (Gaussian window, VALID), in float32 (TF's formula)."""
    tf = _tf()
    with tf.name_scope("SSIM"):
        x = tf.image.convert_image_dtype(tf.convert_to_tensor(img1), tf.float32)
        y = tf.image.convert_image_dtype(tf.convert_to_tensor(img2), tf.float32)
        if x.shape.ndims not in (3, 4):
            raise ValueError(f"tf.image.ssim: images must be 3-D or 4-D, got {x}")
        single = x.shape.ndims == 3
        if single:
            x, y = x[None], y[None]
        c = x.shape[-1]
        size = int(filter_size)
        kern = _gauss_kernel(size, filter_sigma)
        kern = tf.constant(np.tile(kern[:, :, None, None], (1, 1, c, 1)))

        def blur(t):
            return tf.nn.depthwise_conv2d(t, kern, [1, 1, 1, 1], "VALID")

        mv = tf.cast(max_val, tf.float32)
        c1, c2 = (k1 * mv) ** 2, (k2 * mv) ** 2
        mean0, mean1 = blur(x), blur(y)
        num0 = mean0 * mean1 * 2.0
        den0 = tf.square(mean0) + tf.square(mean1)
        luminance = (num0 + c1) / (den0 + c1)
        num1 = blur(x * y) * 2.0
        den1 = blur(tf.square(x) + tf.square(y))
        cs = (num1 - num0 + c2) / (den1 - den0 + c2)
        ssim_map = luminance * cs
        if return_index_map:
            return ssim_map[0] if single else ssim_map
        value = tf.reduce_mean(tf.reduce_mean(ssim_map, [-3, -2]), [-1])
        return value[0] if single else value


def extract_patches(
    images: Any, sizes: Any, strides: Any, rates: Any, padding: str, name: str | None = None
) -> Tensor:
    """Patches [batch, out_h, out_w, kh * kw * channels] (row, column, channel order): TF2's
    name of tf.image.extract_image_patches (array_top2.py, the one implementation)."""
    from .array_top2 import extract_image_patches

    return extract_image_patches(images, sizes, strides, rates, padding, name)


NAMES = (
    "rgb_to_hsv hsv_to_rgb adjust_saturation adjust_hue random_hue "
    "random_saturation adjust_gamma rgb_to_yuv yuv_to_rgb rgb_to_yiq yiq_to_rgb total_variation "
    "image_gradients sobel_edges psnr ssim extract_patches"
).split()


def attach(tf: types.ModuleType) -> None:
    """Put the names on tf.image (tf.random_crop and tf.extract_image_patches, from
    random_top.py and array_top2.py, are put there too)."""
    for n in NAMES:
        setattr(tf.image, n, globals()[n])
    tf.image.random_crop = tf.random_crop
    tf.image.extract_image_patches = tf.extract_image_patches
    tf.image.__all__ = [
        *getattr(tf.image, "__all__", []),
        *NAMES,
        "random_crop",
        "extract_image_patches",
    ]
