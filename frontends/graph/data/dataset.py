"""`tf.data.Dataset`: sources and transformations producing nested elements of host arrays.

A dataset is a recipe; an iterator's initialization (in one session) evaluates the graph
tensors it captured (e.g. placeholders, fed to the initializer run) and starts a Python
iterator over elements. `map` and `filter` trace their function once into graph ops over
placeholders and run them in the session per element (in a thread pool for
`num_parallel_calls`). `flat_map` and `interleave` call their function with host values.
Shuffling draws from the core's seeded streams: `shuffle(n, seed=s)` with `n >= len` visits
the elements in the order `DataLoader(shuffle=True, generator=Generator().manual_seed(s))`
does in the eager style.
"""

from __future__ import annotations

import glob as _glob
import itertools
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ....core import random as core_random
from ..array_ops import placeholder
from ..convert import convert_to_tensor
from ..dtypes import DType
from ..shapes import TensorShape
from ..tensor import Tensor
from . import structure as nest
from .parsing import HostValue, Tracer
from .spec import TensorSpec, host_value, spec_of_tensor, spec_of_value

AUTOTUNE = -1

# the dtypes module itself (the package's `dtypes` attribute is the tf.dtypes namespace)
tfd = sys.modules[DType.__module__]


class _Context:
    """One initialization of an iterator: the session, captured values and per-dataset state."""

    def __init__(self, session: Any, feed_dict: dict | None) -> None:
        self.session = session
        self.feed_dict = dict(feed_dict or {})
        self.values: dict = {}
        self.state: dict = {}

    def value(self, leaf: Any) -> np.ndarray:
        """A captured leaf's host value (graph tensors evaluated at initialization)."""
        if isinstance(leaf, Tensor):
            return self.values[id(leaf)]
        return leaf


