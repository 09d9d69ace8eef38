"""TF1 readers over a queue of file names: `tf.TextLineReader`, `tf.TFRecordReader`,
`tf.WholeFileReader` (`.read(queue)` gives one (key, value) record per run, taking the next file
name from the queue when a file is used up); `tf.decode_csv` and `tf.read_file` on the host
strings they give."""

from __future__ import annotations

import csv
import os
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import errors
from .convert import constant
from .data.parsing import HostValue, _record
from .data.spec import TensorSpec
from .data.tfrecord import read_records
from .dtypes import DType
from .dtypes import float32 as _f32
from .dtypes import float64 as _f64
from .dtypes import int32 as _i32
from .dtypes import int64 as _i64
from .dtypes import string as _string
from .host_source import Source, is_string
from .shapes import TensorShape
from .tensor import Tensor


class _ReaderState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: Iterator | None = None
        self.produced = 0
        self.completed = 0


class ReaderBase:
    """Reads records from the files named by a queue of strings."""

    _type = "ReaderBase"

    def __init__(self, name: str | None = None) -> None:
        self._name = name or self._type
        self._states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _records(self, filename: str) -> Iterator[tuple[bytes, bytes]]:
        raise NotImplementedError

    def _state(self, session: Any) -> _ReaderState:
        with self._lock:
            st = self._states.get(session)
            if st is None:
                st = self._states[session] = _ReaderState()
            return st

    def _next(self, session: Any, queue: Any) -> list:
        st = self._state(session)
        with st.lock:
            while True:
                if st.records is None:
                    name = queue._get(session, 1, False)[0][0]
                    path = name.decode() if isinstance(name, bytes) else str(name)
                    st.records = self._records(path)
                rec = next(st.records, None)
                if rec is not None:
                    st.produced += 1
                    return [rec[0], rec[1]]
                st.records = None
                st.completed += 1

    def read(self, queue: Any, name: str | None = None) -> tuple:
        """(key, value): one record per run, as host strings (parse or decode the value)."""
        if not any(is_string(d) for d in getattr(queue, "dtypes", [None])[:1]):
            raise TypeError(f"{self._type}.read: pass a queue of file names (tf.string)")
        spec = [(_string, []), (_string, [])]
        src = Source(lambda s: self._next(s, queue), spec, name or f"{self._name}_Read")
        key, value = src.components
        return key, value

    def num_records_produced(self, name: str | None = None) -> Tensor:
        """How many records this reader gave (int64 scalar) when run."""
        src = Source(lambda s: [np.int64(self._state(s).produced)], [(_i64, [])], "Produced")
        return src.components[0]

    def num_work_units_completed(self, name: str | None = None) -> Tensor:
        """How many files this reader finished (int64 scalar) when run."""
        src = Source(lambda s: [np.int64(self._state(s).completed)], [(_i64, [])], "Done")
        return src.components[0]

    @property
    def supports_serialize(self) -> bool:
        """False: reader state is not saved."""
        return False


