"""`tf.Session`: runs fetches of one graph through the core executor, holding the variables.

A plan is compiled once per (fetch structure, feed keys) signature and cached until the graph
grows, so a repeated `run` costs little more than its kernels: building the cache key,
checking and converting the fed values, and the plan's loop over its steps. Variables live in
the session's state dict (keyed by the variable); a run commits its writes only if every step
succeeded, so a failed run changes no variable. Runs from several threads are safe.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...core.domain import DomainError
from ...core.errors import ShapeError
from ...core.executor import Plan, PlanError, RunGuard, UninitializedError
from ...core.ir import Value
from ...core.ownership import disown
from . import errors
from . import fetches as _fetches
from . import sparse_feed as _sparse_feed
from .config import plan_options
from .graph import Graph, get_default_graph
from .shapes import is_unknown_rank
from .tensor import Operation, Tensor, describe, describe_dtype

_thread = threading.local()


def _session_stack() -> list:
    stack = getattr(_thread, "sessions", None)
    if stack is None:
        stack = _thread.sessions = []
    return stack


def get_default_session() -> Session | None:
    """The innermost default session of this thread, or None."""
    stack = _session_stack()
    return stack[-1] if stack else None


def _session_for(session: Session | None, what: str) -> Session:
    if session is not None:
        return session
    s = get_default_session()
    if s is None:
        raise ValueError(
            f"Cannot evaluate tensor using `{what}`: No default session is registered. Use "
            "`with sess.as_default()` or pass an explicit session to `eval(session=sess)`"
        )
    return s


class _Feed:
    """How to check and convert the value fed for one tensor."""

    __slots__ = ("tensor", "np_dtype", "shape", "exact", "any_shape")

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor
        self.np_dtype = tensor.dtype.np_dtype
        self.any_shape = is_unknown_rank(tensor.shape)
        self.shape = tuple(tensor.shape)
        self.exact = not self.any_shape and all(d is not None for d in self.shape)

    def convert(self, value: Any) -> np.ndarray:
        """The fed value as an array of the tensor's dtype, its shape checked."""
        if type(value) is not np.ndarray or value.dtype != self.np_dtype:
            value = self._cast(value)
        shape = value.shape
        if self.exact:
            if shape != self.shape:
                self._bad_shape(shape)
        elif not self.any_shape:
            want = self.shape
            if len(shape) != len(want) or any(
                w is not None and w != s for w, s in zip(want, shape, strict=False)
            ):
                self._bad_shape(shape)
        return value

    def _bad_shape(self, shape: tuple) -> None:
        raise ValueError(
            f"Cannot feed value of shape {shape} for Tensor {self.tensor.name}, which has shape "
            f"{self.tensor.shape}"
        )

    def _cast(self, value: Any) -> np.ndarray:
        if isinstance(value, (Value, Operation)):
            raise TypeError(
                f"The value of a feed cannot be a tf.Tensor object (got {value} for "
                f"{self.tensor.name}). Acceptable feed values include Python scalars, lists, "
                "and numpy ndarrays; run the tensor first to feed its value."
            )
        try:
            arr = np.asarray(value)
        except Exception as e:
            raise TypeError(f"Cannot feed {value!r} for Tensor {self.tensor.name}: {e}") from None
        target = self.np_dtype
        given = arr.dtype
        # floats holding whole numbers (np.ones labels) feed an integer placeholder as TF1's
        # np.asarray(value, dtype) casts them; a fractional or non-finite value is refused
        whole = (
            given.kind == "f"
            and target.kind in "iu"
            and bool(np.all(np.isfinite(arr)))
            and bool(np.all(arr == np.trunc(arr)))
        )
        if whole and arr.size:
            info = np.iinfo(target)
            whole = bool(arr.max() <= info.max and arr.min() >= info.min)
        lossy = (
            given.kind not in "biuf"
            or (given.kind == "f" and target.kind in "biu" and not whole)
            or (given.kind in "iu" and target.kind == "b")
        )
        if lossy:
            raise TypeError(
                f"Cannot feed value of dtype {given} for Tensor {self.tensor.name}, which has "
                f"dtype {describe_dtype(self.tensor.dtype)} (expected {target}, got {given}); "
                "convert the value first (e.g. with .astype)"
            )
        if given.kind in "iu" and target.kind in "iu" and arr.size and given != target:
            info = np.iinfo(target)
            if arr.max() > info.max or arr.min() < info.min:
                raise TypeError(
                    f"Cannot feed value {value!r} for Tensor {self.tensor.name}: it does not fit "
                    f"in {target}; use a larger dtype (int64) for the placeholder"
                )
        return np.asarray(arr, dtype=target)


