"""`tf.image` decoders and encoders: decode_png / jpeg / bmp / gif / image, extract_jpeg_shape,
is_jpeg, encode_png / encode_jpeg, and a uint8-aware convert_image_dtype.

Image bytes are host strings here: Python bytes (e.g. from `tf.read_file(path)` with a str
path) decode at graph-build time into a uint8 constant; a host string inside `Dataset.map` or from
a reader decodes per record (a host stage feeding a uint8 placeholder, see data/parsing.py).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ...core import image_codecs as codecs
from ...core import ops
from . import errors
from .array_ops import placeholder
from .convert import constant
from .data.parsing import HostValue, _record, _record_bytes
from .image_ops import tfd  # the dtypes module (the package attribute is tf.dtypes)
from .math_ops import _tensor
from .tensor import Tensor


def _decoded(op: str, contents: Any, fn: Any, shape: list, dtype: Any = tfd.uint8) -> Any:
    """Run `fn(bytes) -> array` now on Python bytes, or per record on a host string."""
    if isinstance(contents, Tensor):
        raise TypeError(
            f"tf.image.{op}: contents must be image bytes (bytes, tf.read_file(path) or a host "
            f"string inside Dataset.map / from a reader), got the tensor {contents}"
        )

    def run(value: Any) -> np.ndarray:
        data = _record_bytes(value, f"tf.image.{op}")
        try:
            return fn(data)
        except codecs.ImageDecodeError as e:
            raise errors.InvalidArgumentError(None, None, f"tf.image.{op}: {e}") from None

    if isinstance(contents, HostValue):
        out = placeholder(dtype, shape, name=op)
        _record(lambda v: [run(v)], [contents], [out])
        return out
    return constant(run(contents), dtype=dtype, name=op)


def _hwc(channels: int) -> list:
    return [None, None, channels or None]


def decode_png(
    contents: Any, channels: int = 0, dtype: Any = tfd.uint8, name: str | None = None
) -> Any:
    """A PNG as [height, width, channels] uint8 (channels 0: as stored)."""
    ch = codecs.check_channels("decode_png", channels)
    dt = tfd.as_dtype(dtype)
    if dt != tfd.uint8:
        raise TypeError(f"tf.image.decode_png: dtype must be tf.uint8 here, got {dt.name}")
    return _decoded("decode_png", contents, lambda b: codecs.decode_png(b, ch), _hwc(ch))


def decode_bmp(contents: Any, channels: int = 0, name: str | None = None) -> Any:
    """A BMP (8, 24 or 32 bits, uncompressed) as [height, width, channels] uint8."""
    ch = codecs.check_channels("decode_bmp", channels)
    return _decoded("decode_bmp", contents, lambda b: codecs.decode_bmp(b, ch), _hwc(ch))


def decode_jpeg(
    contents: Any,
    channels: int = 0,
    ratio: int = 1,
    fancy_upscaling: bool = True,
    try_recover_truncated: bool = False,
    acceptable_fraction: float = 1,
    dct_method: str = "",
    name: str | None = None,
) -> Any:
    """A JPEG as [height, width, channels] uint8 (needs the `images` extra: Pillow)."""
    ch = codecs.check_channels("decode_jpeg", channels)
    if ch == 4:
        raise ValueError("tf.image.decode_jpeg: channels must be 0, 1 or 3, got 4")
    if int(ratio) not in (1, 2, 4, 8):
        raise ValueError(f"tf.image.decode_jpeg: ratio must be 1, 2, 4 or 8, got {ratio}")
    return _decoded(
        "decode_jpeg", contents, lambda b: codecs.decode_jpeg(b, ch, int(ratio)), _hwc(ch)
    )


def decode_and_crop_jpeg(
    contents: Any, crop_window: Any, channels: int = 0, name: str | None = None, **kw: Any
) -> Any:
    """decode_jpeg, then the window [y, x, height, width] (a list of Python ints)."""
    y, x, h, w = (int(v) for v in np.asarray(crop_window).reshape(4))
    ch = codecs.check_channels("decode_and_crop_jpeg", channels)

    def fn(b: bytes) -> np.ndarray:
        img = codecs.decode_jpeg(b, ch)
        if y < 0 or x < 0 or y + h > img.shape[0] or x + w > img.shape[1]:
            raise codecs.ImageDecodeError(
                f"crop window {[y, x, h, w]} is outside the {img.shape[0]}x{img.shape[1]} image"
            )
        return np.ascontiguousarray(img[y : y + h, x : x + w])

    return _decoded("decode_and_crop_jpeg", contents, fn, [h, w, ch or None])


def decode_gif(contents: Any, name: str | None = None) -> Any:
    """Every frame of a GIF as [frames, height, width, 3] uint8 (needs the `images` extra)."""
    return _decoded("decode_gif", contents, codecs.decode_gif, [None, None, None, 3])


def decode_image(
    contents: Any,
    channels: int | None = None,
    dtype: Any = tfd.uint8,
    name: str | None = None,
    expand_animations: bool = True,
) -> Any:
    """PNG, JPEG, BMP or GIF by its signature; dtype float32 scales to [0, 1] as TF."""
    ch = codecs.check_channels("decode_image", channels or 0)
    dt = tfd.as_dtype(dtype)
    if dt not in (tfd.uint8, tfd.float32, tfd.float64):
        raise TypeError(f"tf.image.decode_image: dtype must be uint8 or float, got {dt.name}")
    shape = None if expand_animations else _hwc(ch)
    if dt == tfd.uint8:
        return _decoded(
            "decode_image", contents, lambda b: codecs.decode_any(b, ch, expand_animations), shape
        )

    def to_float(b: bytes) -> np.ndarray:
        # as TF: a PNG decodes at 16 bits before scaling, other formats at 8
        if codecs.image_format(b) == "png":
            v, top = codecs.decode_png(b, ch, np.uint16), 65535.0
        else:
            v, top = codecs.decode_any(b, ch, expand_animations), 255.0
        return v.astype(dt.np_dtype) * dt.np_dtype.type(1.0 / top)

    return _decoded("decode_image", contents, to_float, shape, dt)


def extract_jpeg_shape(contents: Any, output_type: Any = tfd.int32, name: str | None = None) -> Any:
    """[height, width, channels] of a JPEG, read from its header (no decoding)."""
    dt = tfd.as_dtype(output_type)
    if dt not in (tfd.int32, tfd.int64):
        raise TypeError(
            f"tf.image.extract_jpeg_shape: output_type must be int32 or int64, got {dt}"
        )

    def fn(b: bytes) -> np.ndarray:
        return np.asarray(codecs.jpeg_shape(b), dt.np_dtype)

    return _decoded("extract_jpeg_shape", contents, fn, [3], dt)


def is_jpeg(contents: Any, name: str | None = None) -> Any:
    """True when the bytes start like a JPEG file (a bool scalar)."""

    def fn(b: bytes) -> np.ndarray:
        return np.asarray(codecs.image_format(b) == "jpeg")

    return _decoded("is_jpeg", contents, fn, [], tfd.bool)


def _host_image(op: str, image: Any) -> np.ndarray:
    """The value of an image given as an array or a constant tensor (encoders run on the host)."""
    if isinstance(image, Tensor):
        value = image.node.params.get("value") if image.node.kind.lower() == "const" else None
        if value is None:
            raise NotImplementedError(
                f"tf.image.{op}: encoding a computed tensor into a fetchable string is not "
                "provided (the graph style has no string tensors); fetch the uint8 image with "
                f"sess.run and encode its value with tf.image.{op}(array)"
            )
        return np.asarray(value)
    return np.asarray(image)


def encode_png(image: Any, compression: int = -1, name: str | None = None) -> bytes:
    """PNG bytes of a [height, width, channels] uint8/uint16 array."""
    try:
        return codecs.encode_png(_host_image("encode_png", image), compression)
    except (TypeError, ValueError) as e:
        raise type(e)(f"tf.image.{e}") from None


def encode_jpeg(
    image: Any,
    format: str = "",  # noqa: A002 - TF's keyword
    quality: int = 95,
    progressive: bool = False,
    optimize_size: bool = False,
    chroma_downsampling: bool = True,
    density_unit: str = "in",
    x_density: int = 300,
    y_density: int = 300,
    xmp_metadata: str = "",
    name: str | None = None,
) -> bytes:
    """JPEG bytes of a [height, width, 1 or 3] uint8 array (needs the `images` extra)."""
    img = _host_image("encode_jpeg", image)
    if img.dtype != np.uint8:
        raise TypeError(f"tf.image.encode_jpeg: image dtype must be uint8, got {img.dtype}")
    try:
        return codecs.encode_jpeg(img, quality, chroma_downsampling, progressive, optimize_size)
    except ValueError as e:
        raise ValueError(f"tf.image.{e}") from None


def convert_image_dtype(
    image: Any, dtype: Any, saturate: bool = False, name: str | None = None
) -> Tensor:
    """Integer images scale to [0, 1] floats and back (uint8: / 255, * 255.5 then truncate)."""
    x = _tensor(image)
    src, dst = tfd.as_dtype(x.dtype), tfd.as_dtype(dtype)
    if src == dst:
        return x
    if src.is_floating and dst.is_floating:
        return x.graph.build_op("Cast", name, lambda: ops.cast(x, dst.np_dtype))
    if src == tfd.uint8 and dst.is_floating:
        scale = np.asarray(1.0 / 255.0, dst.np_dtype)
        return x.graph.build_op(
            "convert_image", name, lambda: ops.mul(ops.cast(x, dst.np_dtype), scale)
        )
    if src.is_floating and dst == tfd.uint8:
        # TF: multiply by (max + 0.5) and truncate, clipping first when saturate=True
        zero = np.asarray(0.0, src.np_dtype)

        def build():
            v = x
            if saturate:
                v = ops.minimum(ops.maximum(v, zero), np.asarray(1.0, src.np_dtype))
            return ops.cast(ops.mul(v, np.asarray(255.5, src.np_dtype)), np.uint8)

        return x.graph.build_op("convert_image", name, build)
    raise NotImplementedError(
        f"tf.image.convert_image_dtype: {src.name} -> {dst.name} is not provided; convert "
        "between uint8 and float32/float64, or between float dtypes"
    )


NAMES = (
    "decode_png decode_bmp decode_jpeg decode_and_crop_jpeg decode_gif decode_image "
    "extract_jpeg_shape is_jpeg encode_png encode_jpeg convert_image_dtype"
).split()


def attach(tf: types.ModuleType) -> None:
    """Put the codecs on `tf.image` (and the decoders on `tf.io`)."""
    image = tf.image
    for n in NAMES:
        setattr(image, n, globals()[n])
    image.__all__ = [*getattr(image, "__all__", []), *NAMES]
    io = getattr(tf, "io", None)
    if io is not None:
        for n in NAMES[:-1]:
            setattr(io, n, globals()[n])
