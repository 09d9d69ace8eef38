"""`tf.train.Saver` rotation is crash-safe at every file-system step.

A save with `max_to_keep=1` is interrupted at its 1st, 2nd, ... file-system call (fsync, rename,
remove), as a kill at that moment would; afterwards `latest_checkpoint()` must still name a
complete checkpoint that restores, holding either the previous or the new values.
"""

from __future__ import annotations

import os

import duograd.frontends.graph as tf
import numpy as np
import pytest


class _Crash(BaseException):
    """Stands for the process dying at this call (not an Exception: nothing may swallow it)."""


def _armed(monkeypatch, fail_at: int) -> list:
    """Make the `fail_at`-th call to os.fsync / os.replace / os.remove raise _Crash."""
    calls: list = []
    for name in ("fsync", "replace", "remove"):
        real = getattr(os, name)

        def wrapped(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            if len(calls) == fail_at:
                raise _Crash(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, wrapped)
    return calls


def _program():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.zeros(3, np.float32), name="w")
        bump = w.assign_add(tf.ones(3))
        saver = tf.train.Saver(max_to_keep=1)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    return sess, w, bump, saver


def test_a_save_interrupted_at_any_step_leaves_a_restorable_latest_checkpoint(
    tmp_path, monkeypatch
):
    steps = 0
    for fail_at in range(1, 50):
        folder = tmp_path / f"run{fail_at}"
        folder.mkdir()
        sess, w, bump, saver = _program()
        sess.run(bump)
        saver.save(sess, str(folder / "model.ckpt"), global_step=1)
        sess.run(bump)
        with monkeypatch.context() as m:
            calls = _armed(m, fail_at)
            try:
                saver.save(sess, str(folder / "model.ckpt"), global_step=2)
                finished = True
            except _Crash:
                finished = False
        latest = tf.train.latest_checkpoint(str(folder))
        assert latest is not None, f"no checkpoint found after a crash at call {calls[-1]}"
        fresh, w2, _, saver2 = _program()
        saver2.restore(fresh, latest)
        value = fresh.run(w2)
        assert value.tolist() in ([1.0] * 3, [2.0] * 3), (fail_at, value)
        if finished:
            assert latest.endswith("model.ckpt-2")
            assert not os.path.exists(str(folder / "model.ckpt-1.npz"))  # rotation did happen
            steps = fail_at - 1
            break
    assert steps >= 4, "the save made fewer file-system calls than expected"


def test_a_failed_state_write_keeps_the_previous_checkpoint_listed(tmp_path, monkeypatch):
    sess, w, bump, saver = _program()
    first = saver.save(sess, str(tmp_path / "m"), global_step=1)
    from duograd.frontends.graph import saver as saver_mod

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(saver_mod, "_write_state", broken)
    with pytest.raises(OSError):
        saver.save(sess, str(tmp_path / "m"), global_step=2)
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    assert os.path.exists(first + ".npz")
    assert saver.last_checkpoints == [first]
