"""TF1 queues: `tf.FIFOQueue`, `tf.RandomShuffleQueue`, `tf.PaddingFIFOQueue`.

A queue's contents live in each Session (as TF's queue resource does). Enqueue and close are
ops run on the host when fetched: an enqueue evaluates its components with a nested run of the
same session, then appends. A dequeue is a host source (host_source.py): one element (or n)
per run, fed to its placeholders before the run's plan starts, so a blocking dequeue waits
outside every lock of the session. Waits wake every 50 ms to notice a closed session.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from . import errors
from .control_flow import noop_node
from .convert import convert_to_tensor
from .data.parsing import HostValue
from .dtypes import as_dtype
from .dtypes import bool as _bool
from .dtypes import int32 as _int32
from .graph import get_default_graph
from .host_source import Source, evaluate, is_string
from .random_ops import get_seed
from .shapes import TensorShape
from .tensor import Tensor

_POLL = 0.05
_names = {"n": 0}
_names_lock = threading.Lock()


def _shared_name(kind: str) -> str:
    with _names_lock:
        k = _names["n"]
        _names["n"] += 1
    return f"_{k}_{kind}"


class _State:
    """One queue's elements in one session."""

    def __init__(self) -> None:
        self.items: list = []
        self.cond = threading.Condition()
        self.closed = False
        self.cancelled = False


