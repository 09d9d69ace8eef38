"""``torch.onnx.export``: an eager module written as an ONNX model (the `onnx` extra).

The module runs on `args` and its operations are captured as a core IR graph
(`trace.trace_module`); the core exporter (`duograd.core.onnx_export`) writes that graph. As in
PyTorch, the module is exported in inference mode by default (``training=TrainingMode.EVAL``:
dropout off, batch norm's running statistics), and put back in its own mode afterwards. With
`dynamic_axes` on an input, the module is captured a second time with those axes at other sizes,
so sizes taken from the example (``x.view(x.size(0), -1)``, an LSTM's zero state) are written as
run-time shapes and the file runs at any size of those axes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from ...core.onnx_export import OPSET, ExportError, export_graph, grown, grown_sizes
from .grad_mode import no_grad
from .tensor import Tensor
from .trace import trace_module

__all__ = ["ExportError", "TrainingMode", "export"]


class TrainingMode(enum.IntEnum):
    """The mode a module is exported in, as ``torch.onnx.TrainingMode``."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def _set_mode(model: Any, training: Any) -> list[tuple[Any, bool]]:
    """Put `model` in the export's mode; returns each submodule's own mode, to restore."""
    modules = list(getattr(model, "modules", lambda: [])())
    saved = [(m, m.training) for m in modules]
    mode = TrainingMode.EVAL if training is None else training
    if isinstance(mode, bool):
        mode = TrainingMode.TRAINING if mode else TrainingMode.EVAL
    if mode != TrainingMode.PRESERVE:
        for m in modules:
            object.__setattr__(m, "training", mode == TrainingMode.TRAINING)
    return saved


def export(
    model: Any,
    args: Any,
    f: Any,
    export_params: bool = True,
    verbose: bool = False,
    training: Any = TrainingMode.EVAL,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    opset_version: int | None = None,
    dynamic_axes: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Trace `model(*args)` and write it to `f` (a path or a binary file) as ONNX."""
    op = "torch.onnx.export"
    if opset_version is not None and int(opset_version) != OPSET:
        raise ExportError(
            f"{op}: duograd writes ONNX opset {OPSET}; opset_version={opset_version} is not "
            f"available (omit it or pass {OPSET})"
        )
    if not export_params:
        raise ExportError(
            f"{op}: export_params=False (weights as graph inputs) is not supported; the "
            "weights are written into the file as named initializers"
        )
    if not isinstance(args, tuple):
        args = (args,)
    names = list(input_names or [f"input_{i}" for i in range(len(args))])
    saved = _set_mode(model, training)
    try:
        t = trace_module(model, args, op, names)
        alt = None
        if len(names) == len(args):
            shapes = [tuple(a.shape) if isinstance(a, Tensor) else () for a in args]
            sizes = grown_sizes(shapes, names, dynamic_axes)
            if any(sizes):
                with no_grad():
                    more = tuple(
                        Tensor._make(grown(a.numpy(), s)) for a, s in zip(args, sizes, strict=True)
                    )
                try:
                    t2 = trace_module(model, more, op, names)
                except Exception as e:
                    raise ExportError(
                        f"{op}: the model fails when its dynamic_axes "
                        f"{dict(dynamic_axes or {})} take other sizes ({e}); are axes that "
                        "must stay equal given the same name?"
                    ) from e
                alt = (t2.inputs, t2.outputs)
    finally:
        for m, mode in saved:
            object.__setattr__(m, "training", mode)
    return export_graph(
        t.inputs, t.outputs, f, input_names, output_names, dynamic_axes, op=op, alt=alt
    )
