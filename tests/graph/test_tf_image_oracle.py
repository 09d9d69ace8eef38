"""tf.image basics against real TensorFlow (compat.v1 graph mode): values, gradients, dtypes."""

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


R = np.random.RandomState(3)
IMG = R.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)
ONE = IMG[0]

# name -> (program(tf, x) -> y, input, differentiable)
PROGRAMS = {
    "flip_lr": (lambda tf, x: tf.image.flip_left_right(x), IMG, True),
    "flip_ud": (lambda tf, x: tf.image.flip_up_down(x), ONE, True),
    "transpose": (lambda tf, x: tf.image.transpose_image(x), IMG, True),
    "rot90": (lambda tf, x: tf.image.rot90(x, 1), ONE, True),
    "rot90_3": (lambda tf, x: tf.image.rot90(x, k=3), IMG, True),
    "crop": (lambda tf, x: tf.image.crop_to_bounding_box(x, 1, 2, 3, 3), IMG, True),
    "pad": (lambda tf, x: tf.image.pad_to_bounding_box(x, 1, 0, 8, 7), IMG, True),
    "crop_or_pad": (lambda tf, x: tf.image.resize_image_with_crop_or_pad(x, 4, 8), IMG, True),
    "central_crop": (lambda tf, x: tf.image.central_crop(x, 0.5), ONE, True),
    "standardize": (lambda tf, x: tf.image.per_image_standardization(x), IMG, True),
    "standardize_one": (
        lambda tf, x: tf.image.per_image_standardization(x * 0.0 + 1.0),
        ONE,
        False,
    ),
    "bilinear_up": (lambda tf, x: tf.image.resize_bilinear(x, [9, 11]), IMG, True),
    "bilinear_down": (lambda tf, x: tf.image.resize_bilinear(x, [3, 4]), IMG, True),
    "bilinear_align": (
        lambda tf, x: tf.image.resize_bilinear(x, [8, 7], align_corners=True),
        IMG,
        True,
    ),
    "nearest_up": (lambda tf, x: tf.image.resize_nearest_neighbor(x, [10, 13]), IMG, True),
    "nearest_align": (
        lambda tf, x: tf.image.resize_nearest_neighbor(x, [7, 4], align_corners=True),
        IMG,
        True,
    ),
    "resize_images": (lambda tf, x: tf.image.resize_images(x, [7, 9]), ONE, True),
    "resize_images_nn": (
        lambda tf, x: tf.image.resize_images(x, (3, 3), tf.image.ResizeMethod.NEAREST_NEIGHBOR),
        IMG,
        True,
    ),
    "grayscale": (lambda tf, x: tf.image.rgb_to_grayscale(x), IMG, True),
    "gray_rgb": (lambda tf, x: tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x)), ONE, True),
    "brightness": (lambda tf, x: tf.image.adjust_brightness(x, 0.25), IMG, True),
    "contrast": (lambda tf, x: tf.image.adjust_contrast(x, 1.7), IMG, False),
    "convert_f64": (lambda tf, x: tf.image.convert_image_dtype(x, tf.float64), IMG, False),
}


def _run(tf, program, x_value, diff):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, x_value.shape)
        y = program(tf, x)
        fetch = [y]
        if diff:
            fetch += tf.gradients(tf.reduce_sum(y * tf.cast(y, tf.float32)), x)
        with tf.Session(graph=g) as s:
            return s.run(fetch, {x: x_value})


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_real_tf(ref, name):
    program, x, diff = PROGRAMS[name]
    ours = _run(dg, program, x, diff)
    theirs = _run(ref, program, x, diff)
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        assert a.shape == b.shape, (name, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("op", ["random_flip_left_right", "random_flip_up_down"])
def test_random_flips_flip_whole_images_about_half_the_time(op):
    with dg.Graph().as_default():
        x = dg.placeholder(dg.float32, [None, 5, 6, 3])
        y = getattr(dg.image, op)(x)
        one = getattr(dg.image, op)(dg.constant(ONE))
        flip = dg.image.flip_left_right if "left" in op else dg.image.flip_up_down
        with dg.Session() as s:
            batch = np.repeat(IMG[:1], 64, axis=0)
            out = s.run(y, {x: batch})
            flipped = s.run(flip(dg.constant(IMG[:1])))
            singles = [s.run(one) for _ in range(20)]
    same = [np.array_equal(o, batch[0]) for o in out]
    flips = [np.array_equal(o, flipped[0]) for o in out]
    assert all(a or b for a, b in zip(same, flips, strict=True))
    assert 10 < sum(flips) < 54
    assert all(np.array_equal(o, ONE) or np.array_equal(o, flipped[0]) for o in singles)


def test_bad_inputs_name_the_op():
    with dg.Graph().as_default():
        with pytest.raises(ValueError, match="flip_left_right"):
            dg.image.flip_left_right(dg.constant([1.0, 2.0]))
        with pytest.raises(ValueError, match="crop_to_bounding_box"):
            dg.image.crop_to_bounding_box(dg.constant(ONE), 3, 0, 4, 2)
        with pytest.raises(NotImplementedError, match="resize_images"):
            dg.image.resize_images(dg.constant(ONE), [2, 2], method=2)
        with pytest.raises(NotImplementedError, match="tf.image.draw_bounding_boxes"):
            dg.image.draw_bounding_boxes  # noqa: B018