class QueueBase:
    """A queue of elements (tuples of components with fixed dtypes)."""

    _kind = "fifo_queue"
    _type = "FIFOQueue"

    def __init__(
        self,
        capacity: int,
        dtypes: Any,
        shapes: Any = None,
        names: Any = None,
        shared_name: str | None = None,
        name: str | None = None,
    ) -> None:
        single = not isinstance(dtypes, (list, tuple))
        dts = [dtypes] if single else list(dtypes)
        if not dts:
            raise ValueError(f"{self._type}: dtypes must name at least one component")
        self._dtypes = [d if is_string(d) else as_dtype(d) for d in dts]
        if shapes is None:
            self._shapes = [TensorShape(None) for _ in dts]
        else:
            shp = [shapes] if _is_one_shape(shapes, len(dts)) else list(shapes)
            if len(shp) != len(dts):
                raise ValueError(
                    f"{self._type}: shapes has {len(shp)} entries but dtypes has {len(dts)}; "
                    "give one shape per component"
                )
            self._shapes = [TensorShape(s) for s in shp]
        self._names = list(names) if names is not None else None
        if self._names is not None and len(self._names) != len(dts):
            raise ValueError(
                f"{self._type}: names has {len(self._names)} entries, dtypes {len(dts)}"
            )
        self._capacity = int(capacity)
        if self._capacity <= 0 and self._capacity != -1:
            raise ValueError(f"{self._type}: capacity must be positive, got {capacity}")
        self._graph = get_default_graph()
        self._name = self._graph.unique_name(name or self._kind)
        self._queue_ref_name = shared_name or _shared_name(self._kind)
        self._states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    # ---- properties ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The queue's name."""
        return self._name

    @property
    def dtypes(self) -> list:
        """The dtypes of an element's components."""
        return list(self._dtypes)

    @property
    def shapes(self) -> list:
        """The static shapes of an element's components."""
        return list(self._shapes)

    @property
    def names(self) -> list | None:
        """The component names (for dict elements) or None."""
        return self._names

    @property
    def queue_ref(self) -> str:
        """A handle naming the queue (a string here)."""
        return self._queue_ref_name

    # ---- per-session state -----------------------------------------------------------------------
    def _state(self, session: Any) -> _State:
        with self._lock:
            st = self._states.get(session)
            if st is None:
                st = self._states[session] = _State()
            return st

    def _what(self) -> str:
        return f"{self._type} '{self._queue_ref_name}'"

    def _wait(self, st: _State, session: Any) -> None:
        st.cond.wait(_POLL)
        if getattr(session, "_closed", False):
            raise errors.CancelledError(None, None, f"{self._what()}: the session was closed")

    def _put(self, session: Any, elements: list) -> None:
        st = self._state(session)
        with st.cond:
            for el in elements:
                while True:
                    if st.closed:
                        raise errors.CancelledError(None, None, f"{self._what()} is closed.")
                    if self._capacity < 0 or len(st.items) < self._capacity:
                        break
                    self._wait(st, session)
                st.items.append(el)
                st.cond.notify_all()

    def _ready(self, st: _State, n: int) -> bool:
        return len(st.items) >= n

    def _take(self, st: _State, n: int) -> list:
        out, st.items[:n] = st.items[:n], []
        return out

    def _get(self, session: Any, n: int, up_to: bool) -> list:
        st = self._state(session)
        with st.cond:
            while not self._ready(st, n):
                if st.closed:
                    if up_to and st.items:
                        n = len(st.items)
                        break
                    raise errors.OutOfRangeError(
                        None, None,
                        f"{self._what()} is closed and has insufficient elements (requested {n}, "
                        f"current size {len(st.items)})",
                    )  # fmt: skip
                self._wait(st, session)
            out = self._take(st, n)
            st.cond.notify_all()
            return out

    # ---- ops -------------------------------------------------------------------------------------
    def _components(self, vals: Any, op: str) -> list:
        if isinstance(vals, dict):
            if self._names is None:
                raise ValueError(f"{op}: the queue has no names; pass a list, not a dict")
            if set(vals) != set(self._names):
                raise ValueError(f"{op}: keys {sorted(vals)} do not match names {self._names}")
            vals = [vals[k] for k in self._names]
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        vals = list(vals)
        if len(vals) != len(self._dtypes):
            raise ValueError(
                f"{op}: got {len(vals)} components for a queue of {len(self._dtypes)} "
                f"({self._dtypes})"
            )
        out = []
        for k, (v, dt) in enumerate(zip(vals, self._dtypes, strict=True)):
            if is_string(dt):
                if isinstance(v, Tensor):
                    raise TypeError(f"{op}: component {k} is tf.string but got the tensor {v}")
                out.append(v if isinstance(v, HostValue) else _as_bytes_array(v))
                continue
            if isinstance(v, HostValue):
                raise TypeError(f"{op}: component {k} is {dt.name} but got a string value")
            t = convert_to_tensor(v, dtype=dt)
            if t.dtype != dt:
                raise TypeError(
                    f"{op}: component {k} has dtype {t.dtype.name}, the queue expects {dt.name}"
                )
            out.append(t)
        return out

    def _check_shape(self, k: int, value: np.ndarray, op: str, many: bool) -> None:
        want = self._shapes[k]
        shape = value.shape[1:] if many else value.shape
        if not want.unknown_rank and not TensorShape(shape).is_compatible_with(want):
            raise errors.InvalidArgumentError(
                None, None,
                f"{op}: {self._what()} component {k} expects shape {want}, got {list(shape)}",
            )  # fmt: skip

    def _enqueue_op(self, vals: Any, many: bool, name: str | None, op: str) -> Any:
        comps = self._components(vals, op)
        node = noop_node(self._graph, name or f"{self._name}_{op}", [], type_name=op)

        def run(session: Any, feed_dict: dict | None) -> None:
            values = evaluate(session, comps, feed_dict)
            values = [np.asarray(v) for v in values]
            for k, v in enumerate(values):
                self._check_shape(k, v, op, many)
            if many:
                sizes = {v.shape[0] if v.ndim else None for v in values}
                if None in sizes or len(sizes) != 1:
                    raise errors.InvalidArgumentError(
                        None, None,
                        f"{op}: every component needs the same leading size, got "
                        f"{[v.shape for v in values]}",
                    )  # fmt: skip
                elements = [tuple(v[i] for v in values) for i in range(sizes.pop())]
            else:
                elements = [tuple(values)]
            self._put(session, elements)

        node._node.attrs["host_run"] = run
        return node

    def enqueue(self, vals: Any, name: str | None = None) -> Any:
        """An op adding one element (blocks while the queue is full)."""
        return self._enqueue_op(vals, False, name, "QueueEnqueue")

    def enqueue_many(self, vals: Any, name: str | None = None) -> Any:
        """An op adding the elements sliced from the components' first dimension."""
        return self._enqueue_op(vals, True, name, "QueueEnqueueMany")

    def _specs(self, n: int | None) -> list:
        out = []
        for dt, s in zip(self._dtypes, self._shapes, strict=True):
            shape = None if s.unknown_rank else list(s)
            if n is not None:
                shape = None if shape is None else [None if n == -1 else n, *shape]
            out.append((dt, shape))
        return out

    def _pack(self, comps: list) -> Any:
        if self._names is not None:
            return dict(zip(self._names, comps, strict=True))
        return comps[0] if len(comps) == 1 else comps

    def dequeue(self, name: str | None = None) -> Any:
        """One element per run (blocks while empty; OutOfRangeError once closed and empty)."""

        def fetch(session: Any) -> list:
            return list(self._get(session, 1, False)[0])

        src = Source(fetch, self._specs(None), name or f"{self._name}_Dequeue")
        return self._pack(src.components)

    def _batch_fetch(self, n: int, up_to: bool) -> Any:
        def fetch(session: Any) -> list:
            rows = self._get(session, n, up_to)
            return [self._stack([r[k] for r in rows], k) for k in range(len(self._dtypes))]

        return fetch

    def _stack(self, values: list, k: int) -> np.ndarray:
        if is_string(self._dtypes[k]):
            arr = np.empty(len(values), object)
            arr[:] = values
            return arr
        return np.stack([np.asarray(v) for v in values])

    def dequeue_many(self, n: int, name: str | None = None) -> Any:
        """n elements stacked per run (blocks until there are n)."""
        n = _count(n, "dequeue_many")
        src = Source(self._batch_fetch(n, False), self._specs(n), name or f"{self._name}_Many")
        return self._pack(src.components)

    def dequeue_up_to(self, n: int, name: str | None = None) -> Any:
        """Up to n elements: n while open, what is left (at least one) once closed."""
        n = _count(n, "dequeue_up_to")
        src = Source(self._batch_fetch(n, True), self._specs(-1), name or f"{self._name}_UpTo")
        return self._pack(src.components)

    def size(self, name: str | None = None) -> Tensor:
        """The number of elements (int32 scalar) when run."""

        def fetch(session: Any) -> list:
            st = self._state(session)
            with st.cond:
                return [np.int32(len(st.items))]

        return Source(fetch, [(_int32, [])], name or f"{self._name}_Size").components[0]

    def is_closed(self, name: str | None = None) -> Tensor:
        """Whether the queue was closed (bool scalar) when run."""

        def fetch(session: Any) -> list:
            return [np.bool_(self._state(session).closed)]

        return Source(fetch, [(_bool, [])], name or f"{self._name}_IsClosed").components[0]

    def close(self, cancel_pending_enqueues: bool = False, name: str | None = None) -> Any:
        """An op closing the queue: later enqueues fail; dequeues drain then raise OutOfRange."""
        node = noop_node(self._graph, name or f"{self._name}_Close", [], type_name="QueueClose")

        def run(session: Any, feed_dict: dict | None) -> None:
            self._close(session, cancel_pending_enqueues)

        node._node.attrs["host_run"] = run
        return node

    def _close(self, session: Any, cancel: bool) -> None:
        st = self._state(session)
        with st.cond:
            st.closed = True
            st.cancelled = st.cancelled or cancel
            st.cond.notify_all()