class Dataset:
    """A sequence of elements (nested tuples/dicts of tensors), built by sources and chained
    transformations, read through an iterator in a Session."""

    _spec: Any = None

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
    def output_classes(self) -> Any:
        """The nested classes of one element (all Tensor)."""
        return nest.map_structure(lambda s: Tensor, self._spec)

    def _inputs(self) -> list:
        return []

    def _captures(self) -> list:
        """Graph tensors this dataset (and its inputs) read at initialization."""
        out = []
        for d in self._inputs():
            out.extend(d._captures())
        return out

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(
            "a tf.data.Dataset is read in a Session: use dataset.make_one_shot_iterator() (or "
            "tf.compat.v1.data.make_one_shot_iterator(dataset)) and run its get_next()"
        )

    # ---- sources ---------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """Elements are the slices of `tensors` along their first dimension."""
        return _Slices(tensors)

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        """A single element: `tensors`."""
        return _Tensors(tensors)

    @staticmethod
    def range(*args: int, output_type: Any = tfd.int64) -> Dataset:
        """Integers as Python's range(start, stop, step)."""
        return _Range(range(*args), output_type)

    @staticmethod
    def from_generator(
        generator: Callable,
        output_types: Any = None,
        output_shapes: Any = None,
        args: Any = None,
        output_signature: Any = None,
    ) -> Dataset:
        """Elements yielded by `generator(*args)` (called anew for each iteration)."""
        return _Generator(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def zip(datasets: Any) -> Dataset:
        """Elements of the (nested) datasets side by side; ends with the shortest."""
        return _Zip(datasets)

    @staticmethod
    def list_files(file_pattern: Any, shuffle: bool | None = None, seed: int | None = None):
        """The file names matching `file_pattern` (a glob or a list of globs), as strings;
        shuffled unless `shuffle=False`."""
        patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else file_pattern
        names = sorted(
            {n for p in patterns for n in _glob.glob(p.decode() if isinstance(p, bytes) else p)}
        )
        if not names:
            raise ValueError(f"Dataset.list_files: no files match pattern {file_pattern!r}")
        ds = Dataset.from_tensor_slices([n.encode() for n in names])
        if shuffle is None or shuffle:
            ds = ds.shuffle(len(names), seed=seed)
        return ds

    # ---- transformations -------------------------------------------------------------------------
    def map(
        self, map_func: Callable, num_parallel_calls: int | None = None, deterministic: Any = None
    ) -> Dataset:
        """Apply `map_func` (traced once into graph ops) to each element."""
        return _Map(self, map_func, num_parallel_calls)

    def filter(self, predicate: Callable) -> Dataset:
        """Keep the elements for which `predicate` (traced once; a scalar bool) is true."""
        return _Filter(self, predicate)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Stack consecutive elements into batches (the last may be smaller)."""
        return _Batch(self, batch_size, drop_remainder, None, None)

    def padded_batch(
        self,
        batch_size: int,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
    ) -> Dataset:
        """Batches whose elements are padded to `padded_shapes` (None dims: the batch's max)."""
        return _Batch(self, batch_size, drop_remainder, padded_shapes or True, padding_values)

    def unbatch(self) -> Dataset:
        """Split each element along its first dimension."""
        return _Unbatch(self)

    def shuffle(
        self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True
    ) -> Dataset:
        """Elements in random order, drawn from a buffer of `buffer_size` elements."""
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: int | None = None) -> Dataset:
        """The elements `count` times over (forever for None or -1)."""
        return _Repeat(self, count)

    def take(self, count: int) -> Dataset:
        """At most the first `count` elements (all for -1)."""
        return _Take(self, count)

    def skip(self, count: int) -> Dataset:
        """All but the first `count` elements."""
        return _Skip(self, count)

    def prefetch(self, buffer_size: int) -> Dataset:
        """Produce up to `buffer_size` elements ahead in a background thread."""
        return _Prefetch(self, buffer_size)

    def cache(self, filename: str = "") -> Dataset:
        """Remember the elements of the first full pass (in memory) and replay them."""
        return _Cache(self)

    def concatenate(self, dataset: Dataset) -> Dataset:
        """This dataset's elements, then `dataset`'s."""
        return _Concatenate(self, dataset)

    def flat_map(self, map_func: Callable) -> Dataset:
        """Concatenate the datasets `map_func` (called with host values) returns."""
        return _Interleave(self, map_func, 1, 1)

    def interleave(
        self,
        map_func: Callable,
        cycle_length: int | None = None,
        block_length: int = 1,
        num_parallel_calls: int | None = None,
        deterministic: Any = None,
    ) -> Dataset:
        """Cycle through `cycle_length` datasets from `map_func`, `block_length` at a time."""
        return _Interleave(self, map_func, cycle_length or 4, block_length)

    def enumerate(self, start: int = 0) -> Dataset:
        """Pairs (index as int64, element)."""
        return Dataset.zip((Dataset.range(start, np.iinfo(np.int64).max), self))

    def apply(self, transformation_func: Callable) -> Dataset:
        """`transformation_func(self)`."""
        return transformation_func(self)

    # ---- iterators -------------------------------------------------------------------------------
    def make_one_shot_iterator(self) -> Any:
        """An iterator initialized on first use (captured tensors must not need feeding)."""
        from .iterator import Iterator as _It

        return _It._one_shot(self)

    def make_initializable_iterator(self, shared_name: str | None = None) -> Any:
        """An iterator whose `initializer` op (run with any feeds it needs) (re)starts it."""
        from .iterator import Iterator as _It

        return _It._initializable(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__.strip('_')}Dataset element_spec={self._spec}>"


def _leaf(x: Any) -> Any:
    return x if isinstance(x, Tensor) else host_value(x)


def _leaf_spec(x: Any, drop_first: bool) -> TensorSpec:
    return spec_of_tensor(x, drop_first) if isinstance(x, Tensor) else spec_of_value(x, drop_first)


class _Slices(Dataset):
    def __init__(self, tensors: Any) -> None:
        self._struct = nest.map_structure(_leaf, tensors)
        leaves = nest.flatten(self._struct)
        for x in leaves:
            if (isinstance(x, Tensor) and x.shape.ndims == 0) or (
                isinstance(x, np.ndarray) and x.ndim == 0
            ):
                raise ValueError(
                    "Dataset.from_tensor_slices: every component needs at least one dimension "
                    f"to slice, got a scalar {x!r}"
                )
        sizes = {x.shape[0] for x in leaves if isinstance(x, np.ndarray)}
        if len(sizes) > 1:
            raise ValueError(
                "Dataset.from_tensor_slices: all components must have the same first dimension, "
                f"got sizes {sorted(sizes)}"
            )
        self._n = sizes.pop() if sizes else None
        self._spec = nest.map_structure(lambda x: _leaf_spec(x, True), self._struct)

    def _captures(self) -> list:
        return [x for x in nest.flatten(self._struct) if isinstance(x, Tensor)]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        leaves = [ctx.value(x) for x in nest.flatten(self._struct)]
        n = {leaf.shape[0] for leaf in leaves}
        if len(n) > 1:
            raise ValueError(
                f"Dataset.from_tensor_slices: the fed components have different first "
                f"dimensions {sorted(n)}"
            )
        for i in range(n.pop()):
            yield nest.pack(self._struct, [leaf[i] for leaf in leaves])

    def _blocks(self, ctx: _Context, size: int, drop: bool) -> Iterator[Any]:
        """Batches of `size` consecutive slices, cut as blocks (the values np.stack of the
        slices gives, without touching each element)."""
        leaves = [np.asarray(ctx.value(x)) for x in nest.flatten(self._struct)]
        n = {leaf.shape[0] for leaf in leaves}
        if len(n) > 1:
            raise ValueError(
                f"Dataset.from_tensor_slices: the fed components have different first "
                f"dimensions {sorted(n)}"
            )
        total = n.pop()
        for i in range(0, total, size):
            if drop and i + size > total:
                return
            yield nest.pack(self._struct, [leaf[i : i + size].copy() for leaf in leaves])


class _Tensors(Dataset):
    def __init__(self, tensors: Any) -> None:
        self._struct = nest.map_structure(_leaf, tensors)
        self._spec = nest.map_structure(lambda x: _leaf_spec(x, False), self._struct)

    def _captures(self) -> list:
        return [x for x in nest.flatten(self._struct) if isinstance(x, Tensor)]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        yield nest.pack(self._struct, [ctx.value(x) for x in nest.flatten(self._struct)])


class _Range(Dataset):
    def __init__(self, r: range, output_type: Any) -> None:
        self._range = r
        self._dtype = tfd.as_dtype(output_type).np_dtype
        self._spec = TensorSpec((), output_type)

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        dt = self._dtype
        for i in self._range:
            yield np.asarray(i, dtype=dt)


class _Generator(Dataset):
    def __init__(self, gen, output_types, output_shapes, args, signature) -> None:
        if not callable(gen):
            raise TypeError(
                f"Dataset.from_generator: `generator` must be callable, got {type(gen).__name__}"
            )
        if signature is not None:
            self._spec = signature
        else:
            if output_types is None:
                raise TypeError("Dataset.from_generator: give output_types (or output_signature)")
            if output_shapes is None:
                output_shapes = nest.map_structure(lambda _: TensorShape(None), output_types)
            shapes = _shapes_like(output_types, output_shapes)
            self._spec = nest.map_structure(TensorSpec, shapes, output_types)
        self._gen = gen
        self._args = tuple(args) if args is not None else ()

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        specs = nest.flatten(self._spec)
        for k, item in enumerate(self._gen(*self._args)):
            leaves = nest.flatten(item) if nest.is_nest(self._spec) else [item]
            if len(leaves) != len(specs):
                raise TypeError(
                    f"Dataset.from_generator: element {k} has {len(leaves)} components, "
                    f"output_types declares {len(specs)}"
                )
            vals = []
            for v, s in zip(leaves, specs, strict=True):
                a = host_value(v, s.dtype)
                if not s.shape.is_compatible_with(a.shape):
                    raise TypeError(
                        f"Dataset.from_generator: element {k} has shape {a.shape}, which is "
                        f"incompatible with the declared shape {s.shape}"
                    )
                vals.append(a)
            yield nest.pack(self._spec, vals)


def _shapes_like(types: Any, shapes: Any) -> Any:
    """`shapes` as TensorShapes nested like `types` (a shape given as a list is one shape)."""
    if isinstance(types, dict):
        return {k: _shapes_like(types[k], shapes[k]) for k in types}
    if isinstance(types, tuple):
        if len(shapes) != len(types):
            raise ValueError(
                f"output_shapes {shapes} does not match the structure of output_types {types}"
            )
        return tuple(_shapes_like(t, sh) for t, sh in zip(types, shapes, strict=True))
    return TensorShape(shapes)


class _Zip(Dataset):
    def __init__(self, datasets: Any) -> None:
        for d in nest.flatten(datasets):
            if not isinstance(d, Dataset):
                raise TypeError(
                    f"Dataset.zip: expected a (nested) tuple of datasets, got {type(d).__name__}"
                )
        self._datasets = datasets
        self._spec = nest.map_structure(lambda d: d._spec, datasets)

    def _inputs(self) -> list:
        return nest.flatten(self._datasets)

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        its = [d._iterate(ctx) for d in nest.flatten(self._datasets)]
        for items in zip(*its, strict=False):
            yield nest.pack(self._datasets, list(items))


class _Concatenate(Dataset):
    def __init__(self, a: Dataset, b: Dataset) -> None:
        fa, fb = nest.flatten(a._spec), nest.flatten(b._spec)
        if len(fa) != len(fb) or any(x.dtype != y.dtype for x, y in zip(fa, fb, strict=True)):
            raise TypeError(
                f"Dataset.concatenate: the datasets' element types differ: {a.output_types} vs "
                f"{b.output_types}"
            )
        self._a, self._b = a, b
        self._spec = nest.pack(
            a._spec,
            [
                TensorSpec(_most_specific(x.shape, y.shape), x.dtype)
                for x, y in zip(fa, fb, strict=True)
            ],
        )

    def _inputs(self) -> list:
        return [self._a, self._b]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        yield from self._a._iterate(ctx)
        yield from self._b._iterate(ctx)


def _most_specific(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.unknown_rank or b.unknown_rank or len(a) != len(b):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a, b, strict=True)])


