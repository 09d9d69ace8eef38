"""`tf.train.Example` and its parts, with the protobuf wire encoding TF uses.

Example{1: Features}; Features{1: repeated map entry {1: key, 2: Feature}}; Feature is one of
{1: BytesList, 2: FloatList, 3: Int64List}, each {1: repeated value} (numbers packed). The
decoder also accepts unpacked numbers, as any protobuf reader must.
"""

from __future__ import annotations

from typing import Any

import numpy as np


# ---- wire primitives -----------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _len_field(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(field, wire type, value) of a message: bytes for LEN, int for VARINT/FIXED."""
    out = []
    pos, n = 0, len(buf)
    while pos < n:
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = _read_varint(buf, pos)
        elif wire == 2:
            ln, pos = _read_varint(buf, pos)
            if pos + ln > n:
                raise ValueError("truncated length-delimited field")
            v = buf[pos : pos + ln]
            pos += ln
        elif wire == 5:
            v = buf[pos : pos + 4]
            pos += 4
        elif wire == 1:
            v = buf[pos : pos + 8]
            pos += 8
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((field, wire, v))
    return out


# ---- messages ------------------------------------------------------------------------------------
class _Message:
    """Shared protobuf-style methods: SerializeToString, FromString, ParseFromString."""

    def SerializeToString(self, deterministic: bool = True) -> bytes:  # noqa: N802 - protobuf API
        """The wire encoding."""
        return self._encode()

    @classmethod
    def FromString(cls, data: bytes) -> Any:  # noqa: N802 - protobuf API
        """A message decoded from its wire encoding."""
        msg = cls()
        msg.ParseFromString(data)
        return msg

    def ParseFromString(self, data: bytes) -> None:  # noqa: N802 - protobuf API
        """Replace this message's contents by the decoding of `data`."""
        try:
            self._decode(bytes(data))
        except (ValueError, IndexError) as e:
            raise ValueError(
                f"{type(self).__name__}.ParseFromString: malformed data ({e})"
            ) from None

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and self._encode() == other._encode()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"


class BytesList(_Message):
    """A list of byte strings."""

    def __init__(self, value: Any = ()) -> None:
        self.value = [v.encode() if isinstance(v, str) else bytes(v) for v in value]

    def _encode(self) -> bytes:
        return b"".join(_len_field(1, v) for v in self.value)

    def _decode(self, buf: bytes) -> None:
        self.value = [bytes(v) for f, w, v in _fields(buf) if f == 1 and w == 2]

    def _describe(self) -> str:
        return f"value={self.value!r}"


class FloatList(_Message):
    """A list of float32 values."""

    def __init__(self, value: Any = ()) -> None:
        self.value = [float(v) for v in np.asarray(value, np.float32).reshape(-1)]

    def _encode(self) -> bytes:
        if not self.value:
            return b""
        return _len_field(1, np.asarray(self.value, "<f4").tobytes())

    def _decode(self, buf: bytes) -> None:
        self.value = self._array(buf).tolist()

    @staticmethod
    def _array(buf: bytes) -> np.ndarray:
        parts = []
        for f, w, v in _fields(buf):
            if f != 1:
                continue
            parts.append(np.frombuffer(v, "<f4") if w in (2, 5) else np.zeros(0, "<f4"))
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)

    def _describe(self) -> str:
        return f"value={self.value}"


class Int64List(_Message):
    """A list of int64 values."""

    def __init__(self, value: Any = ()) -> None:
        self.value = [int(v) for v in np.asarray(value, np.int64).reshape(-1)]

    def _encode(self) -> bytes:
        if not self.value:
            return b""
        return _len_field(1, b"".join(_varint(v) for v in self.value))

    def _decode(self, buf: bytes) -> None:
        self.value = self._array(buf).tolist()

    @staticmethod
    def _array(buf: bytes) -> np.ndarray:
        vals: list = []
        for f, w, v in _fields(buf):
            if f != 1:
                continue
            if w == 2:
                pos = 0
                while pos < len(v):
                    x, pos = _read_varint(v, pos)
                    vals.append(x)
            elif w == 0:
                vals.append(v)
        return np.asarray(vals, np.uint64).view(np.int64) if vals else np.zeros(0, np.int64)

    def _describe(self) -> str:
        return f"value={self.value}"


