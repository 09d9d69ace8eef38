"""The TF1 queue-based input pipeline: `tf.train.input_producer` and its string / range / slice
forms, `tf.train.batch` / `shuffle_batch` / `batch_join` / `shuffle_batch_join` /
`maybe_batch`. Each builds a queue, an enqueue op and a QueueRunner in the QUEUE_RUNNERS
collection, as TF does; `num_epochs` counts epochs in a local variable (so
`tf.local_variables_initializer()` must run first, as in TF)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import errors
from .control_flow import noop_node
from .convert import convert_to_tensor
from .data.parsing import HostValue
from .dtypes import bool as _bool
from .dtypes import int32 as _int32
from .dtypes import string as _string
from .graph import GraphKeys, get_default_graph
from .host_source import evaluate
from .queue_runner import QueueRunner, add_queue_runner
from .queues import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue, _as_bytes_array
from .random_ops import get_seed
from .tensor import Tensor


def _epoch_counter(num_epochs: Any, name: str) -> Any:
    if num_epochs is None:
        return None
    if int(num_epochs) <= 0:
        raise ValueError(f"{name}: num_epochs must be > 0 or None, got {num_epochs}")
    from .variables import Variable

    g = get_default_graph()
    with g.name_scope(name):
        return Variable(
            np.int64(0), trainable=False, name="epochs",
            collections=[GraphKeys.LOCAL_VARIABLES],
        )  # fmt: skip


def _take_epoch(session: Any, counter: Any, num_epochs: Any, lock: threading.Lock) -> None:
    if counter is None:
        return
    with lock:
        done = session._read(counter)
        if done is None:
            raise errors.FailedPreconditionError(
                None, None,
                f"Attempting to use uninitialized value {counter.name}: num_epochs counts epochs "
                "in a local variable; run tf.local_variables_initializer() first",
            )  # fmt: skip
        if int(done) >= int(num_epochs):
            raise errors.OutOfRangeError(
                None, None, f"Reached limit of {int(num_epochs)} epochs ({counter.name})"
            )
        session._write(counter, np.int64(int(done) + 1))


def _producer(
    comps: list, dtypes: list, shapes: list, num_epochs: Any, shuffle: bool, seed: Any,
    capacity: int, name: str,
) -> FIFOQueue:  # fmt: skip
    """A FIFO queue refilled, one epoch (optionally shuffled) per run, from `comps`."""
    g = get_default_graph()
    scope = g.unique_name(name, mark_as_used=False)
    counter = _epoch_counter(num_epochs, scope)
    queue = FIFOQueue(capacity, dtypes, shapes=shapes, name=f"{scope}/fifo_queue")
    seeds = get_seed(seed)
    rng_seed = None if seeds[0] is None and seeds[1] is None else [s or 0 for s in seeds]
    rngs: dict = {}
    lock = threading.Lock()
    op = noop_node(g, f"{scope}/fifo_queue_EnqueueMany", [], type_name="QueueEnqueueMany")

    def run(session: Any, feed_dict: dict | None) -> None:
        values = [np.asarray(v) for v in evaluate(session, comps, feed_dict)]
        n = len(values[0]) if values[0].ndim else 0
        if n == 0:
            raise errors.InvalidArgumentError(
                None, None, f"{scope}: the input is empty; give at least one element"
            )
        _take_epoch(session, counter, num_epochs, lock)
        order = np.arange(n)
        if shuffle:
            with lock:
                rng = rngs.get(session)
                if rng is None:
                    rng = rngs[session] = np.random.default_rng(rng_seed)
                order = rng.permutation(n)
        queue._put(session, [tuple(v[i] for v in values) for i in order])

    op._node.attrs["host_run"] = run
    add_queue_runner(QueueRunner(queue, [op]))
    return queue


def _component(x: Any, what: str) -> tuple:
    """(component, dtype, element shape) of one producer input."""
    if isinstance(x, HostValue):
        return x, x.dtype, None
    if not isinstance(x, Tensor):
        arr = np.asarray(x)
        if arr.dtype.kind in "SUO":
            return _as_bytes_array(x), _string, []
        x = convert_to_tensor(x)
    shape = x.shape
    if not shape.unknown_rank and len(shape) == 0:
        raise ValueError(f"{what}: the input must have rank >= 1 (a list of elements), got {x}")
    return x, x.dtype, (None if shape.unknown_rank else list(shape)[1:])


def input_producer(
    input_tensor: Any, element_shape: Any = None, num_epochs: Any = None, shuffle: bool = True,
    seed: Any = None, capacity: int = 32, shared_name: Any = None, summary_name: Any = None,
    name: str | None = None, cancel_op: Any = None,
) -> FIFOQueue:  # fmt: skip
    """A queue holding the rows of `input_tensor`, refilled each epoch."""
    comp, dt, shape = _component(input_tensor, "input_producer")
    if element_shape is not None:
        shape = list(element_shape)
    return _producer([comp], [dt], [shape], num_epochs, shuffle, seed, capacity,
                     name or "input_producer")  # fmt: skip


def string_input_producer(
    string_tensor: Any, num_epochs: Any = None, shuffle: bool = True, seed: Any = None,
    capacity: int = 32, shared_name: Any = None, name: str | None = None, cancel_op: Any = None,
) -> FIFOQueue:  # fmt: skip
    """A queue of strings (usually file names) for a reader, refilled each epoch."""
    if isinstance(string_tensor, Tensor):
        raise TypeError(
            "string_input_producer: strings are host values here; pass a Python list of names"
        )
    if not isinstance(string_tensor, HostValue) and len(list(string_tensor)) == 0:
        raise ValueError("string_input_producer: string_tensor is empty; give at least one string")
    comp = string_tensor if isinstance(string_tensor, HostValue) else _as_bytes_array(string_tensor)
    return _producer([comp], [_string], [[]], num_epochs, shuffle, seed, capacity,
                     name or "input_producer")  # fmt: skip


def range_input_producer(
    limit: Any, num_epochs: Any = None, shuffle: bool = True, seed: Any = None,
    capacity: int = 32, shared_name: Any = None, name: str | None = None,
) -> FIFOQueue:  # fmt: skip
    """A queue of the int32 indices 0..limit-1, refilled each epoch."""
    rng = convert_to_tensor(limit, dtype=_int32)
    from .array_ops import range as tf_range

    return _producer([tf_range(rng)], [_int32], [[]], num_epochs, shuffle, seed, capacity,
                     name or "input_producer")  # fmt: skip


def slice_input_producer(
    tensor_list: Any,
    num_epochs: Any = None,
    shuffle: bool = True,
    seed: Any = None,
    capacity: int = 32,
    shared_name: Any = None,
    name: str | None = None,
) -> list:
    """One row of every tensor in `tensor_list` per dequeue (the same row index in each)."""
    if not tensor_list:
        raise ValueError("slice_input_producer: tensor_list is empty")
    parts = [_component(x, "slice_input_producer") for x in tensor_list]
    queue = _producer([p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts],
                      num_epochs, shuffle, seed, capacity, name or "input_producer")  # fmt: skip
    out = queue.dequeue()
    return list(out) if isinstance(out, list) else [out]


# ---- batching ------------------------------------------------------------------------------------


def _flatten(tensors: Any) -> tuple:
    if isinstance(tensors, dict):
        keys = sorted(tensors)
        return [tensors[k] for k in keys], keys
    if isinstance(tensors, (list, tuple)):
        return list(tensors), None
    return [tensors], "single"


def _specs(flat: list, shapes: Any, enqueue_many: bool, op: str) -> tuple:
    dtypes, shps = [], []
    for k, x in enumerate(flat):
        if isinstance(x, HostValue):
            dtypes.append(_string)
            s = x.shape
        else:
            x = flat[k] = convert_to_tensor(x)
            dtypes.append(x.dtype)
            s = x.shape
        dims = None if s.unknown_rank else list(s)
        if enqueue_many and dims is not None:
            dims = dims[1:]
        shps.append(dims)
    if shapes is not None:
        shps = [list(s) for s in shapes]
    return dtypes, shps


def _batch(
    tensor_lists: list, batch_size: int, capacity: int, enqueue_many: bool, shapes: Any,
    dynamic_pad: bool, allow_smaller: bool, keep_input: Any, name: str, threads_each: int,
    shuffle: dict | None = None,
) -> Any:  # fmt: skip
    flats = []
    structure = None
    for tl in tensor_lists:
        flat, structure = _flatten(tl)
        flats.append(flat)
    dtypes, shps = _specs(flats[0], shapes, enqueue_many, name)
    for f in flats[1:]:
        _specs(f, shapes, enqueue_many, name)
    names = structure if isinstance(structure, list) else None
    if not dynamic_pad and any(s is None or None in s for s in shps):
        raise ValueError(
            f"{name}: all shapes must be fully defined to batch ({shps}); set the tensors' "
            "shapes (tf.reshape / set_shape), pass shapes=, or use dynamic_pad=True"
        )
    g = get_default_graph()
    scope = g.unique_name(name, mark_as_used=False)
    if shuffle is not None:
        queue = RandomShuffleQueue(
            capacity,
            shuffle["min_after_dequeue"],
            dtypes,
            shapes=shps,
            seed=shuffle["seed"],
            name=f"{scope}/random_shuffle_queue",
        )
    elif dynamic_pad:
        queue = PaddingFIFOQueue(capacity, dtypes, shapes=shps, name=f"{scope}/padding_fifo_queue")
    else:
        queue = FIFOQueue(capacity, dtypes, shapes=shps, name=f"{scope}/fifo_queue")  # fmt: skip
    keep = None if keep_input is None else convert_to_tensor(keep_input, dtype=_bool)
    ops = []
    for flat in flats:
        base = queue.enqueue_many(flat) if enqueue_many else queue.enqueue(flat)
        if keep is not None:
            base = _maybe(queue, flat, keep, enqueue_many)
        ops.extend([base] * threads_each)
    add_queue_runner(QueueRunner(queue, ops))
    out = queue.dequeue_up_to(batch_size) if allow_smaller else queue.dequeue_many(batch_size)
    if not isinstance(out, list):  # one component: a tensor, as TF returns for [x] too
        return out
    if names is not None:
        return dict(zip(names, out, strict=True))
    return out


def _maybe(queue: Any, flat: list, keep: Tensor, many: bool) -> Any:
    """An enqueue op adding the element(s) only where `keep` is true."""
    comps = queue._components(flat, "maybe_batch")
    op = noop_node(get_default_graph(), f"{queue.name}_MaybeEnqueue", [], type_name="Enqueue")

    def run(session: Any, feed_dict: dict | None) -> None:
        values = [np.asarray(v) for v in evaluate(session, [keep, *comps], feed_dict)]
        flag, values = values[0], values[1:]
        if many:
            rows = np.nonzero(flag.reshape(-1))[0]
            queue._put(session, [tuple(v[i] for v in values) for i in rows])
        elif bool(flag):
            queue._put(session, [tuple(values)])

    op._node.attrs["host_run"] = run
    return op


def batch(
    tensors: Any, batch_size: int, num_threads: int = 1, capacity: int = 32,
    enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
    allow_smaller_final_batch: bool = False, shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """Batches of `tensors` (a list, dict or tensor) through a FIFO queue and a QueueRunner."""
    return _batch([tensors], batch_size, capacity, enqueue_many, shapes, dynamic_pad,
                  allow_smaller_final_batch, None, name or "batch", num_threads)  # fmt: skip


def maybe_batch(
    tensors: Any, keep_input: Any, batch_size: int, num_threads: int = 1, capacity: int = 32,
    enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
    allow_smaller_final_batch: bool = False, shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """Like batch, keeping an element only where `keep_input` is true."""
    return _batch([tensors], batch_size, capacity, enqueue_many, shapes, dynamic_pad,
                  allow_smaller_final_batch, keep_input, name or "batch", num_threads)  # fmt: skip


def batch_join(
    tensors_list: Any, batch_size: int, capacity: int = 32, enqueue_many: bool = False,
    shapes: Any = None, dynamic_pad: bool = False, allow_smaller_final_batch: bool = False,
    shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """Batches from several lists of tensors (one enqueue thread each) into one queue."""
    return _batch(list(tensors_list), batch_size, capacity, enqueue_many, shapes, dynamic_pad,
                  allow_smaller_final_batch, None, name or "batch_join", 1)  # fmt: skip


def shuffle_batch(
    tensors: Any, batch_size: int, capacity: int, min_after_dequeue: int, num_threads: int = 1,
    seed: Any = None, enqueue_many: bool = False, shapes: Any = None,
    allow_smaller_final_batch: bool = False, shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """Batches in random order through a RandomShuffleQueue and a QueueRunner."""
    return _batch([tensors], batch_size, capacity, enqueue_many, shapes, False,
                  allow_smaller_final_batch, None, name or "shuffle_batch", num_threads,
                  {"min_after_dequeue": min_after_dequeue, "seed": seed})  # fmt: skip


def shuffle_batch_join(
    tensors_list: Any, batch_size: int, capacity: int, min_after_dequeue: int, seed: Any = None,
    enqueue_many: bool = False, shapes: Any = None, allow_smaller_final_batch: bool = False,
    shared_name: Any = None, name: str | None = None,
) -> Any:  # fmt: skip
    """shuffle_batch over several lists of tensors (one enqueue thread each)."""
    return _batch(list(tensors_list), batch_size, capacity, enqueue_many, shapes, False,
                  allow_smaller_final_batch, None, name or "shuffle_batch_join", 1,
                  {"min_after_dequeue": min_after_dequeue, "seed": seed})  # fmt: skip