class _Traced:
    """A function traced once into graph ops over placeholders of an element spec.

    String components enter as HostValues: parsing/decoding them records host stages (see
    parsing.py) run per element before the graph part. A function that cannot be traced that
    way (it uses the bytes directly) runs per element on host values instead.
    """

    def __init__(self, fn: Callable, spec: Any, what: str) -> None:
        self.fn = fn
        self.what = what
        self.spec = spec
        self.host = False
        flat = nest.flatten(spec)
        staged = any(s.is_string for s in flat)
        syms = [
            HostValue(s)
            if s.is_string
            else placeholder(s.dtype, None if s.shape.unknown_rank else s.shape)
            for s in flat
        ]
        self.inputs = syms
        self.tracer = Tracer()
        try:
            with self.tracer:
                out = _call(fn, nest.pack(spec, syms))
        except Exception:
            if not staged:
                raise
            self._host_mode(flat)
            return
        self.template = _as_struct(out)
        self.outputs = [
            x if isinstance(x, (Tensor, HostValue)) else convert_to_tensor(x)
            for x in nest.flatten(self.template)
        ]
        self.out_spec = nest.pack(
            self.template,
            [x.spec if isinstance(x, HostValue) else spec_of_tensor(x) for x in self.outputs],
        )

    def _host_mode(self, flat: list) -> None:
        # the function runs per element on host values; a probe element gives the output
        # structure and dtypes (dims unknown)
        self.host = True
        probe = nest.pack(self.spec, [_probe(s) for s in flat])
        out = self(None, probe)
        self.out_spec = nest.map_structure(
            lambda a: TensorSpec(TensorShape([None] * a.ndim), spec_of_value(a).dtype), out
        )

    def __call__(self, ctx: _Context, element: Any) -> Any:
        if self.host:
            element = nest.map_structure(_host_arg, element)
            out = _as_struct(_call(self.fn, element))
            return nest.map_structure(_host_result(self.what), out)
        feeds = dict(ctx.feed_dict)
        env: dict = {}
        for sym, v in zip(self.inputs, nest.flatten(element), strict=True):
            if isinstance(sym, HostValue):
                env[id(sym)] = v
            else:
                feeds[sym] = v
        if self.tracer.stages:
            self.tracer.run(env, feeds)
        fed = {id(k): v for k, v in feeds.items()}
        run = [t for t in self.outputs if isinstance(t, Tensor) and id(t) not in fed]
        got = iter(ctx.session.run(run, feeds) if run else [])
        vals = []
        for t in self.outputs:
            if isinstance(t, HostValue):
                vals.append(host_value(env[id(t)]))
            elif id(t) in fed:
                vals.append(np.asarray(fed[id(t)]))
            else:
                vals.append(next(got))
        return nest.pack(self.template, vals)


