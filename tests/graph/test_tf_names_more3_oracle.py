"""tf.TensorSpec, tf.VERSION / tf.version, tf.nest, tf.resource_loader,
tf.register_tensor_conversion_function, tf.strided_slice, tf.guarantee_const and
tf.variable_op_scope, against real TensorFlow (compat.v1 graph mode)."""

from __future__ import annotations

import collections
import os

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

X = np.arange(60, dtype=np.float32).reshape(3, 4, 5) / 7.0


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def test_tensor_spec(ref):
    for tf in (dg, ref):
        s = tf.TensorSpec([None, 2], tf.float32, name="x")
        assert s.name == "x" and s.dtype == tf.float32 and s.shape.as_list() == [None, 2]
        assert s == tf.TensorSpec([None, 2], tf.float32, name="x")
        assert s != tf.TensorSpec([None, 2], tf.float32)
        assert s != tf.TensorSpec([None, 3], tf.float32)
        assert s.is_compatible_with(tf.TensorSpec([4, 2], tf.float32))
        assert not s.is_compatible_with(tf.TensorSpec([4, 2], tf.int32))
        with tf.Graph().as_default():
            p = tf.placeholder(tf.int32, [3], name="p")
            t = tf.TensorSpec.from_tensor(p)
            assert t.name == "p" and t.dtype == tf.int32 and t.shape.as_list() == [3]


def test_version_strings():
    assert dg.VERSION == dg.version.VERSION == dg.__version__ == "1.15.0"
    assert tuple(int(p) for p in dg.VERSION.split(".")) >= (1, 4)


Point = collections.namedtuple("Point", ["x", "y"])


def test_nest_matches_real_tf(ref):
    s = {"b": [1, (2, 3)], "a": Point(4, {"z": 5, "c": 6})}
    assert dg.nest.flatten(s) == ref.nest.flatten(s)
    assert dg.nest.flatten(7) == ref.nest.flatten(7)
    flat = list(range(10, 16))
    assert dg.nest.pack_sequence_as(s, flat) == ref.nest.pack_sequence_as(s, flat)
    assert dg.nest.map_structure(lambda a, b: a * b, s, s) == ref.nest.map_structure(
        lambda a, b: a * b, s, s
    )
    assert dg.nest.is_nested([1]) and not dg.nest.is_nested("ab")
    for tf in (dg, ref):
        with pytest.raises(ValueError):
            tf.nest.assert_same_structure([1, [2]], [1, 2])
        with pytest.raises(TypeError):
            tf.nest.assert_same_structure([1, 2], (1, 2))
        with pytest.raises(ValueError):
            tf.nest.pack_sequence_as([1, 2], [1])


def test_resource_loader(ref, tmp_path):
    here = os.path.dirname(os.path.abspath(__file__))
    assert dg.resource_loader.get_data_files_path() == here
    assert dg.resource_loader.get_path_to_datafile("a.txt") == os.path.join(here, "a.txt")
    p = tmp_path / "r.bin"
    p.write_bytes(b"abc")
    assert dg.resource_loader.load_resource(str(p)) == ref.resource_loader.load_resource(str(p))
    assert dg.resource_loader.readahead_file_path("x") == ref.resource_loader.readahead_file_path(
        "x"
    )


class _Meters:
    def __init__(self, values):
        self.values = values


def test_register_tensor_conversion_function(ref):
    out = []
    for tf in (dg, ref):

        class Meters(_Meters):
            pass

        tf.register_tensor_conversion_function(
            Meters,
            lambda v, dtype=None, name=None, as_ref=False, tf=tf: tf.constant(v.values, dtype),
        )
        with tf.Graph().as_default():
            t = tf.convert_to_tensor(Meters([1.0, 2.5]))
            y = tf.reduce_sum(tf.convert_to_tensor(Meters([[1, 2], [3, 4]]), dtype=tf.float32))
            with tf.Session() as s:
                out.append(s.run([t * 2.0, y]))
    for a, b in zip(*out, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="cannot register a conversion"):
        dg.register_tensor_conversion_function(float, lambda v, **k: v)


SLICES = [
    dict(begin=[1, 0, 0], end=[3, 4, 5], strides=[1, 2, 1]),
    dict(begin=[0, 3, 4], end=[3, 0, 0], strides=[1, -1, -2], begin_mask=1, end_mask=6),
    dict(begin=[2, 1, 0], end=[3, 3, 5], strides=[1, 1, 1], shrink_axis_mask=1),
    dict(begin=[0, 0, 1], end=[0, 0, 3], strides=[1, 1, 1], ellipsis_mask=1, new_axis_mask=2),
    dict(begin=[-2, 1], end=[-1, 3], strides=[1, 1], shrink_axis_mask=1),
]


@pytest.mark.parametrize("kw", SLICES, ids=range(len(SLICES)))
def test_strided_slice_values_and_gradients(ref, kw):
    out = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.constant(X)
            y = tf.strided_slice(x, **kw)
            g = tf.gradients(tf.reduce_sum(y * y), x)[0]
            with tf.Session() as s:
                out.append(s.run([y, g]))
    for a, b in zip(*out, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_guarantee_const_and_variable_op_scope(ref):
    out = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x = tf.constant(X)
            y = tf.guarantee_const(x) * 2.0
            with tf.variable_op_scope([x], None, default_name="blk"):
                v = tf.get_variable("v", [2], initializer=tf.ones_initializer())
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                out.append((s.run(y), v.name))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    assert out[0][1] == out[1][1] == "blk/v:0"
