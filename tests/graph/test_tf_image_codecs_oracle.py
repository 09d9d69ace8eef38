"""tf.uint8 and the tf.image codecs against real TensorFlow (tf.compat.v1, graph mode)."""

from __future__ import annotations

import io

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")
tf1 = real_tf.compat.v1
Image = pytest.importorskip("PIL.Image")

MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _tf_run(build):
    with tf1.Graph().as_default(), tf1.Session() as sess:
        return sess.run(build(tf1))


def _dg_run(build, feed=None):
    with dg.Graph().as_default(), dg.Session() as sess:
        out = build(dg)
        return sess.run(out, feed)


def _image(shape, seed=0):
    rng = np.random.default_rng(seed)
    # smooth rows make PNG encoders pick every filter type
    a = np.cumsum(rng.integers(0, 40, shape), axis=1) + rng.integers(0, 256, shape[-1:])
    return (a % 256).astype(np.uint8)


def _smooth(shape, seed=0):
    """A smooth image: JPEG decoders agree exactly on it (sharp edges can differ by rounding)."""
    rng = np.random.default_rng(seed)
    a = 128 + np.cumsum(rng.integers(-12, 13, shape), axis=1)
    return np.clip(a, 0, 255).astype(np.uint8)


def _pil_bytes(a, fmt, **kw):
    buf = io.BytesIO()
    Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a, MODES[a.shape[-1]]).save(buf, fmt, **kw)
    return buf.getvalue()


def test_uint8_placeholders_constants_casts_slices_and_comparisons():
    v = _image((2, 5, 4, 3))

    def build(tf):
        x = tf.placeholder(tf.uint8, [None, 5, 4, 3]) if tf is dg else tf.constant(v)
        c = tf.constant(np.arange(6, dtype=np.uint8))
        return x, [
            tf.cast(x, tf.float32) / 255.0,
            tf.reshape(x, [-1, 60]),
            x[:, 1:4, ::2],
            tf.equal(x, tf.constant(7, tf.uint8)),
            tf.greater(x, tf.constant(100, tf.uint8)),
            c,
            tf.cast(tf.cast(x, tf.float32) * 0.5, tf.uint8),
            tf.image.convert_image_dtype(x, tf.float32),
            tf.image.convert_image_dtype(tf.constant([[[0.0, 0.5, 1.0, 0.999]]]), tf.uint8),
            tf.image.convert_image_dtype(
                tf.constant([[[-0.2, 1.3]]], tf.float64), tf.uint8, saturate=True
            ),
        ]

    with dg.Graph().as_default(), dg.Session() as sess:
        x, outs = build(dg)
        ours = sess.run(outs, {x: v})
    theirs = _tf_run(lambda tf: build(tf)[1])
    for o, t in zip(ours, theirs, strict=True):
        assert o.dtype == t.dtype and o.shape == t.shape
        np.testing.assert_array_equal(o, t)
    assert dg.uint8.is_integer and dg.uint8.max == 255 and dg.as_dtype("uint8") == dg.uint8


@pytest.mark.parametrize("stored", [1, 2, 3, 4])
@pytest.mark.parametrize("channels", [0, 1, 3, 4])
def test_decode_png_matches_tf(stored, channels):
    data = _pil_bytes(_image((9, 13, stored), stored), "PNG", optimize=True)
    ours = _dg_run(lambda tf: tf.image.decode_png(data, channels=channels))
    theirs = _tf_run(lambda tf: tf.image.decode_png(data, channels=channels))
    assert ours.dtype == theirs.dtype == np.uint8 and ours.shape == theirs.shape
    if channels == 1 and stored >= 3:  # the grey weights are libpng's fixed-point ones
        assert np.abs(ours.astype(int) - theirs).max() <= 1
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_decode_png_palette_16bit_and_decode_image():
    rgb = _image((12, 10, 3), 5)
    pal = _pil_bytes(rgb, "PNG")
    buf = io.BytesIO()
    Image.fromarray(rgb).convert("P").save(buf, "PNG")
    deep = _image((4, 6, 1), 9).astype(np.uint16) * 251
    buf16 = io.BytesIO()
    Image.fromarray(deep[..., 0]).save(buf16, "PNG")
    for data in (pal, buf.getvalue(), buf16.getvalue()):
        ours = _dg_run(lambda tf, d=data: tf.image.decode_image(d))
        theirs = _tf_run(lambda tf, d=data: tf.image.decode_image(d))
        np.testing.assert_array_equal(ours, theirs)
        f_ours = _dg_run(lambda tf, d=data: tf.image.decode_image(d, dtype=tf.float32))
        f_theirs = _tf_run(lambda tf, d=data: tf.image.decode_image(d, dtype=tf.float32))
        assert f_ours.dtype == f_theirs.dtype
        np.testing.assert_allclose(f_ours, f_theirs, rtol=0, atol=1e-7)