def _host_arg(a: Any) -> Any:
    # a scalar string reaches the function as bytes
    return a.item() if isinstance(a, np.ndarray) and a.dtype == object and a.ndim == 0 else a


def _host_result(what: str) -> Callable:
    def conv(x: Any) -> np.ndarray:
        if isinstance(x, Tensor):
            raise TypeError(
                f"Dataset.{what}: over string elements the function runs on host values and "
                "must return arrays (use tf.io.parse_single_example / tf.decode_raw, which "
                f"accept host values), got the graph tensor {x.name}"
            )
        return host_value(x)

    return conv


def _as_struct(out: Any) -> Any:
    # a list returned by a map function is a tuple of components, as in TF
    if isinstance(out, list):
        return tuple(_as_struct(x) for x in out)
    if isinstance(out, tuple) and not hasattr(out, "_fields"):
        return tuple(_as_struct(x) for x in out)
    if isinstance(out, dict):
        return {k: _as_struct(v) for k, v in out.items()}
    return out


def _call(fn: Callable, element: Any) -> Any:
    if isinstance(element, tuple) and not hasattr(element, "_fields"):
        return fn(*element)
    return fn(element)


def _parallelism(n: int | None) -> int:
    if n is None:
        return 1
    if n == AUTOTUNE:
        return 2
    if n < 1:
        raise ValueError(f"num_parallel_calls must be positive or tf.data.AUTOTUNE, got {n}")
    return int(n)


