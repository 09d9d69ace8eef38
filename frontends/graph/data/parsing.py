"""Example parsing (`tf.parse_single_example`, `tf.parse_example`, `tf.decode_raw`) and the
host stages that let a traced `Dataset.map` over string records use them.

Strings are not graph tensors here, so a map function over records is traced with a
`HostValue` for each string component; parsing or decoding one records a host stage whose
numeric results are placeholders, on which the rest of the function builds ordinary graph
ops. Per element, the stages run on the record's bytes and feed those placeholders. Given
plain bytes, the same functions parse at once and return numpy arrays.
"""

from __future__ import annotations

import collections
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import errors
from ..array_ops import placeholder
from ..shapes import TensorShape
from ..tensor import Tensor
from .example_proto import list_values, raw_features
from .spec import TensorSpec, tfd

FixedLenFeature = collections.namedtuple(
    "FixedLenFeature", ["shape", "dtype", "default_value"], defaults=[None]
)
VarLenFeature = collections.namedtuple("VarLenFeature", ["dtype"])
FixedLenSequenceFeature = collections.namedtuple(
    "FixedLenSequenceFeature",
    ["shape", "dtype", "allow_missing", "default_value"],
    defaults=[False, None],
)
SparseTensorValue = collections.namedtuple(
    "SparseTensorValue", ["indices", "values", "dense_shape"]
)


class HostValue:
    """A string component inside a traced map function: a value known only per element."""

    def __init__(self, spec: TensorSpec, name: str = "record") -> None:
        self.spec = spec
        self.name = name

    @property
    def dtype(self) -> Any:
        return self.spec.dtype

    @property
    def shape(self) -> TensorShape:
        return self.spec.shape

    def __repr__(self) -> str:
        return f"<host string {self.name} shape={self.spec.shape}>"


class _Stage:
    def __init__(self, fn: Callable, inputs: list, outputs: list) -> None:
        self.fn, self.inputs, self.outputs = fn, inputs, outputs


_tracing = threading.local()


class Tracer:
    """Collects the host stages recorded while a map function is traced."""

    def __init__(self) -> None:
        self.stages: list[_Stage] = []

    def __enter__(self) -> Tracer:
        self._prev = getattr(_tracing, "current", None)
        _tracing.current = self
        return self

    def __exit__(self, *exc: Any) -> None:
        _tracing.current = self._prev

    def add(self, stage: _Stage) -> None:
        """Record one host stage (a queue-pipeline source also registers its outputs)."""
        self.stages.append(stage)

    def run(self, env: dict, feeds: dict) -> None:
        """Run the stages on the element's host values (`env`, by id); fill `feeds`."""
        for st in self.stages:
            vals = st.fn(*[env[id(x)] for x in st.inputs])
            for sym, v in zip(st.outputs, vals, strict=True):
                if isinstance(sym, HostValue):
                    env[id(sym)] = v
                else:
                    feeds[sym] = v


def _record(fn: Callable, inputs: list, outputs: list) -> None:
    tracer = getattr(_tracing, "current", None)
    if tracer is None:
        # a string read from a queue or reader carries the tracer of its source (queues.py)
        tracer = next((x.tracer for x in inputs if getattr(x, "tracer", None)), None)
    if tracer is None:
        raise TypeError(
            "a host string value was used outside the Dataset.map that traced it; parse and "
            "decode records inside the map function"
        )
    tracer.add(_Stage(fn, inputs, outputs))


def _kind(dtype: Any, key: str, op: str) -> int:
    if dtype is tfd.string or dtype == "string":
        return 1
    dt = tfd.as_dtype(dtype)
    if dt == tfd.float32:
        return 2
    if dt == tfd.int64:
        return 3
    raise TypeError(
        f"{op}: feature {key!r} has dtype {dt.name}; use tf.float32, tf.int64 or tf.string"
    )


def _np(kind: int) -> Any:
    return {1: object, 2: np.float32, 3: np.int64}[kind]


def _check_features(features: Any, op: str) -> dict:
    if not isinstance(features, dict) or not features:
        raise TypeError(f"{op}: features must be a non-empty dict of name -> feature spec")
    for k, f in features.items():
        if not isinstance(f, (FixedLenFeature, VarLenFeature, FixedLenSequenceFeature)):
            raise TypeError(
                f"{op}: feature {k!r} must be a FixedLenFeature, VarLenFeature or "
                f"FixedLenSequenceFeature, got {type(f).__name__}"
            )
        _kind(f.dtype, k, op)
    return features