class Feature(_Message):
    """One feature: a bytes_list, float_list or int64_list."""

    def __init__(
        self,
        bytes_list: BytesList | None = None,
        float_list: FloatList | None = None,
        int64_list: Int64List | None = None,
    ) -> None:
        given = [x for x in (bytes_list, float_list, int64_list) if x is not None]
        if len(given) > 1:
            raise ValueError("Feature: give only one of bytes_list, float_list, int64_list")
        self.bytes_list = bytes_list or BytesList()
        self.float_list = float_list or FloatList()
        self.int64_list = int64_list or Int64List()
        self._kind = (
            "bytes_list"
            if bytes_list is not None
            else "float_list"
            if float_list is not None
            else "int64_list"
            if int64_list is not None
            else None
        )
        self._raw = None  # the undecoded list payload (fast parsing)

    def WhichOneof(self, name: str) -> str | None:  # noqa: N802 - protobuf API
        """Which list is set ("kind")."""
        return self._kind

    def _encode(self) -> bytes:
        if self._kind is None:
            return b""
        field = {"bytes_list": 1, "float_list": 2, "int64_list": 3}[self._kind]
        return _len_field(field, getattr(self, self._kind)._encode())

    def _decode(self, buf: bytes) -> None:
        self.__init__()
        for f, w, v in _fields(buf):
            if w != 2 or f not in (1, 2, 3):
                continue
            self._kind = ("bytes_list", "float_list", "int64_list")[f - 1]
            getattr(self, self._kind)._decode(v)

    def _describe(self) -> str:
        return "" if self._kind is None else f"{self._kind}={getattr(self, self._kind)!r}"


class Features(_Message):
    """A map from feature names to Features."""

    def __init__(self, feature: dict | None = None) -> None:
        self.feature = dict(feature or {})

    def _encode(self) -> bytes:
        out = []
        for k in sorted(self.feature):
            entry = _len_field(1, k.encode()) + _len_field(2, self.feature[k]._encode())
            out.append(_len_field(1, entry))
        return b"".join(out)

    def _decode(self, buf: bytes) -> None:
        self.feature = {}
        for f, w, v in _fields(buf):
            if f != 1 or w != 2:
                continue
            key, val = "", b""
            for ef, _ew, ev in _fields(v):
                if ef == 1:
                    key = bytes(ev).decode()
                elif ef == 2:
                    val = ev
            self.feature[key] = Feature.FromString(val)

    def _describe(self) -> str:
        return f"feature={self.feature!r}"


class Example(_Message):
    """A training example: named features."""

    def __init__(self, features: Features | None = None) -> None:
        self.features = features if features is not None else Features()

    def _encode(self) -> bytes:
        return _len_field(1, self.features._encode())

    def _decode(self, buf: bytes) -> None:
        self.features = Features()
        for f, w, v in _fields(buf):
            if f == 1 and w == 2:
                self.features._decode(v)

    def _describe(self) -> str:
        return f"features={self.features!r}"


def raw_features(buf: bytes) -> dict:
    """Feature name -> (kind 1/2/3, list payload) of a serialized Example, without building
    message objects (the fast path of parsing)."""
    out = {}
    for f, w, v in _fields(buf):
        if f != 1 or w != 2:
            continue
        for ef, ew, ev in _fields(v):
            if ef != 1 or ew != 2:
                continue
            key, val = None, b""
            for mf, _mw, mv in _fields(ev):
                if mf == 1:
                    key = bytes(mv).decode()
                elif mf == 2:
                    val = mv
            kind, payload = 0, b""
            for ff, fw, fv in _fields(val):
                if fw == 2 and ff in (1, 2, 3):
                    kind, payload = ff, fv
            out[key] = (kind, payload)
    return out


def list_values(kind: int, payload: bytes) -> Any:
    """A feature's values: a list of bytes, or a float32 / int64 array."""
    if kind == 1:
        return BytesList.FromString(payload).value
    if kind == 2:
        return FloatList._array(payload)
    if kind == 3:
        return Int64List._array(payload)
    return []
