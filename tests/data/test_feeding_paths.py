"""The fast feeding paths give the same batches as the element-by-element ones."""

from __future__ import annotations

import duograd.frontends.graph as tf
import numpy as np
import pytest


def _batches(make, n_batches):
    g = tf.Graph()
    with g.as_default():
        nxt = make().make_one_shot_iterator().get_next()
        with tf.Session() as s:
            out = [s.run(nxt) for _ in range(n_batches)]
            with pytest.raises(tf.errors.OutOfRangeError):
                s.run(nxt)
    return out


@pytest.mark.parametrize("drop", [False, True])
def test_batches_of_slices_are_cut_as_blocks_with_the_same_values(drop):
    x = np.arange(70, dtype=np.float32).reshape(10, 7)
    y = {"label": np.arange(10, dtype=np.int64), "w": np.linspace(0, 1, 10)}
    fast = _batches(
        lambda: tf.data.Dataset.from_tensor_slices((x, y)).batch(4, drop), 2 + (not drop)
    )
    slow = _batches(
        # an identity map first: every element goes through the per-element path
        lambda: tf.data.Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a, b)).batch(4, drop),
        2 + (not drop),
    )
    for (fa, fb), (sa, sb) in zip(fast, slow, strict=True):
        assert fa.dtype == sa.dtype and fa.tobytes() == sa.tobytes()
        for k in fb:
            assert fb[k].dtype == sb[k].dtype and fb[k].tobytes() == sb[k].tobytes()
    if not drop:
        assert fast[-1][0].shape == (2, 7)


def test_a_batch_is_not_a_view_of_the_source():
    x = np.zeros((6, 2), np.float32)
    g = tf.Graph()
    with g.as_default():
        nxt = tf.data.Dataset.from_tensor_slices(x).batch(3).make_one_shot_iterator().get_next()
        with tf.Session() as s:
            first = s.run(nxt)
    first[:] = 5
    assert not x.any()
