"""`tf.summary`: summary ops and `FileWriter`, writing real TensorBoard event files.

As in TF1, `tf.summary.scalar/histogram/image/text` add ops whose value, fetched with
`Session.run`, is a serialized `Summary` protobuf (bytes); `merge`/`merge_all` combine them; and
`FileWriter(logdir, graph).add_summary(summary, step)` appends them to an event file that
TensorBoard reads. Protos and the event-file writer come from the `tensorboard` package (the
`tensorboard` extra). A FileWriter given a graph also writes it as Graphviz DOT text to
`<logdir>/graph.dot`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ...core import tensorboard_io as tb
from ...core.ir import Value
from ...core.primitives.registry import AVal
from .dot import graph_to_dot
from .graph import GraphKeys, get_default_graph

# duograd tensors have no string dtype: a summary op's tensor is declared a bool scalar, and
# its fetched value is the serialized Summary (bytes)
_BYTES = AVal((), np.dtype(np.bool_))


def _summary_op(kind: str, name: str, inputs: list, make: Callable[..., bytes], collections: Any):
    g = next((v.graph for v in inputs if isinstance(v, Value)), None) or get_default_graph()
    ins = [g.as_value(v) for v in inputs]
    holder: dict = {}

    def effect(state: Any, *arrays: Any) -> tuple[bytes, dict]:
        return make(holder["tag"], *arrays), {}

    out = g.add_effect(effect, ins, _BYTES, name or kind)
    holder["tag"] = out.node.name  # the scoped, de-duplicated name is the tag, as in TF1
    out.node.attrs["type"] = kind
    for key in collections if collections is not None else [GraphKeys.SUMMARIES]:
        g.add_to_collection(key, out)
    return out


def scalar(name: str, tensor: Any, collections: Any = None, family: Any = None) -> Value:
    """A summary op holding one scalar value."""
    return _summary_op("ScalarSummary", name, [tensor], tb.scalar, collections)


def histogram(name: str, values: Any, collections: Any = None, family: Any = None) -> Value:
    """A summary op holding a histogram of `values`."""
    return _summary_op("HistogramSummary", name, [values], tb.histogram, collections)


def image(
    name: str, tensor: Any, max_outputs: int = 3, collections: Any = None, family: Any = None
) -> Value:
    """A summary op holding up to `max_outputs` images of an NHWC batch (as PNG)."""

    def make(tag: str, batch: np.ndarray) -> bytes:
        return tb.images(tag, batch, max_outputs)

    return _summary_op("ImageSummary", name, [tensor], make, collections)


def text(name: str, tensor: Any, collections: Any = None) -> Value:
    """A summary op holding text (TensorBoard's Text tab)."""
    if isinstance(tensor, (str, bytes)):  # a constant string (duograd has no string tensors)
        const = np.array(tensor, dtype=object)

        def make_const(tag: str) -> bytes:
            return tb.text(tag, const)

        return _summary_op("TextSummary", name, [], make_const, collections)
    return _summary_op("TextSummary", name, [tensor], tb.text, collections)


def merge(inputs: Any, collections: Any = None, name: str | None = None) -> Value:
    """One op whose value is the given summaries merged into one Summary."""
    items = list(inputs)

    def make(tag: str, *parts: Any) -> bytes:
        return tb.merge(parts)

    op = _summary_op("MergeSummary", name or "Merge/MergeSummary", items, make, [])
    for key in collections or []:
        op.graph.add_to_collection(key, op)
    return op


def merge_all(key: str = GraphKeys.SUMMARIES, scope: Any = None, name: str | None = None):
    """One op merging every summary of the default graph (None if there are none, as TF)."""
    items = get_default_graph().get_collection(key, scope)
    return merge(items, name=name) if items else None


class FileWriter:
    """Writes summaries and graphs to a TensorBoard event file in `logdir`."""

    def __init__(
        self,
        logdir: str,
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str | None = None,
        session: Any = None,
    ) -> None:
        self.logdir = os.fspath(logdir)
        self._w = tb.EventWriter(self.logdir, max_queue, flush_secs, filename_suffix or "")
        if graph is not None:
            self.add_graph(graph)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Write the graph for TensorBoard's Graphs tab (and as DOT text to <logdir>/graph.dot)."""
        self._w.add_graph_def(tb.graph_def(tb.ir_graph_rows(graph)), global_step)
        with open(os.path.join(self.logdir, "graph.dot"), "w") as f:
            f.write(graph_to_dot(graph))

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Append a Summary (the bytes a summary op gives from Session.run) at `global_step`."""
        self._w.add_summary(summary, global_step)

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Ignored (session logs are not written)."""

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Ignored (duograd has no run metadata)."""

    def get_logdir(self) -> str:
        """The log folder."""
        return self.logdir

    def flush(self) -> None:
        """Write pending events to disk."""
        self._w.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self._w.close()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
