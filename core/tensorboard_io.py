"""TensorBoard event files through the `tensorboard` package's writer and protobufs (extra).

Both frontends build `Summary` protos here (scalars, histograms, PNG images, text) and write
them with tensorboard's own `EventFileWriter`, so TensorBoard and its `EventAccumulator` read the
files as they read TensorFlow's and PyTorch's. A serialized Summary is what a TF1 summary op
yields; concatenated serialized Summaries parse as one merged Summary (protobuf's rule for
repeated fields), which is how `merge` combines them.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from .extras import require


def _pb(name: str) -> Any:
    return require(f"tensorboard.compat.proto.{name}", "tensorboard", "TensorBoard logging")


def summary_pb2() -> Any:
    """tensorboard's Summary protobuf module."""
    return _pb("summary_pb2")


def scalar(tag: str, value: Any) -> bytes:
    """A serialized Summary with one scalar."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"summary.scalar '{tag}': expected one value, got shape {arr.shape}")
    s = summary_pb2().Summary(value=[{"tag": tag, "simple_value": float(arr.reshape(()))}])
    return s.SerializeToString()


def histogram(tag: str, values: Any, bins: int = 30) -> bytes:
    """A serialized Summary with a histogram of `values` (min, max, sum, buckets)."""
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.size == 0:
        raise ValueError(f"summary.histogram '{tag}': the values are empty")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"summary.histogram '{tag}': the values hold NaN or infinity")
    counts, edges = np.histogram(a, bins=bins)
    h = summary_pb2().HistogramProto(
        min=float(a.min()), max=float(a.max()), num=float(a.size), sum=float(a.sum()),
        sum_squares=float(np.dot(a, a)), bucket_limit=edges[1:].tolist(),
        bucket=counts.astype(np.float64).tolist(),
    )  # fmt: skip
    return summary_pb2().Summary(value=[{"tag": tag, "histo": h}]).SerializeToString()


def _png(img: np.ndarray) -> bytes:
    # PNG = signature + IHDR + one zlib IDAT of filter-0 scanlines + IEND (the image library
    # is the format's definition; writing it needs no dependency)
    h, w, c = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    color = {1: 0, 3: 2, 4: 6}[c]
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + (chunk(b"IEND", b""))
    )


def _to_uint8(img: np.ndarray, tag: str) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    a = np.asarray(img, dtype=np.float64)
    if a.dtype.kind == "f" and (a.size == 0 or a.max() <= 1.0) and a.min() >= 0.0:
        a = a * 255.0  # floats in [0, 1], as both anchors take them
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def images(tag: str, batch: Any, max_outputs: int = 3) -> bytes:
    """A serialized Summary of up to `max_outputs` PNG images from an NHWC batch."""
    a = np.asarray(batch)
    if a.ndim != 4 or a.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"summary.image '{tag}': expected a [batch, height, width, channels] tensor with 1, 3 "
            f"or 4 channels, got shape {a.shape}"
        )
    pb = summary_pb2()
    vals = []
    n = min(int(max_outputs), a.shape[0])
    for i in range(n):
        img = np.ascontiguousarray(_to_uint8(a[i], tag))
        name = f"{tag}/image" if n == 1 else f"{tag}/image/{i}"
        im = pb.Summary.Image(height=img.shape[0], width=img.shape[1], colorspace=img.shape[2],
                              encoded_image_string=_png(img))  # fmt: skip
        vals.append(pb.Summary.Value(tag=name, image=im))
    return pb.Summary(value=vals).SerializeToString()


def text(tag: str, value: Any) -> bytes:
    """A serialized Summary with text (TensorBoard's text plugin: a string tensor)."""
    pb = summary_pb2()
    tensor_pb2 = _pb("tensor_pb2")
    shape_pb2 = _pb("tensor_shape_pb2")
    a = np.asarray(value)
    strings = [s if isinstance(s, bytes) else str(s).encode("utf-8") for s in a.ravel().tolist()]
    t = tensor_pb2.TensorProto(
        dtype=7,  # DT_STRING
        tensor_shape=shape_pb2.TensorShapeProto(dim=[{"size": d} for d in a.shape]),
        string_val=strings,
    )
    meta = pb.SummaryMetadata(plugin_data=pb.SummaryMetadata.PluginData(plugin_name="text"))
    return pb.Summary(value=[{"tag": tag, "metadata": meta, "tensor": t}]).SerializeToString()


def merge(parts: Iterable[bytes]) -> bytes:
    """Serialized Summaries merged into one (concatenation is protobuf's merge)."""
    return b"".join(bytes(p) for p in parts)


def graph_def(nodes: Iterable[tuple[str, str, list[str], dict[str, str]]]) -> bytes:
    """A serialized GraphDef from (name, op type, input names, string attrs) rows."""
    gpb = _pb("graph_pb2")
    apb = _pb("attr_value_pb2")
    g = gpb.GraphDef()
    for name, op, inputs, attrs in nodes:
        nd = g.node.add(name=name, op=op, input=inputs)
        for k, v in attrs.items():
            nd.attr[k].CopyFrom(apb.AttrValue(s=str(v).encode("utf-8")))
    return g.SerializeToString()


class EventWriter:
    """Appends events to a TensorBoard event file in `logdir` (tensorboard's own writer)."""

    def __init__(self, logdir: str, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:  # fmt: skip
        mod = require(
            "tensorboard.summary.writer.event_file_writer", "tensorboard", "TensorBoard logging"
        )
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        self._w = mod.EventFileWriter(self.logdir, max_queue, flush_secs, filename_suffix or "")
        self._event = _pb("event_pb2").Event

    def add_summary(self, summary: Any, step: Any = None, walltime: float | None = None) -> None:
        """Write a Summary (proto or its serialized bytes) at `step`."""
        if isinstance(summary, (bytes, bytearray, np.bytes_)):
            s = summary_pb2().Summary()
            s.ParseFromString(bytes(summary))
            summary = s
        elif not hasattr(summary, "SerializeToString"):
            raise TypeError(
                f"add_summary: expected a Summary (the bytes a summary op returns from "
                f"Session.run), got {type(summary).__name__}"
            )
        ev = self._event(wall_time=walltime or time.time(), summary=summary)
        if step is not None:
            ev.step = int(step)
        self._w.add_event(ev)

    def add_graph_def(self, graph_def_bytes: bytes, step: Any = None) -> None:
        """Write a serialized GraphDef (TensorBoard's Graphs tab)."""
        ev = self._event(wall_time=time.time(), graph_def=graph_def_bytes)
        if step is not None:
            ev.step = int(step)
        self._w.add_event(ev)

    def flush(self) -> None:
        """Write pending events to disk."""
        self._w.flush()

    def close(self) -> None:
        """Flush and close the file."""
        self._w.close()

    def get_logdir(self) -> str:
        """The log folder."""
        return self.logdir


def ir_graph_rows(graph: Any) -> list[tuple[str, str, list[str], dict[str, str]]]:
    """GraphDef rows of a core IR graph: each node's name, kind/primitive and inputs."""
    rows = []
    for node in graph.nodes:
        op = node.attrs.get("type") or (node.prim.name if node.prim is not None else node.kind)
        inputs = [v.node.name for v in node.inputs] + ["^" + c.name for c in node.control_inputs]
        shape = getattr(node.output, "shape", None)
        attrs = {"shape": str(shape)} if shape is not None else {}
        rows.append((node.name, str(op), inputs, attrs))
    return rows
