"""DataLoader worker processes: the loop each runs, worker info, and failures sent home."""

from __future__ import annotations

import itertools
import traceback
from typing import Any

from .....core import random as core_random
from . import shm

_info = None


class WorkerInfo:
    """What a DataLoader worker process knows about itself (see get_worker_info)."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:  # noqa: A002
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process: its WorkerInfo (id, num_workers, seed, dataset); in the
    main process: None."""
    return _info


class Failure:
    """An exception raised in a worker, carried to the main process to be raised there."""

    def __init__(self, error: BaseException, worker_id: int, what: str) -> None:
        self.etype = type(error)
        self.message = (
            f"Caught {type(error).__name__} in DataLoader worker process {worker_id} {what}.\n"
            f"Original Traceback (most recent call last):\n"
            + "".join(traceback.format_exception(error)[1:])
        )

    def reraise(self) -> None:
        """Raise the worker's exception type (RuntimeError if it cannot be rebuilt)."""
        try:
            err = self.etype(self.message)
        except Exception:  # noqa: BLE001 - an exception type with another signature
            err = RuntimeError(self.message)
        if isinstance(err, KeyError):  # KeyError would show the message quoted
            err = RuntimeError(self.message)
        raise err


class IterEnd:
    """A worker's iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


RESET = "reset"  # an iterable worker restarts its dataset iterator (a new epoch)


def worker_loop(
    dataset: Any,
    index_queue: Any,
    result_queue: Any,
    fetch: Any,
    worker_id: int,
    num_workers: int,
    seed: int,
    init_fn: Any,
    iterable: bool,
) -> None:
    """Serve tasks `(idx, indices)` until None arrives: put `(idx, batch)` (or a Failure)."""
    global _info
    _info = WorkerInfo(worker_id, num_workers, seed, dataset)
    core_random.manual_seed(seed)
    init_error = None
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception as e:  # noqa: BLE001 - reported with each task
            init_error = Failure(e, worker_id, "in worker_init_fn")
    it = iter(dataset) if iterable and init_error is None else None
    ended = False
    while True:
        try:
            task = index_queue.get()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        idx, indices = task
        if indices == RESET:
            it, ended = iter(dataset), False
            continue
        if init_error is not None:
            result_queue.put((idx, init_error))
            continue
        try:
            if iterable:
                if ended:
                    data = IterEnd(worker_id)
                else:
                    data = fetch.from_iterator(it)
                    if data is None:
                        ended, data = True, IterEnd(worker_id)
            else:
                data = fetch.from_indices(indices)
        except Exception as e:  # noqa: BLE001 - re-raised in the main process
            what = "while iterating" if iterable else f"while fetching index {indices}"
            data = Failure(e, worker_id, what)
        owner = getattr(fetch, "shm_owner", None)
        if owner is not None and not isinstance(data, (Failure, IterEnd)):
            try:
                data = shm.pack(data, owner)
            except OSError:  # /dev/shm full or gone: the pipe still works
                pass
        result_queue.put((idx, data))


class Fetcher:
    """Turns indices (map-style) or an iterator (iterable) into one collated batch."""

    def __init__(
        self, dataset: Any, collate_fn: Any, batch_size: int | None, drop_last: bool, auto: bool
    ) -> None:
        self.auto = auto  # batches of index lists (batch_size or a batch_sampler)
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.drop_last = drop_last

    def from_indices(self, indices: Any) -> Any:
        """The batch of the samples at `indices` (one sample when not batching)."""
        if not self.auto:
            return self.collate_fn(self.dataset[indices])
        return self.collate_fn([self.dataset[i] for i in indices])

    def from_iterator(self, it: Any) -> Any:
        """The next batch from `it`, or None at its end."""
        if self.batch_size is None:
            for item in it:
                return self.collate_fn(item)
            return None
        items = list(itertools.islice(it, self.batch_size))
        if not items or (self.drop_last and len(items) < self.batch_size):
            return None
        return self.collate_fn(items)
