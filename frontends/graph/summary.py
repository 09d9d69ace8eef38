"""`tf.summary`, accepted so TF1 programs that log summaries run unchanged.

duograd has no TensorBoard event files: summary ops are ops that do nothing (running one gives
None) and `FileWriter` ignores them. A FileWriter given a graph writes it as Graphviz DOT text
to `<logdir>/graph.dot`, the one view of a graph duograd offers.
"""

from __future__ import annotations

import os
from typing import Any

from ...core.ir import Value
from .control_flow import noop_node
from .dot import graph_to_dot
from .graph import GraphKeys, get_default_graph
from .tensor import Operation


def _summary(kind: str, name: str, value: Any, collections: Any) -> Operation:
    g = value.graph if isinstance(value, Value) else get_default_graph()
    op = noop_node(g, name or kind, [], type_name=kind)
    for key in collections if collections is not None else [GraphKeys.SUMMARIES]:
        g.add_to_collection(key, op)
    return op


def scalar(name: str, tensor: Any, collections: Any = None, family: Any = None) -> Operation:
    """A scalar summary (does nothing)."""
    return _summary("ScalarSummary", name, tensor, collections)


def histogram(name: str, values: Any, collections: Any = None, family: Any = None) -> Operation:
    """A histogram summary (does nothing)."""
    return _summary("HistogramSummary", name, values, collections)


def image(
    name: str, tensor: Any, max_outputs: int = 3, collections: Any = None, family: Any = None
) -> Operation:
    """An image summary (does nothing)."""
    return _summary("ImageSummary", name, tensor, collections)


def text(name: str, tensor: Any, collections: Any = None) -> Operation:
    """A text summary (does nothing)."""
    return _summary("TextSummary", name, tensor, collections)


def merge(inputs: Any, collections: Any = None, name: str | None = None) -> Operation:
    """One op running the given summary ops."""
    items = list(inputs)
    g = items[0].graph if items else get_default_graph()
    return noop_node(g, name or "Merge/MergeSummary", [i._node for i in items], "MergeSummary")


def merge_all(key: str = GraphKeys.SUMMARIES, scope: Any = None, name: str | None = None):
    """One op running every summary of the default graph (None if there are none, as TF)."""
    items = get_default_graph().get_collection(key, scope)
    return merge(items, name=name) if items else None


class FileWriter:
    """Accepts summaries and ignores them; writes a given graph as `<logdir>/graph.dot`."""

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
        if graph is not None:
            self.add_graph(graph)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Write the graph as DOT text to <logdir>/graph.dot."""
        os.makedirs(self.logdir, exist_ok=True)
        with open(os.path.join(self.logdir, "graph.dot"), "w") as f:
            f.write(graph_to_dot(graph))

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Ignored."""

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Ignored."""

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Ignored."""

    def get_logdir(self) -> str:
        """The log folder."""
        return self.logdir

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
