"""tf array names of array_top.py (band and diagonal matrices, cross, roll, reverse_sequence,
segment reductions, tensor_scatter_nd_*, the variable scatters, ...) against real TensorFlow
(compat.v1 graph mode): values, gradients and dtypes in float32 and float64; and the graph
against the same core compositions run on arrays, bitwise."""

import duograd.frontends.graph as dg
import numpy as np
import pytest
from duograd.core import tf_array_more as C
from tf_program_oracle import assert_programs_agree

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


R = np.random.RandomState(7)
M34 = R.uniform(-3, 3, (2, 3, 4))
SQ = R.uniform(-3, 3, (2, 3, 3))
V3 = R.uniform(-2, 2, (4, 3))
SEQ = R.uniform(-2, 2, (3, 5, 2))
ROWS = R.uniform(-2, 2, (6, 3))
IDS = np.array([0, 0, 1, 3, 3, 3], np.int32)
UNSORTED = np.array([2, 0, 2, 1, -1, 0], np.int32)


def _k(tf, v, x):
    return tf.constant(v.astype(x.dtype.as_numpy_dtype))


# name -> (program(tf, x) -> y, input, differentiable)
PROGRAMS = {
    "band_lower": (lambda tf, x: tf.matrix_band_part(x, -1, 0), M34, True),
    "band_1_2": (lambda tf, x: tf.linalg.band_part(x, 1, 2), M34, True),
    "band_0_0": (lambda tf, x: tf.matrix_band_part(x, 0, 0), SQ, True),
    "band_tensor_limits": (
        lambda tf, x: tf.matrix_band_part(x, tf.constant(1, tf.int64), tf.constant(-1, tf.int64)),
        M34,
        True,
    ),
    "matrix_diag": (lambda tf, x: tf.matrix_diag(x), V3, True),
    "linalg.diag": (lambda tf, x: tf.linalg.diag(x * 2.0), V3, True),
    "matrix_diag_part_wide": (lambda tf, x: tf.matrix_diag_part(x), M34, True),
    "matrix_diag_part_tall": (
        lambda tf, x: tf.linalg.diag_part(tf.transpose(x, [0, 2, 1])),
        M34,
        True,
    ),  # noqa: E501
    "matrix_set_diag_wide": (
        lambda tf, x: tf.matrix_set_diag(x, x[:, :, 0] * 3.0),
        M34,
        True,
    ),
    "matrix_set_diag_tall": (
        lambda tf, x: tf.linalg.set_diag(tf.transpose(x, [0, 2, 1]), x[:, :, 1]),
        M34,
        True,
    ),
    "matrix_transpose": (lambda tf, x: tf.matrix_transpose(x), M34, True),
    "linalg.matrix_transpose": (lambda tf, x: tf.linalg.matrix_transpose(x * x), M34, True),
    "cross": (lambda tf, x: tf.cross(x, _k(tf, V3[::-1].copy(), x)), V3, True),
    "linalg.cross": (lambda tf, x: tf.linalg.cross(_k(tf, V3[::-1].copy(), x), x * x), V3, True),
    "roll": (lambda tf, x: tf.roll(x, 2, 1), M34, True),
    "roll_multi": (lambda tf, x: tf.roll(x, [-1, 5, 1], [0, 2, 2]), M34, True),
    "manip.roll": (lambda tf, x: tf.manip.roll(x, shift=[1], axis=[-1]), M34, True),
    "reverse_v2": (lambda tf, x: tf.reverse_v2(x, [1]), M34, True),
    "reverse_sequence": (
        lambda tf, x: tf.reverse_sequence(x, tf.constant([5, 0, 3], tf.int64), seq_axis=1),
        SEQ,
        True,
    ),
    "reverse_sequence_batch1": (
        lambda tf, x: tf.reverse_sequence(x, [2, 3, 1, 0, 3], seq_axis=0, batch_axis=1),
        SEQ,
        True,
    ),
    "parallel_stack": (lambda tf, x: tf.parallel_stack([x, x * 2.0]), V3, False),
    "identity_n": (lambda tf, x: tf.add_n(tf.identity_n([x, x * x])), V3, True),
    "shape_n": (lambda tf, x: tf.shape_n([x, x[0]])[0], V3, False),
    "ensure_shape": (lambda tf, x: tf.ensure_shape(x, [4, None]) * 2.0, V3, True),
    "where_v2": (lambda tf, x: tf.where_v2(x[:, :1] > 0, x, -x), V3, True),
    "where_v2_scalar": (lambda tf, x: tf.where_v2(x > 0, x, 0.5), V3, True),
    "batch_gather": (
        lambda tf, x: tf.batch_gather(x, tf.constant([[2, 0], [1, 1], [3, 0]])),
        np.transpose(M34[:, :3], (1, 0, 2)).reshape(3, 4, 2).copy(),
        True,
    ),
    "gather_batch_dims": (
        lambda tf, x: tf.gather(x, tf.constant([[2, 0, 2], [1, 1, 0], [3, 0, 1]]), batch_dims=1),
        np.transpose(M34[:, :3], (1, 0, 2)).reshape(3, 4, 2).copy(),
        True,
    ),
    "segment_sum": (lambda tf, x: tf.segment_sum(x, tf.constant(IDS)), ROWS, True),
    "segment_mean": (lambda tf, x: tf.math.segment_mean(x, IDS), ROWS, True),
    "segment_max": (lambda tf, x: tf.segment_max(x, IDS), ROWS, True),
    "segment_min": (lambda tf, x: tf.math.segment_min(x, IDS), ROWS, True),
    "segment_prod": (lambda tf, x: tf.segment_prod(x, IDS), ROWS, True),
    "unsorted_segment_mean": (
        lambda tf, x: tf.unsorted_segment_mean(x, UNSORTED, 4),
        ROWS,
        True,
    ),
    "unsorted_segment_sqrt_n": (
        lambda tf, x: tf.math.unsorted_segment_sqrt_n(x, UNSORTED, 4),
        ROWS,
        True,
    ),
    "unsorted_segment_prod": (
        lambda tf, x: tf.unsorted_segment_prod(x, UNSORTED, 4),
        ROWS,
        True,
    ),
    "tensor_scatter_nd_update": (
        lambda tf, x: tf.tensor_scatter_nd_update(x, [[0], [2]], x[:2] * 3.0),
        ROWS,
        True,
    ),
    "tensor_scatter_update_elems": (
        lambda tf, x: tf.tensor_scatter_update(x, [[0, 1], [5, 2]], tf.reduce_sum(x[:2], 1)),
        ROWS,
        True,
    ),
    "tensor_scatter_nd_add": (
        lambda tf, x: tf.tensor_scatter_nd_add(x, [[1], [1], [4]], x[:3] * x[:3]),
        ROWS,
        True,
    ),
    "tensor_scatter_nd_sub": (
        lambda tf, x: tf.tensor_scatter_nd_sub(x, [[3, 0]], _k(tf, np.array([2.5]), x)),
        ROWS,
        True,
    ),
    "tensor_scatter_nd_max": (
        lambda tf, x: tf.tensor_scatter_nd_max(x, [[3], [0]], x[1:3] * 2.0),
        ROWS,
        False,
    ),
    "tensor_scatter_nd_min": (
        lambda tf, x: tf.tensor_scatter_nd_min(x, [[3], [0]], x[1:3] * 2.0),
        ROWS,
        False,
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_real_tf(ref, name, dtype):
    program, x, diff = PROGRAMS[name]
    tol = 2e-5 if dtype == np.float32 else 1e-12
    assert_programs_agree(dg, ref, name, program, x.astype(dtype), diff, tol)


def test_band_part_of_run_time_shape_is_a_causal_mask(ref):
    # Transformer code: tf.matrix_band_part(tf.ones([T, T]), -1, 0) with T = tf.shape(x)[1]
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, None, 8])
            t = tf.shape(x)[1]
            mask = tf.matrix_band_part(tf.ones([t, t]), -1, 0)
            with tf.Session() as s:
                outs.append(s.run(mask, {x: np.zeros((2, 5, 8), np.float32)}))
    np.testing.assert_array_equal(outs[0], outs[1])


