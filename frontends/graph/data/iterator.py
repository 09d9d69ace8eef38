"""`tf.data.Iterator`: one-shot, initializable and reinitializable iterators over datasets.

Each session holds its own position in an iterator (as TF's iterator resource lives in a
session). `get_next()` makes placeholders the session feeds from that position on each run;
an `initializer` op, when run, evaluates the dataset's captured tensors with the run's feeds
and restarts the position. The end of data raises `tf.errors.OutOfRangeError`.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from .. import errors
from ..array_ops import placeholder
from ..control_flow import noop_node
from ..graph import get_default_graph
from ..shapes import TensorShape
from . import structure as nest
from .dataset import Dataset, _Context, _evaluate_captures, _shapes_like
from .spec import TensorSpec


class _Position:
    """An iterator's state in one session: the running Python iterator over elements."""

    def __init__(self, it: Any) -> None:
        self.it = it
        self.lock = threading.Lock()
        self.done = False


class _Puller:
    """Pulls one element per run for one get_next() call."""

    def __init__(self, iterator: Iterator) -> None:
        self.iterator = iterator

    def pull(self, session: Any) -> list:
        return self.iterator._next_flat(session)


class Iterator:
    """Reads a dataset's elements in a Session through `get_next()`."""

    def __init__(self, spec: Any, one_shot: Dataset | None = None) -> None:
        self._spec = spec
        self._one_shot = one_shot
        self._positions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()
        self._initializer = None

    # ---- construction ----------------------------------------------------------------------------
    @staticmethod
    def _one_shot(ds: Dataset) -> Iterator:
        return Iterator(ds.element_spec, one_shot=ds)

    @staticmethod
    def _initializable(ds: Dataset) -> Iterator:
        it = Iterator(ds.element_spec)
        it._initializer = it.make_initializer(ds)
        return it

    @staticmethod
    def from_structure(
        output_types: Any,
        output_shapes: Any = None,
        shared_name: str | None = None,
        output_classes: Any = None,
    ) -> Iterator:
        """An iterator of this element structure, not bound to a dataset: run
        `make_initializer(dataset)` to point it at one."""
        if output_shapes is None:
            output_shapes = nest.map_structure(lambda _: TensorShape(None), output_types)
        shapes = _shapes_like(output_types, output_shapes)
        spec = nest.map_structure(TensorSpec, shapes, output_types)
        return Iterator(spec)

    @staticmethod
    def from_string_handle(*args: Any, **kwargs: Any) -> Iterator:
        """Not supported: feedable iterators by string handle."""
        raise NotImplementedError(
            "Iterator.from_string_handle: string handles are not supported; use "
            "Iterator.from_structure and make_initializer(dataset) to switch datasets"
        )

    # ---- structure -------------------------------------------------------------------------------
    @property
    def element_spec(self) -> Any:
        """The nested TensorSpecs of one element."""
        return self._spec

    @property
    def output_types(self) -> Any:
        """The nested dtypes of one element."""
        return nest.map_structure(lambda s: s.dtype, self._spec)

    @property
    def output_shapes(self) -> Any:
        """The nested static shapes of one element."""
        return nest.map_structure(lambda s: s.shape, self._spec)

    @property
    def initializer(self) -> Any:
        """The op (re)starting this iterator on its dataset."""
        if self._initializer is None:
            raise ValueError(
                "Iterator.initializer: this iterator was not made by "
                "make_initializable_iterator(); use make_initializer(dataset)"
            )
        return self._initializer

    def make_initializer(self, dataset: Dataset, name: str | None = None) -> Any:
        """An op that, when run, (re)starts this iterator on `dataset` (its element structure
        must match the iterator's)."""
        mine, theirs = nest.flatten(self._spec), nest.flatten(dataset.element_spec)
        if len(mine) != len(theirs) or any(
            a.dtype != b.dtype or not a.shape.is_compatible_with(b.shape)
            for a, b in zip(mine, theirs, strict=True)
        ):
            raise TypeError(
                f"Iterator.make_initializer: the dataset's elements {dataset.element_spec} do "
                f"not match the iterator's {self._spec}"
            )
        op = noop_node(get_default_graph(), name or "MakeIterator", [], type_name="MakeIterator")

        def run(session: Any, feed_dict: dict | None) -> None:
            self._start(session, dataset, feed_dict)

        op._node.attrs["host_run"] = run
        return op

    def get_next(self, name: str | None = None) -> Any:
        """The next element as graph tensors (one new element each Session.run)."""
        g = get_default_graph()
        puller = _Puller(self)
        flat = []
        for k, s in enumerate(nest.flatten(self._spec)):
            if s.is_string:
                raise TypeError(
                    "Iterator.get_next: string elements cannot be graph tensors here; map them "
                    "to numbers first (e.g. dataset.map(lambda r: tf.io.parse_single_example(r, "
                    "features)))"
                )
            t = placeholder(
                s.dtype, None if s.shape.unknown_rank else s.shape, name=name or "IteratorGetNext"
            )
            t.node.attrs["type"] = "IteratorGetNext"
            t.node.attrs["host_pull"] = puller
            t.node.attrs["host_index"] = k
            flat.append(t)
        del g
        return nest.pack(self._spec, flat)

    # ---- per-session state -----------------------------------------------------------------------
    def _start(self, session: Any, dataset: Dataset, feed_dict: dict | None) -> None:
        ctx = _Context(session, feed_dict)
        _evaluate_captures(dataset, ctx)
        pos = _Position(dataset._iterate(ctx))
        with self._lock:
            old = self._positions.get(session)
            self._positions[session] = pos
        if old is not None:
            old.it.close()

    def _next_flat(self, session: Any) -> list:
        pos = self._positions.get(session)
        if pos is None:
            if self._one_shot is None:
                raise errors.FailedPreconditionError(
                    None,
                    None,
                    "GetNext() failed because the iterator has not been initialized. Ensure "
                    "that you have run the initializer operation for this iterator before "
                    "getting the next element.",
                )
            with self._lock:
                if session not in self._positions:
                    self._start(session, self._one_shot, None)
            pos = self._positions[session]
        with pos.lock:
            if not pos.done:
                try:
                    element = next(pos.it)
                except StopIteration:
                    pos.done = True
                else:
                    return nest.flatten(element)
        raise errors.OutOfRangeError(None, None, "End of sequence")


def make_one_shot_iterator(dataset: Dataset) -> Iterator:
    """`tf.compat.v1.data.make_one_shot_iterator(dataset)`."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset: Dataset, shared_name: str | None = None) -> Iterator:
    """`tf.compat.v1.data.make_initializable_iterator(dataset)`."""
    return dataset.make_initializable_iterator(shared_name)


def get_output_types(x: Any) -> Any:
    """The element dtypes of a dataset or iterator."""
    return x.output_types


def get_output_shapes(x: Any) -> Any:
    """The element shapes of a dataset or iterator."""
    return x.output_shapes