class _Map(Dataset):
    def __init__(self, ds: Dataset, fn: Callable, num_parallel_calls: int | None) -> None:
        self._ds = ds
        self._fn = _Traced(fn, ds._spec, "map")
        self._workers = _parallelism(num_parallel_calls)
        self._spec = self._fn.out_spec

    def _inputs(self) -> list:
        return [self._ds]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        src = self._ds._iterate(ctx)
        if self._workers == 1:
            for e in src:
                yield self._fn(ctx, e)
            return
        # ordered parallel map: keep `workers` calls in flight
        with ThreadPoolExecutor(self._workers) as pool:
            pending: list = []
            for e in src:
                pending.append(pool.submit(self._fn, ctx, e))
                if len(pending) >= 2 * self._workers:
                    yield pending.pop(0).result()
            for f in pending:
                yield f.result()


class _Filter(Dataset):
    def __init__(self, ds: Dataset, predicate: Callable) -> None:
        self._ds = ds
        self._fn = _Traced(predicate, ds._spec, "filter")
        if not self._fn.host:
            out = self._fn.outputs
            if len(out) != 1 or out[0].dtype != tfd.bool or out[0].shape.ndims not in (0, None):
                raise ValueError(
                    "Dataset.filter: the predicate must return a scalar tf.bool tensor, got "
                    f"{[str(t) for t in out]}"
                )
        self._spec = ds._spec

    def _inputs(self) -> list:
        return [self._ds]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        for e in self._ds._iterate(ctx):
            if bool(np.asarray(self._fn(ctx, e))):
                yield e


