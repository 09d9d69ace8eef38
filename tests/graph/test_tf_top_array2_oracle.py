"""tf names of array_top2.py (searchsorted, unravel_index, histograms, confusion_matrix,
bincount, extract_image_patches, IndexedSlices) against real TensorFlow (compat.v1 graph mode):
values, gradients and dtypes."""

import duograd.frontends.graph as dg
import numpy as np
import pytest
from tf_program_oracle import assert_programs_agree

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


R = np.random.RandomState(3)
SORTED = np.sort(R.uniform(-3, 3, (2, 6)), 1)
SORTED[0, 2] = SORTED[0, 3]  # a tie
VALS = np.concatenate([R.uniform(-4, 4, (2, 4)), SORTED[:, 2:4]], 1)
IMG = R.uniform(-1, 1, (2, 7, 6, 3))
LABELS = np.array([0, 2, 1, 2, 3, 0, 2], np.int32)
PREDS = np.array([0, 1, 1, 2, 3, 3, 2], np.int32)


# name -> (program(tf, x) -> y, input, differentiable)
PROGRAMS = {
    "searchsorted_left": (
        lambda tf, x: tf.searchsorted(x, tf.constant(VALS.astype(x.dtype.as_numpy_dtype))),
        SORTED,
        False,
    ),  # noqa: E501
    "searchsorted_right_int64": (
        lambda tf, x: tf.searchsorted(
            x, tf.constant(VALS.astype(x.dtype.as_numpy_dtype)), side="right", out_type=tf.int64
        ),
        SORTED,
        False,
    ),
    "unravel_index": (
        lambda tf, x: tf.unravel_index(tf.constant([0, 5, 23, 17]), [2, 3, 4]),
        SORTED,
        False,
    ),  # noqa: E501
    "unravel_index_scalar": (lambda tf, x: tf.unravel_index(tf.constant(7), [3, 4]), SORTED, False),  # noqa: E501
    "histogram_fixed_width": (
        lambda tf, x: tf.histogram_fixed_width(x, [-2.0, 2.0], nbins=5),
        VALS,
        False,
    ),
    "histogram_fixed_width_bins": (
        lambda tf, x: tf.histogram_fixed_width_bins(x, tf.constant([-2.0, 2.0], x.dtype), nbins=7),
        VALS,
        False,
    ),
    "confusion_matrix": (
        lambda tf, x: tf.confusion_matrix(tf.constant(LABELS), tf.constant(PREDS), num_classes=4),
        VALS,
        False,
    ),
    "confusion_matrix_weights": (
        lambda tf, x: tf.math.confusion_matrix(LABELS, PREDS, num_classes=5, dtype=tf.int64),
        VALS,
        False,
    ),
    "bincount": (
        lambda tf, x: tf.bincount(tf.constant(LABELS), minlength=5, maxlength=5),
        VALS,
        False,
    ),  # noqa: E501
    "bincount_weights": (
        lambda tf, x: tf.math.bincount(
            tf.constant(LABELS),
            weights=tf.ones([7]) * 0.5,
            minlength=4,
            maxlength=4,
            dtype=tf.float32,
        ),
        VALS,
        False,
    ),
    "extract_image_patches_valid": (
        lambda tf, x: tf.extract_image_patches(
            x, [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 1, 1], "VALID"
        ),  # noqa: E501
        IMG,
        True,
    ),
    "extract_image_patches_same_rates": (
        lambda tf, x: tf.image.extract_image_patches(
            x, ksizes=[1, 2, 3, 1], strides=[1, 3, 2, 1], rates=[1, 2, 1, 1], padding="SAME"
        ),
        IMG,
        True,
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_real_tf(ref, name, dtype):
    program, x, diff = PROGRAMS[name]
    tol = 1e-6
    assert_programs_agree(dg, ref, name, program, x.astype(dtype), diff, tol)


def test_indexed_slices_convert_to_dense(ref):
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            s = tf.IndexedSlices(
                tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([3, 0, 3]),
                tf.constant([5, 2]),
            )  # fmt: skip
            assert s.dtype == tf.float32
            dense = tf.convert_to_tensor(s)
            with tf.Session() as sess:
                outs.append(sess.run(dense * 1.0))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_bad_inputs_name_the_op():
    with dg.Graph().as_default():
        with pytest.raises(NotImplementedError, match="confusion_matrix"):
            dg.confusion_matrix([0, 1], [1, 1])
        with pytest.raises(NotImplementedError, match="bincount"):
            dg.bincount(dg.placeholder(dg.int32, [3]))
        with pytest.raises(ValueError, match="extract_image_patches"):
            dg.extract_image_patches(dg.constant(IMG), [1, 2, 2, 2], [1] * 4, [1] * 4, "SAME")
        with pytest.raises(ValueError, match="searchsorted"):
            dg.searchsorted(dg.constant([1.0, 2.0]), dg.constant(1.0), side="middle")
        with pytest.raises(Exception, match="unravel_index"):
            with dg.Session() as s:
                s.run(dg.unravel_index(dg.constant([12]), [3, 4]))


SPACE = np.random.RandomState(9).uniform(-1, 1, (2, 5, 6, 3))
SPACE_PROGRAMS = {
    "space_to_batch_nd": lambda tf, x: tf.space_to_batch_nd(x, [2, 3], [[1, 0], [0, 0]]),
    "space_to_batch_nd_1d": lambda tf, x: tf.space_to_batch_nd(x, [2], [[0, 1]]),
    "space_to_batch": lambda tf, x: tf.space_to_batch(x, [[1, 2], [1, 1]], block_size=2),
    "round_trip": lambda tf, x: tf.batch_to_space_nd(
        tf.space_to_batch_nd(x * x, [2, 2], [[1, 2], [0, 2]]), [2, 2], [[1, 2], [0, 2]]
    ),
    "batch_to_space": lambda tf, x: tf.batch_to_space(
        tf.reshape(x, [4, 5, 3, 3]), [[0, 1], [1, 0]], 2
    ),
    "required_paddings": lambda tf, x: tf.space_to_batch_nd(
        x, [3, 4], tf.required_space_to_batch_paddings([5, 6], [3, 4], [[1, 0], [0, 1]])[0]
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SPACE_PROGRAMS))
def test_space_batch_moves_match_real_tf(ref, name, dtype):
    x = SPACE.astype(dtype)
    assert_programs_agree(dg, ref, name, SPACE_PROGRAMS[name], x, True, tol=0.0)


def test_required_space_to_batch_paddings_values(ref):
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            p, c = tf.required_space_to_batch_paddings([7, 10], [4, 3], [[1, 2], [0, 0]])
            with tf.Session() as s:
                outs.append(s.run([p, c]))
    for a, b in zip(*outs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64"])
def test_unique_and_setdiff1d_match_real_tf(ref, dtype):
    x = np.array([4, 1, 4, 7, 1, 1, 9, 4], dtype)
    y = np.array([1, 9], dtype)
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            p = tf.placeholder(getattr(tf, dtype), [8])
            u = tf.unique(p)
            uc = tf.unique_with_counts(p, out_idx=tf.int64)
            d = tf.setdiff1d(p, tf.constant(y))
            fetch = [u.y, u.idx, uc.y, uc.idx, uc.count, d[0], d[1]]
            with tf.Session() as s:
                outs.append(s.run(fetch, {p: x}))
    for a, b in zip(*outs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_unique_has_no_gradient(ref):
    # real TF registers none (tf.gradients raises LookupError); here the gradient is None
    with ref.Graph().as_default():
        p = ref.placeholder(ref.float32, [5])
        with pytest.raises(LookupError):
            ref.gradients(ref.reduce_sum(ref.unique(p)[0]), p)
    with dg.Graph().as_default():
        p = dg.placeholder(dg.float32, [5])
        assert dg.gradients(dg.reduce_sum(dg.unique(p)[0]), p) == [None]
