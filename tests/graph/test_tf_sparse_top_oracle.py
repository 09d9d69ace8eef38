"""tf.sparse_retain / tf.sparse.retain against real TensorFlow (compat.v1 graph mode), with a
mask known when the graph is built and with a fed one; values, indices and gradients."""

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


IDX = np.array([[0, 1], [1, 0], [2, 3], [3, 3]], np.int64)
KEEP = np.array([True, False, True, True])


@pytest.mark.parametrize("fed", [False, True])
def test_sparse_retain_matches_real_tf(ref, fed):
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            v = tf.placeholder(tf.float32, [4])
            sp = tf.SparseTensor(IDX, v, [4, 5])
            m = tf.placeholder(tf.bool, [4]) if fed else KEEP
            kept = tf.sparse_retain(sp, m) if tf is ref else tf.sparse.retain(sp, m)
            dense = tf.sparse.to_dense(kept)
            fetch = [kept.indices, kept.values, dense]
            if not fed:  # (fed indices: to_dense of run-time indices passes no gradient here)
                fetch.append(tf.convert_to_tensor(tf.gradients(tf.reduce_sum(dense * dense), v)[0]))
            feed = {v: np.array([1.0, 2.0, 3.0, 4.0], np.float32)}
            if fed:
                feed[m] = KEEP
            with tf.Session() as s:
                outs.append(s.run(fetch, feed))
    for a, b in zip(*outs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_bad_mask_names_the_op():
    with dg.Graph().as_default():
        sp = dg.SparseTensor(IDX, [1.0, 2.0, 3.0, 4.0], [4, 5])
        with pytest.raises(ValueError, match="sparse_retain"):
            dg.sparse_retain(sp, [True, False])