def _as_array(vals: Any, kind: int) -> np.ndarray:
    if kind == 1:
        out = np.empty(len(vals), dtype=object)
        out[:] = vals
        return out
    return np.asarray(vals, _np(kind))


def _parse_one(record: bytes, features: dict, op: str) -> dict:
    try:
        raw = raw_features(record)
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        raise errors.InvalidArgumentError(
            None, None, f"{op}: could not parse the serialized Example ({e})"
        ) from None
    out = {}
    for key, f in features.items():
        kind = _kind(f.dtype, key, op)
        got = raw.get(key)
        if got is not None and got[0] not in (0, kind):
            names = {1: "bytes", 2: "float", 3: "int64"}
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{op}: feature {key!r} holds a {names[got[0]]} list but its spec asks for "
                f"dtype {getattr(f.dtype, 'name', f.dtype)}",
            )
        vals = _as_array(list_values(*got), kind) if got is not None else None
        if isinstance(f, VarLenFeature):
            vals = vals if vals is not None else _as_array([], kind)
            idx = np.arange(len(vals), dtype=np.int64).reshape(-1, 1)
            out[key] = SparseTensorValue(idx, vals, np.asarray([len(vals)], np.int64))
            continue
        shape = tuple(TensorShape(f.shape))
        if vals is None:
            if isinstance(f, FixedLenSequenceFeature) and f.allow_missing:
                out[key] = _as_array([], kind).reshape((0, *shape))
                continue
            if f.default_value is None:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{op}: feature {key!r} is required but missing from the Example (give a "
                    "default_value to make it optional)",
                )
            vals = np.broadcast_to(np.asarray(f.default_value, _np(kind)), shape)
            out[key] = np.array(vals)
            continue
        if isinstance(f, FixedLenSequenceFeature):
            step = math.prod(shape)
            if step and len(vals) % step:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{op}: feature {key!r} has {len(vals)} values, not a multiple of the "
                    f"element shape {shape}",
                )
            out[key] = vals.reshape((-1, *shape))
            continue
        if len(vals) != math.prod(shape):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{op}: feature {key!r} has {len(vals)} values but FixedLenFeature shape "
                f"{shape} needs {math.prod(shape)}",
            )
        out[key] = vals.reshape(shape)
    return out


def _symbols(features: dict, batched: bool) -> dict:
    lead = (None,) if batched else ()
    out = {}
    for key, f in features.items():
        kind = _kind(f.dtype, key, "parse")
        if isinstance(f, VarLenFeature):
            rank = 2 if batched else 1
            dtype = tfd.int64 if kind == 3 else tfd.float32
            values = (
                HostValue(TensorSpec([None], tfd.string), key)
                if kind == 1
                else placeholder(dtype, [None], name=f"{key}_values")
            )
            out[key] = SparseTensorValue(
                placeholder(tfd.int64, [None, rank], name=f"{key}_indices"),
                values,
                placeholder(tfd.int64, [rank], name=f"{key}_shape"),
            )
            continue
        shape = lead + tuple(TensorShape(f.shape))
        if isinstance(f, FixedLenSequenceFeature):
            shape = lead + (None,) + tuple(TensorShape(f.shape))
        if kind == 1:
            out[key] = HostValue(TensorSpec(shape, tfd.string), key)
        else:
            out[key] = placeholder(
                tfd.float32 if kind == 2 else tfd.int64, list(shape), name=f"parsed_{key}"
            )
    return out


def _flat_syms(syms: dict) -> list:
    out = []
    for k in syms:
        v = syms[k]
        out.extend(list(v) if isinstance(v, SparseTensorValue) else [v])
    return out


def _flat_vals(parsed: dict, syms: dict) -> list:
    out = []
    for k in syms:
        v = parsed[k]
        out.extend(list(v) if isinstance(v, SparseTensorValue) else [v])
    return out


def _record_bytes(x: Any, op: str) -> bytes:
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if isinstance(x, str):
        x = x.encode()
    if not isinstance(x, (bytes, bytearray, memoryview)):
        raise TypeError(f"{op}: serialized must be bytes (a record), got {type(x).__name__}")
    return bytes(x)


def parse_single_example(
    serialized: Any, features: dict, name: str | None = None, example_names: Any = None
) -> dict:
    """Parse one serialized `tf.train.Example` into a dict of feature values."""
    op = "parse_single_example"
    features = _check_features(features, op)
    if isinstance(serialized, Tensor):
        raise TypeError(
            f"{op}: records are parsed on the host: pass the bytes, or call it inside "
            "Dataset.map over a TFRecordDataset"
        )
    if isinstance(serialized, HostValue):
        syms = _symbols(features, batched=False)
        _record(
            lambda rec: _flat_vals(_parse_one(_record_bytes(rec, op), features, op), syms),
            [serialized],
            _flat_syms(syms),
        )
        return syms
    return _parse_one(_record_bytes(serialized, op), features, op)


