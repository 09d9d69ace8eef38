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


class _Big:
    """Examples large enough that their batches travel through shared memory."""

    def __len__(self) -> int:
        return 40

    def __getitem__(self, i: int):
        x = np.full((784,), i, np.float32) * np.float32(0.5)
        return {"x": x, "pair": (np.arange(300, dtype=np.int64) + i, i)}


def _leftovers() -> list:
    import glob

    return glob.glob("/dev/shm/duograd-dl-*")


def test_worker_batches_through_shared_memory_equal_the_in_process_ones():
    from duograd.frontends.eager.utils.data import DataLoader, shm

    if not shm.available():
        pytest.skip("no /dev/shm here: batches go through the pipe")
    before = set(_leftovers())
    ref = list(DataLoader(_Big(), batch_size=16, num_workers=0))
    got = list(DataLoader(_Big(), batch_size=16, num_workers=2))
    assert len(got) == len(ref) == 3
    for a, b in zip(got, ref, strict=True):
        assert a["x"].numpy().tobytes() == b["x"].numpy().tobytes()
        assert a["pair"][0].numpy().tobytes() == b["pair"][0].numpy().tobytes()
        assert a["pair"][1].numpy().tobytes() == b["pair"][1].numpy().tobytes()
    got[0]["x"].add_(1.0)  # a batch is an ordinary writable tensor
    assert got[1]["x"].numpy()[0, 0] == 8.0
    assert set(_leftovers()) <= before


def test_leaving_an_epoch_early_leaves_no_files():
    from duograd.frontends.eager.utils.data import DataLoader

    before = set(_leftovers())
    for loader in (
        DataLoader(_Big(), batch_size=4, num_workers=2, prefetch_factor=4),
        DataLoader(_Big(), batch_size=4, num_workers=2, persistent_workers=True),
    ):
        for i, _ in enumerate(loader):
            if i == 1:
                break
        pool = getattr(loader, "_workers", None)
        if pool is not None:
            pool.shutdown()
    import gc

    gc.collect()
    assert set(_leftovers()) <= before


def test_a_full_shared_memory_falls_back_to_the_pipe(monkeypatch):
    import errno
    import multiprocessing
    import os

    from duograd.frontends.eager.utils.data import DataLoader

    if not hasattr(os, "posix_fallocate") or "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs posix_fallocate and forked workers (which inherit the patch)")

    def full(fd, offset, size):
        raise OSError(errno.ENOSPC, "No space left on device")

    before = set(_leftovers())
    monkeypatch.setattr(os, "posix_fallocate", full)
    got = list(DataLoader(_Big(), batch_size=16, num_workers=2, multiprocessing_context="fork"))
    ref = list(DataLoader(_Big(), batch_size=16, num_workers=0))
    for a, b in zip(got, ref, strict=True):
        assert a["x"].numpy().tobytes() == b["x"].numpy().tobytes()
    assert set(_leftovers()) <= before
