"""The tf.image colour, adjustment, gradient, quality and patch ops against real TF
(tf.compat.v1, graph mode): values and gradients, float32 and float64 where TF allows."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")
tf1 = real_tf.compat.v1

RNG = np.random.default_rng(3)


def _img(*shape):
    return RNG.uniform(0.02, 0.98, shape)


# name -> (arrays, build, differentiable, float64 allowed by TF)
CASES = {
    "rgb_to_hsv": ([_img(2, 4, 5, 3)], lambda tf, x: tf.image.rgb_to_hsv(x), True, True),
    # TF registers no gradient for HSVToRGB: values only
    "hsv_to_rgb": ([_img(2, 4, 5, 3)], lambda tf, x: tf.image.hsv_to_rgb(x), False, True),
    "adjust_saturation": (
        [_img(4, 5, 3)],
        lambda tf, x: tf.image.adjust_saturation(x, 1.7),
        False,
        False,
    ),
    "adjust_hue": ([_img(4, 5, 3)], lambda tf, x: tf.image.adjust_hue(x, 0.3), False, False),
    "adjust_hue_negative": (
        [_img(2, 3, 4, 3)],
        lambda tf, x: tf.image.adjust_hue(x, -0.45),
        False,
        False,
    ),
    "adjust_gamma": (
        [_img(3, 4, 3)],
        lambda tf, x: tf.image.adjust_gamma(x, 2.2, 0.9),
        True,
        False,
    ),
    "rgb_to_yuv": ([_img(3, 4, 3)], lambda tf, x: tf.image.rgb_to_yuv(x), True, True),
    "yuv_to_rgb": ([_img(3, 4, 3)], lambda tf, x: tf.image.yuv_to_rgb(x), True, True),
    "rgb_to_yiq": ([_img(2, 3, 4, 3)], lambda tf, x: tf.image.rgb_to_yiq(x), True, True),
    "yiq_to_rgb": ([_img(3, 4, 3)], lambda tf, x: tf.image.yiq_to_rgb(x), True, True),
    "total_variation_3d": ([_img(4, 5, 2)], lambda tf, x: tf.image.total_variation(x), True, True),
    "total_variation_4d": (
        [_img(2, 4, 5, 2)],
        lambda tf, x: tf.image.total_variation(x),
        True,
        True,
    ),
    "image_gradients": (
        [_img(2, 4, 5, 2)],
        lambda tf, x: list(tf.image.image_gradients(x)),
        True,
        True,
    ),
    "sobel_edges": ([_img(2, 5, 6, 2)], lambda tf, x: tf.image.sobel_edges(x), True, True),
    "psnr": (
        [_img(2, 6, 6, 3), _img(2, 6, 6, 3)],
        lambda tf, a, b: tf.image.psnr(a, b, 1.0),
        True,
        False,
    ),
    "ssim": (
        [_img(2, 16, 16, 3), _img(2, 16, 16, 3)],
        lambda tf, a, b: tf.image.ssim(a, b, 1.0, filter_size=7),
        True,
        False,
    ),
    "extract_image_patches": (
        [_img(2, 6, 7, 3)],
        lambda tf, x: tf.extract_image_patches(x, [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 2, 1], "SAME"),
        True,
        True,
    ),  # fmt: skip
    "extract_patches_valid": (
        [_img(1, 5, 5, 2)],
        lambda tf, x: tf.image.extract_patches(
            x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"
        ),
        True,
        True,
    ),  # fmt: skip
}


def _run(tf, arrays, build, dtype, grads):
    with tf.Graph().as_default():
        phs = [tf.placeholder(dtype, a.shape) for a in arrays]
        out = build(tf, *phs)
        outs = out if isinstance(out, list) else [out]
        feed = {p: a.astype(dtype) for p, a in zip(phs, arrays, strict=True)}
        fetch = list(outs)
        if grads:
            weights = [tf.constant(RNG.standard_normal(o.shape.as_list()), o.dtype) for o in outs]
            total = tf.add_n([tf.reduce_sum(o * w) for o, w in zip(outs, weights, strict=True)])
            fetch += tf.gradients(total, phs)
        with tf.Session() as sess:
            return sess.run(fetch, feed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tf(case, dtype):
    arrays, build, grads, f64 = CASES[case]
    if dtype == np.float64 and not f64:
        pytest.skip("TF computes this op in float32 only")
    state = RNG.bit_generator.state
    ours = _run(dg, arrays, build, dtype, grads)
    RNG.bit_generator.state = state  # the same gradient weights for both
    theirs = _run(tf1, arrays, build, dtype, grads)
    tol = 2e-5 if dtype == np.float32 else 1e-9
    for o, t in zip(ours, theirs, strict=True):
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_allclose(o, t, rtol=tol, atol=tol)


def test_random_crop_is_a_window_and_random_hue_saturation_stay_in_range():
    value = np.arange(5 * 6 * 2, dtype=np.float32).reshape(5, 6, 2)
    with dg.Graph().as_default():
        crop = dg.random_crop(dg.constant(value), [3, 4, 2], seed=1)
        img = dg.constant(_img(4, 4, 3).astype(np.float32))
        hue = dg.image.random_hue(img, 0.2)
        sat = dg.image.random_saturation(img, 0.5, 1.5)
        assert crop.shape.as_list() == [3, 4, 2]
        seen = set()
        with dg.Session() as sess:
            for _ in range(30):
                c, h, s = sess.run([crop, hue, sat])
                y, x = divmod(int(c[0, 0, 0]) // 2, 6)
                np.testing.assert_array_equal(c, value[y : y + 3, x : x + 4])
                seen.add((y, x))
                assert h.min() >= -1e-6 and h.max() <= 1 + 1e-6 and s.shape == (4, 4, 3)
    assert len(seen) > 3  # several offsets drawn
    with dg.Graph().as_default():
        with pytest.raises(ValueError, match="random_crop: size .* does not fit"):
            dg.image.random_crop(dg.zeros([2, 2]), [3, 2])
        with pytest.raises(ValueError, match="max_delta must be in"):
            dg.image.random_hue(dg.zeros([2, 2, 3]), 0.7)
        with pytest.raises(TypeError, match="rgb_to_hsv: expects a float image"):
            dg.image.rgb_to_hsv(dg.zeros([2, 2, 3], dg.int32))
