"""Variables: creation, initializers, assign ops, variable_scope and get_variable."""

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import init as core_init
from duograd.core import random as core_random


def test_variable_basics():
    v = tf.Variable([[1.0, 2.0]], name="v")
    assert v.name == "v:0" and v.op.name == "v" and v.op.type == "VariableV2"
    assert v.shape.as_list() == [1, 2] and v.dtype == tf.float32 and v.trainable
    assert isinstance(v.initializer, tf.Operation) and v.initializer.type == "Assign"
    assert v.initial_value.name == "v/initial_value:0"
    assert v.value() is v
    assert repr(v) == "<tf.Variable 'v:0' shape=(1, 2) dtype=float32_ref>"
    assert tf.Variable(3).dtype == tf.int32
    assert tf.Variable(1.0, dtype=tf.float64).dtype == tf.float64
    assert tf.Variable(1.0).name == "Variable_2:0"  # after the two unnamed ones above
    assert tf.Variable(1.0).name == "Variable_3:0"
    with pytest.raises(ValueError):
        tf.Variable(None)
    with pytest.raises(ValueError, match="fully defined"):
        tf.Variable(tf.placeholder(tf.float32, [None]))


def test_collections_and_initializers():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", trainable=False)
    assert tf.global_variables() == [a, b]
    assert tf.trainable_variables() == [a]
    with tf.Session() as sess:
        sess.run(tf.variables_initializer([a]))
        assert sess.run(tf.is_variable_initialized(a))
        assert not sess.run(tf.is_variable_initialized(b))
        sess.run(tf.global_variables_initializer())
        assert sess.run([a, b]) == [1.0, 2.0]
        sess.run(tf.initialize_all_variables())
        sess.run(tf.local_variables_initializer())


