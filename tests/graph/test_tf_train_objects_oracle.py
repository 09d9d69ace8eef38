"""tf.train Checkpoint / CheckpointManager / SaverDef / NewCheckpointReader / checkpoint-state
helpers / Server / SyncReplicasOptimizer / ProfilerHook against real TF (tf.compat.v1, graph)."""

from __future__ import annotations

import json
import os

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")
tf1 = real_tf.compat.v1


def _model(tf):
    w = tf.get_variable("w", initializer=np.arange(6, dtype=np.float32).reshape(2, 3) / 5)
    b = tf.get_variable("b", initializer=np.ones(3, np.float32))
    x = tf.constant(np.linspace(-1, 1, 8, dtype=np.float32).reshape(4, 2))
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + b))
    step = tf.train.get_or_create_global_step()
    opt = tf.train.AdamOptimizer(0.1)
    return w, b, step, opt, opt.minimize(loss, global_step=step)


def _checkpoint_round_trip(tf, folder):
    with tf.Graph().as_default():
        w, b, step, opt, train = _model(tf)
        model = tf.train.Checkpoint(w=w, b=b)
        ckpt = tf.train.Checkpoint(model=model, optimizer=opt, step=step)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            first = ckpt.save(os.path.join(folder, "ckpt"), session=sess)
            saved = sess.run([w, b, step])
            for _ in range(2):
                sess.run(train)
            second = ckpt.save(os.path.join(folder, "ckpt"), session=sess)
            ckpt.restore(first).run_restore_ops(sess)
            restored = sess.run([w, b, step])
            sess.run(train)  # Adam's slots came back too: the next step repeats step 4
            again = sess.run([w, b, step])
    latest = tf.train.latest_checkpoint(folder)
    return [os.path.basename(p) for p in (first, second, latest)], saved, restored, again


def test_checkpoint_save_restore_matches_tf(tmp_path):
    ours = _checkpoint_round_trip(dg, str(tmp_path / "dg"))
    theirs = _checkpoint_round_trip(tf1, str(tmp_path / "tf"))
    assert ours[0] == theirs[0] == ["ckpt-1", "ckpt-2", "ckpt-2"]
    for o, t in zip(ours[1:], theirs[1:], strict=True):
        for a, b in zip(o, t, strict=True):
            np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)
    for a, b in zip(ours[1], ours[2], strict=True):  # restore gives back the saved bits
        np.testing.assert_array_equal(a, b)


def test_checkpoint_restore_in_a_new_graph_and_status_checks(tmp_path):
    prefix = str(tmp_path / "model")
    for tf in (dg, tf1):
        with tf.Graph().as_default():
            v = tf.get_variable("v", initializer=np.array([1.5, -2.0], np.float32))
            with tf.Session() as sess:
                sess.run(v.initializer)
                written = tf.train.Checkpoint(v=v).write(prefix + tf.__name__[-2:], session=sess)
                path = tf.train.Checkpoint(v=v).save(prefix + tf.__name__[-2:], session=sess)
        with tf.Graph().as_default():
            v = tf.get_variable("other_name", initializer=np.zeros(2, np.float32))
            extra = tf.get_variable("extra", initializer=np.zeros(1, np.float32))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                status = tf.train.Checkpoint(v=v).restore(path)
                status.assert_consumed()
                with pytest.raises(AssertionError):  # write stores no save counter
                    tf.train.Checkpoint(v=v).restore(written).assert_consumed()
                status.run_restore_ops(sess)
                np.testing.assert_array_equal(sess.run(v), [1.5, -2.0])
                partial = tf.train.Checkpoint(v=v, extra=extra).restore(path)
                with pytest.raises(AssertionError):
                    partial.assert_consumed()
                partial.expect_partial()
    with dg.Graph().as_default():
        with pytest.raises(ValueError, match="Checkpoint: 'x' is a str"):
            dg.train.Checkpoint(x="text")
        with pytest.raises(dg.errors.NotFoundError, match="no checkpoint at"):
            dg.train.Checkpoint().restore(str(tmp_path / "absent"))


