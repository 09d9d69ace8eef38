"""`DataLoader`: batches of a dataset, in this process or from worker processes.

The batch order is fixed in the main process by the sampler (shuffling draws from the loader's
generator, or the shared seeded stream), and worker results are put back in that order, so
`num_workers=2` yields exactly the batches `num_workers=0` does for the same seed. Worker
seeds derive from the generator's seed and the epoch without drawing from it, so the shuffle
stream is the same with or without workers.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .....core import random as core_random
from ...creation import Generator
from ...tensor import Tensor
from . import shm
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .worker import RESET, Failure, Fetcher, IterEnd, worker_loop


class DataLoader:
    """Batches of `dataset` (map-style or iterable), optionally shuffled, optionally made by
    `num_workers` worker processes."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "DataLoader: num_workers option should be non-negative; use num_workers=0 to "
                f"disable multiprocessing (got {num_workers!r})"
            )
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor option could only be specified in multiprocessing; "
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                "to None."
            )
        if prefetch_factor is not None and prefetch_factor <= 0:
            raise ValueError(f"DataLoader: prefetch_factor must be positive, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        iterable = isinstance(dataset, IterableDataset)
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(
                "DataLoader with IterableDataset: expected unspecified shuffle, sampler and "
                f"batch_sampler options, got shuffle={shuffle}, sampler={sampler}, "
                f"batch_sampler={batch_sampler}"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if batch_size is not None and (
            not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0
        ):
            raise ValueError(f"batch_size should be a positive integer value, but got {batch_size}")
        if sampler is None and not iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = drop_last
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory  # accepted: there is no device memory to pin for
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        auto = batch_size is not None or batch_sampler is not None
        self._auto_collation = auto
        if collate_fn is None:
            collate_fn = default_collate if auto else default_convert
        self.collate_fn = collate_fn
        self._iterable = iterable
        self._epoch = 0
        self._workers: _WorkerPool | None = None

    # ---- iteration -------------------------------------------------------------------------------
    def _tasks(self) -> Iterator[Any]:
        """The index lists (or single indices) of one epoch, in order."""
        if self.batch_sampler is not None:
            return iter(self.batch_sampler)
        return iter(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        self._epoch += 1
        if self.num_workers == 0:
            return self._single()
        pool = self._workers
        if pool is None or not pool.reusable():
            if pool is not None:
                pool.shutdown()
            pool = _WorkerPool(self)
            if self.persistent_workers:
                self._workers = pool
        elif self._iterable:
            pool.reset()
        return pool.epoch(
            self._tasks() if not self._iterable else None, not self.persistent_workers
        )

    def _fetcher(self) -> Fetcher:
        return Fetcher(
            self.dataset, self.collate_fn, self.batch_size, self.drop_last, self._auto_collation
        )

    def _single(self) -> Iterator[Any]:
        fetch = self._fetcher()
        if self._iterable:
            it = iter(self.dataset)
            while True:
                batch = fetch.from_iterator(it)
                if batch is None:
                    return
                yield batch
        fast = (
            type(self.dataset) is TensorDataset
            and self.collate_fn is default_collate
            and self.batch_size is not None
        )
        tensors = self.dataset.tensors if fast else None
        for task in self._tasks():
            if tensors is not None:
                # one gather per field instead of stacking single rows
                sel = np.asarray(task, dtype=np.int64)
                yield [Tensor._make(t._data[sel]) for t in tensors]
            else:
                yield fetch.from_indices(task)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def _base_seed(self) -> int:
        g = core_random.default_generator if self.generator is None else self.generator._gen
        return (g.initial_seed() * 1_000_003 + self._epoch) % (2**62)

    def __del__(self) -> None:
        pool = getattr(self, "_workers", None)
        if pool is not None:
            pool.shutdown()


_POOLS = itertools.count()


class _WorkerPool:
    """The worker processes of one DataLoader (for one epoch, or persistent)."""

    def __init__(self, loader: DataLoader) -> None:
        ctx = loader.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            methods = multiprocessing.get_all_start_methods()
            name = ctx or ("fork" if "fork" in methods else methods[0])
            ctx = multiprocessing.get_context(name)
        self.loader = loader
        self.n = loader.num_workers
        self.iterable = loader._iterable
        self.timeout = loader.timeout
        self.prefetch = loader.prefetch_factor * self.n
        self.results = ctx.Queue()
        self.index_queues = []
        self.procs = []
        seed = loader._base_seed()
        fetch = loader._fetcher()
        # batches come back through shared memory files where the system has them (see shm.py)
        self.shm_owner = f"{os.getpid()}x{next(_POOLS)}"
        fetch.shm_owner = self.shm_owner if shm.available() else None
        for w in range(self.n):
            q = ctx.Queue()
            p = ctx.Process(
                target=worker_loop,
                args=(
                    loader.dataset,
                    q,
                    self.results,
                    fetch,
                    w,
                    self.n,
                    seed + w,
                    loader.worker_init_fn,
                    self.iterable,
                ),
                daemon=True,
            )
            p.start()
            self.index_queues.append(q)
            self.procs.append(p)
        self.clean = True
        self.closed = False
        self.next_task = 0

    def reusable(self) -> bool:
        return self.clean and not self.closed and all(p.is_alive() for p in self.procs)

    def reset(self) -> None:
        for q in self.index_queues:
            q.put((-1, RESET))

    def epoch(self, tasks: Iterator[Any] | None, close_after: bool) -> Iterator[Any]:
        """One pass: hand out tasks round-robin, yield results in task order."""
        self.clean = False
        active = list(range(self.n))
        sent: dict = {}  # task number -> (worker, indices)
        done: dict = {}
        send_idx = recv_idx = 0
        exhausted = False
        rr = 0
        try:
            while True:
                while not exhausted and len(sent) < self.prefetch and active:
                    if tasks is not None:
                        indices = next(tasks, None)
                        if indices is None:
                            exhausted = True
                            break
                    else:
                        indices = None
                    w = active[rr % len(active)]
                    rr += 1
                    self.index_queues[w].put((send_idx, indices))
                    sent[send_idx] = (w, indices)
                    send_idx += 1
                if recv_idx == send_idx:
                    if exhausted or not active:
                        break
                    continue
                while recv_idx not in done:
                    idx, data = self._get()
                    done[idx] = data
                data = done.pop(recv_idx)
                sent.pop(recv_idx)
                recv_idx += 1
                if isinstance(data, IterEnd):
                    if data.worker_id in active:
                        active.remove(data.worker_id)
                    continue
                if isinstance(data, Failure):
                    self.shutdown()
                    data.reraise()
                yield shm.unpack(data)
            self.clean = True
        finally:
            if close_after or not self.clean:
                self.shutdown()

    def _get(self) -> tuple:
        start = time.monotonic()
        while True:
            wait = 1.0
            if self.timeout > 0:
                left = self.timeout - (time.monotonic() - start)
                if left <= 0:
                    self.shutdown()
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds")
                wait = min(wait, left)
            try:
                return self.results.get(timeout=wait)
            except queue.Empty:
                dead = [(w, p) for w, p in enumerate(self.procs) if not p.is_alive()]
                if dead:
                    w, p = dead[0]
                    self.shutdown()
                    raise RuntimeError(
                        f"DataLoader worker {w} (pid {p.pid}) exited unexpectedly with exit code "
                        f"{p.exitcode}"
                    ) from None

    def shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        for q in self.index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for p in self.procs:
            p.join(timeout=1.0)
            if p.is_alive():
                p.terminate()
                p.join(timeout=1.0)
        for q in [*self.index_queues, self.results]:
            q.cancel_join_thread()
            q.close()
        shm.sweep(self.shm_owner)  # batches made but never received