def test_assign_family_and_eval_load():
    v = tf.Variable([1.0, 2.0], name="v")
    set_op = v.assign([5.0, 6.0])
    add_op = v.assign_add([1.0, 1.0])
    sub_op = tf.assign_sub(v, [0.5, 0.5])
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(set_op), [5.0, 6.0])
        np.testing.assert_array_equal(sess.run(add_op), [6.0, 7.0])
        np.testing.assert_array_equal(sess.run(sub_op), [5.5, 6.5])
        np.testing.assert_array_equal(v.eval(sess), [5.5, 6.5])
        v.load([0.0, 1.0], sess)
        np.testing.assert_array_equal(v.eval(session=sess), [0.0, 1.0])
        with pytest.raises(ValueError, match="shape"):
            v.load([1.0], sess)
    with pytest.raises(ValueError, match="Shapes must be equal"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(TypeError):
        v.assign(tf.constant([1, 2]))


def test_two_assign_adds_in_one_run_both_apply():
    v = tf.Variable(0.0)
    a, b = v.assign_add(1.0), v.assign_add(10.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run([a, b])
        assert sess.run(v) == 11.0


def test_initial_value_from_random_op_is_drawn_when_initializer_runs():
    v = tf.Variable(tf.random_normal([3]))
    with tf.Session() as sess:
        tf.set_random_seed(5)
        sess.run(v.initializer)
        first = sess.run(v)
        sess.run(v.initializer)
        second = sess.run(v)
    ref = core_random.Generator(5)
    np.testing.assert_array_equal(first, ref.normal((3,), np.float32))
    np.testing.assert_array_equal(second, ref.normal((3,), np.float32))


def test_variable_from_callable_and_initialized_value():
    a = tf.Variable(lambda: tf.ones([2]) * 3.0, name="a")
    b = tf.Variable(a.initialized_value() * 2.0, name="b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(b), [6.0, 6.0])


def test_variable_scope_and_get_variable_sharing():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [2, 3])
        c = tf.constant(1.0, name="c")
    assert w.name == "layer/w:0" and c.name == "layer/c:0"
    with pytest.raises(ValueError, match="already exists"):
        with tf.variable_scope("layer"):
            tf.get_variable("w", [2, 3])
    with tf.variable_scope("layer", reuse=True):
        assert tf.get_variable("w", [2, 3]) is w
        with pytest.raises(ValueError, match="does not exist"):
            tf.get_variable("missing", [1])
        with pytest.raises(ValueError, match="Trying to share variable layer/w"):
            tf.get_variable("w", [3, 3])
    with tf.variable_scope("layer", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("w") is w
        fresh = tf.get_variable("fresh", [1])
        assert tf.get_variable("fresh", [1]) is fresh
    with tf.variable_scope("layer") as scope:
        scope.reuse_variables()
        assert tf.get_variable("w") is w
    assert tf.get_variable_scope().name == ""


def test_nested_scopes_reuse_inherits_and_scope_objects():
    with tf.variable_scope("outer") as outer:
        with tf.variable_scope("inner"):
            v = tf.get_variable("v", [1])
    assert v.name == "outer/inner/v:0"
    with tf.variable_scope(outer, reuse=True):
        with tf.variable_scope("inner"):
            assert tf.get_variable("v", [1]) is v
    with tf.variable_scope(None, default_name="block"):
        a = tf.get_variable("a", [1])
    with tf.variable_scope(None, default_name="block"):
        b = tf.get_variable("a", [1])
    assert a.name == "block/a:0" and b.name == "block_1/a:0"


def test_get_variable_ignores_name_scopes_as_tf():
    with tf.name_scope("ns"):
        v = tf.get_variable("v", [1])
        x = tf.constant(1.0, name="x")
    assert v.name == "v:0" and x.name == "ns/x:0"


def test_get_variable_initializers():
    tf.set_random_seed(11)
    z = tf.get_variable("z", [2], initializer=tf.zeros_initializer())
    o = tf.get_variable("o", [2], initializer=tf.ones_initializer)
    c = tf.get_variable("c", [2, 2], initializer=tf.constant_initializer(7.0))
    arr = tf.get_variable("arr", initializer=np.array([1.0, 2.0], np.float32))
    g = tf.get_variable("g", [4, 3])  # default: Glorot uniform through core/init.py
    n = tf.get_variable("n", [2], dtype=tf.int32)  # default for ints: zeros
    u = tf.get_variable("u", [1000], initializer=tf.random_uniform_initializer(-0.1, 0.1))
    t = tf.get_variable("t", [1000], initializer=tf.truncated_normal_initializer(stddev=0.5))
    with tf.Session() as sess:
        tf.set_random_seed(11)
        sess.run(tf.global_variables_initializer())
        vals = sess.run([z, o, c, arr, g, n, u, t])
    np.testing.assert_array_equal(vals[0], [0, 0])
    np.testing.assert_array_equal(vals[1], [1, 1])
    np.testing.assert_array_equal(vals[2], np.full((2, 2), 7.0))
    np.testing.assert_array_equal(vals[3], [1.0, 2.0])
    gen = core_random.Generator(11)
    np.testing.assert_array_equal(vals[4], core_init.glorot_uniform((4, 3), "in_out", gen=gen))
    assert vals[5].dtype == np.int32 and not vals[5].any()
    assert np.all(np.abs(vals[6]) <= 0.1) and np.all(np.abs(vals[7]) <= 1.0)


def test_regularizer_adds_a_loss():
    w = tf.get_variable("w", [2], initializer=tf.ones_initializer(),
                        regularizer=lambda v: tf.reduce_sum(v) * 0.5)  # fmt: skip
    (reg,) = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    total = tf.losses.get_regularization_loss()
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert sess.run(reg) == 1.0 and sess.run(total) == 1.0


def test_variables_made_inside_control_dependencies_have_none():
    v0 = tf.Variable(0.0)
    with tf.control_dependencies([v0.assign(1.0)]):
        v1 = tf.Variable(2.0)
    assert v1.op.control_inputs == []
