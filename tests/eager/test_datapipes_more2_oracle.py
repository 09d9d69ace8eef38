"""torch.utils.data datapipes and DistributedSampler against real torch: the same items in the
same order (shuffling checked as a permutation), and pipes feeding a DataLoader."""

from __future__ import annotations

import duograd.frontends.eager as torch
import pytest

rt = pytest.importorskip("torch")


def _pipe(lib):
    D = lib.utils.data  # noqa: N806
    dp = D.datapipes.iter.IterableWrapper(range(10))
    return dp.map(lambda x: x * 3).filter(lambda x: x % 2 == 0).batch(2)


def test_chained_pipes_match_torch():
    assert list(_pipe(torch)) == list(_pipe(rt))
    for lib in (torch, rt):
        it = lib.utils.data.datapipes.iter
        z = it.Zipper(it.IterableWrapper([1, 2, 3]), it.IterableWrapper("ab"))
        c = it.Concater(it.IterableWrapper([1]), it.IterableWrapper([2, 3]))
        u = it.IterableWrapper([[1, 2], [3]]).unbatch()
        assert list(z) == [(1, "a"), (2, "b")] and list(c) == [1, 2, 3] and list(u) == [1, 2, 3]


def test_shuffle_is_a_permutation_and_seeded():
    torch.manual_seed(3)
    a = list(torch.utils.data.datapipes.iter.IterableWrapper(range(50)).shuffle())
    torch.manual_seed(3)
    b = list(torch.utils.data.datapipes.iter.IterableWrapper(range(50)).shuffle(buffer_size=7))
    assert sorted(a) == list(range(50)) and sorted(b) == list(range(50)) and a != list(range(50))


def test_functional_datapipe_registers_a_method():
    D = torch.utils.data  # noqa: N806

    @D.functional_datapipe("times_two_more2")
    class TimesTwo(D.IterDataPipe):
        def __init__(self, source):
            self.source = source

        def __iter__(self):
            return (2 * x for x in self.source)

    dp = D.datapipes.iter.IterableWrapper([1, 2]).times_two_more2()
    assert list(dp) == [2, 4] and isinstance(dp, D.IterableDataset)
    loader = D.DataLoader(dp, batch_size=2)
    assert [b.tolist() for b in loader] == [[2, 4]]
    with pytest.raises(AttributeError):
        D.datapipes.iter.IterableWrapper([1]).no_such_pipe()


def test_distributed_sampler_top_level_name():
    ds = list(range(10))
    ours = torch.utils.data.DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    theirs = rt.utils.data.DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    assert list(ours) == list(theirs)
