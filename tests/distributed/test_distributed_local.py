"""Single-process parts of distributed training: the sampler and shuffle against real PyTorch,
the post-accumulate-grad hook, gradient buckets and the process group's errors."""

from __future__ import annotations

import duograd.frontends.eager as dtorch
import numpy as np
import pytest
from duograd.core.distributed import sampling


def test_randperm_matches_torch() -> None:
    """The shuffle is PyTorch's CPU randperm for the same seed."""
    torch = pytest.importorskip("torch")
    for n in (0, 1, 2, 7, 100, 1000):
        for seed in (0, 1, 3, 12345, 2**32 + 7):
            g = torch.Generator()
            g.manual_seed(seed)
            want = torch.randperm(n, generator=g).numpy()
            assert np.array_equal(sampling.torch_randperm(n, seed), want), (n, seed)


@pytest.mark.parametrize("n_data", [10, 11, 7, 2])
def test_sampler_matches_torch(n_data) -> None:
    """DistributedSampler yields PyTorch's indices: shuffle, seed, epoch, padding, drop_last."""
    torch = pytest.importorskip("torch")
    from duograd.frontends.eager.utils.data.distributed import DistributedSampler
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    data = list(range(n_data))
    for replicas in (1, 2, 3):
        for rank in range(replicas):
            for shuffle in (True, False):
                for drop_last in (False, True):
                    kw = dict(num_replicas=replicas, rank=rank, shuffle=shuffle, seed=5)
                    ours = DistributedSampler(data, drop_last=drop_last, **kw)
                    theirs = TorchSampler(data, drop_last=drop_last, **kw)
                    for epoch in (0, 1, 4):
                        ours.set_epoch(epoch)
                        theirs.set_epoch(epoch)
                        assert list(ours) == list(theirs), (replicas, rank, shuffle, epoch)
                        assert len(ours) == len(theirs)
    del torch


def test_sampler_errors() -> None:
    """A rank outside the group is refused with the interval."""
    from duograd.frontends.eager.utils.data.distributed import DistributedSampler

    with pytest.raises(
        ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        DistributedSampler(list(range(4)), num_replicas=2, rank=2)


def test_sampler_feeds_a_dataloader() -> None:
    """DataLoader(sampler=DistributedSampler(...)) batches this rank's share."""
    from duograd.frontends.eager.utils.data import DataLoader, TensorDataset
    from duograd.frontends.eager.utils.data.distributed import DistributedSampler

    ds = TensorDataset(dtorch.arange(10))
    s = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=2, sampler=s)]
    assert got == [[1, 3], [5, 7], [9]]


def test_post_accumulate_grad_hook() -> None:
    """The hook runs after .grad holds the accumulated gradient; remove() unregisters it."""
    w = dtorch.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy().copy()))
    (w * 3).sum().backward()
    (w * 2).sum().backward()
    assert [s.tolist() for s in seen] == [[3.0, 3.0], [5.0, 5.0]]
    h.remove()
    (w * 1).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_post_accumulate_grad_hook_matches_torch() -> None:
    """Same firing count and gradient values as PyTorch's hook, inputs= included."""
    torch = pytest.importorskip("torch")
    for lib in (torch, dtorch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        v = lib.tensor([0.5, 4.0], requires_grad=True)
        seen = []
        w.register_post_accumulate_grad_hook(lambda p, s=seen: s.append(p.grad.tolist()))
        (w * v).sum().backward()
        (w * w).sum().backward(inputs=[w])
        if lib is torch:
            want = seen
        else:
            assert seen == want


@pytest.fixture
def group():
    """A process group of one (this process)."""
    pytest.importorskip("mpi4py", reason="the optional extra `dist` is absent")
    from duograd.core import distributed as D

    D.init()
    yield D
    D.finalize()


def test_buckets_pack_and_name_missing(group) -> None:
    """Small caps make several buckets; values pass through; a missing gradient is named."""
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    b = group.GradBuckets(shapes, [np.float32] * 4, cap_bytes=40, names=list("abcd"))
    assert len(b.buckets) >= 3
    grads = [
        np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)
    ]
    out = b.reduce(grads)
    assert all(np.array_equal(o, g) for o, g in zip(out, grads, strict=True))
    b.ready(3, grads[3])
    with pytest.raises(RuntimeError, match="marked ready twice"):
        b.ready(3, grads[3])
    with pytest.raises(RuntimeError, match="got no gradient this step: c, b, a"):
        b.finish()
    b.reset()
    with pytest.raises(ValueError, match=r"parameter a has a gradient of shape \(4,\)"):
        b.ready(0, grads[1])


def test_collectives_in_a_group_of_one(group) -> None:
    """allreduce/broadcast/allgather/barrier work (trivially) in one process; bad ops refused."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(group.allreduce(x, "mean"), x)
    assert group.allgather(x).shape == (1, 2, 3)
    group.barrier()
    with pytest.raises(ValueError, match="op='max' is not supported"):
        group.allreduce(x, "max")
    with pytest.raises(TypeError, match="op='mean' needs a floating-point array"):
        group.allreduce(np.arange(3), "mean")
    with pytest.raises(ValueError, match="root=2 is not a rank of a group of 1"):
        group.broadcast(x.copy(), 2)


def test_init_process_group_checks_env(monkeypatch) -> None:
    """WORLD_SIZE disagreeing with MPI is refused naming both; unknown backends too."""
    pytest.importorskip("mpi4py", reason="the optional extra `dist` is absent")
    dist = dtorch.distributed
    with pytest.raises(ValueError, match="backend 'nccl' is not supported"):
        dist.init_process_group(backend="nccl")
    monkeypatch.setenv("WORLD_SIZE", "4")
    with pytest.raises(ValueError, match="world_size 4 .* rank 0 of 1"):
        dist.init_process_group(backend="mpi")
    assert not dist.is_initialized()
    monkeypatch.delenv("WORLD_SIZE")
    dist.init_process_group(backend="gloo")
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    finally:
        dist.destroy_process_group()


def test_errors_before_init() -> None:
    """Collectives before init_process_group say what to call."""
    dist = dtorch.distributed
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dtorch.nn.parallel.DistributedDataParallel(dtorch.nn.Linear(2, 2))


def test_graph_allreduce_in_a_group_of_one(group) -> None:
    """hvd.allreduce is a graph op; DistributedOptimizer in one process leaves gradients alone."""
    import duograd.frontends.graph as tf
    import duograd.frontends.graph.horovod as hvd

    g = tf.Graph()
    with g.as_default():
        x = tf.constant(np.float32([1.0, 2.0]))
        y = hvd.allreduce(x * 2.0)
        z = hvd.allreduce(x, op=hvd.Sum)
        with tf.Session() as s:
            assert s.run(y).tolist() == [2.0, 4.0] and s.run(z).tolist() == [1.0, 2.0]
        assert (hvd.rank(), hvd.size(), hvd.local_rank()) == (0, 1, 0)
        with pytest.raises(ValueError, match="either average= or op="):
            hvd.allreduce(x, average=True, op=hvd.Sum)
