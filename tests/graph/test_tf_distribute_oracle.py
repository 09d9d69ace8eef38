"""tf.distribute on the one CPU device, against real TensorFlow (compat.v1 graph mode): a TF1
program that builds and trains its model inside a strategy scope gives the same numbers."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.25, -2.0], [3.0, 1.0]], np.float32)
Y = np.array([[1.0], [0.0], [-1.0], [2.0]], np.float32)


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _program(tf, make_strategy):
    strategy = make_strategy(tf)
    with tf.Graph().as_default():
        with strategy.scope():
            w = tf.get_variable("w", initializer=tf.constant([[0.5], [-0.25]]))
            b = tf.get_variable("b", initializer=tf.constant([0.1]))
            x = tf.constant(X)

            def step(xs):
                err = tf.matmul(xs, w) + b - tf.constant(Y)
                return tf.reduce_sum(err * err, axis=1)

            per_example = strategy.run(step, args=(x,))
            total = strategy.reduce(tf.distribute.ReduceOp.SUM, per_example, axis=0)
            mean = strategy.reduce(tf.distribute.ReduceOp.MEAN, per_example, axis=0)
            same = strategy.reduce(tf.distribute.ReduceOp.SUM, per_example, axis=None)

            def train_step(xs):
                loss = tf.reduce_mean(step(xs))
                train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
                with tf.control_dependencies([train]):
                    return tf.identity(loss)

            trained = strategy.reduce(
                tf.distribute.ReduceOp.MEAN, strategy.run(train_step, args=(x,)), axis=None
            )
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            out = [strategy.num_replicas_in_sync]
            for _ in range(3):
                out.extend(s.run([total, mean, same]))
                out.append(s.run(trained))
            out.extend(s.run([w, b]))
        return out


@pytest.mark.parametrize(
    "make",
    [
        lambda tf: tf.distribute.MirroredStrategy(),
        lambda tf: tf.distribute.OneDeviceStrategy("/cpu:0"),
        lambda tf: tf.distribute.get_strategy(),
    ],
    ids=["mirrored", "one_device", "default"],
)
def test_training_in_a_strategy_scope_matches_real_tf(ref, make):
    ours, theirs = _program(dg, make), _program(ref, make)
    assert ours[0] == theirs[0] == 1
    for a, b in zip(ours[1:], theirs[1:], strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_strategy_contexts():
    s = dg.distribute.MirroredStrategy()
    assert not dg.distribute.has_strategy()
    assert dg.distribute.get_replica_context() is not None
    with s.scope():
        assert dg.distribute.get_strategy() is s and dg.distribute.in_cross_replica_context()
        ids = s.run(lambda: dg.distribute.get_replica_context().replica_id_in_sync_group)
        assert ids == 0
        assert s.extended.worker_devices == s.extended.parameter_devices
    assert dg.distribute.get_strategy() is not s


def test_several_devices_point_at_multi_process_training():
    with pytest.raises(NotImplementedError, match="Training on several processes or machines"):
        dg.distribute.MirroredStrategy(["/gpu:0", "/gpu:1"])
    with pytest.raises(NotImplementedError, match="Training on several processes"):
        dg.distribute.experimental.MultiWorkerMirroredStrategy()
    with pytest.raises(NotImplementedError, match="CPU only"):
        dg.distribute.OneDeviceStrategy("/gpu:0")
    with pytest.raises(ValueError, match="ReduceOp.SUM or ReduceOp.MEAN"):
        dg.distribute.get_strategy().reduce("MAX", dg.constant(1.0))