def _parse_batch(records: Any, features: dict, op: str) -> dict:
    recs = [_record_bytes(r, op) for r in np.asarray(records, dtype=object).reshape(-1)]
    parsed = [_parse_one(r, features, op) for r in recs]
    out = {}
    for key, f in features.items():
        col = [p[key] for p in parsed]
        if isinstance(f, VarLenFeature):
            idx = [
                np.concatenate([np.full((len(c.values), 1), i, np.int64), c.indices], 1)
                for i, c in enumerate(col)
            ]
            width = max((len(c.values) for c in col), default=0)
            out[key] = SparseTensorValue(
                np.concatenate(idx) if idx else np.zeros((0, 2), np.int64),
                np.concatenate([c.values for c in col])
                if col
                else _as_array([], _kind(f.dtype, key, op)),
                np.asarray([len(col), width], np.int64),
            )
        elif isinstance(f, FixedLenSequenceFeature):
            longest = max((len(c) for c in col), default=0)
            pad = (
                f.default_value
                if f.default_value is not None
                else (b"" if col and col[0].dtype == object else 0)
            )
            shape = tuple(TensorShape(f.shape))
            kind = _kind(f.dtype, key, op)
            arr = np.full((len(col), longest, *shape), pad, dtype=_np(kind))
            for i, c in enumerate(col):
                arr[i, : len(c)] = c
            out[key] = arr
        else:
            out[key] = np.stack(col) if col else np.zeros((0, *tuple(TensorShape(f.shape))))
    return out


def parse_example(
    serialized: Any, features: dict, name: str | None = None, example_names: Any = None
) -> dict:
    """Parse a batch (vector) of serialized Examples; features gain a leading batch dim."""
    op = "parse_example"
    features = _check_features(features, op)
    if isinstance(serialized, Tensor):
        raise TypeError(
            f"{op}: records are parsed on the host: pass a list of bytes, or call it inside "
            "Dataset.map over batched TFRecordDataset records"
        )
    if isinstance(serialized, HostValue):
        syms = _symbols(features, batched=True)
        _record(
            lambda recs: _flat_vals(_parse_batch(recs, features, op), syms),
            [serialized],
            _flat_syms(syms),
        )
        return syms
    return _parse_batch(serialized, features, op)


_RAW = {
    "float32": ("<f4", np.float32),
    "float64": ("<f8", np.float64),
    "int32": ("<i4", np.int32),
    "int64": ("<i8", np.int64),
    "uint8": ("u1", np.uint8),
    # narrower types have no duograd dtype: they widen to int32 (as a tf.cast would next)
    "int8": ("i1", np.int32),
    "int16": ("<i2", np.int32),
    "uint16": ("<u2", np.int32),
}


def decode_raw(
    input_bytes: Any, out_type: Any, little_endian: bool = True, name: str | None = None
) -> Any:
    """Reinterpret bytes as a vector of `out_type` (int8/int16/uint16 widen to int32)."""
    op = "decode_raw"
    tname = getattr(out_type, "name", out_type)
    if isinstance(tname, type) or isinstance(tname, np.dtype):
        tname = np.dtype(tname).name
    if tname not in _RAW:
        raise TypeError(f"{op}: out_type {tname!r} is not supported; use one of {sorted(_RAW)}")
    wire, result = _RAW[tname]
    if not little_endian:
        wire = wire.replace("<", ">")

    def decode(x: Any) -> np.ndarray:
        if isinstance(x, np.ndarray) and x.dtype == object and x.ndim > 0:
            rows = [decode(r) for r in x.reshape(-1)]
            return np.stack(rows).reshape((*x.shape, -1)) if rows else np.zeros((0, 0), result)
        data = _record_bytes(x, op)
        size = np.dtype(wire).itemsize
        if len(data) % size:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{op}: input has {len(data)} bytes, not a multiple of {size} ({tname})",
            )
        return np.frombuffer(data, wire).astype(result)

    if isinstance(input_bytes, Tensor):
        raise TypeError(f"{op}: bytes are decoded on the host: call it inside Dataset.map")
    if isinstance(input_bytes, HostValue):
        rank = input_bytes.shape.ndims or 0
        out = placeholder(tfd.as_dtype(result), [None] * (rank + 1), name="decode_raw")
        _record(lambda v: [decode(v)], [input_bytes], [out])
        return out
    return decode(input_bytes)