class _Batch(Dataset):
    def __init__(self, ds, batch_size, drop_remainder, padded, padding_values) -> None:
        if int(batch_size) <= 0:
            raise ValueError(f"Dataset.batch: batch_size must be positive, got {batch_size}")
        self._ds = ds
        self._n = int(batch_size)
        self._drop = bool(drop_remainder)
        self._padded = padded
        lead = self._n if self._drop else None
        specs = nest.flatten(ds._spec)
        if padded is not None:
            shapes = (
                [s.shape for s in specs]
                if padded is True
                else [TensorShape(p) for p in _flatten_shapes(padded, ds._spec)]
            )
            if padding_values is None:
                pads = [b"" if s.is_string else 0 for s in specs]
            else:
                pads = nest.flatten(padding_values)
                if len(pads) == 1 and len(specs) > 1:
                    pads = pads * len(specs)
            self._pad_shapes = shapes
            self._pad_values = [np.asarray(p) for p in pads]
        else:
            shapes = [s.shape for s in specs]
        self._spec = nest.pack(
            ds._spec,
            [
                TensorSpec(
                    TensorShape(None) if sh.unknown_rank else TensorShape((lead, *sh)), s.dtype
                )
                for s, sh in zip(specs, shapes, strict=True)
            ],
        )

    def _inputs(self) -> list:
        return [self._ds]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        if type(self._ds) is _Slices and self._padded is None:
            # batches of plain slices are blocks of the arrays: no per-element work
            yield from self._ds._blocks(ctx, self._n, self._drop)
            return
        it = self._ds._iterate(ctx)
        while True:
            items = list(itertools.islice(it, self._n))
            if not items or (self._drop and len(items) < self._n):
                return
            cols = list(zip(*[nest.flatten(e) for e in items], strict=True))
            if self._padded is None:
                out = [_stack(c, k) for k, c in enumerate(cols)]
            else:
                out = [self._pad(c, k) for k, c in enumerate(cols)]
            yield nest.pack(self._ds._spec, out)

    def _pad(self, col: tuple, k: int) -> np.ndarray:
        want = self._pad_shapes[k]
        ndim = col[0].ndim
        if any(a.ndim != ndim for a in col):
            raise ValueError(f"Dataset.padded_batch: component {k} has elements of varying rank")
        target = [
            max(a.shape[d] for a in col) if want.unknown_rank or want[d] in (None, -1) else want[d]
            for d in range(ndim)
        ]
        out = np.full((len(col), *target), self._pad_values[k], dtype=col[0].dtype)
        for i, a in enumerate(col):
            if any(s > t for s, t in zip(a.shape, target, strict=True)):
                raise ValueError(
                    f"Dataset.padded_batch: component {k} has shape {a.shape}, larger than the "
                    f"padded shape {tuple(target)}"
                )
            out[(i, *[slice(0, s) for s in a.shape])] = a
        return out


def _flatten_shapes(padded: Any, spec: Any) -> list:
    if nest.is_nest(spec):
        if isinstance(spec, dict):
            return [x for k in sorted(spec) for x in _flatten_shapes(padded[k], spec[k])]
        return [x for p, s in zip(padded, spec, strict=True) for x in _flatten_shapes(p, s)]
    return [padded]


def _stack(col: tuple, k: int) -> np.ndarray:
    try:
        return np.stack(col)
    except ValueError:
        shapes = sorted({a.shape for a in col})
        raise ValueError(
            f"Dataset.batch: cannot batch component {k}: its elements have different shapes "
            f"{shapes}; use padded_batch"
        ) from None


class _Unbatch(Dataset):
    def __init__(self, ds: Dataset) -> None:
        self._ds = ds
        self._spec = nest.map_structure(
            lambda s: TensorSpec(
                TensorShape(None) if s.shape.unknown_rank else TensorShape(tuple(s.shape)[1:]),
                s.dtype,
            ),
            ds._spec,
        )

    def _inputs(self) -> list:
        return [self._ds]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        for e in self._ds._iterate(ctx):
            leaves = nest.flatten(e)
            for i in range(leaves[0].shape[0]):
                yield nest.pack(e, [leaf[i] for leaf in leaves])


