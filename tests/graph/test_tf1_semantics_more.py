"""TF1 semantics real programs rely on, against real TF1: a variable read inside
control_dependencies sees the update it waits for (and still gets gradients), rank-0 fetches
come back as numpy scalars, `list_variables` / `load_checkpoint` read the Saver's own
checkpoints, and `v[i].assign(x)` writes a slice."""

import os

import duograd.frontends.graph as dtf
import numpy as np
import pytest


@pytest.fixture(scope="module")
def tf1():
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _control_program(tf):
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0)
        w = tf.Variable([[1.0, 2.0]])
        inc = tf.assign_add(v, 1.0)
        with tf.control_dependencies([inc]):
            after = tf.identity(v) * 2
            y = tf.matmul(tf.constant([[3.0], [4.0]]), w)
        grad = tf.gradients(tf.reduce_sum(y * y), w)[0]
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            return [sess.run(after), sess.run(after), sess.run(v), sess.run(grad)]


def test_reads_inside_control_dependencies_follow_the_update(tf1):
    ours, theirs = _control_program(dtf), _control_program(tf1)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_rank0_fetches_are_numpy_scalars(tf1):
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            loss = tf.reduce_sum(tf.constant([1.0, 2.0]))
            count = tf.size(tf.constant([1, 2, 3]))
            with tf.Session(graph=g) as sess:
                a, b = sess.run([loss, count])
        assert type(a) is np.float32 and type(b) is np.int32


def test_list_variables_reads_the_savers_checkpoints(tmp_path, tf1):
    got = []
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            tf.Variable(tf.ones([2, 3]), name="w")
            step = tf.train.get_or_create_global_step()
            saver = tf.train.Saver()
            folder = str(tmp_path / tf.__name__.replace(".", "_"))
            with tf.Session(graph=g) as sess:
                sess.run(tf.global_variables_initializer())
                prefix = saver.save(sess, os.path.join(folder, "m"), global_step=step)
        reader = tf.train.load_checkpoint(folder)
        got.append((tf.train.list_variables(prefix), reader.get_tensor("w")))
    assert got[0][0] == got[1][0]
    np.testing.assert_array_equal(got[0][1], got[1][1])


def test_assign_to_a_slice_of_a_variable(tf1):
    got = []
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            v = tf.Variable(tf.zeros([3, 4]))
            row = v[1].assign([1.0, 2.0, 3.0, 4.0])
            block = v[:, 2:].assign(tf.ones([3, 2]) * 5)
            with tf.Session(graph=g) as sess:
                sess.run(tf.global_variables_initializer())
                first = sess.run(row)
                sess.run(block)
                got.append((first, sess.run(v)))
    for a, b in zip(got[0], got[1], strict=True):
        np.testing.assert_array_equal(a, b)
