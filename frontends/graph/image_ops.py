"""`tf.image` basics for NHWC / HWC images: flips, crops and pads, resizing (TF1's bilinear and
nearest-neighbour rules, without half-pixel centres), per-image standardisation, dtype
conversion, grayscale and brightness / contrast, each a composition of core operations."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import ops
from . import dtypes as tfd
from .math_ops import _tensor
from .random_ops import random_normal, random_uniform
from .tensor import Tensor


def _image(op: str, image: Any, nonempty: bool = False) -> Tensor:
    """The image tensor, of rank 3 or 4; `nonempty`: its height, width and channels must not
    be 0 where known (TF's check of the flips, transposes and rotations)."""
    x = _tensor(image)
    if len(x.shape) not in (3, 4):
        raise ValueError(
            f"tf.image.{op}: expects an image [height, width, channels] or a batch "
            f"[batch, height, width, channels], got {x}"
        )
    if nonempty and 0 in tuple(x.shape)[-3:]:
        raise ValueError(
            f"tf.image.{op}: inner 3 dims of 'image.shape' must be > 0: {tuple(x.shape)}"
        )
    return x


def _hw(x: Tensor) -> tuple:
    """Axis numbers of height and width."""
    return (0, 1) if len(x.shape) == 3 else (1, 2)


def _flip(op: str, type_name: str, image: Any, which: int) -> Tensor:
    x = _image(op, image, nonempty=True)
    ax = _hw(x)[which]
    idx = tuple(slice(None, None, -1) if i == ax else slice(None) for i in range(len(x.shape)))
    return x.graph.build_op(type_name, None, lambda: ops.getitem(x, idx))


def flip_left_right(image: Any) -> Tensor:
    """Mirror along the width."""
    return _flip("flip_left_right", "ReverseV2", image, 1)


def flip_up_down(image: Any) -> Tensor:
    """Mirror along the height."""
    return _flip("flip_up_down", "ReverseV2", image, 0)


def _random_flip(op: str, image: Any, which: int, seed: Any) -> Tensor:
    x = _image(op, image, nonempty=True)
    flipped = _flip(op, "ReverseV2", x, which)
    # one coin per image (a normal draw below 0: probability exactly 1/2): a scalar for one
    # image, a [batch] vector (of run-time length when the batch is unknown) for a batch
    if len(x.shape) == 3:
        u = random_normal([], seed=seed)
        bshape = ()
    else:
        from .array_ops import shape

        u = random_normal(shape(x)[:1] if x.shape[0] is None else [x.shape[0]], seed=seed)
        bshape = (-1, 1, 1, 1)

    def build():
        take = ops.less(u, np.asarray(0.0, np.float32))
        if bshape:
            take = ops.expand_dims(ops.expand_dims(ops.expand_dims(take, 1), 2), 3)
        return ops.where(take, flipped, x)

    return x.graph.build_op("RandomFlip", None, build)


def random_flip_left_right(image: Any, seed: Any = None) -> Tensor:
    """Mirror along the width with probability 1/2 (per image of a batch)."""
    return _random_flip("random_flip_left_right", image, 1, seed)


def random_flip_up_down(image: Any, seed: Any = None) -> Tensor:
    """Mirror along the height with probability 1/2 (per image of a batch)."""
    return _random_flip("random_flip_up_down", image, 0, seed)


def transpose_image(image: Any, name: str | None = None) -> Tensor:
    """Swap height and width."""
    x = _image("transpose", image, nonempty=True)
    perm = (1, 0, 2) if len(x.shape) == 3 else (0, 2, 1, 3)
    return x.graph.build_op("Transpose", name, lambda: ops.transpose(x, perm))


def rot90(image: Any, k: int = 1, name: str | None = None) -> Tensor:
    """Rotate by k quarter turns counter-clockwise."""
    x = _image("rot90", image, nonempty=True)
    k = int(k) % 4
    for _ in range(k):  # one quarter turn = transpose, then flip up-down
        x = flip_up_down(transpose_image(x))
    return x if k else x.graph.build_op("Identity", name, lambda: ops.identity(x))


def _static(op: str, v: Any, what: str) -> int:
    if isinstance(v, Tensor):
        raise TypeError(f"tf.image.{op}: {what} must be a Python int, got the tensor {v}")
    return int(v)


def crop_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Tensor:
    """The window [offset_height : +target_height, offset_width : +target_width]."""
    x = _image("crop_to_bounding_box", image)
    oh, ow, th, tw = (
        _static("crop_to_bounding_box", v, w)
        for v, w in (
            (offset_height, "offset_height"),
            (offset_width, "offset_width"),
            (target_height, "target_height"),
            (target_width, "target_width"),
        )
    )
    hax, wax = _hw(x)
    for ax, o, t, what in ((hax, oh, th, "height"), (wax, ow, tw, "width")):
        n = x.shape[ax]
        if o < 0 or t <= 0 or (n is not None and o + t > n):
            raise ValueError(
                f"tf.image.crop_to_bounding_box: offset {o} + target {t} exceeds the image "
                f"{what} {n} (or is negative)"
            )
    idx = [slice(None)] * len(x.shape)
    idx[hax], idx[wax] = slice(oh, oh + th), slice(ow, ow + tw)
    return x.graph.build_op("Slice", None, lambda: ops.getitem(x, tuple(idx)))


def pad_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Tensor:
    """Zero-pad to target_height x target_width, the image at (offset_height, offset_width)."""
    from .losses_more import pad

    x = _image("pad_to_bounding_box", image)
    hax, wax = _hw(x)
    h, w = x.shape[hax], x.shape[wax]
    if h is None or w is None:
        raise ValueError("tf.image.pad_to_bounding_box: the image's height and width must be known")
    after_h = int(target_height) - int(offset_height) - h
    after_w = int(target_width) - int(offset_width) - w
    if after_h < 0 or after_w < 0 or offset_height < 0 or offset_width < 0:
        raise ValueError(
            f"tf.image.pad_to_bounding_box: a {h}x{w} image at ({offset_height}, "
            f"{offset_width}) does not fit {target_height}x{target_width}"
        )
    pads = [[0, 0]] * len(x.shape)
    pads[hax], pads[wax] = [int(offset_height), after_h], [int(offset_width), after_w]
    return pad(x, pads)


def resize_image_with_crop_or_pad(image: Any, target_height: int, target_width: int) -> Tensor:
    """Centre-crop and/or zero-pad to the target size."""
    x = _image("resize_image_with_crop_or_pad", image)
    hax, wax = _hw(x)
    h, w = x.shape[hax], x.shape[wax]
    th, tw = int(target_height), int(target_width)
    for what, v in (("target_height", th), ("target_width", tw)):
        if not 0 < v < 2**31:
            raise ValueError(
                f"resize_image_with_crop_or_pad: {what} must be in (0, 2**31), got {v}"
            )
    crop_h, crop_w = max(h - th, 0), max(w - tw, 0)
    x = crop_to_bounding_box(x, crop_h // 2, crop_w // 2, min(h, th), min(w, tw))
    pad_h, pad_w = max(th - h, 0), max(tw - w, 0)
    if pad_h or pad_w:
        x = pad_to_bounding_box(x, pad_h // 2, pad_w // 2, th, tw)
    return x


def central_crop(image: Any, central_fraction: float) -> Tensor:
    """The centre region covering `central_fraction` of each side."""
    x = _image("central_crop", image)
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError(
            f"tf.image.central_crop: central_fraction must be in (0, 1], got {central_fraction}"
        )
    if central_fraction == 1.0:
        return x
    hax, wax = _hw(x)
    h, w = x.shape[hax], x.shape[wax]
    # TF's arithmetic: start = int((size - size * fraction) / 2), in float64
    sh = int((h - h * float(central_fraction)) / 2)
    sw = int((w - w * float(central_fraction)) / 2)
    return crop_to_bounding_box(x, sh, sw, h - 2 * sh, w - 2 * sw)


def per_image_standardization(image: Any) -> Tensor:
    """(x - mean) / max(stddev, 1/sqrt(N)) over each image's pixels and channels, float32."""
    x = _image("per_image_standardization", image)
    axes = (0, 1, 2) if len(x.shape) == 3 else (1, 2, 3)
    n = 1
    for a in axes:
        if x.shape[a] is None:
            raise ValueError("tf.image.per_image_standardization: image dims must be known")
        n *= x.shape[a]

    def build():
        v = x if np.dtype(x.dtype) == np.float32 else ops.cast(x, np.float32)
        mean = ops.mean(v, axes, True)
        var = ops.mean(ops.square(ops.sub(v, mean)), axes, True)
        adjusted = ops.maximum(ops.sqrt(var), np.asarray(1.0 / np.sqrt(n), np.float32))
        return ops.div(ops.sub(v, mean), adjusted)

    return x.graph.build_op("PerImageStandardization", None, build)


def _size(op: str, size: Any) -> tuple:
    if isinstance(size, Tensor):
        raise TypeError(f"tf.image.{op}: size must be a pair of Python ints, got the tensor {size}")
    h, w = (int(s) for s in size)
    if h <= 0 or w <= 0:
        raise ValueError(f"tf.image.{op}: size must be positive, got {size}")
    return h, w


def _scale(n_in: int, n_out: int, align_corners: bool) -> float:
    if align_corners and n_out > 1:
        return (n_in - 1) / (n_out - 1)
    return n_in / n_out


def _as_batch(x: Tensor) -> tuple:
    if len(x.shape) == 3:
        return ops.expand_dims(x, 0), True
    return x, False


def _src(op: str, x: Tensor) -> tuple:
    h, w = x.shape[-3], x.shape[-2]
    if h is None or w is None:
        raise ValueError(f"tf.image.{op}: the image's height and width must be known")
    return h, w


def resize_nearest_neighbor(
    images: Any, size: Any, align_corners: bool = False, name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:  # fmt: skip
    """Nearest-neighbour resize (TF1 rule: source = floor(dst * scale), or rounded when
    `align_corners`); keeps the dtype."""
    x = _image("resize_nearest_neighbor", images)
    (oh, ow), (h, w) = _size("resize_nearest_neighbor", size), _src("resize_nearest_neighbor", x)

    def index(n_in, n_out):
        s = _scale(n_in, n_out, align_corners)
        if half_pixel_centers:
            src = np.floor((np.arange(n_out) + 0.5) * s)
        else:
            pos = np.arange(n_out) * np.float32(s)
            src = np.round(pos) if align_corners else np.floor(pos)
        return np.minimum(src.astype(np.int64), n_in - 1)

    def build():
        v, single = _as_batch(x)
        v = ops.getitem(v, (slice(None), index(h, oh)))
        v = ops.getitem(v, (slice(None), slice(None), index(w, ow)))
        return ops.squeeze(v, (0,)) if single else v

    return x.graph.build_op("ResizeNearestNeighbor", name, build)


def resize_bilinear(
    images: Any, size: Any, align_corners: bool = False, name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:  # fmt: skip
    """Bilinear resize (TF1 rule: source = dst * scale, no half-pixel centres), float32."""
    x = _image("resize_bilinear", images)
    (oh, ow), (h, w) = _size("resize_bilinear", size), _src("resize_bilinear", x)

    def taps(n_in, n_out):
        s = np.float32(_scale(n_in, n_out, align_corners))
        pos = np.arange(n_out, dtype=np.float32)
        src = (pos + np.float32(0.5)) * s - np.float32(0.5) if half_pixel_centers else pos * s
        lo = np.floor(src)
        frac = (src - lo).astype(np.float32)
        lo_i = np.clip(lo.astype(np.int64), 0, n_in - 1)
        hi_i = np.minimum(lo_i + 1, n_in - 1)
        return lo_i, hi_i, frac

    def lerp(v, axis, n_in, n_out):
        lo, hi, frac = taps(n_in, n_out)
        pre = (slice(None),) * axis
        a, b = ops.getitem(v, (*pre, lo)), ops.getitem(v, (*pre, hi))
        shape = [1] * 4
        shape[axis] = n_out
        return ops.add(a, ops.mul(ops.sub(b, a), frac.reshape(shape)))

    def build():
        v, single = _as_batch(x)
        if np.dtype(v.dtype) != np.float32:
            v = ops.cast(v, np.float32)
        v = lerp(v, 1, h, oh)
        v = lerp(v, 2, w, ow)
        return ops.squeeze(v, (0,)) if single else v

    return x.graph.build_op("ResizeBilinear", name, build)


class ResizeMethod:
    """The methods of `resize_images`."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def resize_images(
    images: Any, size: Any, method: Any = ResizeMethod.BILINEAR, align_corners: bool = False,
    preserve_aspect_ratio: bool = False, name: str | None = None,
) -> Tensor:  # fmt: skip
    """Resize with `method` (bilinear or nearest neighbour), TF1's rules."""
    if preserve_aspect_ratio:
        raise NotImplementedError(
            "tf.image.resize_images(preserve_aspect_ratio=True) is not provided; compute the "
            "target size and pass it"
        )
    if method in (ResizeMethod.BILINEAR, "bilinear"):
        return resize_bilinear(images, size, align_corners, name)
    if method in (ResizeMethod.NEAREST_NEIGHBOR, "nearest"):
        return resize_nearest_neighbor(images, size, align_corners, name)
    raise NotImplementedError(
        f"tf.image.resize_images: method {method!r} is not provided; use "
        "ResizeMethod.BILINEAR or ResizeMethod.NEAREST_NEIGHBOR"
    )


def convert_image_dtype(
    image: Any, dtype: Any, saturate: bool = False, name: str | None = None
) -> Tensor:
    """Convert a float image to another float dtype (duograd tensors have no uint8)."""
    x = _tensor(image)
    src, dst = tfd.as_dtype(x.dtype), tfd.as_dtype(dtype)
    if src == dst:
        return x
    if src.is_floating and dst.is_floating:
        return x.graph.build_op("Cast", name, lambda: ops.cast(x, dst.np_dtype))
    raise NotImplementedError(
        f"tf.image.convert_image_dtype: {src.name} -> {dst.name} is not provided (duograd "
        "tensors have no uint8); feed images as float32 already divided by 255"
    )


def rgb_to_grayscale(images: Any, name: str | None = None) -> Tensor:
    """0.2989 R + 0.5870 G + 0.1140 B, keeping a channel axis of 1."""
    x = _tensor(images)
    if not x.shape or x.shape[-1] not in (3, None):  # TF contracts the last axis with 3 weights
        raise ValueError(f"rgb_to_grayscale: images need a last dimension of 3, got {x}")
    weights = np.array([0.2989, 0.5870, 0.1140], np.float32)

    def build():
        v = x if np.dtype(x.dtype) == np.float32 else ops.cast(x, np.float32)
        g = ops.sum(ops.mul(v, weights), (len(x.shape) - 1,), True)
        return g if np.dtype(x.dtype) == np.float32 else ops.cast(g, x.dtype)

    return x.graph.build_op("rgb_to_grayscale", name, build)


def grayscale_to_rgb(images: Any, name: str | None = None) -> Tensor:
    """Repeat the single channel three times."""
    x = _tensor(images)
    if len(x.shape) < 2 or x.shape[-1] not in (1, None):
        raise ValueError(
            f"grayscale_to_rgb: the last dimension of a grayscale image should be 1, got {x}"
        )
    return x.graph.build_op("grayscale_to_rgb", name, lambda: ops.concat([x, x, x], -1))


def adjust_brightness(image: Any, delta: Any) -> Tensor:
    """image + delta; an integer image is scaled to [0, 1] floats, shifted and saturated back."""
    x = _tensor(image)
    dt = tfd.as_dtype(x.dtype)
    if not (dt.is_floating or dt.is_integer):
        raise TypeError(
            f"adjust_brightness: image dtype must be floating point or integer, got {dt.name}"
        )
    if dt.is_integer:
        return x.graph.build_op("adjust_brightness", None, lambda: _shift_int_image(x, delta))
    if np.dtype(x.dtype) == np.float64:  # as TF: shifted in float32, then cast back

        def shift64():
            moved = ops.add(ops.cast(x, np.float32), ops.cast(_tensor(delta), np.float32))
            return ops.cast(moved, np.float64)

        return x.graph.build_op("adjust_brightness", None, shift64)
    return x.graph.build_op(
        "adjust_brightness", None, lambda: ops.add(x, ops.cast(_tensor(delta), x.dtype))
    )


def _shift_int_image(x: Tensor, delta: Any):
    """TF's integer brightness: float32 x / max + delta, times (max + 0.5), clamped to the
    largest float32 values the dtype holds, truncated."""
    d = np.dtype(x.dtype)
    info = np.iinfo(d)
    f32 = np.float32
    flt = ops.mul(ops.cast(x, f32), f32(1.0 / info.max))
    moved = ops.add(flt, ops.cast(_tensor(delta), f32))
    scaled = ops.mul(moved, f32(info.max + 0.5))
    hi = f32(info.max)
    # TF's saturate_cast moves the bound below the dtype's max when it compares greater in the
    # promoted type (int32: 2**31 in float32); int64's max promotes to float64 as 2**63, equal,
    # so TF keeps 2**63 there, and its cast wraps that to int64's min
    both = np.array([hi, info.max], np.promote_types(f32, d))
    if both[0] > both[1]:
        hi = np.nextafter(hi, f32(0))
    clamped = ops.minimum(ops.maximum(scaled, f32(info.min)), hi)
    return ops.cast(clamped, d)


def adjust_contrast(images: Any, contrast_factor: Any) -> Tensor:
    """(x - mean) * factor + mean, the mean per image and channel over height and width."""
    x = _image("adjust_contrast", images)
    hw = _hw(x)

    def build():
        mean = ops.mean(x, hw, True)
        f = ops.cast(_tensor(contrast_factor), x.dtype)
        return ops.add(ops.mul(ops.sub(x, mean), f), mean)

    return x.graph.build_op("AdjustContrastv2", None, build)


def random_brightness(image: Any, max_delta: float, seed: Any = None) -> Tensor:
    """image + a delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError(f"tf.image.random_brightness: max_delta must be >= 0, got {max_delta}")
    return adjust_brightness(image, random_uniform([], -max_delta, max_delta, seed=seed))


def random_contrast(image: Any, lower: float, upper: float, seed: Any = None) -> Tensor:
    """adjust_contrast with a factor drawn uniformly from [lower, upper)."""
    if not 0 <= lower < upper:
        raise ValueError(f"tf.image.random_contrast: need 0 <= lower < upper, got {lower}, {upper}")
    return adjust_contrast(image, random_uniform([], lower, upper, seed=seed))


NAMES = (
    "flip_left_right flip_up_down random_flip_left_right random_flip_up_down rot90 "
    "crop_to_bounding_box pad_to_bounding_box resize_image_with_crop_or_pad central_crop "
    "per_image_standardization resize_nearest_neighbor resize_bilinear resize_images "
    "ResizeMethod convert_image_dtype rgb_to_grayscale grayscale_to_rgb adjust_brightness "
    "adjust_contrast random_brightness random_contrast"
).split()


def namespace() -> types.ModuleType:
    """The `tf.image` module."""
    mod = types.ModuleType("duograd.frontends.graph.image", "tf.image: image basics.")
    for n in NAMES:
        setattr(mod, n, globals()[n])
    mod.transpose = mod.transpose_image = transpose_image
    mod.resize_with_crop_or_pad = resize_image_with_crop_or_pad
    mod.resize = resize_images
    mod.__all__ = [*NAMES, "transpose", "transpose_image", "resize_with_crop_or_pad", "resize"]
    return mod
