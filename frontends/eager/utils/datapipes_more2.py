"""``torch.utils.data`` datapipes: ``IterDataPipe``, ``functional_datapipe`` (register a pipe
class as a chainable method, ``pipe.map(f)``) and ``datapipes.iter`` with IterableWrapper, Mapper,
Filter, Batcher, UnBatcher, Shuffler, Zipper, Concater, Enumerator-free basics. Shuffling draws
from the shared seeded stream, as the DataLoader's does."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .data.dataset import IterableDataset


class IterDataPipe(IterableDataset):
    """An iterable dataset whose registered functional forms chain (``dp.map(f).filter(g)``)."""

    functions: dict[str, type] = {}

    def __getattr__(self, name: str) -> Any:
        cls = IterDataPipe.functions.get(name)
        if cls is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

        def make(*args: Any, **kwargs: Any) -> IterDataPipe:
            return cls(self, *args, **kwargs)

        return make


class functional_datapipe:  # noqa: N801 - torch's name
    """Class decorator: ``@functional_datapipe("name")`` makes ``dp.name(...)`` build the class
    with dp as its source."""

    def __init__(self, name: str, enable_df_api_tracing: bool = False) -> None:
        self.name = name

    def __call__(self, cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, IterDataPipe)):
            raise TypeError("`functional_datapipe` can only decorate IterDataPipe classes")
        IterDataPipe.functions[self.name] = cls
        return cls


class IterableWrapper(IterDataPipe):
    """Any iterable as a datapipe."""

    def __init__(self, iterable: Iterable, deepcopy: bool = True) -> None:
        self.iterable = iterable

    def __iter__(self) -> Iterator:
        return iter(self.iterable)

    def __len__(self) -> int:
        return len(self.iterable)  # type: ignore[arg-type]


@functional_datapipe("map")
class Mapper(IterDataPipe):
    """fn applied to each item."""

    def __init__(self, datapipe: Iterable, fn: Callable) -> None:
        self.datapipe, self.fn = datapipe, fn

    def __iter__(self) -> Iterator:
        return (self.fn(x) for x in self.datapipe)

    def __len__(self) -> int:
        return len(self.datapipe)  # type: ignore[arg-type]


@functional_datapipe("filter")
class Filter(IterDataPipe):
    """The items for which filter_fn is true."""

    def __init__(self, datapipe: Iterable, filter_fn: Callable) -> None:
        self.datapipe, self.filter_fn = datapipe, filter_fn

    def __iter__(self) -> Iterator:
        return (x for x in self.datapipe if self.filter_fn(x))


@functional_datapipe("batch")
class Batcher(IterDataPipe):
    """Lists of batch_size consecutive items (the last may be shorter unless drop_last)."""

    def __init__(
        self,
        datapipe: Iterable,
        batch_size: int,
        drop_last: bool = False,
        wrapper_class: Callable = list,
    ) -> None:
        if batch_size <= 0:
            raise AssertionError("Batch size is required to be larger than 0!")
        self.datapipe, self.batch_size, self.drop_last = datapipe, batch_size, drop_last
        self.wrapper_class = wrapper_class

    def __iter__(self) -> Iterator:
        batch: list = []
        for x in self.datapipe:
            batch.append(x)
            if len(batch) == self.batch_size:
                yield self.wrapper_class(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.wrapper_class(batch)

    def __len__(self) -> int:
        n = len(self.datapipe)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


@functional_datapipe("unbatch")
class UnBatcher(IterDataPipe):
    """The items of each batch, one by one."""

    def __init__(self, datapipe: Iterable, unbatch_level: int = 1) -> None:
        self.datapipe, self.level = datapipe, unbatch_level

    def __iter__(self) -> Iterator:
        for b in self.datapipe:
            yield from b


@functional_datapipe("shuffle")
class Shuffler(IterDataPipe):
    """Items shuffled within a buffer of buffer_size (the whole pipe when it fits)."""

    def __init__(self, datapipe: Iterable, *, buffer_size: int = 10000) -> None:
        self.datapipe, self.buffer_size = datapipe, buffer_size

    def __iter__(self) -> Iterator:
        from ....core import random as core_random

        gen = core_random.default_generator
        buf: list = []
        for x in self.datapipe:
            if len(buf) == self.buffer_size:
                i = int(gen.integers(0, len(buf), ()))
                yield buf[i]
                buf[i] = x
            else:
                buf.append(x)
        while buf:
            i = int(gen.integers(0, len(buf), ()))
            buf[i], buf[-1] = buf[-1], buf[i]
            yield buf.pop()


@functional_datapipe("zip")
class Zipper(IterDataPipe):
    """Tuples of one item from each pipe (stops at the shortest)."""

    def __init__(self, *datapipes: Iterable) -> None:
        self.datapipes = datapipes

    def __iter__(self) -> Iterator:
        return zip(*self.datapipes, strict=False)


@functional_datapipe("concat")
class Concater(IterDataPipe):
    """The items of each pipe in turn."""

    def __init__(self, *datapipes: Iterable) -> None:
        self.datapipes = datapipes

    def __iter__(self) -> Iterator:
        for dp in self.datapipes:
            yield from dp


datapipes = types.SimpleNamespace(
    iter=types.SimpleNamespace(
        IterableWrapper=IterableWrapper,
        Mapper=Mapper,
        Filter=Filter,
        Batcher=Batcher,
        UnBatcher=UnBatcher,
        Shuffler=Shuffler,
        Zipper=Zipper,
        Concater=Concater,
    ),
    datapipe=types.SimpleNamespace(IterDataPipe=IterDataPipe),
    functional_datapipe=functional_datapipe,
    __doc__="torch.utils.data.datapipes: iter (IterableWrapper, Mapper, Filter, Batcher, ...).",
)