class _Shuffle(Dataset):
    def __init__(self, ds: Dataset, buffer_size: int, seed: Any, reshuffle: bool) -> None:
        if int(buffer_size) <= 0:
            raise ValueError(f"Dataset.shuffle: buffer_size must be positive, got {buffer_size}")
        self._ds = ds
        self._size = int(buffer_size)
        self._seed = seed
        self._reshuffle = reshuffle
        self._spec = ds._spec

    def _inputs(self) -> list:
        return [self._ds]

    def _generator(self, ctx: _Context) -> core_random.Generator:
        # seed=None reshuffling draws from the shared stream (as DataLoader(shuffle=True) does
        # after torch.manual_seed); a seed gives the loader's Generator().manual_seed(seed)
        key = (id(self), "rng")
        if self._reshuffle:
            if self._seed is None:
                return core_random.default_generator
            gen = ctx.state.get(key)
            if gen is None:
                gen = ctx.state[key] = core_random.Generator(self._seed)
            return gen
        seed = ctx.state.get(key)
        if seed is None:
            seed = self._seed
            if seed is None:
                seed = int(core_random.default_generator.integers(0, 2**62, ()))
            ctx.state[key] = seed
        return core_random.Generator(seed)

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        gen = self._generator(ctx)
        src = self._ds._iterate(ctx)
        buf = list(itertools.islice(src, self._size))
        for e in src:
            # buffer full: emit a random element and put the next one in its place
            k = int(gen.integers(0, len(buf), ()))
            yield buf[k]
            buf[k] = e
        for k in gen.permutation(len(buf)):
            yield buf[k]


class _Counted(Dataset):
    """A transformation with a count that may be a graph tensor (evaluated at initialization)."""

    def __init__(self, ds: Dataset, count: Any, what: str) -> None:
        if count is not None and not isinstance(count, Tensor):
            count = int(count)
        elif isinstance(count, Tensor) and count.dtype not in (tfd.int32, tfd.int64):
            raise TypeError(f"Dataset.{what}: count must be an integer tensor, got {count}")
        self._ds, self._count_arg, self._spec = ds, count, ds._spec

    def _inputs(self) -> list:
        return [self._ds]

    def _captures(self) -> list:
        extra = [self._count_arg] if isinstance(self._count_arg, Tensor) else []
        return super()._captures() + extra

    def _count(self, ctx: _Context) -> int | None:
        c = self._count_arg
        return None if c is None else int(ctx.value(c))


class _Repeat(_Counted):
    def __init__(self, ds: Dataset, count: Any) -> None:
        super().__init__(ds, count, "repeat")

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        count = self._count(ctx)
        if count is not None and count < 0:
            count = None
        k = 0
        while count is None or k < count:
            empty = True
            for e in self._ds._iterate(ctx):
                empty = False
                yield e
            if empty:
                return
            k += 1


class _Take(_Counted):
    def __init__(self, ds: Dataset, count: Any) -> None:
        super().__init__(ds, count, "take")

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        count = self._count(ctx)
        if count < 0:
            yield from self._ds._iterate(ctx)
        elif count > 0:
            yield from itertools.islice(self._ds._iterate(ctx), count)


class _Skip(_Counted):
    def __init__(self, ds: Dataset, count: Any) -> None:
        super().__init__(ds, count, "skip")

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        count = self._count(ctx)
        if count < 0:
            return
        yield from itertools.islice(self._ds._iterate(ctx), count, None)


_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Prefetch(Dataset):
    def __init__(self, ds: Dataset, buffer_size: int) -> None:
        self._ds = ds
        self._size = 2 if buffer_size in (None, AUTOTUNE) else max(1, int(buffer_size))
        self._spec = ds._spec

    def _inputs(self) -> list:
        return [self._ds]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        q: queue.Queue = queue.Queue(self._size)
        stop = threading.Event()
        src = self._ds._iterate(ctx)

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for e in src:
                    if not put(e):
                        return
                put(_END)
            except BaseException as err:  # noqa: BLE001 - handed to the consumer
                put(_Failure(err))

        t = threading.Thread(target=produce, name="tf.data prefetch", daemon=True)
        t.start()
        try:
            while True:
                item = q.get()
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            stop.set()


