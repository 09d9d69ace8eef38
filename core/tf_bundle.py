"""Reading TensorFlow's checkpoints (``tf.train.Saver`` V2: ``<prefix>.index`` + ``.data-*``).

No library reads this format without TensorFlow itself, so this module parses it; it needs only
numpy. The format, as TensorFlow writes it (tensorflow/core/util/tensor_bundle):

- ``<prefix>.index`` is a LevelDB-style sorted string table (SSTable), written uncompressed.
  Its last 48 bytes are the *footer*: two block handles (metaindex, index), each a pair of
  varint64s (offset, size), zero-padded to 40 bytes, then the 8-byte magic number
  0xdb4775248b80fb57 (little-endian). Every block is followed by a 5-byte trailer (1 byte
  compression type, 0 = none; 4 bytes masked CRC32C).
- A block is a run of entries ``varint32 shared, varint32 unshared, varint32 value_len,
  key[shared:] bytes, value bytes`` (keys are prefix-compressed against the previous key), then
  ``uint32 restart offsets`` and a ``uint32`` count of them. The index block maps the last key
  of each data block to that block's handle.
- In the data blocks the empty key holds a ``BundleHeaderProto`` (number of shards, endianness)
  and every other key is a tensor's name holding a ``BundleEntryProto``: field 1 dtype (enum),
  2 shape (``TensorShapeProto``: repeated field 2 ``dim`` with field 1 ``size``), 3 shard_id,
  4 offset, 5 size, 6 crc32c, 7 slices (partitioned variables; not supported here).
- ``<prefix>.data-<shard>-of-<n>`` holds the raw little-endian bytes of each tensor in C order
  at (offset, size) of its shard.
"""

from __future__ import annotations

import os
import struct

import numpy as np

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
# TensorFlow's DataType enum values for the numeric types numpy holds as-is.
_DTYPES = {
    1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
    9: np.int64, 10: np.bool_, 17: np.uint16, 19: np.float16, 22: np.uint32, 23: np.uint64,
}  # fmt: skip


class BundleError(ValueError):
    """A file that is not a readable TensorFlow V2 checkpoint."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise BundleError("truncated varint in a TensorFlow checkpoint index")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """A protobuf message's (field number, value) pairs: varints as ints, the rest as bytes."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
        elif wire == 1:
            val, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            val, pos = buf[pos : pos + n], pos + n
        elif wire == 5:
            val, pos = buf[pos : pos + 4], pos + 4
        else:
            raise BundleError(f"unsupported protobuf wire type {wire} in a checkpoint entry")
        out.append((num, val))
    return out


def _block(data: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    if data[offset + size] != 0:
        raise BundleError("compressed SSTable blocks are not supported (TF writes them raw)")
    blk = data[offset : offset + size]
    (n_restarts,) = struct.unpack_from("<I", blk, len(blk) - 4)
    end = len(blk) - 4 - 4 * n_restarts
    items, pos, key = [], 0, b""
    while pos < end:
        shared, pos = _varint(blk, pos)
        unshared, pos = _varint(blk, pos)
        vlen, pos = _varint(blk, pos)
        key = key[:shared] + blk[pos : pos + unshared]
        pos += unshared
        items.append((key, blk[pos : pos + vlen]))
        pos += vlen
    return items


def _handle(buf: bytes, pos: int = 0) -> tuple[int, int, int]:
    off, pos = _varint(buf, pos)
    size, pos = _varint(buf, pos)
    return off, size, pos


def _read_index(path: str) -> dict[str, list]:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < _FOOTER or struct.unpack_from("<Q", data, len(data) - 8)[0] != _MAGIC:
        raise BundleError(f"{path!r} is not a TensorFlow checkpoint index (bad magic number)")
    footer = data[-_FOOTER:]
    _, _, pos = _handle(footer)
    ioff, isize, _ = _handle(footer, pos)
    entries = {}
    for _, handle in _block(data, ioff, isize):
        off, size, _ = _handle(handle)
        for key, value in _block(data, off, size):
            if key:
                entries[key.decode("utf-8")] = _fields(value)
    return entries


class CheckpointReader:
    """The tensors of a TF V2 checkpoint by name, as ``tf.train.load_checkpoint`` gives them."""

    def __init__(self, prefix: str | os.PathLike) -> None:
        self.prefix = os.fspath(prefix)
        index = self.prefix + ".index"
        if not os.path.exists(index):
            raise FileNotFoundError(
                f"load_checkpoint: no TensorFlow checkpoint at {self.prefix!r} (no {index}); "
                "pass the prefix, e.g. 'dir/model.ckpt-100'"
            )
        self._entries = {}
        self._nshards = 1
        for name, fields in _read_index(index).items():
            f = dict((k, v) for k, v in fields if k != 2)
            dims = [dict(_fields(d)).get(1, 0) for k, d in fields if k == 2 for n, d in
                    _fields(d) if n == 2]  # fmt: skip
            if any(k == 7 for k, _ in fields):
                raise BundleError(f"'{name}' is a partitioned variable (slices are unsupported)")
            self._entries[name] = (f.get(1, 0), tuple(dims), f.get(3, 0), f.get(4, 0),
                                   f.get(5, 0))  # fmt: skip
        shards = [e[2] for e in self._entries.values()]
        self._nshards = self._count_shards(max(shards, default=0) + 1)

    def _count_shards(self, at_least: int) -> int:
        folder = os.path.dirname(os.path.abspath(self.prefix)) or "."
        base = os.path.basename(self.prefix) + ".data-"
        for name in os.listdir(folder):
            if name.startswith(base) and "-of-" in name:
                return int(name.rsplit("-of-", 1)[1])
        raise FileNotFoundError(f"load_checkpoint: no data file {self.prefix}.data-*-of-*")

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        """Each tensor's name and shape."""
        return {n: list(e[1]) for n, e in self._entries.items()}

    def get_variable_to_dtype_map(self) -> dict[str, np.dtype]:
        """Each tensor's name and numpy dtype (None for types numpy can't hold, e.g. strings)."""
        return {n: (np.dtype(_DTYPES[e[0]]) if e[0] in _DTYPES else None)
                for n, e in self._entries.items()}  # fmt: skip

    def has_tensor(self, name: str) -> bool:
        """True when the checkpoint holds `name`."""
        return name in self._entries

    def get_tensor(self, name: str) -> np.ndarray:
        """The tensor `name` as a fresh array."""
        if name not in self._entries:
            raise KeyError(
                f"get_tensor: '{name}' not found in checkpoint {self.prefix} (it holds "
                f"{sorted(self._entries)})"
            )
        dtype, shape, shard, offset, size = self._entries[name]
        if dtype not in _DTYPES:
            raise BundleError(f"get_tensor: '{name}' has TF dtype enum {dtype}, not supported")
        path = f"{self.prefix}.data-{shard:05d}-of-{self._nshards:05d}"
        with open(path, "rb") as f:
            f.seek(offset)
            raw = f.read(size)
        dt = np.dtype(_DTYPES[dtype]).newbyteorder("<")
        if len(raw) != size or size != dt.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise BundleError(f"get_tensor: '{name}' is truncated or misshapen in {path}")
        return np.frombuffer(raw, dtype=dt).astype(dt.newbyteorder("="), copy=True).reshape(shape)


def is_tf_checkpoint(prefix: str | os.PathLike) -> bool:
    """True when `prefix` names a TF V2 checkpoint (its .index file exists)."""
    return os.path.exists(os.fspath(prefix) + ".index")