@pytest.mark.parametrize("stored", [1, 3, 4])
def test_decode_bmp_matches_tf(stored):
    a = _image((7, 5, stored), stored)
    data = _pil_bytes(a if stored != 4 else a, "BMP")
    ours = _dg_run(lambda tf: tf.image.decode_bmp(data))
    theirs = _tf_run(lambda tf: tf.io.decode_bmp(data))
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("channels", [0, 1, 3])
@pytest.mark.parametrize("stored", [1, 3])
def test_decode_jpeg_and_shape_match_tf(channels, stored):
    data = _pil_bytes(_smooth((16, 24, stored), 3), "JPEG", quality=90)

    def build(tf):
        return [
            tf.image.decode_jpeg(data, channels=channels, dct_method="INTEGER_ACCURATE"),
            tf.image.extract_jpeg_shape(data),
            tf.image.is_jpeg(data),
            tf.image.decode_image(data, channels=channels),
        ]

    ours, theirs = _dg_run(build), _tf_run(build)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == np.uint8
    diff = np.abs(ours[0].astype(int) - theirs[0])
    if stored == 1 or channels == 1:  # the luma plane: the accurate IDCT gives TF's values
        np.testing.assert_array_equal(ours[0], theirs[0])
    else:  # Pillow's libjpeg build upsamples the chroma planes with other rounding
        assert diff.max() <= 4 and diff.mean() < 1.0
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[1].dtype == theirs[1].dtype and bool(ours[2]) is bool(theirs[2]) is True
    # TF's default IDCT is the fast one; ours is always the accurate one
    assert np.abs(ours[3].astype(int) - theirs[3]).max() <= 5
    assert not _dg_run(lambda tf: tf.image.is_jpeg(_pil_bytes(_image((2, 2, 3)), "PNG")))


def test_decode_gif_all_frames():
    frames = [Image.fromarray(_image((6, 8, 3), k)).convert("P") for k in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    data = buf.getvalue()
    ours = _dg_run(lambda tf: tf.image.decode_gif(data))
    theirs = _tf_run(lambda tf: tf.image.decode_gif(data))
    assert ours.shape == theirs.shape == (3, 6, 8, 3)
    np.testing.assert_array_equal(ours, theirs)


def test_encode_png_and_jpeg_round_trip_through_tf():
    a = _smooth((10, 7, 3), 4)
    png = dg.image.encode_png(a)
    np.testing.assert_array_equal(_tf_run(lambda tf: tf.image.decode_png(png)), a)
    with dg.Graph().as_default():
        png2 = dg.image.encode_png(dg.constant(a), compression=9)
    np.testing.assert_array_equal(_tf_run(lambda tf: tf.image.decode_png(png2)), a)
    jpg = dg.image.encode_jpeg(a, quality=100, chroma_downsampling=False)
    back = _tf_run(lambda tf: tf.image.decode_jpeg(jpg))
    theirs = _tf_run(
        lambda tf: tf.image.decode_jpeg(
            tf.image.encode_jpeg(a, quality=100, chroma_downsampling=False)
        )
    )
    # two libjpeg builds encode with other rounding: close, not bit-equal
    assert np.abs(back.astype(int) - a).max() <= 8
    assert np.abs(back.astype(int) - theirs).mean() < 1.5


def test_decode_inside_dataset_map(tmp_path):
    paths = []
    for k in range(3):
        p = tmp_path / f"img{k}.png"
        p.write_bytes(_pil_bytes(_image((4 + k, 5, 3), k), "PNG"))
        paths.append(str(p))

    def build(tf):
        ds = tf.data.Dataset.from_tensor_slices(paths).map(
            lambda f: tf.reduce_mean(
                tf.image.flip_left_right(
                    tf.image.convert_image_dtype(
                        tf.image.decode_png(tf.read_file(f), 3), tf.float32
                    )
                )[:, :3],
                axis=0,
            )
        )
        return tf.data.make_one_shot_iterator(ds).get_next()

    with dg.Graph().as_default(), dg.Session() as sess:
        it = build(dg)
        ours = [sess.run(it) for _ in range(3)]
    with tf1.Graph().as_default(), tf1.Session() as sess:
        it = build(tf1)
        theirs = [sess.run(it) for _ in range(3)]
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o, t, rtol=1e-6, atol=1e-6)


def test_codec_errors_name_the_op():
    with dg.Graph().as_default():
        with pytest.raises(dg.errors.InvalidArgumentError, match="decode_png.*signature"):
            dg.image.decode_png(b"not an image")
        with pytest.raises(ValueError, match="decode_png: channels must be 0, 1, 3 or 4"):
            dg.image.decode_png(b"", channels=2)
        with pytest.raises(TypeError, match="decode_jpeg: contents must be image bytes"):
            dg.image.decode_jpeg(dg.zeros([3]))
        with pytest.raises(NotImplementedError, match="encode_png: encoding a computed tensor"):
            dg.image.encode_png(dg.reshape(dg.zeros([12], dg.uint8), [2, 2, 3]))
        with pytest.raises(ValueError, match="encode_png: image must be"):
            dg.image.encode_png(np.zeros((2, 2), np.uint8))
        with pytest.raises(dg.errors.InvalidArgumentError, match="unknown image format"):
            dg.image.decode_image(b"GIF-ish but not")