VAR_UPDATES = {
    "scatter_update": lambda tf, v: tf.scatter_update(v, [3, 0], [[1.0, 2.0, 3.0], [4, 5, 6]]),
    "scatter_update_repeated": lambda tf, v: tf.scatter_update(v, [1, 1], np.eye(2, 3)),
    "scatter_add": lambda tf, v: tf.scatter_add(v, [1, 1, 2], np.ones((3, 3))),
    "scatter_sub": lambda tf, v: tf.scatter_sub(v, tf.constant([2]), np.full((1, 3), 0.5)),
    "scatter_mul": lambda tf, v: tf.scatter_mul(v, [0, 2], np.full((2, 3), -2.0)),
    "scatter_div": lambda tf, v: tf.scatter_div(v, [1], np.full((1, 3), 4.0)),
    "scatter_max": lambda tf, v: tf.scatter_max(v, [0, 3], np.zeros((2, 3))),
    "scatter_min": lambda tf, v: tf.scatter_min(v, [0, 3], np.zeros((2, 3))),
    "scatter_update_scalar_rows": lambda tf, v: tf.scatter_update(v, 2, [7.0, 8.0, 9.0]),
    "scatter_nd_update": lambda tf, v: tf.scatter_nd_update(v, [[0, 1], [3, 2]], [10.0, 20.0]),
    "scatter_nd_add": lambda tf, v: tf.scatter_nd_add(v, [[1], [1]], np.ones((2, 3))),
    "scatter_nd_sub": lambda tf, v: tf.scatter_nd_sub(v, [[2, 2]], [1.5]),
    "batch_scatter_update": lambda tf, v: tf.batch_scatter_update(
        v, [[0, 2], [1, 0], [2, 1], [0, 0]], np.arange(8.0).reshape(4, 2)
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(VAR_UPDATES))
def test_variable_scatters_match_real_tf(ref, name, dtype):
    start = V3.astype(dtype)
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            v = tf.Variable(start)
            op = VAR_UPDATES[name](tf, v)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                returned = s.run(op)
                outs.append((np.asarray(returned), s.run(v)))
    for a, b in zip(outs[0], outs[1], strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=name)


def test_graph_and_arrays_agree_bitwise():
    x = M34.astype(np.float32)
    with dg.Graph().as_default():
        p = dg.placeholder(dg.float32, x.shape)
        ys = [dg.matrix_band_part(p, 1, 0), dg.roll(p, 1, 2), dg.matrix_diag_part(p)]
        with dg.Session() as s:
            got = s.run(ys, {p: x})
    want = [C.matrix_band_part(x, 1, 0), C.roll(x, [1], [2]), C.matrix_diag_part(x)]
    for a, b in zip(got, want, strict=True):
        assert a.tobytes() == np.asarray(b).tobytes()


def test_bad_inputs_name_the_op_and_leave_the_variable_alone():
    with dg.Graph().as_default():
        with pytest.raises(ValueError, match="cross"):
            dg.cross(dg.constant(V3[:, :2]), dg.constant(V3[:, :2]))
        with pytest.raises(ValueError, match="roll"):
            dg.roll(dg.constant(V3), [1, 2], [0])
        with pytest.raises(NotImplementedError, match="segment_sum"):
            dg.segment_sum(dg.constant(ROWS), dg.placeholder(dg.int32, [6]))
        with pytest.raises(ValueError, match="sorted"):
            dg.segment_sum(dg.constant(ROWS), UNSORTED)
        with pytest.raises(ValueError, match="ensure_shape"):
            dg.ensure_shape(dg.constant(V3), [3, 3])
        v = dg.Variable(V3)
        where = dg.placeholder(dg.int32, [1])
        bad = dg.scatter_update(v, where, np.ones((1, 3)))
        with dg.Session() as s:
            s.run(dg.global_variables_initializer())
            with pytest.raises(Exception, match="scatter_update"):
                s.run(bad, {where: [9]})
            np.testing.assert_array_equal(s.run(v), V3)


def test_ensure_shape_refines_checks_and_passes_gradients(ref):
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, 3])
            y = tf.ensure_shape(x, [4, None])
            assert y.shape.as_list() == [4, 3]
            g = tf.gradients(tf.reduce_sum(y * y), x)[0]
            with tf.Session() as s:
                outs.append(s.run([y, g], {x: V3.astype(np.float32)}))
                with pytest.raises(tf.errors.InvalidArgumentError):
                    s.run(y, {x: V3[:1].astype(np.float32)})
    for a, b in zip(*outs, strict=True):
        np.testing.assert_array_equal(a, b)
