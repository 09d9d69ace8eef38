"""TFRecord files: TF's record framing with masked CRC32C, written and read compatibly.

A record is: length (uint64, little-endian), masked CRC32C of those 8 bytes (uint32), the
data, masked CRC32C of the data (uint32). Both checksums are verified on read; a corrupt or
truncated record raises `tf.errors.DataLossError` naming the file and the record's offset.
CRC32C runs as a numba kernel (table-driven, eight bytes per step).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numba
import numpy as np

from .. import errors

_POLY = 0x82F63B78


def _tables() -> np.ndarray:
    t = np.zeros((8, 256), np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t[0, i] = c
    for k in range(1, 8):
        for i in range(256):
            t[k, i] = (t[k - 1, i] >> 8) ^ t[0, t[k - 1, i] & 0xFF]
    return t


_T = _tables()


@numba.njit(cache=False, nogil=True)
def _crc32c_kernel(data: np.ndarray, t: np.ndarray) -> np.uint32:
    crc = np.uint32(0xFFFFFFFF)
    n = data.shape[0]
    i = 0
    # slicing by 8: one table lookup per byte, eight independent lookups per step
    while i + 8 <= n:
        lo = crc ^ (
            np.uint32(data[i])
            | (np.uint32(data[i + 1]) << 8)
            | (np.uint32(data[i + 2]) << 16)
            | (np.uint32(data[i + 3]) << 24)
        )
        crc = (
            t[7, lo & 0xFF]
            ^ t[6, (lo >> 8) & 0xFF]
            ^ t[5, (lo >> 16) & 0xFF]
            ^ t[4, lo >> 24]
            ^ t[3, data[i + 4]]
            ^ t[2, data[i + 5]]
            ^ t[1, data[i + 6]]
            ^ t[0, data[i + 7]]
        )
        i += 8
    while i < n:
        crc = t[0, (crc ^ data[i]) & 0xFF] ^ (crc >> 8)
        i += 1
    return crc ^ np.uint32(0xFFFFFFFF)


def crc32c(data: bytes | np.ndarray) -> int:
    """The CRC32C (Castagnoli) checksum of `data`."""
    arr = np.frombuffer(data, np.uint8) if not isinstance(data, np.ndarray) else data
    return int(_crc32c_kernel(arr, _T))


def masked_crc32c(data: bytes | np.ndarray) -> int:
    """TFRecord's masked CRC32C: the CRC rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class TFRecordOptions:
    """Record file options: only uncompressed files are supported."""

    def __init__(self, compression_type: Any = None, **kwargs: Any) -> None:
        _check_compression(compression_type, "TFRecordOptions")
        self.compression_type = compression_type


class TFRecordCompressionType:
    """The compression kinds (only NONE is supported)."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


def _check_compression(kind: Any, what: str) -> None:
    if isinstance(kind, TFRecordOptions):
        kind = kind.compression_type
    if kind not in (None, "", 0, "NONE"):
        raise NotImplementedError(
            f"{what}: compression {kind!r} is not supported; write and read uncompressed TFRecord "
            "files (compression_type=None)"
        )


class TFRecordWriter:
    """Writes records to a TFRecord file (`tf.python_io.TFRecordWriter` / `tf.io`)."""

    def __init__(self, path: str, options: Any = None) -> None:
        _check_compression(options, "TFRecordWriter")
        self._path = os.fspath(path)
        self._f = open(self._path, "wb")  # noqa: SIM115 - closed by close()

    def write(self, record: bytes) -> None:
        """Append one record (bytes)."""
        if self._f is None:
            raise ValueError(f"TFRecordWriter: {self._path} is closed")
        if isinstance(record, str):
            record = record.encode()
        if not isinstance(record, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"TFRecordWriter.write: a record is bytes (e.g. example.SerializeToString()), "
                f"got {type(record).__name__}"
            )
        data = bytes(record)
        header = np.uint64(len(data)).tobytes()
        self._f.write(header)
        self._f.write(np.uint32(masked_crc32c(header)).tobytes())
        self._f.write(data)
        self._f.write(np.uint32(masked_crc32c(data)).tobytes())

    def flush(self) -> None:
        """Flush written records to the file."""
        if self._f is not None:
            self._f.flush()

    def close(self) -> None:
        """Flush and close the file."""
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self) -> TFRecordWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _loss(path: str, offset: int, what: str) -> errors.DataLossError:
    return errors.DataLossError(
        None, None, f"corrupted record at offset {offset} in TFRecord file {path!r}: {what}"
    )


def read_records(path: str, verify: bool = True) -> Iterator[bytes]:
    """The records of a TFRecord file, checksums verified (DataLossError on corruption)."""
    path = os.fspath(path.decode() if isinstance(path, bytes) else path)
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"TFRecord file {path!r} not found") from None
    with f:
        buf = f.read()
    mv = memoryview(buf)
    arr = np.frombuffer(buf, np.uint8)
    pos, n = 0, len(buf)
    while pos < n:
        if n - pos < 12:
            raise _loss(path, pos, f"truncated header ({n - pos} of 12 bytes)")
        length = int(np.frombuffer(buf, np.uint64, 1, pos)[0])
        if verify:
            want = int(np.frombuffer(buf, np.uint32, 1, pos + 8)[0])
            if masked_crc32c(arr[pos : pos + 8]) != want:
                raise _loss(path, pos, "length checksum mismatch")
        start = pos + 12
        end = start + length
        if end + 4 > n:
            raise _loss(path, pos, f"truncated data ({n - start} bytes left, {length + 4} needed)")
        if verify:
            want = int(np.frombuffer(buf, np.uint32, 1, end)[0])
            if masked_crc32c(arr[start:end]) != want:
                raise _loss(path, pos, "data checksum mismatch")
        yield bytes(mv[start:end])
        pos = end + 4


def tf_record_iterator(path: str, options: Any = None) -> Iterator[bytes]:
    """`tf.python_io.tf_record_iterator`: the records of a file, one bytes object each."""
    _check_compression(options, "tf_record_iterator")
    return read_records(path)


def _dataset_base() -> type:
    from .dataset import Dataset

    return Dataset


class TFRecordDataset(_dataset_base()):
    """The records (scalar strings) of one or more TFRecord files, in order."""

    def __init__(
        self,
        filenames: Any,
        compression_type: Any = None,
        buffer_size: int | None = None,
        num_parallel_reads: int | None = None,
    ) -> None:
        from .spec import TensorSpec, tfd

        _check_compression(compression_type, "TFRecordDataset")
        if isinstance(filenames, (str, bytes, os.PathLike)):
            filenames = [filenames]
        names = []
        for f in filenames:
            if not isinstance(f, (str, bytes, os.PathLike)):
                raise TypeError(
                    "TFRecordDataset: filenames must be a path or a list of paths, got "
                    f"{type(f).__name__}"
                )
            names.append(os.fspath(f.decode() if isinstance(f, bytes) else f))
        self._files = names
        self._spec = TensorSpec((), tfd.string)

    def _iterate(self, ctx: Any) -> Iterator[np.ndarray]:
        for name in self._files:
            for rec in read_records(name):
                out = np.empty((), dtype=object)
                out[()] = rec
                yield out
