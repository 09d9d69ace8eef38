"""`tf.distribute` on the one CPU device: `get_strategy()`, `OneDeviceStrategy`,
`MirroredStrategy` (one replica), their `scope()`, `run` / `experimental_run_v2`, `reduce`,
`num_replicas_in_sync` and `extended`; enough for TF1-style programs that build their model in
a strategy scope. Several devices or workers raise NotImplementedError: duograd trains on
several processes through its own data-parallel runner (README "Training on several processes
or machines")."""

from __future__ import annotations

import contextlib
import enum
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

_SEVERAL = (
    "duograd runs on one CPU device per process; for data-parallel training on several "
    "processes or machines see the README section 'Training on several processes or machines'"
)
_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
_current = threading.local()


class ReduceOp(enum.Enum):
    """How `reduce` / `all_reduce` combine values across replicas."""

    SUM = "SUM"
    MEAN = "MEAN"


def _is_cpu(device: Any) -> bool:
    d = str(device).lower()
    return "cpu" in d and d.rstrip().endswith(("cpu:0", "cpu"))


class _Extended:
    """`strategy.extended`: the devices and the update helpers."""

    def __init__(self, strategy: Strategy) -> None:
        self._strategy = strategy

    @property
    def worker_devices(self) -> tuple:
        """The devices running replicas (the CPU)."""
        return (_CPU,)

    @property
    def parameter_devices(self) -> tuple:
        """The devices holding variables (the CPU)."""
        return (_CPU,)

    def colocate_vars_with(self, colocate_with_variable: Any) -> Any:
        """Accepted: there is one device."""
        return contextlib.nullcontext()

    def update(self, var: Any, fn: Callable, args: tuple = (), kwargs: Any = None,
               group: bool = True) -> Any:  # fmt: skip
        """`fn(var, *args)`: the one copy of the variable."""
        return fn(var, *args, **(kwargs or {}))

    def value_container(self, value: Any) -> Any:
        """The value itself (nothing is mirrored)."""
        return value

    def non_slot_devices(self, var_list: Any) -> tuple:
        """The CPU."""
        return (_CPU,)


class ReplicaContext:
    """The context of the one replica inside `strategy.run`."""

    def __init__(self, strategy: Strategy) -> None:
        self._strategy = strategy

    @property
    def strategy(self) -> Strategy:
        """The strategy running this replica."""
        return self._strategy

    @property
    def num_replicas_in_sync(self) -> int:
        """1."""
        return 1

    @property
    def replica_id_in_sync_group(self) -> int:
        """0."""
        return 0

    def all_reduce(self, reduce_op: Any, value: Any, options: Any = None) -> Any:
        """The value itself: with one replica a sum or a mean is the value."""
        _reduce_op(reduce_op)
        return value

    def merge_call(self, merge_fn: Callable, args: tuple = (), kwargs: Any = None) -> Any:
        """`merge_fn(strategy, *args)` in the cross-replica context."""
        return merge_fn(self._strategy, *args, **(kwargs or {}))


def _reduce_op(op: Any) -> ReduceOp:
    if isinstance(op, ReduceOp):
        return op
    name = str(getattr(op, "value", op)).upper().split(".")[-1]
    if name not in ("SUM", "MEAN"):
        raise ValueError(f"reduce: reduce_op must be ReduceOp.SUM or ReduceOp.MEAN, got {op!r}")
    return ReduceOp[name]


class Strategy:
    """A distribution strategy with one replica on the CPU."""

    def __init__(self, extended: Any = None) -> None:
        self._extended = _Extended(self)

    @property
    def extended(self) -> _Extended:
        """Devices and update helpers."""
        return self._extended

    @property
    def num_replicas_in_sync(self) -> int:
        """1: one replica on the CPU."""
        return 1

    @contextlib.contextmanager
    def scope(self) -> Iterator[Strategy]:
        """Make this the current strategy: variables made inside live on its device (the CPU)."""
        stack = getattr(_current, "stack", None)
        if stack is None:
            stack = _current.stack = []
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    def run(self, fn: Callable, args: tuple = (), kwargs: Any = None, options: Any = None) -> Any:
        """`fn(*args, **kwargs)` once, in the one replica's context."""
        rctx = getattr(_current, "replica", None)
        _current.replica = ReplicaContext(self)
        try:
            with self.scope():
                return fn(*args, **(kwargs or {}))
        finally:
            _current.replica = rctx

    experimental_run_v2 = run

    def reduce(self, reduce_op: Any, value: Any, axis: Any = None) -> Any:
        """Combine the replicas' values (one here); with `axis`, also sum/mean along it."""
        op = _reduce_op(reduce_op)
        if axis is None:
            return value
        from .math_ops import reduce_mean, reduce_sum

        return (reduce_sum if op is ReduceOp.SUM else reduce_mean)(value, axis=axis)

    def experimental_distribute_dataset(self, dataset: Any, options: Any = None) -> Any:
        """The dataset itself: the one replica reads every element."""
        return dataset

    distribute_datasets_from_function = None  # set below

    def experimental_local_results(self, value: Any) -> tuple:
        """The one replica's value, as a tuple."""
        return (value,)

    def group(self, value: Any, name: str | None = None) -> Any:
        """tf.group of the value."""
        from .control_flow import group

        return group(value, name=name)

    def make_dataset_iterator(self, dataset: Any) -> Any:
        """An initializable iterator over the dataset."""
        return dataset.make_initializable_iterator()

    def update_config_proto(self, config_proto: Any) -> Any:
        """The config unchanged."""
        return config_proto


