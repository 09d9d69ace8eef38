"""A save killed mid-write leaves a temporary file; the next save removes it, none is read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import tmpfiles
from duograd.core.checkpoint import CheckpointError, load_arrays

# a child that opens a save's temporary file, writes part of it, then hangs until killed
_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from duograd.core import tmpfiles
    fd, path = tmpfiles.make(sys.argv[1], ".npz")
    os.write(fd, b"PK\\x03\\x04 half a checkpoint")
    print(path, flush=True)
    time.sleep(60)
    """
)


def _orphan(folder: str) -> str:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, folder], stdout=subprocess.PIPE, text=True
    )
    path = child.stdout.readline().strip()
    assert os.path.exists(path)
    assert tmpfiles.sweep(folder) == []  # its writer still runs: not an orphan yet
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    return path


def test_eager_save_removes_the_orphan_of_a_killed_save(tmp_path):
    orphan = _orphan(str(tmp_path))
    torch.save({"w": torch.ones(3)}, str(tmp_path / "model.pt"))
    assert not os.path.exists(orphan)
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]


def test_graph_saver_removes_the_orphan_and_restores_the_real_checkpoint(tmp_path):
    orphan = _orphan(str(tmp_path))
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.arange(3, dtype=np.float32), name="v")
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "ckpt"), global_step=1)
            assert not os.path.exists(orphan)
            assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
            s.run(v.assign(np.zeros(3, np.float32)))
            saver.restore(s, tf.train.latest_checkpoint(str(tmp_path)))
            assert prefix.endswith("ckpt-1")
            np.testing.assert_array_equal(s.run(v), [0, 1, 2])


def test_a_temporary_file_is_never_read_as_a_checkpoint(tmp_path):
    fd, path = tmpfiles.make(str(tmp_path), ".npz")
    os.close(fd)
    with pytest.raises(CheckpointError, match="temporary file of an unfinished save"):
        load_arrays(path)
    with pytest.raises(CheckpointError, match="temporary file"):
        torch.load(path)


def test_a_live_writers_temporary_file_is_left_alone(tmp_path):
    fd, path = tmpfiles.make(str(tmp_path), ".npz")  # this process: a save in flight
    os.close(fd)
    torch.save({"w": torch.ones(1)}, str(tmp_path / "other.pt"))
    assert os.path.exists(path)


def test_saver_construction_sweeps_its_folder(tmp_path):
    orphan = _orphan(str(tmp_path))
    g = tf.Graph()
    with g.as_default():
        tf.Variable(np.zeros(2, np.float32), name="v")
        tf.train.Saver(filename=str(tmp_path / "model.ckpt"))
    assert not os.path.exists(orphan)


def test_restore_and_recovery_sweep_the_checkpoint_folder(tmp_path):
    g = tf.Graph()
    with g.as_default():
        tf.Variable(np.arange(2, dtype=np.float32), name="v")
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "ckpt"), global_step=3)
            orphan = _orphan(str(tmp_path))
            saver.restore(s, prefix)
            assert not os.path.exists(orphan)
            orphan = _orphan(str(tmp_path))
            fresh = tf.train.Saver()
            fresh.recover_last_checkpoints([prefix, str(tmp_path / "ckpt-9")])
            assert not os.path.exists(orphan)
            assert fresh.last_checkpoints == [prefix]
