"""Which samples each rank reads: PyTorch's DistributedSampler arithmetic and its shuffle stream.

A user moving a PyTorch program here expects the same shards in the same order for the same seed,
so `torch_randperm` reproduces ``torch.randperm(n, generator=torch.Generator().manual_seed(s))``
on CPU: a Mersenne Twister (MT19937) seeded as PyTorch seeds it, and PyTorch's Fisher-Yates walk
(swap position i with i + random() % (n - i)).
"""

from __future__ import annotations

import math

import numpy as np

_U32_LIMIT = (1 << 32) - 1


def _mt19937(seed: int) -> np.random.MT19937:
    bg = np.random.MT19937(0)
    # PyTorch's CPU generator seeds MT19937 with the classic 32-bit init_genrand recurrence,
    # which numpy exposes as the legacy seeding of the same engine
    bg._legacy_seeding(int(seed) & _U32_LIMIT)
    return bg


def torch_randperm(n: int, seed: int) -> np.ndarray:
    """The permutation PyTorch's CPU ``randperm(n)`` draws from a generator seeded with `seed`."""
    n = int(n)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    perm = np.arange(n, dtype=np.int64)
    if n < 2:
        return perm
    if n >= _U32_LIMIT // 20:
        raise ValueError(f"randperm: n={n} is too large for the PyTorch-compatible shuffle")
    draws = _mt19937(seed).random_raw(n - 1).astype(np.int64)
    for i in range(n - 1):
        z = i + int(draws[i]) % (n - i)
        perm[i], perm[z] = perm[z], perm[i]
    return perm


def shard_indices(
    n: int,
    num_replicas: int,
    rank: int,
    shuffle: bool = True,
    seed: int = 0,
    epoch: int = 0,
    drop_last: bool = False,
) -> list[int]:
    """The indices rank `rank` of `num_replicas` reads in an epoch (DistributedSampler's)."""
    if num_replicas < 1 or not 0 <= rank < num_replicas:
        raise ValueError(
            f"DistributedSampler: rank {rank} is not in [0, {num_replicas}); num_replicas must "
            "be at least 1"
        )
    if drop_last and n % num_replicas != 0:
        num_samples = math.ceil((n - num_replicas) / num_replicas)
    else:
        num_samples = math.ceil(n / num_replicas)
    total = num_samples * num_replicas
    idx = torch_randperm(n, seed + epoch).tolist() if shuffle else list(range(n))
    if not drop_last:
        pad = total - len(idx)
        if pad > 0:
            if pad <= len(idx):
                idx += idx[:pad]
            else:
                idx += (idx * math.ceil(pad / len(idx)))[:pad]
    else:
        idx = idx[:total]
    return idx[rank:total:num_replicas]
