"""torch.utils.data: worker processes, samplers, collation and their errors."""

import os

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.utils import data as tud


class Squares(tud.Dataset):
    def __len__(self):
        return 23

    def __getitem__(self, i):
        return {"x": np.full(3, i, np.float32), "pair": (np.int64(i), float(i) / 2)}


class Boom(tud.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 7:
            raise ValueError("bad sample 7")
        return np.float32(i)


class Pids(tud.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = tud.get_worker_info()
        return np.asarray([os.getpid(), -1 if info is None else info.id, i])


class Shards(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tud.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def _flat(batches):
    return [
        (b["x"].numpy().tolist(), b["pair"][0].tolist(), b["pair"][1].tolist()) for b in batches
    ]


def test_workers_give_the_same_batches_in_the_same_order():
    ds = Squares()
    g0 = torch.Generator().manual_seed(5)
    g2 = torch.Generator().manual_seed(5)
    a = _flat(tud.DataLoader(ds, batch_size=4, shuffle=True, generator=g0))
    b = _flat(tud.DataLoader(ds, batch_size=4, shuffle=True, generator=g2, num_workers=2))
    assert a == b and len(a) == 6
    assert sorted(x[0] for bt in a for x in bt[0]) == list(map(float, range(23)))


def test_workers_are_real_processes_and_init_fn_runs():
    seen = tud.DataLoader(Pids(), batch_size=2, num_workers=2)
    rows = np.concatenate([b.numpy() for b in seen])
    assert set(rows[:, 1].tolist()) == {0, 1}
    assert os.getpid() not in set(rows[:, 0].tolist())
    assert rows[:, 2].tolist() == list(range(8))


def test_worker_exception_is_reraised_naming_worker_and_index():
    dl = tud.DataLoader(Boom(), batch_size=None, num_workers=2)
    with pytest.raises(
        ValueError, match=r"worker process 1 while fetching index 7[\s\S]*bad sample"
    ):
        list(dl)
    with pytest.raises(ValueError, match="bad sample 7"):
        list(tud.DataLoader(Boom(), batch_size=2))


def test_worker_init_fn_failure_is_reported():
    def init(wid):
        raise RuntimeError(f"init of {wid} failed")

    with pytest.raises(RuntimeError, match="worker_init_fn[\\s\\S]*init of"):
        list(tud.DataLoader(Squares(), batch_size=4, num_workers=1, worker_init_fn=init))


def test_persistent_workers_prefetch_and_epochs():
    dl = tud.DataLoader(
        Pids(), batch_size=4, num_workers=2, persistent_workers=True, prefetch_factor=1
    )
    first = np.concatenate([b.numpy() for b in dl])
    second = np.concatenate([b.numpy() for b in dl])
    assert set(first[:, 0].tolist()) == set(second[:, 0].tolist())  # the same processes
    dl._workers.shutdown()


def test_timeout_raises():
    class Slow(tud.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            import time

            time.sleep(3)
            return np.float32(i)

    with pytest.raises(RuntimeError, match="timed out after 0.5 seconds"):
        list(tud.DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.5))


def test_iterable_dataset_sharded_by_worker_info():
    single = [b.tolist() for b in tud.DataLoader(Shards(10), batch_size=2)]
    assert single == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    multi = [b.tolist() for b in tud.DataLoader(Shards(10), batch_size=2, num_workers=2)]
    assert sorted(x for b in multi for x in b) == list(range(10))
    assert multi[:2] == [[0, 2], [1, 3]]  # worker 0 then worker 1, as torch


def test_samplers():
    g = torch.Generator().manual_seed(0)
    assert list(tud.SequentialSampler(range(4))) == [0, 1, 2, 3]
    perm = list(tud.RandomSampler(range(6), generator=g))
    assert sorted(perm) == list(range(6))
    rep = list(tud.RandomSampler(range(3), replacement=True, num_samples=20, generator=g))
    assert len(rep) == 20 and set(rep) <= {0, 1, 2}
    sub = list(tud.SubsetRandomSampler([10, 20, 30], generator=g))
    assert sorted(sub) == [10, 20, 30]
    w = list(tud.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g))
    assert set(w) == {1, 3} and 100 < w.count(3) < 190
    nr = list(tud.WeightedRandomSampler([1, 1, 0, 1], 3, replacement=False, generator=g))
    assert sorted(nr) == [0, 1, 3]
    bs = list(tud.BatchSampler(tud.SequentialSampler(range(5)), 2, drop_last=False))
    assert bs == [[0, 1], [2, 3], [4]]
    dl = tud.DataLoader(Squares(), batch_sampler=tud.BatchSampler(range(5), 3, True))
    assert [b["pair"][0].tolist() for b in dl] == [[0, 1, 2]]
    with pytest.raises(ValueError, match="weights"):
        tud.WeightedRandomSampler([-1.0, 1.0], 2)
    with pytest.raises(ValueError, match="mutually exclusive"):
        tud.DataLoader(Squares(), sampler=tud.SequentialSampler(range(3)), shuffle=True)
    with pytest.raises(ValueError, match="IterableDataset"):
        tud.DataLoader(Shards(3), shuffle=True)


def test_collate_nested_and_datasets():
    b = tud.default_collate([{"a": (np.ones(2), 1)}, {"a": (np.zeros(2), 2)}])
    assert b["a"][0].shape == (2, 2) and b["a"][1].tolist() == [1, 2]
    assert b["a"][1].dtype == torch.int64
    x = torch.arange(6)
    cat = tud.ConcatDataset([tud.TensorDataset(x), tud.Subset(tud.TensorDataset(x * 10), [5, 0])])
    assert len(cat) == 8 and int(cat[6][0]) == 50 and int(cat[-1][0]) == 0
    parts = tud.random_split(range(10), [0.7, 0.3], generator=torch.Generator().manual_seed(1))
    assert sorted(list(parts[0].indices) + list(parts[1].indices)) == list(range(10))
    dl = tud.DataLoader(tud.TensorDataset(x), batch_size=4, pin_memory=True)
    assert [b[0].tolist() for b in dl] == [[0, 1, 2, 3], [4, 5]]


def test_matches_real_torch_samplers_shapes_and_collate():
    real = pytest.importorskip("torch")
    sample = [{"x": np.ones((2, 3), np.float32), "y": (3, 1.5)} for _ in range(4)]
    ours = tud.default_collate(sample)
    theirs = real.utils.data.default_collate(sample)
    assert tuple(ours["x"].shape) == tuple(theirs["x"].shape)
    assert str(ours["y"][0].dtype).split(".")[-1] == str(theirs["y"][0].dtype).split(".")[-1]
    assert str(ours["y"][1].dtype).split(".")[-1] == str(theirs["y"][1].dtype).split(".")[-1]
    assert len(tud.DataLoader(Squares(), batch_size=5, drop_last=True)) == len(
        real.utils.data.DataLoader(list(range(23)), batch_size=5, drop_last=True)
    )
