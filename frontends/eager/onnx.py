"""``torch.onnx.export``: an eager module written as an ONNX model (the `onnx` extra).

The module runs once on `args` and its operations are captured as a core IR graph
(`trace.trace_module`); the core exporter (`duograd.core.onnx_export`) writes that graph. Call
``model.eval()`` first for inference behaviour (dropout off, batch norm's running statistics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...core.onnx_export import ExportError, export_graph
from .trace import trace_module

__all__ = ["ExportError", "export"]


def export(
    model: Any,
    args: Any,
    f: Any,
    export_params: bool = True,
    verbose: bool = False,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    opset_version: int | None = None,
    dynamic_axes: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Trace `model(*args)` and write it to `f` (a path or a binary file) as ONNX."""
    if not isinstance(args, tuple):
        args = (args,)
    t = trace_module(model, args, "torch.onnx.export", input_names)
    return export_graph(
        t.inputs, t.outputs, f, input_names, output_names, dynamic_axes, op="torch.onnx.export"
    )
