"""Image file codecs on bytes: PNG and BMP with the standard library, JPEG and GIF via Pillow.

Decoders return uint8 arrays shaped (height, width, channels) (GIF: (frames, h, w, 3)); the
channel conversions follow TF's decode ops: 0 keeps the file's channels, 1 is grey, 3 is RGB,
4 is RGBA (an added alpha is opaque).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from numba import njit

from .extras import require

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_CHANNELS = (0, 1, 3, 4)


class ImageDecodeError(ValueError):
    """The bytes are not a valid image of the expected format."""


def image_format(data: bytes) -> str:
    """'png', 'jpeg', 'gif', 'bmp' or 'unknown' from the first bytes."""
    if data[:8] == _PNG_MAGIC:
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    return "unknown"


def check_channels(op: str, channels: int) -> int:
    """`channels` as an int in (0, 1, 3, 4), or ValueError naming the op."""
    if int(channels) not in _CHANNELS:
        raise ValueError(f"{op}: channels must be 0, 1, 3 or 4, got {channels!r}")
    return int(channels)


def convert_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """Convert an (h, w, c) image to `channels` channels (0 keeps it)."""
    have = img.shape[-1]
    if channels in (0, have):
        return img
    if have == 2:  # grey + alpha
        img = img[..., :1] if channels == 1 else img
        if channels == 3:
            return np.repeat(img[..., :1], 3, axis=-1)
        if channels == 4:
            return np.concatenate([np.repeat(img[..., :1], 3, axis=-1), img[..., 1:]], -1)
        return img
    if channels == 1:
        rgb = img[..., :3].astype(np.float64)
        # ITU-R 601 weights, rounded, as libpng's and libjpeg's grey conversions
        g = rgb @ np.array([0.299, 0.587, 0.114])
        return np.clip(np.floor(g + 0.5), 0, 255).astype(np.uint8)[..., None]
    if have == 1:
        img = np.repeat(img, 3, axis=-1)
        have = 3
    if channels == 3:
        return img[..., :3]
    alpha = np.full(img.shape[:-1] + (1,), 255, np.uint8)
    return np.concatenate([img[..., :3], alpha], -1)


# ---- PNG -----------------------------------------------------------------------------------------


@njit(cache=True)
def _unfilter_rows(rows: np.ndarray, bpp: int) -> np.ndarray:
    height, stride = rows.shape[0], rows.shape[1] - 1
    out = np.zeros((height, stride), np.uint8)
    for y in range(height):
        kind = rows[y, 0]
        for x in range(stride):
            left = np.int32(out[y, x - bpp]) if x >= bpp else np.int32(0)
            up = np.int32(out[y - 1, x]) if y > 0 else np.int32(0)
            upleft = np.int32(out[y - 1, x - bpp]) if (y > 0 and x >= bpp) else np.int32(0)
            if kind == 0:
                pred = np.int32(0)
            elif kind == 1:
                pred = left
            elif kind == 2:
                pred = up
            elif kind == 3:
                pred = (left + up) >> 1
            elif kind == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if (pa <= pb and pa <= pc) else (up if pb <= pc else upleft)
            else:
                return out[:0]  # unknown filter type: the caller reports it
            out[y, x] = np.uint8((np.int32(rows[y, x + 1]) + pred) & 255)
    return out


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> np.ndarray:
    rows = np.frombuffer(raw, np.uint8)
    if rows.size != height * (stride + 1):
        raise ImageDecodeError(
            f"PNG image data has {rows.size} bytes, expected {height * (stride + 1)}"
        )
    rows = rows.reshape(height, stride + 1)
    out = _unfilter_rows(rows, bpp)
    if out.shape[0] != height:
        bad = int(np.flatnonzero(rows[:, 0] > 4)[0])
        raise ImageDecodeError(f"PNG row {bad} has unknown filter type {rows[bad, 0]}")
    return out


def decode_png(data: bytes, channels: int = 0, dtype: type = np.uint8) -> np.ndarray:
    """Decode PNG bytes to (h, w, c) uint8 (or uint16 with dtype=np.uint16)."""
    if data[:8] != _PNG_MAGIC:
        raise ImageDecodeError("not a PNG file (bad signature)")
    pos, idat, palette, trns = 8, [], None, None
    width = height = depth = ctype = interlace = None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif tag == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif tag == b"tRNS":
            trns = body
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    if width is None or not idat:
        raise ImageDecodeError("PNG file has no IHDR or no image data")
    if interlace:
        raise ImageDecodeError("interlaced (Adam7) PNG files are not supported")
    if depth not in (1, 2, 4, 8, 16):
        raise ImageDecodeError(f"PNG bit depth {depth} is invalid")
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if samples is None:
        raise ImageDecodeError(f"PNG colour type {ctype} is invalid")
    bits = samples * depth
    stride = (width * bits + 7) // 8
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise ImageDecodeError(f"PNG image data is corrupt: {e}") from None
    rows = _unfilter(raw, height, stride, max(1, bits // 8))
    if depth == 16:
        img = rows.view(">u2").reshape(height, width, samples).astype(np.uint16)
    elif depth == 8:
        img = rows.reshape(height, width, samples)
    else:
        unpacked = np.unpackbits(rows, axis=1).reshape(height, -1, depth)
        vals = unpacked @ (1 << np.arange(depth - 1, -1, -1))
        img = vals[:, :width].astype(np.uint8).reshape(height, width, 1)
        if ctype == 0:  # scale grey levels to 0..255
            img = (img.astype(np.uint16) * (255 // ((1 << depth) - 1))).astype(np.uint8)
    if ctype == 3:
        if palette is None:
            raise ImageDecodeError("PNG palette image has no PLTE chunk")
        idx = img[..., 0]
        rgb = palette[idx]
        if trns is not None:
            alpha = np.full(len(palette), 255, np.uint8)
            alpha[: len(trns)] = np.frombuffer(trns, np.uint8)[: len(palette)]
            img = np.concatenate([rgb, alpha[idx][..., None]], -1)
        else:
            img = rgb
    want = np.dtype(dtype)
    if want == np.uint8 and img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif want == np.uint16 and img.dtype == np.uint8:
        img = img.astype(np.uint16) * 257
    return _convert_any(img, channels)


def _convert_any(img: np.ndarray, channels: int) -> np.ndarray:
    if img.dtype == np.uint8:
        return convert_channels(img, channels)
    # 16-bit: convert on the high byte's scale with the same rules
    return convert_channels(img.astype(np.float64), channels).astype(img.dtype)


def _chunk(tag: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(tag + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)


def encode_png(image: np.ndarray, compression: int = -1) -> bytes:
    """PNG bytes of an (h, w, c) uint8/uint16 image, c in 1..4 (filter type 0 on every row)."""
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"encode_png: image must be (height, width, 1..4), got {img.shape}")
    if img.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"encode_png: image dtype must be uint8 or uint16, got {img.dtype}")
    if not -1 <= int(compression) <= 9:
        raise ValueError(f"encode_png: compression must be in -1..9, got {compression}")
    h, w, c = img.shape
    depth = 8 if img.dtype == np.uint8 else 16
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    body = img.astype(">u2").tobytes() if depth == 16 else img.tobytes()
    stride = w * c * depth // 8
    rows = b"".join(b"\x00" + body[y * stride : (y + 1) * stride] for y in range(h))
    header = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    return (
        _PNG_MAGIC
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, int(compression)))
        + _chunk(b"IEND", b"")
    )


# ---- BMP -----------------------------------------------------------------------------------------


def decode_bmp(data: bytes, channels: int = 0) -> np.ndarray:
    """Decode an uncompressed 8/24/32-bit BMP to (h, w, 1|3|4) uint8 (BGR(A) stored, RGB(A) out)."""
    if data[:2] != b"BM" or len(data) < 54:
        raise ImageDecodeError("not a BMP file (bad signature)")
    (offset,) = struct.unpack("<I", data[10:14])
    header_size, width, height, _, bpp, compression = struct.unpack("<IiiHHI", data[14:34])
    if compression not in (0, 3):
        raise ImageDecodeError(f"BMP compression {compression} is not supported (only BI_RGB)")
    if bpp not in (8, 24, 32):
        raise ImageDecodeError(f"BMP with {bpp} bits per pixel is not supported (8, 24 or 32)")
    top_down, height = height < 0, abs(height)
    stride = ((width * bpp + 31) // 32) * 4
    need = offset + stride * height
    if len(data) < need:
        raise ImageDecodeError(f"BMP file is truncated: {len(data)} bytes, needs {need}")
    rows = np.frombuffer(data, np.uint8, stride * height, offset).reshape(height, stride)
    if bpp == 8:  # as TF: one grey channel holding the stored values (the palette is unused)
        img = rows[:, :width, None]
    else:
        c = bpp // 8
        px = rows[:, : width * c].reshape(height, width, c)
        img = np.concatenate([px[..., 2::-1], px[..., 3:]], -1) if c == 4 else px[..., ::-1]
    if not top_down:
        img = img[::-1]
    return convert_channels(np.ascontiguousarray(img), channels)


def encode_bmp(image: np.ndarray) -> bytes:
    """24-bit (3 channels) or 32-bit (4 channels) bottom-up BMP bytes of a uint8 image."""
    img = np.asarray(image, np.uint8)
    h, w, c = img.shape
    px = img[::-1, :, [2, 1, 0] + ([3] if c == 4 else [])]
    stride = ((w * c * 8 + 31) // 32) * 4
    rows = np.zeros((h, stride), np.uint8)
    rows[:, : w * c] = px.reshape(h, -1)
    size = 54 + rows.size
    head = b"BM" + struct.pack("<IHHI", size, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, c * 8, 0, rows.size, 2835, 2835, 0, 0)
    return head + info + rows.tobytes()


# ---- JPEG and GIF (Pillow) -----------------------------------------------------------------------


def _pil(feature: str):
    return require("PIL.Image", "images", feature)


def jpeg_shape(data: bytes) -> tuple[int, int, int]:
    """(height, width, components) read from a JPEG's start-of-frame marker."""
    if data[:2] != b"\xff\xd8":
        raise ImageDecodeError("not a JPEG file (bad signature)")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ImageDecodeError(f"JPEG marker expected at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            _, h, w, comps = struct.unpack(">BHHB", data[pos + 4 : pos + 10])
            return h, w, comps
        pos += 2 + length
    raise ImageDecodeError("JPEG file has no start-of-frame marker")


def decode_jpeg(data: bytes, channels: int = 0, ratio: int = 1) -> np.ndarray:
    """Decode JPEG bytes to (h, w, c) uint8 with Pillow (the `images` extra).

    The decoder uses libjpeg's accurate integer IDCT (TF's dct_method="INTEGER_ACCURATE").
    """
    image_mod = _pil("decode_jpeg")
    if data[:2] != b"\xff\xd8":
        raise ImageDecodeError("not a JPEG file (bad signature)")
    try:
        im = image_mod.open(io.BytesIO(data))
        # grey output straight from the decoder (the luma plane), as libjpeg does for TF
        mode = "L" if channels == 1 else im.mode
        if ratio != 1 or mode != im.mode:
            im.draft(mode, (-(-im.width // ratio), -(-im.height // ratio)))
        im.load()
    except Exception as e:  # Pillow raises several types for corrupt data
        raise ImageDecodeError(f"JPEG data is corrupt: {e}") from None
    if im.mode not in ("L", "RGB"):
        im = im.convert("RGB")
    img = np.asarray(im, np.uint8)
    img = img[..., None] if img.ndim == 2 else img
    return convert_channels(img, channels)


def encode_jpeg(
    image: np.ndarray,
    quality: int = 95,
    chroma_downsampling: bool = True,
    progressive: bool = False,
    optimize_size: bool = False,
) -> bytes:
    """JPEG bytes of an (h, w, 1|3) uint8 image with Pillow (the `images` extra)."""
    image_mod = _pil("encode_jpeg")
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[-1] not in (1, 3):
        raise ValueError(f"encode_jpeg: image must be (height, width, 1 or 3), got {img.shape}")
    if not 0 <= int(quality) <= 100:
        raise ValueError(f"encode_jpeg: quality must be in 0..100, got {quality}")
    im = image_mod.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
    buf = io.BytesIO()
    im.save(
        buf,
        "JPEG",
        quality=int(quality),
        subsampling=2 if chroma_downsampling else 0,
        progressive=bool(progressive),
        optimize=bool(optimize_size),
    )
    return buf.getvalue()


def decode_gif(data: bytes) -> np.ndarray:
    """Every frame of a GIF as (frames, h, w, 3) uint8 RGB, via Pillow (the `images` extra)."""
    image_mod = _pil("decode_gif")
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ImageDecodeError("not a GIF file (bad signature)")
    im = image_mod.open(io.BytesIO(data))
    frames = []
    for k in range(getattr(im, "n_frames", 1)):
        im.seek(k)
        frames.append(np.asarray(im.convert("RGB"), np.uint8))
    return np.stack(frames)


def decode_any(data: bytes, channels: int = 0, expand_animations: bool = True) -> np.ndarray:
    """Decode PNG, JPEG, BMP or GIF by its signature (as tf.image.decode_image)."""
    kind = image_format(data)
    if kind == "png":
        return decode_png(data, channels)
    if kind == "jpeg":
        return decode_jpeg(data, channels)
    if kind == "bmp":
        return decode_bmp(data, channels)
    if kind == "gif":
        frames = decode_gif(data)
        if channels not in (0, 3):
            raise ValueError(f"decode_image: a GIF has 3 channels, channels={channels} asked")
        return frames if expand_animations else frames[0]
    raise ImageDecodeError("unknown image format: expected JPEG, PNG, GIF or BMP bytes")
