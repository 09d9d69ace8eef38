"""ONNX export of a graph's fetches: ``export(sess, inputs, outputs, f)`` (the `onnx` extra).

`inputs` are placeholders, `outputs` the tensors to compute; variables are written with their
values in `sess` as named initializers. The core exporter (`duograd.core.onnx_export`) writes
the graph the frontend built, node by node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...core.onnx_export import ExportError, export_graph
from . import errors

__all__ = ["ExportError", "export"]


def export(
    sess: Any,
    inputs: Sequence[Any],
    outputs: Sequence[Any],
    f: Any,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_axes: Mapping[str, Any] | None = None,
) -> Any:
    """Write the computation from placeholders `inputs` to tensors `outputs` as ONNX to `f`."""
    inputs, outputs = list(inputs), list(outputs)
    names_in = list(input_names or [v.node.name for v in inputs])
    names_out = list(output_names or [v.node.name.replace("/", "_") for v in outputs])

    def value(node: Any) -> np.ndarray:
        arr = sess._read(node.params["key"])
        if arr is None:
            raise errors.FailedPreconditionError(
                None, None, f"onnx.export: variable '{node.name}' is uninitialized; run its "
                "initializer first"
            )  # fmt: skip
        return np.asarray(arr)

    return export_graph(
        inputs, outputs, f, names_in, names_out, dynamic_axes, value, op="onnx.export"
    )
