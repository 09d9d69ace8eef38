"""``torch.utils.data``: datasets, a batching DataLoader and random_split.

Shuffling draws its permutation from the shared seeded stream (core.random), so
``manual_seed(s)`` makes batch order reproducible, as it does for weight initialisation.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ....core import random as core_random
from ..creation import Generator
from ..tensor import Tensor


class Dataset:
    """A map-style dataset: subclasses define __getitem__ (and usually __len__)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are tuples of the i-th rows of each tensor (all of one length)."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0]
        for i, t in enumerate(tensors):
            if t.shape[0] != n:
                raise ValueError(
                    f"Size mismatch between tensors: tensor 0 has {n} rows, tensor {i} has "
                    f"{t.shape[0]}"
                )
        self.tensors = tensors

    def __getitem__(self, index: int) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        self.cumulative = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self)
        k = int(np.searchsorted(self.cumulative, index, side="right"))
        start = self.cumulative[k - 1] if k else 0
        return self.datasets[k][index - start]


def _permutation(n: int, generator: Generator | None) -> np.ndarray:
    gen = core_random.default_generator if generator is None else generator._gen
    return gen.permutation(n)


def random_split(
    dataset: Dataset, lengths: Sequence[float], generator: Generator | None = None
) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (or fractions)."""
    n = len(dataset)
    lengths = list(lengths)
    if (
        lengths
        and all(0 <= x <= 1 for x in lengths)
        and math.isclose(sum(lengths), 1)
        and sum(lengths) != n
    ):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _permutation(n, generator).tolist()
    out, start = [], 0
    for size in lengths:
        out.append(Subset(dataset, perm[start : start + int(size)]))
        start += int(size)
    return out


def default_collate(batch: list) -> Any:
    """Stack a list of samples: tensors/arrays/numbers into Tensors, tuples and dicts by field."""
    from ..shaping import stack

    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch, 0)
    if isinstance(first, np.ndarray):
        return Tensor._make(np.stack(batch))
    if isinstance(first, (bool, np.bool_)):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(first, numbers.Real):
        # Python floats collate to float64, as in PyTorch
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(f)) for f in zip(*batch, strict=False)))
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(f)) for f in zip(*batch, strict=False)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
        f"or lists; found {type(first).__name__}"
    )


class DataLoader:
    """Batches of a dataset, optionally shuffled each epoch with the seeded generator."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Any = None,
        generator: Generator | None = None,
        **kwargs: Any,
    ) -> None:
        if batch_size is not None and batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got {batch_size}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.drop_last = drop_last
        self.generator = generator
        self.collate_fn = collate_fn or default_collate
        self.num_workers = num_workers  # accepted; batches are made in this process

    def _order(self) -> list[int]:
        if self.sampler is not None:
            return list(iter(self.sampler))
        n = len(self.dataset)
        if self.shuffle:
            return _permutation(n, self.generator).tolist()
        return list(range(n))

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[i]
            return
        tensors = (
            getattr(self.dataset, "tensors", None) if type(self.dataset) is TensorDataset else None
        )
        bs = self.batch_size
        for start in range(0, len(order), bs):
            idx = order[start : start + bs]
            if len(idx) < bs and self.drop_last:
                return
            if tensors is not None and self.collate_fn is default_collate:
                # fast path: one gather per field instead of stacking single rows
                sel = np.asarray(idx, dtype=np.int64)
                yield [Tensor._make(t._data[sel]) for t in tensors]
            else:
                yield self.collate_fn([self.dataset[i] for i in idx])

    def __len__(self) -> int:
        n = len(self._order()) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.utils.data", globals())