class _Compiled:
    """A cached run signature: the plan, the feed checks and the fetch structure."""

    __slots__ = ("plan", "feeds", "template", "leaf_slots", "single", "host")

    def __init__(
        self, plan: Plan, feeds: list, template: Any, leaf_slots: list, host: Any = None
    ) -> None:
        self.plan = plan
        self.feeds = feeds
        self.template = template
        self.leaf_slots = leaf_slots
        self.single = type(template) is int
        # host steps (tf.data initializers and get_next pulls; see data/_host.py) or None
        self.host = host


def _fetched(value: Any) -> Any:
    """A fetched value as TF1 hands it back: a numpy scalar (np.float32(0.5)) for rank 0."""
    if type(value) is np.ndarray and value.ndim == 0:
        return value[()]
    return value


class Session:
    """Runs ops of one graph: `sess.run(fetches, feed_dict)`; holds the variables' values."""

    def __init__(
        self, target: Any = "", graph: Graph | None = None, config: Any = None, optimize: Any = None
    ) -> None:
        if isinstance(target, Graph) and graph is None:
            target, graph = "", target
        self._graph = graph if graph is not None else get_default_graph()
        if not isinstance(self._graph, Graph):
            raise TypeError(f"graph must be a tf.Graph, got {type(self._graph).__name__}")
        self._config = config
        # which plan passes run (see config.py): ConfigProto graph options, then `optimize`
        self._optimize = plan_options(config, optimize)
        self._state: dict = {}
        self._closed = False
        # runs in flight and the commit lock (a lone training step may update in place)
        self._guard = RunGuard()
        self._commit_lock = self._guard.lock
        self._compile_lock = threading.Lock()
        self._cache: dict = {}
        self._cache_version = self._graph.version
        self._contexts: list = []

    # ---- properties and lifetime -----------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        """The graph this session runs."""
        return self._graph

    @property
    def sess_str(self) -> str:
        """The target ("": in-process)."""
        return ""

    def close(self) -> None:
        """Release the session's state; later runs raise RuntimeError."""
        self._closed = True
        self._state = {}
        self._cache = {}

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Session]:
        """Make this the default session (for Tensor.eval / Operation.run) inside the block."""
        stack = _session_stack()
        stack.append(self)
        try:
            yield self
        finally:
            if stack and stack[-1] is self:
                stack.pop()
            elif self in stack:
                stack.remove(self)

    def __enter__(self) -> Session:
        graph_ctx = self._graph.as_default()
        sess_ctx = self.as_default()
        graph_ctx.__enter__()
        sess_ctx.__enter__()
        self._contexts.append((graph_ctx, sess_ctx))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._contexts:
            graph_ctx, sess_ctx = self._contexts.pop()
            sess_ctx.__exit__(None, None, None)
            graph_ctx.__exit__(None, None, None)
        self.close()

    # ---- running ---------------------------------------------------------------------------------
    def run(
        self,
        fetches: Any,
        feed_dict: dict | None = None,
        options: Any = None,
        run_metadata: Any = None,
    ) -> Any:
        """Compute `fetches` (a tensor, an op, a name or a nested list/tuple/dict of them)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._graph.version != self._cache_version:
            with self._compile_lock:
                self._cache = {}
                self._cache_version = self._graph.version
        if feed_dict and _sparse_feed.needs_expanding(feed_dict):
            feed_dict = _sparse_feed.expand_feeds(feed_dict)
        feed_keys = tuple(feed_dict) if feed_dict else ()
        try:
            key = (fetches if type(fetches) is Tensor else _fetch_key(fetches), feed_keys)
            entry = self._cache.get(key)
        except TypeError:  # an invalid fetch: _compile explains it
            key, entry = None, None
        if entry is None:
            entry = self._compile(fetches, feed_keys)
            if key is not None:
                self._cache[key] = entry
        if feed_keys:
            values = [f.convert(feed_dict[k]) for f, k in zip(entry.feeds, feed_keys, strict=False)]
        else:
            values = []
        if entry.host is not None:
            pulled = entry.host.run(self, feed_dict)
            n = len(values)
            values = values + [f.convert(v) for f, v in zip(entry.feeds[n:], pulled, strict=True)]
        try:
            results = entry.plan.run(values, self._state, self._guard)
        except UninitializedError as e:
            raise errors.FailedPreconditionError(None, None, str(e)) from None
        except PlanError as e:
            raise errors.InvalidArgumentError(None, None, str(e)) from None
        except (DomainError, ShapeError) as e:  # a fed value outside the op's domain
            raise errors.invalid_argument(e) from None
        if entry.single:
            slot = entry.leaf_slots[0]
            return None if slot is None else _fetched(results[slot])
        leaves = [None if s is None else _fetched(results[s]) for s in entry.leaf_slots]
        return _fetches.rebuild(entry.template, leaves)

    def _resolve(self, f: Any) -> Any:
        g = self._graph
        try:
            if isinstance(f, (Tensor, Operation, str)):
                return g.as_graph_element(f)
        except ValueError as e:
            raise ValueError(
                f"Fetch argument {f!r} cannot be interpreted as a Tensor. ({e} Build the fetched "
                "tensors inside `with graph.as_default():` of the session's graph.)"
            ) from None
        except KeyError as e:
            raise ValueError(
                f"Fetch argument {f!r} cannot be interpreted as a Tensor. ({e.args[0]})"
            ) from None
        raise TypeError(
            f"Fetch argument {f!r} has invalid type {type(f)}, must be a string or Tensor."
        )

    def _feed_tensor(self, key: Any) -> Tensor:
        try:
            if isinstance(key, (str, Tensor)):
                t = self._graph.as_graph_element(key, allow_operation=False)
                if isinstance(t, Tensor):
                    return t
        except (KeyError, ValueError) as e:
            raise TypeError(f"Cannot interpret feed_dict key as Tensor: {e.args[0]}") from None
        raise TypeError(
            f"Cannot interpret feed_dict key as Tensor: {key!r} is not a tensor, a placeholder "
            "or a tensor name"
        )

    def _compile(self, fetch_struct: Any, feed_keys: tuple) -> _Compiled:
        leaves, template = _fetches.flatten(fetch_struct, self._resolve)
        feeds = [_Feed(self._feed_tensor(k)) for k in feed_keys]
        fed = [f.tensor for f in feeds]
        if len(set(fed)) != len(fed):
            raise ValueError("feed_dict feeds one tensor twice (e.g. by object and by name)")
        tensors: list[Tensor] = []
        targets = []
        leaf_slots: list[int | None] = []
        for leaf in leaves:
            if isinstance(leaf, Operation):
                targets.append(leaf._node)
                leaf_slots.append(None)
            else:
                leaf_slots.append(len(tensors))
                tensors.append(leaf)
        with self._compile_lock:
            plan = Plan(self._graph, tensors, fed, targets, self._optimize)
        from .data._host import HostSteps  # late: the data package imports this module

        host = HostSteps.find(leaves, plan.unfed)
        if host is not None:
            # tf.data get_next outputs are fed by the session from their iterators each run
            feeds = feeds + [_Feed(t) for t in host.tensors]
            with self._compile_lock:
                plan = Plan(self._graph, tensors, fed + host.tensors, targets, self._optimize)
        if plan.unfed:
            t = plan.unfed[0].output
            what = (
                describe(t)
                if not is_unknown_rank(t.shape)
                else (f"'{t.node.name}' with dtype {describe_dtype(t.dtype)}")
            )
            raise errors.InvalidArgumentError(
                None, None, f"You must feed a value for placeholder tensor {what}"
            )
        return _Compiled(plan, feeds, template, leaf_slots, host)

    def plan_for(self, fetches: Any, feed_dict: dict | None = None) -> Plan:
        """The compiled plan `run(fetches, feed_dict)` uses (only the feed keys matter)."""
        if self._graph.version != self._cache_version:
            with self._compile_lock:
                self._cache = {}
                self._cache_version = self._graph.version
        feed_keys = tuple(feed_dict) if feed_dict else ()
        key = (fetches if type(fetches) is Tensor else _fetch_key(fetches), feed_keys)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._compile(fetches, feed_keys)
        return entry.plan

    def describe_plan(self, fetches: Any, feed_dict: dict | None = None) -> str:
        """Text report of the plan for these fetches and feed keys: steps before and after the
        passes, fused groups, memory (see `Plan.describe`; `plan_for(...).to_dot()` for DOT)."""
        return self.plan_for(fetches, feed_dict).describe()

    def make_callable(self, fetches_arg: Any, feed_list: Any = None, accept_options: bool = False):
        """A function running `fetches_arg`, fed positional values for the `feed_list` tensors."""
        keys = list(feed_list or [])

        def call(*values: Any, **_: Any) -> Any:
            if len(values) != len(keys):
                raise TypeError(f"expected {len(keys)} feed values, got {len(values)}")
            return self.run(fetches_arg, dict(zip(keys, values, strict=False)))

        return call

    def list_devices(self) -> list:
        """The devices ("/cpu:0" only)."""
        return ["/job:localhost/replica:0/task:0/device:CPU:0"]

    def _write(self, key: Any, value: np.ndarray) -> None:
        """Set one variable's value (Variable.load, Saver.restore)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        with self._commit_lock:
            self._state[key] = value

    def _write_all(self, values: dict) -> None:
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        with self._commit_lock:
            self._state.update(values)

    def _read(self, key: Any) -> np.ndarray | None:
        # under the lock: a training step updating in place holds it, so no half-updated value;
        # the caller may keep the array, so the state stops owning it (the next update copies)
        with self._commit_lock:
            value = self._state.get(key)
            disown(value)
            return value