def _manager_files(tf, folder):
    with tf.Graph().as_default():
        v = tf.get_variable("v", initializer=np.zeros(2, np.float32))
        inc = tf.assign_add(v, np.ones(2, np.float32))
        ckpt = tf.train.Checkpoint(v=v)
        manager = tf.train.CheckpointManager(ckpt, folder, max_to_keep=2)
        with tf.Session() as sess:
            sess.run(v.initializer)
            with sess.as_default():
                for _ in range(4):
                    sess.run(inc)
                    manager.save()
                numbered = manager.save(checkpoint_number=10)
            kept = [os.path.basename(p) for p in manager.checkpoints]
            sess.run(inc)
            ckpt.restore(manager.latest_checkpoint).run_restore_ops(sess)
            value = sess.run(v)
    state = tf.train.get_checkpoint_state(folder)
    files = sorted(f.split(".")[0] for f in os.listdir(folder) if f.startswith("ckpt"))
    return (os.path.basename(numbered), kept, value, os.path.basename(state.model_checkpoint_path),
            sorted(set(files)))  # fmt: skip


def test_checkpoint_manager_keeps_the_newest_like_tf(tmp_path):
    ours = _manager_files(dg, str(tmp_path / "dg"))
    theirs = _manager_files(tf1, str(tmp_path / "tf"))
    assert ours[0] == theirs[0] == "ckpt-10"
    assert ours[1] == theirs[1] == ["ckpt-4", "ckpt-10"]
    np.testing.assert_array_equal(ours[2], theirs[2])
    assert ours[3] == theirs[3] and ours[4] == theirs[4] == ["ckpt-10", "ckpt-4"]
    with dg.Graph().as_default():
        with pytest.raises(TypeError, match="must be a tf.train.Checkpoint"):
            dg.train.CheckpointManager(object(), str(tmp_path), 1)


def test_saver_def_reader_and_state_helpers(tmp_path):
    folder = str(tmp_path)
    results = {}
    for tf in (dg, tf1):
        with tf.Graph().as_default():
            tf.get_variable("a", initializer=np.arange(3, dtype=np.float32))
            tf.Variable(np.array([[7]], np.int64), name="c")
            saver = tf.train.Saver(max_to_keep=3)
            sd = saver.as_saver_def()
            assert isinstance(sd, tf.train.SaverDef) and sd.max_to_keep == 3
            again = tf.train.Saver(saver_def=sd)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                p = again.save(sess, os.path.join(folder, tf.__name__[-2:], "m"), global_step=3)
            reader = tf.train.NewCheckpointReader(p)
            shapes = reader.get_variable_to_shape_map()
            results[tf] = (
                {k: v for k, v in shapes.items() if k in ("a", "c")},
                reader.get_tensor("a"),
                reader.get_tensor("c"),
                reader.has_tensor("a"),
                tf.train.get_checkpoint_mtimes([p, p + "-absent"]),
            )
            sub = os.path.join(folder, "state" + tf.__name__[-2:])
            os.makedirs(sub)
            tf.train.update_checkpoint_state(sub, "m-2", ["m-1"])
            st = tf.train.get_checkpoint_state(sub)
            results[tf] += (
                os.path.basename(st.model_checkpoint_path),
                [os.path.basename(q) for q in st.all_model_checkpoint_paths],
            )
            proto = tf.train.generate_checkpoint_state_proto(sub, "x-3", ["x-1", "x-2"])
            results[tf] += (proto.model_checkpoint_path, list(proto.all_model_checkpoint_paths))
            tf.train.remove_checkpoint(p)
            results[tf] += (tf.train.checkpoint_exists(p),)
    ours, theirs = results[dg], results[tf1]
    assert ours[0] == theirs[0] == {"a": [3], "c": [1, 1]}
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[2].dtype == theirs[2].dtype and ours[3] is theirs[3] is True
    assert len(ours[4]) == len(theirs[4]) == 1
    assert ours[5:] == theirs[5:]
    with dg.Graph().as_default(), pytest.raises(dg.errors.NotFoundError):
        dg.train.NewCheckpointReader(str(tmp_path / "nothing"))


def test_checkpoints_iterator_yields_new_checkpoints_then_times_out(tmp_path):
    with dg.Graph().as_default():
        v = dg.get_variable("v", initializer=np.zeros(1, np.float32))
        saver = dg.train.Saver()
        with dg.Session() as sess:
            sess.run(v.initializer)
            saver.save(sess, str(tmp_path / "m"), global_step=1)
    seen = list(dg.train.checkpoints_iterator(str(tmp_path), timeout=0.3))
    assert [os.path.basename(p) for p in seen] == ["m-1"]