def _from_function(self: Strategy, dataset_fn: Callable, options: Any = None) -> Any:
    """`dataset_fn(input_context)` for the one replica."""
    return dataset_fn(InputContext())


Strategy.distribute_datasets_from_function = _from_function
Strategy.experimental_distribute_datasets_from_function = _from_function


class InputContext:
    """One input pipeline for one replica."""

    num_input_pipelines = 1
    input_pipeline_id = 0
    num_replicas_in_sync = 1

    def get_per_replica_batch_size(self, global_batch_size: int) -> int:
        """The whole batch: one replica."""
        return int(global_batch_size)


class OneDeviceStrategy(Strategy):
    """Everything on one device: the CPU."""

    def __init__(self, device: str = "/cpu:0") -> None:
        if not _is_cpu(device):
            raise NotImplementedError(
                f"OneDeviceStrategy: device {device!r} is not available; duograd runs on the CPU "
                "only: use '/cpu:0'"
            )
        super().__init__()


class MirroredStrategy(Strategy):
    """Synchronous replicas, one per device: one replica on the CPU here."""

    def __init__(self, devices: Any = None, cross_device_ops: Any = None) -> None:
        if devices is not None:
            devices = [devices] if isinstance(devices, str) else list(devices)
            if len(devices) != 1 or not _is_cpu(devices[0]):
                raise NotImplementedError(f"MirroredStrategy(devices={devices!r}): {_SEVERAL}")
        super().__init__()


class _Several:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"tf.distribute.{type(self).__name__}: {_SEVERAL}")


class MultiWorkerMirroredStrategy(_Several, Strategy):
    """Not provided: several workers."""


class ParameterServerStrategy(_Several, Strategy):
    """Not provided: parameter servers."""


class TPUStrategy(_Several, Strategy):
    """Not provided: TPUs."""


class CentralStorageStrategy(_Several, Strategy):
    """Not provided: several devices."""


_DEFAULT = Strategy()


def get_strategy() -> Strategy:
    """The current strategy (the default one-replica strategy outside every scope)."""
    stack = getattr(_current, "stack", None)
    return stack[-1] if stack else _DEFAULT


def has_strategy() -> bool:
    """True inside a strategy's scope."""
    return bool(getattr(_current, "stack", None))


def get_replica_context() -> ReplicaContext | None:
    """The replica context (inside `run`, or the default one outside every scope), else None."""
    rctx = getattr(_current, "replica", None)
    if rctx is not None:
        return rctx
    return None if has_strategy() else ReplicaContext(_DEFAULT)


def in_cross_replica_context() -> bool:
    """True inside a strategy's scope but outside `run`."""
    return has_strategy() and getattr(_current, "replica", None) is None


def get_cross_replica_context() -> Strategy | None:
    """The strategy when in its cross-replica context, else None."""
    return get_strategy() if in_cross_replica_context() else None


def namespace() -> types.ModuleType:
    """The tf.distribute module."""
    mod = types.ModuleType("duograd.frontends.graph.distribute_ns", __doc__)
    for k in (
        "ReduceOp", "Strategy", "OneDeviceStrategy", "MirroredStrategy", "ReplicaContext",
        "InputContext", "MultiWorkerMirroredStrategy", "ParameterServerStrategy", "TPUStrategy",
        "get_strategy", "has_strategy", "get_replica_context", "in_cross_replica_context",
        "get_cross_replica_context",
    ):  # fmt: skip
        setattr(mod, k, globals()[k])
    mod.experimental = types.ModuleType("duograd.frontends.graph.distribute_ns.experimental")
    mod.experimental.CentralStorageStrategy = CentralStorageStrategy
    mod.experimental.MultiWorkerMirroredStrategy = MultiWorkerMirroredStrategy
    mod.experimental.ParameterServerStrategy = ParameterServerStrategy
    mod.experimental.TPUStrategy = TPUStrategy
    return mod