_fetch_key = _fetches.fetch_key


class InteractiveSession(Session):
    """A session that makes itself (and its graph) the default until closed."""

    def __init__(
        self, target: Any = "", graph: Graph | None = None, config: Any = None, optimize: Any = None
    ) -> None:
        super().__init__(target, graph, config, optimize)
        self._interactive = []
        graph_ctx = self._graph.as_default()
        sess_ctx = self.as_default()
        graph_ctx.__enter__()
        sess_ctx.__enter__()
        self._interactive.append((graph_ctx, sess_ctx))

    def close(self) -> None:
        """Close and stop being the default session."""
        super().close()
        while getattr(self, "_interactive", None):
            graph_ctx, sess_ctx = self._interactive.pop()
            sess_ctx.__exit__(None, None, None)
            try:
                graph_ctx.__exit__(None, None, None)
            except (IndexError, ValueError):
                pass


class ConfigProto:
    """Session options (accepted for compatibility; duograd ignores them)."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)
        self.gpu_options = GPUOptions()


class GPUOptions:
    """GPU options (accepted for compatibility)."""

    def __init__(self, **kwargs: Any) -> None:
        self.allow_growth = False
        self.__dict__.update(kwargs)


class RunOptions:
    """Run options (accepted for compatibility)."""

    FULL_TRACE = 3
    NO_TRACE = 0

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


class RunMetadata:
    """Run metadata (accepted for compatibility; left empty)."""