class _Cache(Dataset):
    def __init__(self, ds: Dataset) -> None:
        self._ds, self._spec = ds, ds._spec

    def _inputs(self) -> list:
        return [self._ds]

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        key = (id(self), "cache")
        done = ctx.state.get(key)
        if done is not None:
            yield from done
            return
        items = []
        for e in self._ds._iterate(ctx):
            items.append(e)
            yield e
        ctx.state[key] = items


class _Interleave(Dataset):
    """flat_map / interleave: the function is traced once over placeholders (the datasets it
    builds capture tensors computed from them, evaluated per element); over string elements,
    or when it cannot be traced, it is called per element with host values."""

    def __init__(self, ds: Dataset, fn: Callable, cycle: int, block: int) -> None:
        self._ds, self._fn = ds, fn
        self._cycle, self._block = int(cycle), int(block)
        flat = nest.flatten(ds._spec)
        self._inputs_ph = None
        if not any(s.is_string for s in flat):
            phs = [placeholder(s.dtype, None if s.shape.unknown_rank else s.shape) for s in flat]
            try:
                traced = _call(fn, nest.pack(ds._spec, phs))
            except Exception:  # noqa: BLE001
                traced = None  # uses host values (e.g. int(n)): call per element instead
            if isinstance(traced, Dataset):
                self._inputs_ph, self._traced = phs, traced
                self._spec = traced._spec
                return
        # probe with a placeholder-free host element to learn the element spec
        probe = nest.pack(ds._spec, [_probe(s) for s in flat])
        self._spec = self._make(probe)._spec

    def _inputs(self) -> list:
        return [self._ds]

    def _make(self, element: Any) -> Dataset:
        out = _call(self._fn, element)
        if not isinstance(out, Dataset):
            raise TypeError(
                f"Dataset.flat_map/interleave: the function must return a Dataset, got "
                f"{type(out).__name__}"
            )
        return out

    def _open(self, ctx: _Context, element: Any) -> Iterator[Any]:
        feeds = dict(ctx.feed_dict)
        if self._inputs_ph is not None:
            sub = self._traced
            for ph, v in zip(self._inputs_ph, nest.flatten(element), strict=True):
                feeds[ph] = v
        else:
            sub = self._make(element)
        sub_ctx = _Context(ctx.session, feeds)
        _evaluate_captures(sub, sub_ctx)
        return sub._iterate(sub_ctx)

    def _iterate(self, ctx: _Context) -> Iterator[Any]:
        src = self._ds._iterate(ctx)
        active: list = []
        exhausted = False
        while True:
            while not exhausted and len(active) < self._cycle:
                e = next(src, _END)
                if e is _END:
                    exhausted = True
                    break
                active.append(self._open(ctx, e))
            if not active:
                return
            k = 0
            while k < len(active):
                got = list(itertools.islice(active[k], self._block))
                yield from got
                if len(got) < self._block:
                    active.pop(k)
                    # refill this slot and read it at once, as TF's cycle does
                    if not exhausted:
                        e = next(src, _END)
                        if e is _END:
                            exhausted = True
                        else:
                            active.insert(k, self._open(ctx, e))
                    continue
                k += 1


def _probe(s: TensorSpec) -> np.ndarray:
    shape = () if s.shape.unknown_rank else tuple(0 if d is None else d for d in s.shape)
    if s.is_string:
        return np.full(shape, b"", dtype=object)
    return np.zeros(shape, s.dtype.np_dtype)


def _evaluate_captures(ds: Dataset, ctx: _Context) -> None:
    caps = ds._captures()
    if caps:
        vals = ctx.session.run(caps, ctx.feed_dict or None)
        for t, v in zip(caps, vals, strict=True):
            ctx.values[id(t)] = v