def _open(path: str, op: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{op}: {path}; No such file or directory") from None


class TextLineReader(ReaderBase):
    """Records are the lines of text files (without the newline); key "file:line"."""

    _type = "TextLineReader"

    def __init__(self, skip_header_lines: int | None = None, name: str | None = None) -> None:
        super().__init__(name)
        self._skip = int(skip_header_lines or 0)

    def _records(self, filename: str) -> Iterator[tuple[bytes, bytes]]:
        data = _open(filename, self._type)
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for i, line in enumerate(lines):
            if i >= self._skip:
                yield f"{filename}:{i + 1}".encode(), line.rstrip(b"\r")


class TFRecordReader(ReaderBase):
    """Records of TFRecord files; key "file:offset"."""

    _type = "TFRecordReader"

    def __init__(self, name: str | None = None, options: Any = None) -> None:
        super().__init__(name)
        if options is not None and getattr(options, "compression_type", None) not in (None, "", 0):
            raise NotImplementedError(
                "TFRecordReader: compressed TFRecord files are not supported; write them "
                "uncompressed"
            )

    def _records(self, filename: str) -> Iterator[tuple[bytes, bytes]]:
        offset = 0
        for rec in read_records(filename):
            yield f"{filename}:{offset}".encode(), rec
            offset += len(rec) + 16


class WholeFileReader(ReaderBase):
    """One record per file: key the file name, value its whole contents."""

    _type = "WholeFileReader"

    def _records(self, filename: str) -> Iterator[tuple[bytes, bytes]]:
        yield filename.encode(), _open(filename, self._type)


def read_file(filename: Any, name: str | None = None) -> Any:
    """The bytes of a file (a host string)."""
    if isinstance(filename, HostValue):
        out = HostValue(TensorSpec(TensorShape([]), _string), "read_file")
        _record(lambda f: [_open(_text(f), "read_file")], [filename], [out])
        return out
    if isinstance(filename, Tensor):
        raise TypeError("read_file: file names are host strings here; pass a str")
    return _open(os.fspath(_text(filename)), "read_file")


def _text(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


# ---- decode_csv ----------------------------------------------------------------------------------


def _column_kinds(record_defaults: Any) -> list:
    kinds = []
    for k, d in enumerate(record_defaults):
        if is_string(d) or isinstance(d, DType):
            kinds.append((d if is_string(d) else d, None))
            continue
        vals = list(np.asarray(d, dtype=object).reshape(-1)) if not isinstance(d, str) else [d]
        if len(vals) > 1:
            raise ValueError(f"decode_csv: record_defaults[{k}] must hold at most one value")
        if not vals:
            kinds.append((_f32, None))
            continue
        v = vals[0]
        if isinstance(v, (str, bytes)):
            kinds.append((_string, v.encode() if isinstance(v, str) else v))
        elif isinstance(v, (bool, np.bool_)):
            raise TypeError(f"decode_csv: record_defaults[{k}]: bool columns are not supported")
        elif isinstance(v, (int, np.integer)):
            dt = _i64 if isinstance(v, np.int64) else _i32
            kinds.append((dt, v))
        else:
            dt = _f64 if isinstance(v, np.float64) else _f32
            kinds.append((dt, v))
    return kinds


def _parse_field(text: str, kind: Any, default: Any, col: int, record: bytes) -> Any:
    if text == "":
        if default is None:
            raise errors.InvalidArgumentError(
                None, None, f"decode_csv: Field {col} is required but missing in record {record!r}"
            )
        return default if is_string(kind) else np.asarray(default, kind.np_dtype)
    if is_string(kind):
        return text.encode()
    try:
        if kind.np_dtype.kind in "iu":
            return np.asarray(int(text), kind.np_dtype)
        return np.asarray(float(text), kind.np_dtype)
    except (ValueError, OverflowError):
        raise errors.InvalidArgumentError(
            None, None, f"decode_csv: Field {col} in record {record!r} is not a valid "
            f"{kind.name}: {text!r}",
        ) from None  # fmt: skip


def _decode_one(record: bytes, kinds: list, delim: str, quotes: bool, na: str, cols: Any) -> list:
    text = record.decode() if isinstance(record, bytes) else str(record)
    if quotes:
        fields = next(csv.reader([text], delimiter=delim, quotechar='"'), [""])
    else:
        fields = text.split(delim)
    if cols is not None:
        fields = [fields[c] if c < len(fields) else "" for c in cols]
    if len(fields) != len(kinds):
        raise errors.InvalidArgumentError(
            None, None,
            f"decode_csv: Expect {len(kinds)} fields but have {len(fields)} in record {record!r}",
        )  # fmt: skip
    out = []
    for c, (f, (kind, default)) in enumerate(zip(fields, kinds, strict=True)):
        out.append(_parse_field("" if f == na and na else f, kind, default, c, record))
    return out


def decode_csv(
    records: Any, record_defaults: Any, field_delim: str = ",", use_quote_delim: bool = True,
    name: str | None = None, na_value: str = "", select_cols: Any = None,
) -> list:  # fmt: skip
    """Split CSV records into columns typed by `record_defaults` (a one-value list gives the
    column's dtype and default; an empty list or a dtype makes the column required)."""
    if len(field_delim) != 1:
        raise ValueError(f"decode_csv: field_delim must be one character, got {field_delim!r}")
    kinds = _column_kinds(record_defaults)
    cols = None if select_cols is None else [int(c) for c in select_cols]
    if cols is not None and (cols != sorted(set(cols)) or len(cols) != len(kinds)):
        raise ValueError(
            f"decode_csv: select_cols {select_cols} must be increasing and give one column per "
            f"record_defaults entry ({len(kinds)})"
        )
    if isinstance(records, Tensor):
        raise TypeError("decode_csv: records are host strings here (from a reader or a list)")
    if isinstance(records, HostValue):
        outs: list = []
        for kind, _ in kinds:
            if is_string(kind):
                outs.append(HostValue(TensorSpec(records.shape, _string), "decode_csv"))
            else:
                from .array_ops import placeholder

                outs.append(placeholder(kind, records.shape, name=name or "DecodeCSV"))
        _record(
            lambda r: _decode_many(r, kinds, field_delim, use_quote_delim, na_value, cols),
            [records], outs,
        )  # fmt: skip
        return outs
    cols_out = _decode_many(records, kinds, field_delim, use_quote_delim, na_value, cols)
    return [c if is_string(k) else constant(c) for c, (k, _) in zip(cols_out, kinds, strict=True)]


def _decode_many(records: Any, kinds: list, delim: str, quotes: bool, na: str, cols: Any) -> list:
    if isinstance(records, (bytes, str)):
        return _decode_one(records, kinds, delim, quotes, na, cols)
    arr = np.asarray(records, dtype=object)
    rows = [_decode_one(r, kinds, delim, quotes, na, cols) for r in arr.reshape(-1)]
    out = []
    for c, (kind, _) in enumerate(kinds):
        vals = [row[c] for row in rows]
        if is_string(kind):
            col = np.empty(len(vals), object)
            col[:] = vals
        else:
            col = np.array(vals, kind.np_dtype)
        out.append(col.reshape(arr.shape))
    return out
