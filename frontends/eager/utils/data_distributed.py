"""``torch.utils.data.distributed.DistributedSampler``: each rank's share of a dataset.

The same indices as PyTorch's sampler for the same seed, epoch, rank and size (padding by
repeating the first indices, or dropping the tail with drop_last), from the core's
PyTorch-compatible shuffle (`duograd.core.distributed.sampling`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ....core.distributed import sampling

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """Yield this rank's indices of `dataset`; call set_epoch(e) each epoch for a new shuffle."""

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from ..distributed import get_rank, get_world_size, is_initialized

            if not is_initialized():
                raise RuntimeError(
                    "DistributedSampler: pass num_replicas= and rank=, or call "
                    "torch.distributed.init_process_group() first"
                )
            num_replicas = get_world_size() if num_replicas is None else num_replicas
            rank = get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = bool(shuffle)
        self.seed = int(seed)

    def __iter__(self) -> Iterator[int]:
        return iter(
            sampling.shard_indices(
                len(self.dataset), self.num_replicas, self.rank, self.shuffle, self.seed,
                self.epoch, self.drop_last,
            )
        )  # fmt: skip

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use `epoch` in the shuffle's seed (seed + epoch), so each epoch orders differently."""
        self.epoch = int(epoch)