def _server_program(tf):
    with tf.Graph().as_default():
        server = tf.train.Server.create_local_server()
        x = tf.constant([1.0, 2.0])
        with tf.Session(server.target) as sess:
            out = sess.run(x * 2)
        single = tf.train.Server(
            tf.train.ClusterSpec({"worker": ["localhost:0"]}), job_name="worker", task_index=0,
            start=False,
        )  # fmt: skip
    return server.target.split(":")[0], out, single.server_def.job_name


def test_server_in_process_matches_tf_and_refuses_clusters():
    ours, theirs = _server_program(dg), _server_program(tf1)
    assert ours[0] == theirs[0] == "grpc"
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[2] == theirs[2] == "worker"
    cluster = dg.train.ClusterSpec({"ps": ["localhost:2222"], "worker": ["localhost:2223"]})
    with pytest.raises(NotImplementedError, match="cluster of 2 tasks.*horovod"):
        dg.train.Server(cluster, job_name="worker", task_index=0)
    with pytest.raises(ValueError, match="job_name 'chief' is not in the cluster"):
        dg.train.Server({"worker": ["localhost:1"]}, job_name="chief")


def _sync_training(tf, wrap):
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=np.array([1.0, -0.5], np.float32))
        loss = tf.reduce_sum(tf.square(w - 3.0) * tf.constant([1.0, 2.0]))
        step = tf.train.get_or_create_global_step()
        opt = tf.train.MomentumOptimizer(0.05, 0.9)
        hooks = []
        if wrap:
            opt = tf.train.SyncReplicasOptimizer(opt, replicas_to_aggregate=1)
        train = opt.minimize(loss, global_step=step)
        if wrap:
            hooks.append(opt.make_session_run_hook(is_chief=True))
        with tf.train.MonitoredTrainingSession(hooks=hooks) as sess:
            for _ in range(6):
                sess.run(train)
            return sess.run([w, step])


def test_sync_replicas_with_one_replica_trains_like_the_wrapped_optimizer():
    plain, wrapped = _sync_training(dg, False), _sync_training(dg, True)
    for a, b in zip(plain, wrapped, strict=True):
        np.testing.assert_array_equal(a, b)
    theirs = _sync_training(tf1, False)
    np.testing.assert_allclose(wrapped[0], theirs[0], rtol=1e-6)
    assert int(wrapped[1]) == int(theirs[1]) == 6
    with dg.Graph().as_default():
        gd = dg.train.GradientDescentOptimizer(0.1)
        with pytest.raises(NotImplementedError, match="only one replica.*horovod"):
            dg.train.SyncReplicasOptimizer(gd, replicas_to_aggregate=2, total_num_replicas=2)
        sync = dg.train.SyncReplicasOptimizer(gd, 1)
        with pytest.raises(ValueError, match="after apply_gradients"):
            sync.get_chief_queue_runner()


def _profiled(tf, folder):
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=np.ones(2, np.float32))
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.1).minimize(
            tf.reduce_sum(tf.square(w)), global_step=step
        )
        hook = tf.train.ProfilerHook(save_steps=2, output_dir=folder)
        with tf.train.MonitoredTrainingSession(hooks=[hook]) as sess:
            for _ in range(7):
                sess.run(train)
    return sorted(f for f in os.listdir(folder) if f.startswith("timeline"))


def test_profiler_hook_writes_traces_at_tfs_steps(tmp_path):
    ours = _profiled(dg, str(tmp_path / "dg"))
    theirs = _profiled(tf1, str(tmp_path / "tf"))
    assert ours == theirs == ["timeline-2.json", "timeline-4.json", "timeline-6.json"]
    with open(tmp_path / "dg" / ours[0]) as f:
        trace = json.load(f)
    run = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(run) == 1 and run[0]["dur"] > 0 and run[0]["args"]["global_step"] == 2
    with dg.Graph().as_default():
        hook = dg.train.ProfilerHook(save_steps=1, output_dir=str(tmp_path))
        with pytest.raises(RuntimeError, match="Global step should be created"):
            hook.begin()