class FIFOQueue(QueueBase):
    """Elements come out in the order they went in."""


class PaddingFIFOQueue(QueueBase):
    """A FIFO queue whose dequeue_many pads each component to the batch's largest shape."""

    _kind = "padding_fifo_queue"
    _type = "PaddingFIFOQueue"

    def __init__(self, capacity: int, dtypes: Any, shapes: Any, names: Any = None,
                 shared_name: str | None = None, name: str | None = None) -> None:  # fmt: skip
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)
        if any(s.unknown_rank for s in self._shapes):
            raise ValueError(
                "PaddingFIFOQueue: every component needs a shape of known rank (None dims are "
                "padded), e.g. shapes=[[None]]"
            )

    def _stack(self, values: list, k: int) -> np.ndarray:
        if is_string(self._dtypes[k]):
            return super()._stack(values, k)
        arrs = [np.asarray(v) for v in values]
        big = tuple(max(a.shape[d] for a in arrs) for d in range(arrs[0].ndim))
        out = np.zeros((len(arrs), *big), self._dtypes[k].np_dtype)
        for i, a in enumerate(arrs):
            out[(i, *[slice(0, s) for s in a.shape])] = a
        return out


class RandomShuffleQueue(QueueBase):
    """Elements come out in random order; a dequeue leaves at least min_after_dequeue behind
    until the queue is closed."""

    _kind = "random_shuffle_queue"
    _type = "RandomShuffleQueue"

    def __init__(
        self, capacity: int, min_after_dequeue: int, dtypes: Any, shapes: Any = None,
        names: Any = None, seed: int | None = None, shared_name: str | None = None,
        name: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)
        self._min_after = int(min_after_dequeue)
        if self._min_after < 0 or (self._capacity > 0 and self._min_after >= self._capacity):
            raise ValueError(
                f"RandomShuffleQueue: min_after_dequeue={min_after_dequeue} must be >= 0 and "
                f"below capacity={capacity}"
            )
        seeds = get_seed(seed)
        self._seed = None if seeds[0] is None and seeds[1] is None else [s or 0 for s in seeds]
        self._rngs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _ready(self, st: _State, n: int) -> bool:
        # once closed, the rest drains without keeping min_after_dequeue behind (as TF)
        return len(st.items) >= n + (0 if st.closed else self._min_after)

    def _take(self, st: _State, n: int) -> list:
        rng = self._rngs.get(st)
        if rng is None:
            rng = self._rngs[st] = np.random.default_rng(self._seed)
        out = []
        for _ in range(n):
            i = int(rng.integers(len(st.items)))
            st.items[i], st.items[-1] = st.items[-1], st.items[i]
            out.append(st.items.pop())
        return out


def _count(n: Any, op: str) -> int:
    if isinstance(n, Tensor):
        raise TypeError(f"{op}: n must be a Python int here, got the tensor {n}")
    if int(n) < 0:
        raise ValueError(f"{op}: n must be >= 0, got {n}")
    return int(n)


def _is_one_shape(shapes: Any, ncomp: int) -> bool:
    if isinstance(shapes, TensorShape):
        return True
    seq = list(shapes)
    return ncomp == 1 and (not seq or all(d is None or isinstance(d, int) for d in seq))


def _as_bytes_array(v: Any) -> Any:
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v)
    arr = np.asarray(v, dtype=object)
    flat = [x.encode() if isinstance(x, str) else bytes(x) for x in arr.reshape(-1)]
    out = np.empty(len(flat), object)
    out[:] = flat
    return out.reshape(arr.shape)
